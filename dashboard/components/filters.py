"""Sidebar filters whose state lives in the URL query string, so a copied link or a refresh shows the same view.

URL keys (all optional; lists are comma-separated):
  unit=黄集,古驿   town short names (full names and 12-digit codes are accepted too)
  kind=well,issue  kinds (keys or Chinese labels); only on 总览
  stage=进行中     stages;  status=已解决  statuses
  q=…              keyword;  from=2022-01-01 / to=2023-12-31  登记日期 range, inclusive
Values that cannot be understood are ignored with a notice, never an error.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from loaders import model
from loaders.store import PointFilter

from .safe import md_text

FILTER_KEYS = ("unit", "kind", "stage", "status", "q", "from", "to")
W_UNIT, W_KIND, W_STAGE, W_STATUS, W_Q, W_FROM, W_TO = ("f_unit", "f_kind", "f_stage", "f_status", "f_q", "f_from",
                                                       "f_to")
_PENDING = "_xz_pending_filters"
_PAGE = "_xz_filters_page"
_LAST = "_xz_last_filters"
_NOTICE = "_xz_filter_notice"
MAX_KEYWORD = 50


@dataclass(frozen=True)
class FilterState:
    units: tuple[str, ...] = ()  # unit codes
    kinds: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    keyword: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def but(self, **changes) -> FilterState:
        return FilterState(**{**self.__dict__, **changes})

    def point_filter(self, fixed_kind: str | None = None) -> PointFilter:
        return PointFilter(
            kinds=(fixed_kind,) if fixed_kind else self.kinds, unit_codes=self.units, stages=self.stages,
            statuses=self.statuses, keyword=self.keyword.strip(),
            date_from=self.date_from, date_to=self.date_to)


def _split(value) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in values:
        for part in str(item).replace("，", ",").split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def unit_lookup(units: pd.DataFrame) -> dict[str, str]:
    """Every accepted spelling of a network unit -> its code."""
    lookup: dict[str, str] = {}
    for row in units.itertuples():
        for spelling in (row.code, row.name, row.short_name):
            lookup[str(spelling)] = row.code
    return lookup


def parse_query(params: Mapping, units: pd.DataFrame, fixed_kind: str | None = None) -> tuple[FilterState, list[str]]:
    """The filter state a URL asks for, and a list of the parts that were ignored (Chinese, for the notice)."""
    problems: list[str] = []
    get = (lambda key: params.get_all(key)) if hasattr(params, "get_all") else (lambda key: params.get(key, []))

    def values(key: str) -> list[str]:
        raw = get(key)
        return _split(raw) if raw else []

    lookup = unit_lookup(units)
    unit_codes = []
    for name in values("unit"):
        if name in lookup:
            if lookup[name] not in unit_codes:
                unit_codes.append(lookup[name])
        else:
            problems.append(f"乡镇「{name}」")
    order = {c: i for i, c in enumerate(units["code"])}
    unit_codes.sort(key=order.get)

    kinds = []
    for text in values("kind"):
        key = model.kind_by_label(text)
        if key is None or fixed_kind:
            problems.append(f"类型「{text}」")
        elif key not in kinds:
            kinds.append(key)
    kinds = [k for k in model.KINDS if k in kinds]

    stages = [s for s in model.STAGES if s in values("stage")]
    problems += [f"阶段「{s}」" for s in values("stage") if s not in model.STAGES]

    allowed = [s for group in model.statuses_by_stage([fixed_kind] if fixed_kind else kinds or None).values()
               for s in group]
    statuses = [s for s in allowed if s in values("status")]
    problems += [f"状态「{s}」" for s in values("status") if s not in allowed]

    raw_q = get("q")
    keyword = ""
    if raw_q:
        keyword = (raw_q[-1] if isinstance(raw_q, (list, tuple)) else str(raw_q)).strip()[:MAX_KEYWORD]

    dates = {}
    for key in ("from", "to"):
        raw = values(key)
        dates[key] = _date(raw[0]) if raw else None
        if raw and dates[key] is None:
            problems.append(f"日期「{raw[0]}」")
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        problems.append("起始日期晚于截止日期")
        dates["from"], dates["to"] = dates["to"], dates["from"]
    return (FilterState(tuple(unit_codes), tuple(kinds), tuple(stages), tuple(statuses), keyword, dates["from"],
                        dates["to"]), problems)


def to_query(state: FilterState, units: pd.DataFrame) -> dict[str, str]:
    short = dict(zip(units["code"], units["short_name"]))
    query = {
        "unit": ",".join(short.get(c, c) for c in state.units),
        "kind": ",".join(state.kinds),
        "stage": ",".join(state.stages),
        "status": ",".join(state.statuses),
        "q": state.keyword.strip(),
        "from": state.date_from.isoformat() if state.date_from else "",
        "to": state.date_to.isoformat() if state.date_to else "",
    }
    return {k: v for k, v in query.items() if v}


def set_query(values: dict[str, str], managed: tuple[str, ...]) -> None:
    """Write the managed keys of the query string, touching it only where it changes."""
    current = st.query_params
    for key in managed:
        if key in values:
            if current.get(key) != values[key]:
                current[key] = values[key]
        elif key in current:
            del current[key]


def _apply(state: FilterState) -> None:
    ss = st.session_state
    ss[W_UNIT] = list(state.units)
    ss[W_KIND] = list(state.kinds)
    ss[W_STAGE] = list(state.stages)
    ss[W_STATUS] = list(state.statuses)
    ss[W_Q] = state.keyword
    ss[W_FROM] = state.date_from
    ss[W_TO] = state.date_to


def request(state: FilterState) -> None:
    """Ask for new filters from code that runs after the widgets were drawn (a map click); applied next run."""
    st.session_state[_PENDING] = state


def reset() -> None:
    _apply(FilterState())


def current() -> FilterState:
    """The last filter state this session used (for callbacks)."""
    return st.session_state.get(_LAST, FilterState())


def sidebar(units: pd.DataFrame, fixed_kind: str | None, date_bounds: tuple[dt.date, dt.date]) -> FilterState:
    """Draw the filters in the sidebar and return their state; keeps the URL in step."""
    ss = st.session_state
    page = fixed_kind or "all"
    if _PENDING in ss:
        _apply(ss.pop(_PENDING))
    elif ss.get(_PAGE) != page or W_UNIT not in ss:
        if any(key in st.query_params for key in FILTER_KEYS):
            state, problems = parse_query(st.query_params, units, fixed_kind)
            if problems:
                ss[_NOTICE] = "链接中的部分筛选条件无法识别，已忽略：" + "、".join(problems)
        else:  # switching pages keeps the towns, keyword and dates
            last = ss.get(_LAST, FilterState())
            state = FilterState(units=last.units, keyword=last.keyword, date_from=last.date_from,
                                date_to=last.date_to)
        _apply(state)
    ss[_PAGE] = page

    names = dict(zip(units["code"], units["short_name"]))
    bar = st.sidebar
    bar.markdown("#### 筛选")
    if ss.get(_NOTICE):
        bar.warning(md_text(ss.pop(_NOTICE)), icon="ℹ️")  # it quotes what the link said
    unit_codes = bar.multiselect("乡镇（街道）", list(units["code"]), format_func=lambda c: names.get(c, c),
                                 key=W_UNIT, placeholder="全部 17 个乡镇（街道）")
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
    date_from = left.date_input("登记日期 从", key=W_FROM, min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1),
                                format="YYYY-MM-DD", help=f"数据中的登记日期范围：{low} 至 {high}")
    date_to = right.date_input("至", key=W_TO, min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1),
                               format="YYYY-MM-DD")
    if date_from and date_to and date_from > date_to:
        bar.caption("起始日期晚于截止日期，已按调换后的范围筛选。")
        date_from, date_to = date_to, date_from
    bar.button("重置筛选", on_click=reset, width="stretch", icon=":material/restart_alt:")

    state = FilterState(tuple(unit_codes), tuple(kinds) if not fixed_kind else (), tuple(stages), tuple(statuses),
                        (keyword or "").strip(), date_from, date_to)
    ss[_LAST] = state
    set_query(to_query(state, units), FILTER_KEYS)
    return state


def describe(state: FilterState, units: pd.DataFrame, fixed_kind: str | None = None) -> str:
    """A one-line Chinese summary of the filters (plain text)."""
    names = dict(zip(units["code"], units["short_name"]))
    parts = ["、".join(names.get(c, c) for c in state.units) if state.units else "全部乡镇（街道）"]
    if not fixed_kind:
        parts.append("、".join(model.kind_label(k) for k in state.kinds) if state.kinds else "全部类型")
    if state.stages:
        parts.append("阶段：" + "、".join(state.stages))
    if state.statuses:
        parts.append("状态：" + "、".join(state.statuses))
    if state.keyword:
        parts.append(f"关键词：{state.keyword}")
    if state.date_from or state.date_to:
        parts.append(f"登记日期：{state.date_from or '…'} 至 {state.date_to or '…'}")
    return " · ".join(parts)
