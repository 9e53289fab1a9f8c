"""进展: the questions a supervision meeting (督办会) asks, for the filtered view -- how many problems came in and were
settled each month, how long settling takes (by town and by 责任单位), what is overdue and whose, what falls due this
week -- and a map of what was open on a chosen day, with a play control that steps through the months.

A storyboard over `loaders.progress.report` (cached in `data.progress`): filters, figures, month chart, overdue and
due lists, durations, then the map through time.
"""
from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from loaders import model
from loaders.progress import as_of, responsible
from loaders.readable import count

from .. import basemaps, data, mapview
from . import banner, briefing, filters, numbers, printing, progress_strip
from .numbers import AXIS_FORMAT
from .safe import md_text

TITLE = "襄州区“一线协商·共同缔造”工作进展"
SERIES = {"new": "新增", "resolved": "解决（办结）", "forwarded": "转社情民意"}
SERIES_COLORS = {"新增": "#e4572e", "解决（办结）": "#2e9d5b", "转社情民意": "#4c78a8"}
_DAY = "xz_progress_day"
_PLAY = "xz_progress_play"
_HOLD = "xz_progress_play_hold"
PLAY_SECONDS = 1.5


def render() -> None:
    units = data.units()
    state = filters.sidebar(units, None, data.date_range())
    report = data.progress(state)
    view = data.filtered(state)
    printing.inject()
    briefing.title_row(TITLE, state, None)
    st.caption(md_text(state.describe(units)) + "　|　今天 " + report.today.isoformat()
               + "　|　月度统计不受状态筛选影响（某月新增多少，与它们现在的状态无关）")
    banner.sample_banner(view)
    progress_strip.figures(report)
    month_chart(report.monthly)
    overdue_section(report)
    duration_section(report)
    time_map(state, report.today)


def month_chart(monthly: pd.DataFrame) -> None:
    st.markdown("##### 每月新增与办结")
    if monthly.empty:
        st.info("当前筛选下没有点位。")
        return
    long = monthly.melt(id_vars="month", value_vars=list(SERIES), var_name="series", value_name="n")
    long["series"] = long["series"].map(SERIES)
    x = alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    bars = alt.Chart(long).mark_bar().encode(
        x=x, xOffset=alt.XOffset("series:N", sort=list(SERIES.values())),
        y=alt.Y("n:Q", title="件数", axis=alt.Axis(format=AXIS_FORMAT)),
        color=alt.Color("series:N", title=None, sort=list(SERIES.values()),
                        scale=alt.Scale(domain=list(SERIES_COLORS), range=list(SERIES_COLORS.values())),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("month:O", title="月份"), alt.Tooltip("series:N", title="类别"),
                 alt.Tooltip("n:Q", title="件数", format=AXIS_FORMAT)])
    line = alt.Chart(monthly).mark_line(color="#6b7280", point=True).encode(
        x=x, y=alt.Y("open_end:Q", title="月末未办结（累计）",
                     axis=alt.Axis(titleColor="#6b7280", format=AXIS_FORMAT)),
        tooltip=[alt.Tooltip("month:O", title="月份"),
                 alt.Tooltip("open_end:Q", title="月末未办结", format=AXIS_FORMAT)])
    st.altair_chart(alt.layer(bars, line).resolve_scale(y="independent").properties(height=280), width="stretch")
    with st.expander("按月数据表"):
        table = monthly.rename(columns={"month": "月份", **SERIES, "open_end": "月末未办结"}).iloc[::-1]
        numbers.table(table, hide_index=True, width="stretch")


def _people_table(frame: pd.DataFrame, last: str, last_label: str) -> pd.DataFrame:
    return pd.DataFrame({
        "乡镇（街道）": frame["unit_name"], "名称": frame["name"], "类型": frame["kind"].map(model.kind_label),
        "状态": frame["status"], "责任单位": frame["responsible_unit"].fillna("—"), "进入该状态": frame["since"],
        "时限（天）": frame["limit_days"], "应办结日期": frame["due"], last_label: frame[last]})


def overdue_section(report) -> None:
    st.markdown("##### 逾期事项")
    st.caption("办理时限：" + md_text(report.limits.describe()) + "。自进入当前状态之日起计；管理员可在「用户管理」页修改。")
    overdue = report.overdue
    if overdue.empty:
        st.success("当前筛选下没有逾期事项。")
    else:
        left, right = st.columns(2)
        with left:
            st.markdown("按乡镇（街道）")
            by_unit = _tally(overdue, "unit_name", "乡镇（街道）")
            numbers.table(by_unit, hide_index=True, width="stretch")
        with right:
            st.markdown("按责任单位")
            whose = overdue.assign(whose=responsible(overdue)).explode("whose")
            by_whose = _tally(whose, "whose", "责任单位")
            numbers.table(by_whose, hide_index=True, width="stretch")
        numbers.table(_people_table(overdue, "days_over", "逾期（天）"), hide_index=True, width="stretch")
    st.markdown(f"##### 本周到期（{count(len(report.due_soon))} 件）")
    if report.due_soon.empty:
        st.caption("未来 7 天内没有到期事项。")
    else:
        numbers.table(_people_table(report.due_soon, "days_left", "剩余（天）"), hide_index=True, width="stretch")


def _tally(frame: pd.DataFrame, key: str, label: str) -> pd.DataFrame:
    grouped = frame.groupby(key)["days_over"]
    table = pd.DataFrame({"逾期件数": grouped.size(), "最长逾期（天）": grouped.max()}).reset_index()
    return table.rename(columns={key: label}).sort_values(["逾期件数", "最长逾期（天）"], ascending=False)


def duration_section(report) -> None:
    st.markdown("##### 办结用时（登记到完成）")
    overall = report.duration_all
    if not overall["n"]:
        st.caption("当前筛选下还没有办结的点位。")
        return
    st.caption(f"共 {count(overall['n'])} 件已办结：中位 {overall['median_days']:.0f} 天，"
               f"90% 在 {overall['p90_days']:.0f} 天内办结。")
    left, right = st.columns(2)
    for column, frame, label in ((left, report.durations_by_unit, "乡镇（街道）"),
                                 (right, report.durations_by_responsible, "责任单位")):
        with column:
            numbers.table(frame.rename(columns={"label": label, "n": "办结件数", "median_days": "中位天数",
                                                "p90_days": "90% 天数"}).round(0),
                          hide_index=True, width="stretch")


def _days(first: dt.date, today: dt.date) -> list[dt.date]:
    """The end of every month from the first registration to today (today last): the slider's stops."""
    ends = pd.date_range(pd.Timestamp(first.replace(day=1)), pd.Timestamp(today), freq="ME").date.tolist()
    return [d for d in ends if d < today] + [today]


def time_map(state, today: dt.date) -> None:
    st.markdown("##### 某一天的情况")
    first, _ = data.date_range()
    days = _days(first, today)
    ss = st.session_state
    if ss.get(_DAY) not in days:
        ss[_DAY] = days[-1]
    playing = bool(ss.get(_PLAY))
    st.fragment(_time_map_body, run_every=PLAY_SECONDS if playing else None)(state, days, playing)


def _time_map_body(state, days: list[dt.date], ticking: bool) -> None:
    """`ticking`: whether the page's run gave this fragment its timer. 播放 is switched inside the fragment, which
    cannot change its own timer: a switch reruns the whole page, which starts or stops it."""
    ss = st.session_state
    if bool(ss.get(_PLAY)) != ticking:
        if ss.get(_PLAY):
            ss[_HOLD] = True  # show the month it starts from first
            if ss[_DAY] == days[-1]:  # started at today: play from the first month
                ss[_DAY] = days[0]
        st.rerun(scope="app")
    if ss.get(_PLAY) and not ss.pop(_HOLD, False):  # each tick moves one month on, and stops at today
        at = days.index(ss[_DAY])
        if at + 1 < len(days):
            ss[_DAY] = days[at + 1]
        else:
            ss[_PLAY] = False
            st.rerun(scope="app")
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    day = left.select_slider("查看日期（月末）", options=days, key=_DAY, format_func=lambda d: d.isoformat())
    right.toggle("▶ 播放", key=_PLAY, help="从所选月份起逐月播放（已是今天则从第一个月起），到今天为止")
    points, events = data.as_of_inputs(state)
    then = as_of(points, events, day)
    open_then = then[then["stage"].isin(model.OPEN_STAGES)]
    st.caption(f"截至 {day.isoformat()}：已登记 {count(len(then))} 个点位，其中未办结 {count(len(open_then))} 个"
               f"（待办 {count(int((then['stage'] == '待办').sum()))}、进行中 {count(int((then['stage'] == '进行中').sum()))}）。"
               "按登记日期、完成日期和跟踪督办记录还原，不是今天的状态。")
    provider = basemaps.get(basemaps.DEFAULT)
    geography = data.map_geography(provider.gcj02)
    base_map = mapview.build_base_map(provider, geography, tuple(state.kinds or model.KINDS))
    parts = {kind: then[then["kind"] == kind].reset_index(drop=True) for kind in model.KINDS
             if (then["kind"] == kind).any()}
    groups = mapview.point_groups(then, parts, gcj02=provider.gcj02, highlight_id=None)
    box = mapview.towns_box(geography, data.units(), state.unit_codes)
    mapview.show(base_map, groups, mapview.view_for_bounds(box), key="xz_progress_map", returned=[])
