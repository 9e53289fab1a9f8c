"""Sidebar filters whose state lives in the URL query string, so a copied link or a refresh shows the same view.

The state is a `loaders.filters.Filter`, the one filter language of the pages, the 大屏, the CLI and the stores (its
module docstring lists the URL keys: unit, kind, stage, status, q, from, to). The sidebar reads the URL with
`Filter.from_query`, writes it back with `Filter.to_query`; values that cannot be understood are ignored with a
notice, never an error. Only the 17 network units are offered; kinds only on 总览.

Switching pages (the menu drops the query string) carries the filter over where it applies: towns, stages,
keyword, dates, and the statuses the new page's kind has; a status it does not have is dropped and the page says
so (`carry`).
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from loaders import model
from loaders.filters import DATE_MAX, DATE_MIN, MAX_KEYWORD, QUERY_KEYS, Filter
from loaders.units import Units

from .safe import md_text

W_UNIT, W_KIND, W_STAGE, W_STATUS, W_Q, W_FROM, W_TO = ("f_unit", "f_kind", "f_stage", "f_status", "f_q", "f_from",
                                                       "f_to")
_PENDING = "_xz_pending_filters"
_PAGE = "_xz_filters_page"
_LAST = "_xz_last_filters"
_NOTICE = "_xz_filter_notice"
_CHANGED = "_xz_filters_changed"


def set_query(values: dict[str, str], managed: tuple[str, ...]) -> None:
    """Write the managed keys of the query string, touching it only where it changes."""
    current = st.query_params
    for key in managed:
        if key in values:
            if current.get(key) != values[key]:
                current[key] = values[key]
        elif key in current:
            del current[key]


def _apply(state: Filter) -> None:
    ss = st.session_state
    ss[W_UNIT] = list(state.unit_codes)
    ss[W_KIND] = list(state.kinds)
    ss[W_STAGE] = list(state.stages)
    ss[W_STATUS] = list(state.statuses)
    ss[W_Q] = state.keyword
    ss[W_FROM] = state.date_from
    ss[W_TO] = state.date_to


def request(state: Filter) -> None:
    """Ask for new filters from code that runs after the widgets were drawn (a map click); applied next run."""
    st.session_state[_PENDING] = state


def reset() -> None:
    _apply(Filter())


def carry(last: Filter, fixed_kind: str | None) -> tuple[Filter, str | None]:
    """The filter a page of `fixed_kind` (None: 总览) takes over from the page before, and a notice (Chinese) naming
    the statuses it dropped because that kind has none of them under the chosen stages."""
    grouped = model.statuses_by_stage([fixed_kind] if fixed_kind else None)
    allowed = {s for stage, group in grouped.items() if not last.stages or stage in last.stages for s in group}
    kept = tuple(s for s in last.statuses if s in allowed)
    dropped = [s for s in last.statuses if s not in allowed]
    state = Filter(unit_codes=last.unit_codes, stages=last.stages, statuses=kept, keyword=last.keyword,
                   date_from=last.date_from, date_to=last.date_to)
    if not dropped:
        return state, None
    page = model.kind_label(fixed_kind) if fixed_kind else "总览"
    quoted = "、".join(f"“{s}”" for s in dropped)
    return state, f"已切换到{page}：状态筛选{quoted}不适用，已取消"


def changed() -> bool:
    """Whether this run's filter differs from the one the last run drew (a change by hand, a map click, another
    page's); False on a session's first page, whose filter came from its link."""
    return bool(st.session_state.get(_CHANGED))


def sidebar(units: Units, fixed_kind: str | None, date_bounds: tuple[dt.date, dt.date]) -> Filter:
    """Draw the filters in the sidebar and return their state (kinds empty on a page of one kind: see
    `Filter.of_kind`); keeps the URL in step."""
    ss = st.session_state
    network = Units(units.network)  # the towns a page offers; a link naming another is told so
    page = fixed_kind or "all"
    if _PENDING in ss:
        _apply(ss.pop(_PENDING))
    elif ss.get(_PAGE) != page or W_UNIT not in ss:
        if any(key in st.query_params for key in QUERY_KEYS):
            state, problems = Filter.from_query(st.query_params, network, fixed_kind)
            if problems:
                ss[_NOTICE] = "链接中的部分筛选条件无法识别，已忽略：" + "、".join(problems)
        else:
            state, dropped = carry(ss.get(_LAST, Filter()), fixed_kind)
            if dropped:
                ss[_NOTICE] = dropped
                st.toast(md_text(dropped), icon="ℹ️")
        _apply(state)
    ss[_PAGE] = page

    bar = st.sidebar
    bar.markdown("#### 筛选")
    if ss.get(_NOTICE):
        bar.warning(md_text(ss.pop(_NOTICE)), icon="ℹ️")  # it quotes what the link said
    unit_codes = bar.multiselect("乡镇（街道）", list(network.codes), format_func=network.short, key=W_UNIT,
                                 placeholder=f"全部 {len(network)} 个乡镇（街道）")
    if fixed_kind:
        kinds = [fixed_kind]
    else:
        kinds = bar.multiselect("类型", list(model.KINDS), format_func=model.kind_label, key=W_KIND,
                                placeholder="全部类型")
    stages = bar.multiselect("阶段", list(model.STAGES), key=W_STAGE, placeholder="全部阶段")
    grouped = model.statuses_by_stage(kinds or None)
    stage_of = {s: stage for stage, group in grouped.items() for s in group}
    options = [s for stage, group in grouped.items() if not stages or stage in stages for s in group]
    ss[W_STATUS] = [s for s in ss.get(W_STATUS, []) if s in options]
    statuses = bar.multiselect("状态", options, format_func=lambda s: f"{s}（{stage_of.get(s, '')}）", key=W_STATUS,
                               placeholder="全部状态")
    keyword = bar.text_input("关键词", key=W_Q, max_chars=MAX_KEYWORD, placeholder="名称、村/社区、说明…")
    low, high = date_bounds
    left, right = bar.columns(2)
    date_from = left.date_input("登记日期 从", key=W_FROM, min_value=DATE_MIN, max_value=DATE_MAX,
                                format="YYYY-MM-DD", help=f"数据中的登记日期范围：{low} 至 {high}")
    date_to = right.date_input("至", key=W_TO, min_value=DATE_MIN, max_value=DATE_MAX,
                               format="YYYY-MM-DD")
    if date_from and date_to and date_from > date_to:
        bar.caption("起始日期晚于截止日期，已按调换后的范围筛选。")
        date_from, date_to = date_to, date_from
    bar.button("重置筛选", on_click=reset, width="stretch", icon=":material/restart_alt:")

    state = Filter(kinds=() if fixed_kind else tuple(kinds), unit_codes=tuple(unit_codes), statuses=tuple(statuses),
                   stages=tuple(stages), keyword=(keyword or "").strip(), date_from=date_from, date_to=date_to)
    ss[_CHANGED] = _LAST in ss and ss[_LAST] != state
    ss[_LAST] = state
    set_query(state.to_query(network), QUERY_KEYS)
    return state
