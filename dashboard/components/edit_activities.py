"""数据维护 · 协商活动: add, change or delete an activity and the issues it raised, with the rules of points -- the
editor's towns (where it is held, checked where it lands), the version it was opened at (a save over someone
else's is refused and shows theirs), an audit row for every change, all of one save in one transaction."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from loaders import clock
from loaders.consultation import CHANNELS, FORMS, ROLES, split_list
from loaders.editing import Editor
from loaders.filters import Filter
from loaders.model import ValidationError
from loaders.store import StaleEditError, StoreError

from .. import data
from .editform import MAX_DATE, MIN_DATE
from .safe import md_text, plain

NEW = ""
PICK = "ea_pick"
_RESULT = "_ea_result"
_FOR = "_ea_for"
_PENDING = "_ea_pending_pick"
_BASE = "_ea_base"
RAISED, AGAIN = ROLES["raised"], ROLES["discussed"]


def _choices(editor: Editor, work: data.Work) -> dict[str, str]:
    mine = set(editor.editable_unit_codes())
    shown = work.activities[work.activities["unit_code"].isin(mine)]
    return {NEW: "（新增协商活动）", **{r.id: f"{r.date} · {plain(r.topic)}" for r in shown.itertuples()}}


def _defaults(record: dict | None, units, editable: tuple[str, ...]) -> dict:
    if record:
        return record
    home = units.get(editable[0]) if editable else None
    return {"date": clock.today().isoformat(), "topic": "", "form": FORMS[-1], "channel": CHANNELS[0], "place": "",
            "lon": home.lon if home else 112.2, "lat": home.lat if home else 32.15, "groups": (), "departments": (),
            "expert_count": 0, "public_count": 0, "summary": "", "outcome": "", "members": (), "issues": [],
            "demo_site_id": None}


def _save(editor: Editor, activity_id: str, values: dict, version: int | None, raised: list[str],
          again: list[str], current_links: dict[str, str]) -> None:
    """One save: the activity, then its links, in one transaction; the outcome goes to the page as a message."""
    ss = st.session_state
    try:
        with editor.store.transaction():
            if activity_id == NEW:
                activity_id = editor.add_activity(values)
            else:
                editor.update_activity(activity_id, values, version)
            wanted = {**{p: AGAIN for p in again}, **{p: RAISED for p in raised}}
            for point_id, role in current_links.items():
                if wanted.get(point_id) != role:
                    editor.unlink_issue(point_id, activity_id)
            for point_id, role in wanted.items():
                if current_links.get(point_id) != role:
                    editor.link_issue(point_id, activity_id, role)
    except StaleEditError as error:
        ss[_RESULT] = ("error", [f"没有保存：{error}。表单已换成对方保存的内容，请核对后再改。"])
        ss.pop(_FOR, None)  # reload the form from the current record
        return
    except ValidationError as error:
        ss[_RESULT] = ("error", ["没有保存，请修改后重试：", *error.messages])
        return
    except StoreError as error:  # PermissionDenied, a lost session, a second 提出 …
        ss[_RESULT] = ("error", [f"没有保存：{error}"])
        return
    ss[_PENDING] = activity_id  # the picker shows the saved activity on the next run
    ss.pop(_FOR, None)
    ss[_RESULT] = ("ok", [f"已保存协商活动「{values['topic']}」。"])


def _delete(editor: Editor, activity_id: str, version: int) -> None:
    try:
        editor.delete_activity(activity_id, version)
    except StoreError as error:
        st.session_state[_RESULT] = ("error", [f"没有删除：{error}"])
        return
    st.session_state[PICK] = NEW
    st.session_state[_RESULT] = ("ok", ["已删除这场协商活动（管理员可在修改记录中查到）。"])


def _messages() -> None:
    result = st.session_state.pop(_RESULT, None)
    if result:
        kind, lines = result
        (st.success if kind == "ok" else st.error)("  \n".join(md_text(line) for line in lines))


def section(editor: Editor) -> None:
    work = data.work()
    units = data.units()
    editable = editor.editable_unit_codes()
    choices = _choices(editor, work)
    if _PENDING in st.session_state:
        st.session_state[PICK] = st.session_state.pop(_PENDING)
    if st.session_state.get(PICK) not in choices:
        st.session_state[PICK] = NEW
    _messages()
    picked = st.selectbox("协商活动", list(choices), format_func=choices.get, key=PICK,
                          placeholder="请选择")
    if st.session_state.get(_FOR) != picked:  # the form keeps the version it was opened at until saved
        st.session_state[_FOR] = picked
        st.session_state[_BASE] = data.store().activity(picked) if picked else None
    record = st.session_state[_BASE]
    values = _defaults(record, units, editable)
    links = dict(record["issues"]) if record else {}
    current_links = {p: role for p, role in links.items()}

    groups = work.group_names
    roll = work.members.set_index("id")["name"].astype(str).to_dict()
    issues = data.filtered(Filter(kinds=("issue",), unit_codes=tuple(editable))).points
    issue_names = dict(zip(issues["id"], issues["name"].astype(str)))
    issue_names.update({p: (data.point(p, data.version()) or {}).get("name", p) for p in links})
    sites = data.filtered(Filter(kinds=("demo_site",), unit_codes=tuple(editable))).points
    site_names = {None: "（不在示范点）", **dict(zip(sites["id"], sites["name"].astype(str)))}

    with st.form(f"ea_form_{picked or 'new'}_{values.get('version', 0)}", enter_to_submit=False):
        left, right = st.columns(2)
        date = left.date_input("日期", dt.date.fromisoformat(str(values["date"])), min_value=MIN_DATE,
                                max_value=MAX_DATE, format="YYYY-MM-DD")
        topic = right.text_input("议题", values["topic"], max_chars=100)
        form = left.selectbox("形式", FORMS, index=FORMS.index(values["form"]) if values["form"] in FORMS else 0,
                              placeholder="请选择")
        channel = right.selectbox("协商渠道", CHANNELS,
                                  index=CHANNELS.index(values["channel"]) if values["channel"] in CHANNELS else 0,
                                  placeholder="请选择")
        place = left.text_input("地点", values.get("place") or "", max_chars=100)
        site = right.selectbox("示范点", list(site_names), format_func=site_names.get,
                               index=list(site_names).index(values.get("demo_site_id"))
                               if values.get("demo_site_id") in site_names else 0, placeholder="请选择")
        lon = left.number_input("经度（WGS-84）", value=float(values["lon"]), format="%.6f", step=0.0001)
        lat = right.number_input("纬度（WGS-84）", value=float(values["lat"]), format="%.6f", step=0.0001)
        chosen_groups = st.multiselect("组织的委员活动组", list(groups), default=[g for g in values["groups"] if g in groups],
                                       format_func=lambda c: groups.get(c, c), placeholder="请选择委员活动组")
        departments = st.text_input("参加部门（用顿号分隔）", "、".join(values["departments"]), max_chars=500)
        left, right = st.columns(2)
        experts = left.number_input("专家人数", min_value=0, max_value=10_000, value=int(values.get("expert_count") or 0))
        public = right.number_input("群众和利益相关方人数", min_value=0, max_value=100_000,
                                    value=int(values.get("public_count") or 0))
        summary = st.text_area("协商情况", values.get("summary") or "", max_chars=2000)
        outcome = st.text_area("协商成果", values.get("outcome") or "", max_chars=2000)
        members = st.multiselect("参加的委员", list(roll), default=[m for m in values["members"] if m in roll],
                                 format_func=roll.get, placeholder="输入姓名查找")
        raised = st.multiselect("提出的问题", list(issue_names), format_func=issue_names.get,
                                default=[p for p, role in links.items() if role == RAISED and p in issue_names],
                                placeholder="请选择问题")
        again = st.multiselect("再次协商的问题", list(issue_names), format_func=issue_names.get,
                               default=[p for p, role in links.items() if role == AGAIN and p in issue_names],
                               placeholder="请选择问题")
        saved = st.form_submit_button("保存", type="primary", icon=":material/save:")
    if saved:
        changes = {"date": date.isoformat(), "topic": topic, "form": form, "channel": channel, "place": place,
                   "demo_site_id": site, "lon": lon, "lat": lat, "groups": tuple(chosen_groups),
                   "departments": split_list(departments), "expert_count": int(experts),
                   "public_count": int(public), "summary": summary, "outcome": outcome, "members": tuple(members)}
        _save(editor, picked, changes, record["version"] if record else None, raised, again, current_links)
        st.rerun()
    if record:
        st.caption(f"版本 {record['version']}，{md_text(record['updated_by'] or '')} 于 {md_text(record['updated_at'])} 更新")
        sure = st.checkbox("确认删除这场协商活动", key=f"ea_sure_{picked}")
        st.button("删除", disabled=not sure, on_click=_delete, args=(editor, picked, record["version"]),
                  icon=":material/delete:", key=f"ea_delete_{picked}")
