"""数据维护: the storyboard of the editing page. Pick a point (map or table) and edit it, add one, or restore a deleted
one. Every write goes through `loaders.editing.Editor`, which checks the user's role and units."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from loaders import config, coords, model
from loaders.auth import User
from loaders.editing import Editor
from loaders.filters import Filter
from loaders.model import ValidationError
from loaders.readable import count
from loaders.store import StaleEditError, StoreError

from .. import data
from . import (
    coordinput,
    detail,
    edit_activities,
    edit_add,
    edit_followups,
    edit_map,
    editform,
    history,
    locate,
    photos,
    session,
)
from .editform import messages
from .layer_page import base_selector
from .safe import md_text

MODES = ("修改点位", "新增点位", "已删除点位", "协商活动")
MODE = "edit_mode"
TABS = "edit_tab"
SELECTED = "_xz_edit_selected"
TABLE = "edit_table"
_TABLE_IDS = "_xz_edit_table_ids"
_NOTICE = "_xz_edit_notice"
_NEAR = "_xz_edit_near_me"
TABLE_LIMIT = 300
CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
.st-key-edit_side [data-testid="stTabs"] button p { font-size: 0.95rem; }
/* A phone: the form first (what staff came to do), the map below it as a picker. */
@media (max-width: 640px) {
  .st-key-edit_layout > div > [data-testid="stHorizontalBlock"] { flex-direction: column-reverse; }
  [data-testid="stMainBlockContainer"] { padding: 3.2rem .75rem 2rem; }
  .st-key-edit_side button, .st-key-edit_side [data-baseweb="select"] > div { min-height: 44px; }
  .st-key-edit_title [data-testid="stHorizontalBlock"] { flex-wrap: nowrap !important; }
  .st-key-edit_title [data-testid="stColumn"] { min-width: 0 !important; width: auto !important; }
  .st-key-edit_title [data-testid="stColumn"]:last-child { flex: 0 0 auto !important; }
}
</style>"""


# Selection ------------------------------------------------------------------------------------------------------
def select(point_id: str | None, center: tuple[float, float] | None = None) -> None:
    ss = st.session_state
    if ss.get(SELECTED) != point_id:
        coordinput.set_candidate("mv", None)
        ss["mv_pick"] = False
        ss.pop("del_confirm", None)
    ss[SELECTED] = point_id
    if center:
        edit_map.request_center(*center)


def _on_table_select() -> None:
    state = st.session_state.get(TABLE)
    rows = state.selection.rows if state is not None else []
    ids = st.session_state.get(_TABLE_IDS, [])
    if rows and rows[0] < len(ids):
        point_id, lon, lat = ids[rows[0]]
        select(point_id, (lon, lat))


def notice(kind: str, text: str) -> None:
    st.session_state[_NOTICE] = (kind, [text])


# Writes (callbacks) ---------------------------------------------------------------------------------------------
def _move(editor: Editor, record: dict) -> None:
    ss = st.session_state
    position = coordinput.candidate("mv")
    if position is None or not position.inside:
        ss["_mv_result"] = ("error", [position.message if position else "请先输入坐标或在地图上点击新位置。"])
        return
    try:
        after = editor.update(record["id"], {"lon": position.lon, "lat": position.lat}, int(record["version"]))
    except StaleEditError as error:
        ss["_mv_result"] = ("error", [f"没有移动：{error}。新位置仍保留，核对后可再次保存。"])
        return
    except (ValidationError, StoreError) as error:
        ss["_mv_result"] = ("error", ["没有移动："] + list(getattr(error, "messages", [str(error)])))
        return
    coordinput.set_candidate("mv", None)
    ss["mv_pick"] = False
    editform.load(editform.EDIT, after)
    ss["_mv_result"] = ("ok", [f"已把「{after['name']}」移到 {after['lon']:.6f}, {after['lat']:.6f}。"])


def _delete(editor: Editor, record: dict) -> None:
    try:
        editor.delete(record["id"], int(record["version"]))
    except StoreError as error:
        st.session_state["_del_result"] = ("error", [f"没有删除：{error}"])
        return
    select(None)
    notice("ok", f"已删除「{record['name']}」。如需找回，可在「已删除点位」中恢复。")


def _restore(editor: Editor, point_id: str, name: str) -> None:
    try:
        editor.restore(point_id)
    except StoreError as error:
        notice("error", f"没有恢复：{error}")
        return
    notice("ok", f"已恢复「{name}」，它重新出现在地图和列表中。")


def _added(point_id: str, position, text: str) -> None:
    st.session_state[MODE] = MODES[0]
    select(point_id, (position.lon, position.lat))
    notice("ok", text)


def _open_for_follow_up(point_id: str, center: tuple[float, float]) -> None:
    """'This is the same one': open the existing point on its 跟踪督办 tab instead of adding a second one."""
    st.session_state[MODE] = MODES[0]
    select(point_id, center)
    st.session_state[TABS] = "跟踪督办"
    notice("info", "已打开附近的同一个点位：请在「跟踪督办」中添加记录和照片。")


# Sections ---------------------------------------------------------------------------------------------------------
def layout():
    """The map and the side panel side by side; on a phone (CSS) the panel comes first and the map is a picker."""
    return st.container(key="edit_layout").columns([1.45, 1], gap="medium")


def scope_text(user: User, editable: set[str], names: dict[str, str]) -> str:
    if user.is_admin:
        return f"{user.name}（管理员）：可修改全区所有点位。"
    mine = "、".join(names.get(code, code) for code in user.units)
    return f"{user.name}（编辑）：可修改{mine}的点位；其他乡镇的点位只能查看。"


def _near_me(geography) -> tuple[float, float] | None:
    """定位到我 above the list: the list is then sorted by distance from the phone (refusals are said)."""
    fix = locate.button("find_locate")
    if fix is not None:
        position = coordinput.from_fix(fix, geography, config.gps_accuracy_limit_m())
        if isinstance(position, str):
            st.session_state[_NEAR] = None
            notice("error", position)
        else:
            st.session_state[_NEAR] = (position.lon, position.lat, position.source)
            edit_map.request_center(position.lon, position.lat)
        st.rerun()
    return st.session_state.get(_NEAR)


def picker_frame(points: pd.DataFrame, editable: set[str], names: dict[str, str]) -> pd.DataFrame:
    """The columns that tell points apart on a phone first (名称, 状态, 乡镇); the rest is in the detail."""
    frame = pd.DataFrame({
        "名称": points["name"].astype(str).to_numpy(),
        "状态": points["status"].to_numpy(),
        "乡镇": points["unit_code"].map(lambda c: names.get(c, c or "—")).to_numpy(),
        "可修改": points["unit_code"].isin(editable).map({True: "✓", False: ""}).to_numpy(),
        "类型": points["kind"].map(model.kind_label).to_numpy(),
        "村/社区": points["village"].fillna("").to_numpy(),
    })
    if "distance_m" in points:
        frame.insert(1, "距离", points["distance_m"].map(lambda m: f"{count(m)} 米").to_numpy())
    return frame


def picker(view: data.View, editable: set[str], names: dict[str, str], user: User, geography) -> None:
    st.markdown("##### 选择点位")
    near = _near_me(geography)
    search_col, toggle_col = st.columns([2, 1], vertical_alignment="bottom")
    keyword = search_col.text_input("搜索", key="edit_q", placeholder="名称、村/社区…",
                                    label_visibility="collapsed")
    only_mine = toggle_col.toggle("只看我能修改的", key="edit_only_mine", value=not user.is_admin)
    points = view.points
    if only_mine and not user.is_admin:
        points = points[points["unit_code"].isin(editable)]
    if keyword.strip():
        needle = keyword.strip()
        mask = points["name"].astype(str).str.contains(needle, regex=False) | \
            points["village"].fillna("").astype(str).str.contains(needle, regex=False)
        points = points[mask]
    if near:
        distance = coords.haversine_m(near[0], near[1], points["lon"].to_numpy(float), points["lat"].to_numpy(float))
        shown = points.assign(distance_m=distance).sort_values("distance_m").head(TABLE_LIMIT)
        st.caption(md_text(f"按离您的距离排列（{near[2]}）。"))
    else:
        shown = points.sort_values("updated_at", ascending=False).head(TABLE_LIMIT)
    st.session_state[_TABLE_IDS] = list(zip(shown["id"], shown["lon"], shown["lat"]))
    st.dataframe(picker_frame(shown, editable, names), hide_index=True, width="stretch",
                 height=min(360, 35 * (len(shown) + 1) + 3), on_select=_on_table_select,
                 selection_mode="single-row", key=TABLE,
                 column_config={"名称": st.column_config.TextColumn(width="medium"),
                                "可修改": st.column_config.TextColumn(width="small")})
    limited = f"，显示{'最近' if near else '最近更新'}的 {count(TABLE_LIMIT)} 个，请用搜索缩小范围" if len(points) > TABLE_LIMIT else ""
    st.caption(f"共 {count(len(points))} 个点位{limited}。点击表格中的一行或地图上的点位即可编辑。")


def move_section(editor: Editor, record: dict, names: dict[str, str]) -> None:
    ss = st.session_state
    st.caption(f"当前位置（WGS-84）：{record['lon']:.6f}, {record['lat']:.6f}")
    st.toggle("在地图上点击新位置", key="mv_pick", help="打开后，在地图上点击的位置即为新位置（点位不会立即移动）。")
    position = coordinput.widget("mv", editor.store.geography(), names)
    messages(ss.pop("_mv_result", None))
    st.button("保存新位置", key="mv_save", type="primary", disabled=position is None or not position.inside,
              on_click=_move, args=(editor, record), icon=":material/save:")


def delete_section(editor: Editor, record: dict) -> None:
    messages(st.session_state.pop("_del_result", None))
    st.write("删除后点位不再出现在地图、统计和导出中；它的资料、督办记录和修改记录都会保留，可随时在「已删除点位」中恢复。")
    confirmed = st.checkbox(f"我确认删除「{md_text(record['name'])}」", key="del_confirm")
    st.button("删除点位", key="del_point", disabled=not confirmed, on_click=_delete, args=(editor, record),
              icon=":material/delete:")


def read_only(record: dict, names: dict[str, str], editor: Editor) -> None:
    unit = names.get(record.get("unit_code"), record.get("unit_code") or "未划入乡镇的区域")
    mine = "、".join(names.get(c, c) for c in editor.user.units) or "（无）"
    st.info(md_text(f"该点位属于{unit}，您只能修改{mine}的点位，这里仅供查看。"), icon=":material/lock:")
    st.markdown("  \n".join(f"**{md_text(k)}**：{md_text(v)}" for k, v in detail.rows(record, names)))
    st.markdown("**跟踪督办记录**")
    edit_followups.timeline(editor.store.follow_ups(record["id"]), record["id"])
    st.markdown("**照片**")
    photos.section(editor, record, False)


def side_panel(editor: Editor, record: dict | None, editable: set[str], names: dict[str, str]) -> None:
    if record is None:
        st.markdown("##### 点位编辑")
        st.caption("在地图上点击一个点位，或在下方列表中选中一行。要添加新点位，请切换到上方的「新增点位」。")
        return
    title_col, close_col = st.container(key="edit_title").columns([5, 1], vertical_alignment="center")
    title_col.markdown(f"##### {md_text(record['name'])}")
    close_col.button("", key="edit_close", icon=":material/close:", help="取消选择", on_click=select, args=(None,))
    unit = names.get(record.get("unit_code"), record.get("unit_code") or "—")
    st.caption(md_text(f"{model.kind_label(record['kind'])} · {record['status']} · {unit} · 编号 {record['id']}"))
    if not editor.may_edit_point(record):
        read_only(record, names, editor)
        return
    info, place, follow, pictures, changes, remove = st.tabs(
        ["基本信息", "位置", "跟踪督办", "照片", "修改记录", "删除"], key=TABS, on_change="ignore")
    with info:
        editform.edit_form(editor, record)
    with place:
        move_section(editor, record, names)
    with follow:
        edit_followups.section(editor, record, True)
    with pictures:
        photos.section(editor, record, True)
    with changes:
        history.section(editor, record["id"])
    with remove:
        delete_section(editor, record)


def edit_mode(editor: Editor, provider, editable: set[str], names: dict[str, str]) -> None:
    ss = st.session_state
    view = data.filtered(Filter())
    selected = ss.get(SELECTED)
    record = editor.store.point(selected) if selected else None  # fresh: the form checks versions against it
    if selected and (record is None or record.get("deleted_at")):
        name = record["name"] if record else selected
        ss[SELECTED], record, selected = None, None, None
        st.warning(md_text(f"「{name}」已被删除（可能是他人刚删除的）：它的表单和选好的照片没有保存。"
                           "如需找回，可在「已删除点位」中恢复后再补充。"), icon=":material/delete:")
    may_edit = record is not None and editor.may_edit_point(record)
    candidate = coordinput.candidate("mv") if may_edit else None
    map_col, side_col = layout()
    with map_col:
        result = edit_map.show(provider, view, selected, candidate, record, moving=candidate is not None)
        st.caption("蓝色十字为待确认的新位置。" if candidate else "点击地图上的点位即可编辑；示意范围非官方界线。")
    what, payload = edit_map.new_click(result)
    if what == "point":
        point_id = edit_map.point_at(view, payload)
        if point_id and point_id != selected:
            select(point_id)
            st.rerun()
    elif what == "map" and may_edit and ss.get("mv_pick"):
        coordinput.set_candidate("mv", coordinput.from_click(payload["lat"], payload["lng"],
                                                             editor.store.geography(), provider.gcj02))
        st.rerun()
    with side_col, st.container(border=True, key="edit_side"):
        side_panel(editor, record, editable, names)
    with map_col:
        picker(view, editable, names, editor.user, editor.store.geography())


def add_mode(editor: Editor, provider, editable: set[str], names: dict[str, str]) -> None:
    view = data.filtered(Filter())
    candidate = coordinput.candidate("add")
    map_col, side_col = layout()
    with map_col:
        result = edit_map.show(provider, view, None, candidate, None, moving=False)
        st.caption("在地图上点击新点位的位置，或在「新增点位」中点「定位到我」、输入坐标；蓝色十字为待确认的位置。")
    what, _ = edit_map.new_click(result)
    if what in ("map", "point") and result.get("last_clicked"):
        clicked = result["last_clicked"]
        coordinput.set_candidate("add", coordinput.from_click(clicked["lat"], clicked["lng"],
                                                              editor.store.geography(), provider.gcj02))
        st.rerun()
    with side_col, st.container(border=True, key="edit_side"):
        edit_add.section(editor, editable, names, _added, _open_for_follow_up)


def deleted_mode(editor: Editor, names: dict[str, str]) -> None:
    points = editor.store.points(Filter(include_deleted=True))
    points = points[points["deleted_at"].notna()].sort_values("deleted_at", ascending=False)
    if points.empty:
        st.info("没有已删除的点位。")
        return
    frame = pd.DataFrame({
        "名称": points["name"].astype(str), "类型": points["kind"].map(model.kind_label), "状态": points["status"],
        "乡镇": points["unit_code"].map(lambda c: names.get(c, c or "—")),
        "删除时间": points["deleted_at"].map(history.when),
        "删除人": points["updated_by"].fillna(""),
    })
    st.dataframe(frame, hide_index=True, width="stretch")
    restorable = [r for r in points.itertuples(index=False) if editor.may_edit_point(r._asdict())]
    if not restorable:
        st.caption("这些点位不属于您可编辑的乡镇，不能恢复。")
        return
    labels = {r.id: f"{r.name}（{names.get(r.unit_code, '—')}，删除于 {history.when(r.deleted_at)}）"
              for r in restorable}
    pick_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick_col.selectbox("恢复哪个点位", list(labels), format_func=labels.get, key="restore_pick")
    button_col.button("恢复", key="restore_point", type="primary", on_click=_restore,
                      args=(editor, chosen, {r.id: r.name for r in restorable}[chosen]),
                      icon=":material/restore_from_trash:",
                      width="stretch")


def render() -> None:
    """The page: only for a signed-in editor or admin (`session.require` explains and stops otherwise)."""
    ss = st.session_state
    user = session.require()
    editor = session.editor()
    names = data.units().names()
    editable = set(editor.editable_unit_codes())
    provider = base_selector()
    st.html(CSS)
    st.markdown("### 数据维护")
    st.caption(md_text(scope_text(user, editable, names)) + "　所有修改都会记录修改人和时间，可在「修改记录」中查看。")
    messages(ss.pop(_NOTICE, None))
    ss.setdefault(MODE, MODES[0])
    mode = st.radio("操作", MODES, key=MODE, horizontal=True, label_visibility="collapsed")
    if mode == MODES[3]:
        edit_activities.section(editor)
    elif mode == MODES[1]:
        add_mode(editor, provider, editable, names)
    elif mode == MODES[2]:
        deleted_mode(editor, names)
    else:
        edit_mode(editor, provider, editable, names)
