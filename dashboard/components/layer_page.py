"""The one page behind 总览 and the 示范点/水井/桥梁/问题点 pages (called with a kind).

A storyboard: read the filters (URL), get one filtered dataset, then draw headline, KPIs, map with the detail panel,
per-town table and chart, point table and exports -- all from that dataset.
"""
from __future__ import annotations

import streamlit as st

from loaders import model
from loaders.filters import Filter
from loaders.readable import count
from loaders.units import Units

from .. import basemaps, data, mapview
from ..pointlayer import clicked_id
from . import (
    banner,
    briefing,
    detail,
    exports,
    filters,
    kpis,
    pointtable,
    printing,
    progress_strip,
    selection,
    unit_stages,
)
from .safe import md_text

BASE_KEY = "xz_base"
_BASE_LOADED = "_xz_base_loaded"
_CLICK = "_xz_last_click"
_VIEW = "_xz_map_view"
_VIEW_FOR = "_xz_map_view_for"
TITLE = "襄州区“一线协商·共同缔造”工作地图"
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
[data-testid="stMetric"] { padding: 0.45rem 0.8rem; }
[data-testid="stMetricValue"] { font-size: 1.7rem; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-left: 0.75rem; padding-right: 0.75rem; }
  [data-testid="stMainBlockContainer"] h3 { font-size: 1.1rem; line-height: 1.4; padding: 0 0 0.25rem; }
  .stButton button, .stDownloadButton button { min-height: 44px; }
}
</style>"""


def base_selector() -> basemaps.BaseMap:
    ss = st.session_state
    providers = basemaps.available()
    keys = [p.key for p in providers]
    if not ss.get(_BASE_LOADED):
        ss[_BASE_LOADED] = True
        wanted = st.query_params.get("base")
        if wanted and wanted not in keys:
            st.sidebar.caption("链接中的底图不可用，已改用离线示意图。")
        ss[BASE_KEY] = wanted if wanted in keys else basemaps.DEFAULT
    if ss.get(BASE_KEY) not in keys:
        ss[BASE_KEY] = basemaps.DEFAULT
    labels = {p.key: p.label for p in providers}
    st.sidebar.markdown("#### 地图")
    key = st.sidebar.selectbox("底图", keys, format_func=labels.get, key=BASE_KEY,
                               help="离线示意图不需要联网；其他底图需要能访问互联网。高德地图使用 GCJ-02 坐标，点位会自动换算。")
    filters.set_query({"base": key} if key != basemaps.DEFAULT else {}, ("base",))
    return basemaps.get(key)


def _map_view(state: Filter, units: Units, provider: basemaps.BaseMap, geography: data.MapGeography,
              view: data.View) -> mapview.MapView:
    """Move the map only when asked: a table row or shared link (centre on a point) or a change of towns."""
    ss = st.session_state
    center_on = selection.take_center_request()
    if center_on:
        match = view.points.loc[view.points["id"] == center_on, ["lon", "lat"]]
        record = None if len(match) else data.point(center_on, data.version())
        lon, lat = (match.iloc[0]["lon"], match.iloc[0]["lat"]) if len(match) else (
            (record["lon"], record["lat"]) if record else (None, None))
        if lon is not None:
            result = mapview.view_for_point(lon, lat, gcj02=provider.gcj02, zoom=mapview.zoom_for_one_point(view))
            ss[_VIEW], ss[_VIEW_FOR] = result, (state.unit_codes, provider.key)
            return result
    if ss.get(_VIEW) is None or ss.get(_VIEW_FOR) != (state.unit_codes, provider.key):
        box = mapview.towns_box(geography, units, state.unit_codes)
        ss[_VIEW], ss[_VIEW_FOR] = mapview.view_for_bounds(box), (state.unit_codes, provider.key)
    return ss[_VIEW]


def _handle_click(result: dict, state: Filter, view: data.View, units: Units) -> None:
    """A new click on the map: an area filters to its town, a point opens its details (then rerun to redraw)."""
    ss = st.session_state
    token = mapview.click_token(result)
    if _CLICK not in ss or ss[_CLICK] == token:
        ss[_CLICK] = token
        return
    ss[_CLICK] = token
    drawing = result.get("last_active_drawing") or {}
    properties = drawing.get("properties") or {}
    if "code" in properties:
        code = str(properties["code"])
        if code in {u.code for u in units.network}:
            if state.unit_codes != (code,):
                filters.request(state.but(unit_codes=(code,)))
                st.rerun()
        else:
            st.toast(f"{md_text(units.short(code, properties.get('short_name', '')))}不在一线协商网络的 17 个乡镇（街道）内。")
        return
    point_id = clicked_id([view.points, *view.parts.values()], drawing)
    if point_id is not None and ss.get(selection.SELECTED) != point_id:
        selection.select(point_id)
        st.rerun()


def render(kind: str | None = None) -> None:
    units = data.units()
    short_names = units.names(short=True)
    state = filters.sidebar(units, kind, data.date_range())
    provider = base_selector()
    where = state.of_kind(kind)
    view = data.filtered(where)
    if selection.leave_if_filtered_out(view.points["id"], filters.changed()):
        st.session_state.pop(_VIEW, None)  # back to the results (the chosen towns' extent)
    selected = selection.current()

    st.html(PAGE_CSS)
    printing.inject()  # on paper: map, KPIs and tables, no sidebar or buttons
    briefing.title_row(f"{TITLE} · {model.kind_label(kind) if kind else '总览'}", where, kind)
    st.caption(md_text(state.describe(units, kind)) + f"　|　共 {count(view.total)} 个点位")
    banner.sample_banner(view)
    by_status = bool(where.statuses or where.stages)
    rates = data.filtered(where.but(statuses=(), stages=())) if by_status else view
    kpis.cards(view, kind, data.headline(state.unit_codes) if kind is None else None, rates, by_status)
    progress_strip.strip(where)

    geography = data.map_geography(provider.gcj02)
    map_view = _map_view(state, units, provider, geography, view)
    in_view = bool(selected) and bool((view.points["id"] == selected).any())
    # Only a point the map shows is highlighted: any other id (filtered out, deleted, made up in a URL) draws the same
    # map as none, so it shares that frame instead of building and caching one more.
    highlight = selected if in_view else None

    def build():
        base_map = mapview.build_base_map(provider, geography, (kind,) if kind else tuple(model.KINDS))
        groups = [mapview.selection_layer(geography, units.areas_of(state.unit_codes))]
        return base_map, groups + mapview.point_groups(view.points, view.parts, gcj02=provider.gcj02, highlight_id=highlight)

    map_column, detail_column = st.columns([2.6, 1], gap="medium")
    with map_column:
        result = mapview.show_cached(("layer", provider.key, kind, view.key, highlight), build, map_view)
        st.caption(f"{mapview.NOTE}。底图：{provider.label}，{provider.attribution}。"
                   "点击乡镇范围只看该乡镇，点击点位查看详情。")
    with detail_column:
        detail.panel(selected, short_names, in_view)
    _handle_click(result, state, view, units)
    selection.sync_url()

    if view.total == 0:
        st.warning("没有符合当前筛选条件的点位。可以放宽条件，或点击侧栏的「重置筛选」。")
    unit_stages.section(view, units, state.unit_codes)
    st.markdown("##### 点位列表")
    exports.buttons(where, kind, view.total)
    pointtable.table(view, short_names)
