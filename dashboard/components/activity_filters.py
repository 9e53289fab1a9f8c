"""Sidebar filters of the 协商活动 page, kept in the URL like the points' (`loaders.filters.ActivityFilter`: unit,
group, form, channel, member, q, from, to). What a link says that cannot be understood is ignored with a notice."""
from __future__ import annotations

import streamlit as st

from loaders.consultation import CHANNELS, FORMS
from loaders.filters import ACTIVITY_QUERY_KEYS, DATE_MAX, DATE_MIN, MAX_KEYWORD, ActivityFilter
from loaders.units import Units

from .filters import set_query
from .safe import md_text

KEYS = {name: f"a_{name}" for name in ("unit", "group", "form", "channel", "member", "q", "from", "to")}
_LOADED = "_xz_activity_filters_loaded"
_PENDING = "_xz_activity_pending"


def _apply(state: ActivityFilter) -> None:
    ss = st.session_state
    ss[KEYS["unit"]] = list(state.unit_codes)
    ss[KEYS["group"]] = list(state.groups)
    ss[KEYS["form"]] = list(state.forms)
    ss[KEYS["channel"]] = list(state.channels)
    ss[KEYS["member"]] = state.member
    ss[KEYS["q"]] = state.keyword
    ss[KEYS["from"]] = state.date_from
    ss[KEYS["to"]] = state.date_to


def request(state: ActivityFilter) -> None:
    """New filters asked for after the widgets were drawn (a link in the detail panel); applied next run."""
    st.session_state[_PENDING] = state


def reset() -> None:
    _apply(ActivityFilter())


def sidebar(units: Units, groups: dict[str, str], members: list[str]) -> ActivityFilter:
    ss = st.session_state
    network = Units(units.network)
    if _PENDING in ss:
        _apply(ss.pop(_PENDING))
    elif not ss.get(_LOADED):
        ss[_LOADED] = True
        state, problems = ActivityFilter.from_query(st.query_params, network, groups)
        if problems:
            st.sidebar.warning(md_text("链接中的部分筛选条件无法识别，已忽略：" + "、".join(problems)), icon="ℹ️")
        _apply(state)
    bar = st.sidebar
    bar.markdown("#### 筛选")
    unit_codes = bar.multiselect("乡镇（街道）", list(network.codes), format_func=network.short, key=KEYS["unit"],
                                 placeholder=f"全部 {len(network)} 个乡镇（街道）")
    chosen_groups = bar.multiselect("委员活动组", list(groups), format_func=lambda c: groups.get(c, c),
                                    key=KEYS["group"], placeholder="全部活动组")
    forms = bar.multiselect("形式", list(FORMS), key=KEYS["form"], placeholder="全部形式")
    channels = bar.multiselect("协商渠道", list(CHANNELS), key=KEYS["channel"], placeholder="全部渠道")
    if ss.get(KEYS["member"]) and ss[KEYS["member"]] not in members:
        members = [ss[KEYS["member"]], *members]
    member = bar.selectbox("参加的委员", ["", *members], key=KEYS["member"],
                           format_func=lambda m: m or "全部委员", help="只看这位委员参加过的活动")
    keyword = bar.text_input("关键词", key=KEYS["q"], max_chars=MAX_KEYWORD, placeholder="议题、地点、协商情况、部门…")
    left, right = bar.columns(2)
    date_from = left.date_input("日期 从", key=KEYS["from"], min_value=DATE_MIN, max_value=DATE_MAX, format="YYYY-MM-DD")
    date_to = right.date_input("至", key=KEYS["to"], min_value=DATE_MIN, max_value=DATE_MAX,
                               format="YYYY-MM-DD")
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    bar.button("重置筛选", on_click=reset, width="stretch", icon=":material/restart_alt:", key="a_reset")
    state = ActivityFilter(tuple(unit_codes), tuple(chosen_groups), tuple(forms), tuple(channels), member or "",
                           (keyword or "").strip(), date_from, date_to)
    set_query(state.to_query(network), ACTIVITY_QUERY_KEYS)
    return state
