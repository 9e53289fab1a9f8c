"""新增点位: where the new point is (the phone's position, a tap on the map, or typed coordinates), what it is, and --
before it is saved -- the points of the same kind already that close, so a well visited twice becomes a follow-up on
the existing one rather than a second well."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from loaders import config, coords, model
from loaders.editing import Editor
from loaders.filters import Filter
from loaders.model import ValidationError
from loaders.readable import count
from loaders.store import StoreError

from .. import data
from . import coordinput, drafts, editform, photos
from .editform import messages
from .safe import md_text

KIND = "add_kind"
_LAST_KIND = "_xz_last_added_kind"
_RESULT = "_add_result"
SAME_ONE = "add_not_duplicate"
_ROUND = "_xz_add_photo_round"
_LAST_PLACE = "_xz_add_last_position"


def nearby(points: pd.DataFrame, kind: str, lon: float, lat: float, radius_m: float) -> pd.DataFrame:
    """Points of `kind` within `radius_m` of (lon, lat), nearest first, with their distance (`distance_m`)."""
    same = points[points["kind"] == kind]
    if same.empty:
        return same.assign(distance_m=pd.Series(dtype=float))
    distance = coords.haversine_m(lon, lat, same["lon"].to_numpy(float), same["lat"].to_numpy(float))
    return same.assign(distance_m=distance)[distance <= radius_m].sort_values("distance_m")


def last_kind(editor: Editor) -> str:
    """The kind this user added last (this session, else their latest 'create' in the audit log), else 问题点:
    staff in the field add the same kind many times in a row (a well team adds wells)."""
    ss = st.session_state
    if ss.get(_LAST_KIND) in model.KINDS:
        return ss[_LAST_KIND]
    history = editor.store.history(limit=500)
    mine = history[(history["user"] == editor.user.name) & (history["action"] == "create")]
    kinds = [after.get("kind") for after in mine["after"] if isinstance(after, dict)]
    ss[_LAST_KIND] = next((k for k in kinds if k in model.KINDS), "issue")
    return ss[_LAST_KIND]


def _add(editor: Editor, on_added) -> None:
    ss = st.session_state
    kind = ss.get(KIND)
    signature = (kind, tuple(sorted(editform.values(editform.ADD, kind).items())))
    position = coordinput.candidate("add")
    again, said = editform.repeated("add", signature)
    if again and (position is None or position == ss.get(_LAST_PLACE)):
        if said:  # the same new point sent twice (its position already used by the first): added once, said again
            on_added(*said)
        return
    if position is None:
        ss[_RESULT] = ("error", ["没有保存：还没有位置。请点「定位到我」、在地图上点击，或输入坐标后点「在地图上显示」。"])
        return
    if not position.inside:
        ss[_RESULT] = ("error", [f"没有保存：{position.message}。"])
        return
    ready, refused = photos.prepared(_files_key())
    if refused:
        ss[_RESULT] = ("error", ["没有保存，以下照片有问题（请去掉或换一张）："] + refused)
        return
    close = nearby(data.filtered(Filter()).points, kind, position.lon, position.lat, config.duplicate_radius_m())
    if len(close) and not ss.get(SAME_ONE):
        ss[_RESULT] = ("error", ["没有保存：附近已有同类点位（见上方）。如果确实是另一个，请勾选「不是同一个，仍然新增」。"])
        return
    record = editform.add_record(kind, position.lon, position.lat)
    editform.saving("add", signature)
    ss[_LAST_PLACE] = position
    try:
        with editor.batch() as batch:  # the point and its photos together, or neither
            point_id = batch.add(record)
            if ready:
                editor.add_photos(point_id, ready)
    except (ValidationError, StoreError) as error:
        editform.failed("add")
        ss[_RESULT] = editform.save_refusal(error)
        return
    ss[_ROUND] = ss.get(_ROUND, 0) + 1
    editform.clear_add_form(kind)
    drafts.clear(f"add-{kind}")
    coordinput.set_candidate("add", None)
    ss["add_text"], ss[SAME_ONE], ss[_LAST_KIND] = "", False, kind
    said = (point_id, position, f"已添加{model.kind_label(kind)}「{record.get('name')}」，可继续补充督办记录和照片。")
    editform.saved("add", said)
    on_added(*said)


def _files_key() -> str:
    return f"add_photos_{st.session_state.get(_ROUND, 0)}"


def _set_opened_on(day: str) -> None:
    st.session_state[f"{editform.ADD}_opened_on"] = dt.date.fromisoformat(day)


def duplicates(kind: str, position: coordinput.Position | None, open_point) -> None:
    """Points of the same kind near the candidate position, each with "this is the same one"."""
    if position is None or not position.inside:
        return
    radius = config.duplicate_radius_m()
    close = nearby(data.filtered(Filter()).points, kind, position.lon, position.lat, radius)
    if close.empty:
        return
    with st.container(border=True, key="add_duplicates"):
        st.warning(f"{count(radius)} 米内已有 {count(len(close))} 个{model.kind_label(kind)}，可能是同一个：", icon=":material/warning:")
        for row in close.head(5).itertuples(index=False):
            text_col, button_col = st.columns([3, 2], vertical_alignment="center")
            text_col.markdown(md_text(f"{row.name}（{row.status}，相距 {count(row.distance_m)} 米）"))
            button_col.button("是同一个 → 添加督办记录", key=f"same_{row.id}", on_click=open_point,
                              args=(row.id, (row.lon, row.lat)), width="stretch")
        st.checkbox("不是同一个，仍然新增", key=SAME_ONE)


def section(editor: Editor, editable: set[str], names: dict[str, str], on_added, open_point) -> None:
    """The add form: ① position (定位到我 first), possible duplicates, ② content, save."""
    ss = st.session_state
    st.markdown("##### 新增点位")
    if ss.get(KIND) not in model.KINDS:
        ss[KIND] = last_kind(editor)
    kind = st.selectbox("类型", list(model.KINDS), format_func=model.kind_label, key=KIND)
    st.markdown("**① 位置**　点「定位到我」，或在地图上点击、输入坐标")
    position = coordinput.widget("add", editor.store.geography(), names)
    if position is not None and position.inside and position.unit_code not in editable:
        unit = names.get(position.unit_code, "未划入乡镇的区域")
        st.warning(md_text(f"这个位置属于{unit}，不在您可编辑的范围内，保存会被拒绝。"))
    duplicates(kind, position, open_point)
    st.markdown("**② 照片**（可选）")
    photos.chooser("拍照或从相册选择", _files_key())
    ready, refused = photos.prepared(_files_key())
    photos.refusals(refused)
    photos.position_offer(ready, "add", editor.store.geography(), _files_key())
    _, taken_on = photos.offers(ready)
    if taken_on:
        st.button(f"用拍摄日期 {taken_on} 作登记日期", key="add_use_taken", on_click=_set_opened_on, args=(taken_on,),
                  icon=":material/event:")
    st.markdown("**③ 内容**")
    messages(ss.pop(_RESULT, None))
    editform.add_defaults(kind)
    drafts.keep(f"add-{kind}", editform.shown(editform.ADD, kind), editform.restorer(editform.ADD, kind))
    with st.form("af_form", border=False, enter_to_submit=False):
        editform.add_widgets(kind)
        st.form_submit_button("保存新点位", type="primary", icon=":material/add_location_alt:", on_click=_add,
                              args=(editor, on_added), width="stretch")
