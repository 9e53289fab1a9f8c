"""协商活动: the consultation activities on the map (by form), what each raised, and the detail of one.

Storyboard: filters (URL) → the filtered activities → headline figures → map (activities as diamonds coloured by
form, the issues they raised by stage, a dashed line from each activity to each of its issues) beside the detail
panel → the list (select a row to open it) → exports.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from loaders import model
from loaders.consultation import FORMS
from loaders.filters import Filter
from loaders.readable import count

from .. import data, mapview
from ..pointlayer import clicked_row, points_layer
from . import activity_detail, activity_filters, kpis, layer_page, printing, record_exports
from .safe import md_text
from .selection import ACTIVITY, POINT

FORM_COLORS = dict(zip(FORMS, ("#2e7d32", "#1565c0", "#6a1b9a", "#ef6c00", "#00838f", "#c62828")))
LINE_COLOR = "#5b6b7d"
_CLICK = "_xz_activity_click"
_VIEW = "_xz_activity_view"
TABLE_KEY = "xz_activity_table"
_TABLE_IDS = "_xz_activity_table_ids"


def figures(shown: pd.DataFrame, work: data.Work) -> list[kpis.Figure]:
    """The filtered activities in figures: how many, who took part, what they raised and what came of it."""
    taking_part = work.taking_part[work.taking_part["activity_id"].isin(shown["id"])]
    raised = work.lineage[work.lineage["activity_id"].isin(shown["id"])]
    issues = raised.drop_duplicates("point_id")
    statuses = data.store().points(Filter(kinds=("issue",)), columns=("id", "status")).set_index("id")["status"]
    status = issues["point_id"].map(statuses)
    return [
        kpis.Figure("协商活动", kpis.number(len(shown), "场次")),
        kpis.Figure("参与委员", kpis.number(taking_part["member_id"].nunique(), "名"), help="参加所选活动的委员（不重复计）"),
        kpis.Figure("三级联动", kpis.number(int((shown["channel"] == "三级联动").sum()), "次")),
        kpis.Figure("提出和再协商的问题", kpis.number(len(issues), "个")),
        kpis.Figure("推动解决", kpis.number(int((status == model.ISSUE_RESOLVED).sum()), "个")),
        kpis.Figure("转化社情民意", kpis.number(int((status == model.ISSUE_FORWARDED).sum()), "件")),
    ]


def _issue_points(shown: pd.DataFrame, work: data.Work) -> pd.DataFrame:
    ids = set(work.lineage.loc[work.lineage["activity_id"].isin(shown["id"]), "point_id"])
    points = data.filtered(Filter(kinds=("issue",))).points
    return points[points["id"].isin(ids)].reset_index(drop=True)


def _lines(shown: pd.DataFrame, issues: pd.DataFrame, work: data.Work, only: str | None = None) -> list:
    places = shown.set_index("id")[["lon", "lat"]]
    targets = issues.set_index("id")[["lon", "lat"]]
    lines = []
    for row in work.lineage.itertuples(index=False):
        if row.activity_id in places.index and row.point_id in targets.index and (only is None or row.activity_id == only):
            start, end = places.loc[row.activity_id], targets.loc[row.point_id]
            lines.append(((float(start["lon"]), float(start["lat"])), (float(end["lon"]), float(end["lat"]))))
    return lines


def _map_view(state, units, geography, shown: pd.DataFrame) -> mapview.MapView:
    ss = st.session_state
    center_on = ACTIVITY.take_center_request()
    match = shown[shown["id"] == center_on] if center_on else shown.iloc[0:0]
    if len(match):
        ss[_VIEW] = (state.unit_codes, mapview.view_for_point(float(match.iloc[0]["lon"]), float(match.iloc[0]["lat"])))
    elif ss.get(_VIEW) is None or ss[_VIEW][0] != state.unit_codes:
        box = mapview.towns_box(geography, units, state.unit_codes)
        ss[_VIEW] = (state.unit_codes, mapview.view_for_bounds(box))
    return ss[_VIEW][1]


def _handle_click(result: dict, shown: pd.DataFrame, issues: pd.DataFrame) -> None:
    ss = st.session_state
    token = mapview.click_token(result)
    if _CLICK not in ss or ss[_CLICK] == token:
        ss[_CLICK] = token
        return
    ss[_CLICK] = token
    drawing = result.get("last_active_drawing") or {}
    row = clicked_row(shown.rename(columns={"topic": "name"}), drawing)
    if row is not None:
        activity_id = str(shown["id"].iloc[row])
        if ACTIVITY.current() != activity_id:
            ACTIVITY.select(activity_id)
            st.rerun()
        return
    row = clicked_row(issues, drawing)
    if row is not None:
        POINT.open(str(issues["id"].iloc[row]), activity_detail.ISSUES_PAGE)


def _table(shown: pd.DataFrame, work: data.Work, unit_names: dict[str, str]) -> None:
    counts = work.taking_part.groupby("activity_id").size()
    raised = work.lineage.groupby("activity_id").size()
    frame = pd.DataFrame({
        "日期": shown["date"], "议题": shown["topic"].astype(str), "形式": shown["form"], "渠道": shown["channel"],
        "乡镇": shown["unit_code"].map(lambda c: unit_names.get(c, c or "—")),
        "委员": shown["id"].map(counts).fillna(0).astype(int), "问题": shown["id"].map(raised).fillna(0).astype(int),
    })
    st.session_state[_TABLE_IDS] = shown["id"].tolist()

    def chosen() -> None:
        state = st.session_state.get(TABLE_KEY)
        rows = state.selection.rows if state is not None else []
        ids = st.session_state.get(_TABLE_IDS, [])
        if rows and rows[0] < len(ids):
            ACTIVITY.select(ids[rows[0]], center=True)

    st.dataframe(frame, hide_index=True, width="stretch", height=min(420, 35 * (len(frame) + 1) + 3),
                 on_select=chosen, selection_mode="single-row", key=TABLE_KEY)


def render() -> None:
    units = data.units()
    unit_names = units.names()
    work = data.work()
    state = activity_filters.sidebar(units, work.group_names, sorted(work.members["name"].astype(str)))
    provider = layer_page.base_selector()
    shown = state.apply(work.activities, work.taking_part, work.members).reset_index(drop=True)
    selected = ACTIVITY.current()

    st.html(layer_page.PAGE_CSS)
    printing.inject()  # on paper: map, KPIs and tables, no sidebar or buttons
    st.markdown(f"### {layer_page.TITLE} · 协商活动")
    st.caption(md_text(state.describe(units, work.group_names)) + f"　|　共 {count(len(shown))} 场活动")
    if shown["sample"].any():
        st.info("**演示数据**：活动依据公开报道编制，地点为示意，参加的委员为虚构。", icon=":material/science:")
    kpis.grid([figures(shown, work)])

    geography = data.map_geography(provider.gcj02)
    legend = mapview.legend_rows("协商活动（按形式）", [("diamond", FORM_COLORS[f], f) for f in FORMS]
                                 + [("circle", color, f"问题：{stage}") for stage, color in
                                    mapview.STAGE_COLORS.items()])
    base_map = mapview.build_base_map(provider, geography, legend=legend)
    issues = _issue_points(shown, work)
    highlight = selected if selected in set(shown["id"]) else None
    groups = [mapview.selection_layer(geography, units.areas_of(state.unit_codes)),
              mapview.lines_layer(_lines(shown, issues, work), name="活动→提出的问题", color=LINE_COLOR, weight=1.5,
                                  gcj02=provider.gcj02)]
    if highlight:
        groups.append(mapview.lines_layer(_lines(shown, issues, work, only=highlight), name="所选活动的问题",
                                          color="#c0272d", weight=3.5, dash=None, gcj02=provider.gcj02))
    groups.append(points_layer(issues, name=f"提出的问题（{count(len(issues))}）", gcj02=provider.gcj02, radius=5,
                               shared_renderer=True))
    groups.append(points_layer(shown.rename(columns={"topic": "name"}), name=f"协商活动（{count(len(shown))}）",
                               gcj02=provider.gcj02, highlight_id=highlight, radius=8, shared_renderer=True,
                               categories=("form", FORM_COLORS, "协商活动", "diamond")))
    map_column, detail_column = st.columns([2.6, 1], gap="medium")
    with map_column:
        result = mapview.show(base_map, groups, _map_view(state, units, geography, shown), key="xz_activity_map")
        st.caption(f"{mapview.NOTE}。底图：{provider.label}。菱形为协商活动，圆点为它提出的问题，虚线连接二者；"
                   "点击活动查看详情，点击问题打开问题点页面。")
    with detail_column:
        activity_detail.panel(selected, work, unit_names)
    _handle_click(result, shown, issues)
    ACTIVITY.sync_url()

    if shown.empty:
        st.warning("没有符合当前筛选条件的协商活动。可以放宽条件，或点击侧栏的「重置筛选」。")
    st.markdown("##### 活动列表")
    record_exports.buttons("activities", shown["id"].tolist())
    _table(shown, work, unit_names)
