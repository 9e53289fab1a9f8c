"""大屏 meeting screen: a dark 1920×1080 view that keeps itself current, with nobody touching it.

Storyboard (``render``): hide Streamlit's chrome, draw the title and a browser-side clock once, then a fragment that
re-runs every few seconds (never the whole page) and draws the KPI row, the stage chart, the map, the tour card,
the 最新动态 feed and the footer from one snapshot of the store.

* Presets come from the URL: ``unit=黄集,古驿`` ``kind=issue,well`` ``refresh=30`` (seconds) ``tour=20`` (seconds;
  ``tour=off`` or ``0`` starts with the tour switched off). Values that cannot be understood fall back to defaults.
* The data is re-read every ``refresh`` seconds; the tour moves every ``tour`` seconds. The fragment ticks at the
  greatest common divisor of the two and each run checks, by the clock, what is due.
* The map is the shared base map (``mapview.build_base_map``) recoloured dark here, so its script is the same on
  every run and streamlit-folium never remounts it; points and the toured unit's outline travel in
  ``feature_group_to_add``, the view in ``center``/``zoom``.
* If the store cannot be read, the last good snapshot (``st.session_state``) stays on screen with the time it was
  read and a small warning marker. Nothing here raises into the page.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import altair as alt
import folium
import pandas as pd
import streamlit as st
from branca.element import Element
from streamlit_folium import st_folium

from loaders import model
from loaders.clock import TZ
from loaders.store import PointFilter

from .. import basemaps, data, mapview, memory
from ..pointlayer import STAGE_COLORS, points_layer
from .filters import unit_lookup
from .safe import html_text

_LOG = logging.getLogger(__name__)

TITLE = "襄州区政协“一线协商·共同缔造”工作大屏"
DEFAULT_REFRESH = 30
DEFAULT_TOUR = 20
REFRESH_RANGE = (1, 3600)
TOUR_RANGE = (2, 3600)
MAP_HEIGHT = 758
MAP_WIDTH = 990  # the centre column at 1920 px, for choosing a zoom that fits a unit
ZOOM_SNAP = 0.25
FEED_ROWS = 7
CHART_HEIGHT = 710
WHOLE = ""  # the tour stop that shows the whole district
SYSTEM_USERS = {"init"}  # the bundled sample data was written by `init`: not news for a meeting

CSS_FILE = Path(__file__).resolve().parents[1] / "static" / "screen.css"

# Session state keys (all prefixed, so they never meet the dashboard's).
_SNAPSHOT = "_xz_screen_snapshot"
_STALE = "_xz_screen_stale"  # time of the last failed read, or absent
_READ_AT = "_xz_screen_read_try"
_STOP = "_xz_screen_stop"
_MOVED_AT = "_xz_screen_moved_at"
_RUNS = "_xz_screen_runs"
_PRESETS = "_xz_screen_presets"
TOUR_TOGGLE = "xz_screen_tour"
MAP_KEY = "xz_screen_map"


# Presets -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Presets:
    units: tuple[str, ...] = ()  # unit codes; empty = the whole network
    kinds: tuple[str, ...] = ()  # kind keys; empty = all
    refresh: int = DEFAULT_REFRESH  # seconds between reads of the store
    tour: int = DEFAULT_TOUR  # seconds per tour stop
    tour_on: bool = True

    @property
    def tick(self) -> int:
        """How often the fragment runs: often enough for both the refresh and the tour."""
        return math.gcd(self.refresh, self.tour)

    def point_filter(self) -> PointFilter:
        return PointFilter(kinds=self.kinds, unit_codes=self.units)

    def shows(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


_OFF = {"0", "off", "false", "no", "关", "否"}
_ON = {"on", "true", "yes", "1", "开", "是"}


def _one(params: Mapping, *keys: str) -> str | None:
    for key in keys:
        value = params.get(key)
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else None
        if value is not None and str(value).strip() != "":
            return str(value).strip()
    return None


def _many(params: Mapping, *keys: str) -> list[str]:
    out: list[str] = []
    for key in keys:
        raw = params.get_all(key) if hasattr(params, "get_all") else params.get(key)
        values = raw if isinstance(raw, (list, tuple)) else ([raw] if raw else [])
        for item in values:
            for part in str(item).replace("，", ",").split(","):
                if part.strip() and part.strip() not in out:
                    out.append(part.strip())
    return out


def _seconds(text: str | None, default: int, bounds: tuple[int, int]) -> int | None:
    """Seconds from '30', '30s' or '1.5'; None if unreadable."""
    if text is None:
        return default
    try:
        value = float(text.lower().removesuffix("s").removesuffix("秒"))
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(min(max(round(value), bounds[0]), bounds[1]))


def parse_presets(params: Mapping, units: pd.DataFrame) -> Presets:
    """The screen's presets from the URL query string; anything unreadable falls back to its default."""
    lookup = unit_lookup(units)
    codes = [lookup[name] for name in _many(params, "unit", "units") if name in lookup]
    order = {c: i for i, c in enumerate(units["code"])}
    codes = sorted(dict.fromkeys(codes), key=lambda c: order.get(c, 0))
    wanted = {model.kind_by_label(k) for k in _many(params, "kind", "kinds")} - {None}
    kinds = tuple(k for k in model.KINDS if k in wanted)

    refresh = _seconds(_one(params, "refresh"), DEFAULT_REFRESH, REFRESH_RANGE) or DEFAULT_REFRESH
    tour_text = _one(params, "tour")
    tour_on = True
    tour = DEFAULT_TOUR
    if tour_text is not None and tour_text.lower() in _OFF:
        tour_on = False
    elif tour_text is not None and tour_text.lower() not in _ON:
        tour = _seconds(tour_text, DEFAULT_TOUR, TOUR_RANGE) or DEFAULT_TOUR
    switch = _one(params, "autotour")
    if switch is not None:
        tour_on = switch.lower() not in _OFF
    return Presets(tuple(codes), kinds, refresh, tour, tour_on)


# Snapshot of the store -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: int | str
    unit: str
    note: str = ""
    tone: str = "blue"


@dataclass(frozen=True)
class FeedItem:
    when: str
    name: str
    what: str
    unit: str
    color: str


@dataclass(frozen=True)
class Snapshot:
    version: int
    presets: Presets
    view: data.View
    units: pd.DataFrame  # the network units, in display order
    names: dict[str, str]  # code -> short name (every unit)
    area_of: dict[str, str]  # unit code -> area code on the map
    geography: data.MapGeography
    feed: tuple[FeedItem, ...]
    feed_is_history: bool
    read_at: dt.datetime


def now() -> dt.datetime:
    return dt.datetime.now(TZ)


def kpis(view: data.View, presets: Presets = Presets()) -> list[Kpi]:
    """The big figures, computed from the data (the article's 17 / 24 / 25 on the sample store)."""
    status = view.by_status
    kinds = view.by_kind

    def n(kind: str, label: str) -> int:
        return int(status.get((kind, label), 0))

    sites = int(kinds.get("demo_site", 0)) - n("demo_site", "已撤销")
    issues = int(kinds.get("issue", 0))
    resolved, forwarded = n("issue", model.ISSUE_RESOLVED), n("issue", model.ISSUE_FORWARDED)
    base = issues - n("issue", "已撤销")
    rate = f"解决率 {resolved / base * 100:.0f}%" if base else ""
    wells, bridges = int(kinds.get("well", 0)), int(kinds.get("bridge", 0))
    figures = [
        ("demo_site", Kpi("demo_site", "协商示范点", sites, "个", f"已建成 {n('demo_site', '已建成')}", "gold")),
        ("issue", Kpi("issues", "问题点", issues, "个", "协商议题", "blue")),
        ("issue", Kpi("resolved", "已解决", resolved, "个", rate, "green")),
        ("issue", Kpi("forwarded", "已转社情民意", forwarded, "件", "报送上级", "violet")),
        (None, Kpi("in_progress", "进行中", int(view.by_stage.get("进行中", 0)), "项", "各类点位", "amber")),
        ("well", Kpi("wells", "水井出水", n("well", "已出水"), "口", f"共 {wells} 口", "cyan")),
        ("bridge", Kpi("bridges", "桥梁改造", n("bridge", "已改造"), "座", f"共 {bridges} 座", "teal")),
    ]
    return [figure for kind, figure in figures if kind is None or presets.shows(kind)]


_ACTIONS = {"create": "新增", "update": "更新", "delete": "删除", "restore": "恢复", "follow_up": "跟踪记录",
            "revert": "撤销修改", "import": "导入"}


def _when(text: str | None, today: dt.date) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(TZ)
    return moment.strftime("%H:%M") if moment.date() == today else moment.strftime("%m-%d %H:%M")


def _change_text(action: str, fields: list, before: dict, after: dict) -> str:
    if action == "update" or action == "revert":
        if "status" in fields and before.get("status") != after.get("status"):
            return f"状态 {before.get('status') or '—'} → {after.get('status') or '—'}"
        labels = [model.COLUMN_LABELS.get(f, f) for f in fields if f not in ("version", "updated_at", "updated_by")]
        return ("修改 " + "、".join(labels[:3]) + ("等" if len(labels) > 3 else "")) if labels else _ACTIONS[action]
    if action == "create":
        return f"新增{model.kind_label(after['kind'])}" if after.get("kind") in model.KINDS else "新增点位"
    if action == "follow_up":
        text = " ".join(str(after.get("text") or "").split())
        return "跟踪记录" + (f"：{text[:18]}{'…' if len(text) > 18 else ''}" if text else "")
    return _ACTIONS.get(action, action)


def latest_changes(history: pd.DataFrame, points: pd.DataFrame, names: dict[str, str], *, limit: int = FEED_ROWS,
                   restrict: bool = False, today: dt.date | None = None) -> list[FeedItem]:
    """最新动态 from the audit log, newest first: who changed what, when. `restrict`: only points in `points`."""
    today = today or now().date()
    known = points.set_index("id") if len(points) else pd.DataFrame(columns=["name", "unit_code", "stage"])
    items: list[FeedItem] = []
    for row in history.itertuples():
        if row.user in SYSTEM_USERS:
            continue
        if restrict and row.point_id not in known.index:
            continue
        before = row.before if isinstance(row.before, dict) else {}
        after = row.after if isinstance(row.after, dict) else {}
        fields = list(row.fields) if isinstance(row.fields, (list, tuple)) else []
        record = known.loc[row.point_id] if row.point_id in known.index else None
        name = after.get("name") or before.get("name") or (record["name"] if record is not None else "") or "（点位）"
        unit = after.get("unit_code") or before.get("unit_code") or (record["unit_code"] if record is not None else "")
        stage = (record["stage"] if record is not None else None) or after.get("stage") or before.get("stage")
        what = _change_text(str(row.action), fields, before, after)
        items.append(FeedItem(_when(row.at, today), str(name), f"{row.user} · {what}", names.get(unit, ""),
                              STAGE_COLORS.get(stage, "#7f8ea3")))
        if len(items) >= limit:
            break
    return items


def recent_points(points: pd.DataFrame, names: dict[str, str], *, limit: int = FEED_ROWS,
                  today: dt.date | None = None) -> list[FeedItem]:
    """When nobody has changed anything yet: the most recently updated points."""
    today = today or now().date()
    if not len(points):
        return []
    recent = points.sort_values("updated_at", ascending=False, kind="stable").head(limit)
    return [FeedItem(_when(r.updated_at, today), str(r.name), f"{model.kind_label(r.kind)} · {r.status}",
                     names.get(r.unit_code, ""), STAGE_COLORS.get(r.stage, "#7f8ea3")) for r in recent.itertuples()]


def read_snapshot(presets: Presets, previous: Snapshot | None) -> Snapshot:
    """One consistent read of everything the screen shows. Raises whatever the store raises."""
    version = data.version()  # raises StoreUnavailable when the store cannot be read (reading never creates one)
    if previous is not None and previous.version == version and previous.presets == presets:
        return replace(previous, read_at=now())
    view = data.filtered(presets.point_filter())
    all_units = data.units(version)
    network = all_units[all_units["in_network"]].sort_values("order").reset_index(drop=True)
    names = dict(zip(all_units["code"], all_units["short_name"]))
    area_of = {str(c): (str(a) if pd.notna(a) else str(c)) for c, a in zip(all_units["code"], all_units["area_code"])}
    geography = data.map_geography(False)
    history = data.store().history(limit=200)
    restrict = bool(presets.units or presets.kinds)
    feed = latest_changes(history, view.points, names, restrict=restrict)
    from_history = bool(feed)
    if not feed:
        feed = recent_points(view.points, names)
    return Snapshot(version, presets, view, network, names, area_of, geography, tuple(feed), from_history, now())


def current_snapshot(presets: Presets, force: bool = False) -> tuple[Snapshot | None, dt.datetime | None]:
    """The snapshot to show and, if the last read failed, when. Reads the store only when a refresh is due."""
    ss = st.session_state
    previous: Snapshot | None = ss.get(_SNAPSHOT)
    due = (force or previous is None or previous.presets != presets
           or time.monotonic() - ss.get(_READ_AT, 0.0) >= presets.refresh - presets.tick / 2)
    if due:
        ss[_READ_AT] = time.monotonic()
        try:
            ss[_SNAPSHOT] = read_snapshot(presets, previous)
            ss.pop(_STALE, None)
        except Exception as error:  # noqa: BLE001 -- a meeting screen shows the last data, never a traceback
            _LOG.warning("大屏：读取数据失败，继续显示上次的数据：%r", error)
            ss[_STALE] = now()
    return ss.get(_SNAPSHOT), ss.get(_STALE)


# Tour ----------------------------------------------------------------------------------------------------------
def tour_stops(snapshot: Snapshot) -> list[str]:
    """Unit codes to visit in order, then the whole district."""
    codes = list(snapshot.presets.units) or list(snapshot.units["code"])
    return codes + [WHOLE]


def tour_stop(stops: list[str], presets: Presets, running: bool) -> str:
    """The stop to show now; moves on when a tour interval has passed since the last move."""
    ss = st.session_state
    if _STOP not in ss or ss[_STOP] not in stops:
        ss[_STOP] = WHOLE if WHOLE in stops else stops[0]
        ss[_MOVED_AT] = time.monotonic()
    if not running:
        ss[_MOVED_AT] = time.monotonic()
        return WHOLE
    if time.monotonic() - ss.get(_MOVED_AT, 0.0) >= presets.tour - presets.tick / 2:
        ss[_STOP] = stops[(stops.index(ss[_STOP]) + 1) % len(stops)]
        ss[_MOVED_AT] = time.monotonic()
    return ss[_STOP]


def map_view(snapshot: Snapshot, stop: str) -> mapview.MapView:
    bounds = snapshot.geography.bounds
    if stop:
        boxes = [bounds.get(snapshot.area_of.get(stop, stop))]
    elif snapshot.presets.units and not st.session_state.get(TOUR_TOGGLE, False):
        boxes = [bounds.get(snapshot.area_of.get(c, c)) for c in snapshot.presets.units]
    else:
        boxes = [bounds[""]]
    boxes = [b for b in boxes if b] or [bounds[""]]
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return fit(box)


def fit(box: tuple[float, float, float, float], width: int = MAP_WIDTH, height: int = MAP_HEIGHT,
        margin: float = 0.12) -> mapview.MapView:
    """Centre and zoom that fit a (south, west, north, east) box, in steps of ZOOM_SNAP (the map is big)."""
    south, west, north, east = box

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    zoom_x = math.log2(width * 360 / (256 * max(east - west, 1e-4)))
    zoom_y = math.log2(height * 2 * math.pi / (256 * max(merc(north) - merc(south), 1e-6)))
    zoom = math.floor((min(zoom_x, zoom_y) - margin) / ZOOM_SNAP) * ZOOM_SNAP
    return mapview.MapView((round((south + north) / 2, 5), round((west + east) / 2, 5)), max(7.0, min(14.0, zoom)))


# The dark map --------------------------------------------------------------------------------------------------
DARK_AREAS = ("#12305a", "#0f3a55", "#173a66", "#10354e", "#1a3260", "#0d3b4f", "#15355c", "#113057")
DARK_AREA_OF = dict(zip(mapview.AREA_PALETTE, DARK_AREAS))
HIGHLIGHT = "#ffd166"

DARK_MAP_CSS = """<style>
.leaflet-container { background: #050f1f !important; font-family: 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif; }
.xz-area-label div { color: #d7e6fb !important; font-size: 15px !important; font-weight: 600 !important;
  text-shadow: 0 0 4px #050f1f, 0 0 3px #050f1f, 0 0 2px #050f1f !important; }
.xz-area-label.xz-outside div { color: #7d8797 !important; font-size: 13px !important; font-weight: 400 !important; }
.xz-control { background: rgba(6, 20, 40, 0.86) !important; color: #cfe0f5 !important; border: 1px solid #1d4877;
  box-shadow: 0 0 12px rgba(0, 0, 0, 0.5) !important; font-size: 14px !important; }
.xz-legend b { color: #8fd3ff; }
.xz-note { color: #8aa0bb !important; font-size: 12px !important; max-width: 300px !important; }
.leaflet-control-scale-line { background: rgba(6, 20, 40, 0.7); color: #cfe0f5; border-color: #5b7da6; }
.leaflet-control-attribution { background: rgba(6, 20, 40, 0.7) !important; color: #6f86a3 !important; }
.leaflet-control-attribution a { color: #8fb7e0 !important; }
.leaflet-control-zoom { display: none; }
.leaflet-tooltip { background: #0b1f3a; color: #e8f1ff; border-color: #1d4877; }
</style>"""


def _dark_area(feature: dict) -> dict:
    props = feature["properties"]
    if not props.get("in_network"):
        return {"fillColor": "#1a1f2a", "color": "#4b5563", "weight": 1, "dashArray": "4 3", "fillOpacity": 0.85}
    return {"fillColor": DARK_AREA_OF.get(props.get("fill"), DARK_AREAS[0]), "color": "#3f7cc0", "weight": 1.2,
            "fillOpacity": 0.92}


def _dark_outline(feature: dict) -> dict:
    return {"color": "#4fc3f7", "weight": 3, "fill": False}


def _no_highlight(feature: dict) -> dict:
    return {"weight": 1.2}


def dark_base_map(geography: data.MapGeography, kinds: tuple[str, ...]) -> folium.Map:
    """The shared offline base map, recoloured for a dark room. Deterministic: same inputs, same script."""
    m = mapview.build_base_map(basemaps.get(basemaps.DEFAULT), geography, kinds)
    for child in m._children.values():
        if isinstance(child, folium.GeoJson):
            if child.layer_name == "区界":
                child.style_function = _dark_outline
            else:
                child.style_function = _dark_area
                child.highlight_function = _no_highlight
    m.options["zoom_snap"] = ZOOM_SNAP  # fractional zoom: a unit or the district fills the big map
    m.options["zoom_control"] = False  # nobody touches the screen
    m.get_root().header.add_child(Element(DARK_MAP_CSS), name="xz_screen_css")
    return m


def map_layers(snapshot: Snapshot, stop: str) -> list[folium.FeatureGroup]:
    """What changes on the map: the toured unit's outline, all points, and the toured unit's points enlarged."""
    outline = folium.FeatureGroup(name="巡览乡镇", control=False)
    codes = {snapshot.area_of.get(stop, stop)} if stop else (
        {snapshot.area_of.get(c, c) for c in snapshot.presets.units} if snapshot.presets.units else set())
    wanted = [f for f in snapshot.geography.areas["features"] if f["properties"]["code"] in codes]
    if wanted:
        folium.GeoJson({"type": "FeatureCollection", "features": wanted}, interactive=False,
                       style_function=lambda f: {"color": HIGHLIGHT, "weight": 4, "fill": True,
                                                 "fillColor": HIGHLIGHT, "fillOpacity": 0.10}).add_to(outline)
    groups = [outline]
    for kind, frame in snapshot.view.parts.items():
        groups.append(points_layer(frame, name=model.kind_label(kind), radius=7, shared_renderer=True))
        if stop:
            mine = frame[in_area(snapshot, frame, stop)]
            if len(mine):
                groups.append(points_layer(mine.reset_index(drop=True), name=f"{model.kind_label(kind)}（巡览）",
                                           radius=11, shared_renderer=True))
    return groups


def show_map(snapshot: Snapshot, stop: str) -> None:
    base = dark_base_map(snapshot.geography, snapshot.presets.kinds or tuple(model.KINDS))
    view = map_view(snapshot, stop)
    st_folium(base, key=MAP_KEY, height=MAP_HEIGHT, use_container_width=True, returned_objects=[],
              feature_group_to_add=map_layers(snapshot, stop), center=list(view.center), zoom=view.zoom)


# The chart -----------------------------------------------------------------------------------------------------
def unit_stage_table(snapshot: Snapshot) -> pd.DataFrame:
    codes = list(snapshot.presets.units) or list(snapshot.units["code"])
    table = snapshot.view.unit_stage.reindex(codes, fill_value=0)
    table = table.reindex(columns=list(model.STAGES), fill_value=0).astype(int)
    table.index = [snapshot.names.get(c, c) for c in table.index]
    table.index.name = "乡镇"
    return table


def stage_chart(table: pd.DataFrame, highlight: str | None = None) -> alt.LayerChart:
    long = table.reset_index().melt(id_vars="乡镇", var_name="阶段", value_name="数量")
    totals = table.sum(axis=1).rename("合计").reset_index()
    order = list(table.index)
    y = alt.Y("乡镇:N", sort=order, title=None, axis=alt.Axis(labelFontSize=18, labelPadding=6))
    bars = (alt.Chart(long).mark_bar(height={"band": 0.72}, cornerRadiusEnd=2)
            .encode(y=y, x=alt.X("sum(数量):Q", title=None, axis=alt.Axis(tickMinStep=1, labelFontSize=15)),
                    color=alt.Color("阶段:N", scale=alt.Scale(domain=list(model.STAGES),
                                                             range=[STAGE_COLORS[s] for s in model.STAGES]),
                                    legend=alt.Legend(orient="top", title=None, labelFontSize=17, symbolSize=180,
                                                      columnPadding=14)),
                    order=alt.Order("stage_order:Q"))
            .transform_calculate(stage_order=f"indexof({list(model.STAGES)!r}, datum['阶段'])"))
    labels = (alt.Chart(totals).mark_text(align="left", dx=6, fontSize=16, fontWeight="bold")
              .encode(y=alt.Y("乡镇:N", sort=order), x=alt.X("合计:Q"), text=alt.Text("合计:Q"),
                      color=alt.condition(alt.datum["乡镇"] == (highlight or ""), alt.value(HIGHLIGHT),
                                          alt.value("#cfe0f5"))))
    return (alt.layer(bars, labels)
            .properties(height=CHART_HEIGHT, background="transparent", padding={"left": 4, "right": 18, "top": 4,
                                                                               "bottom": 4})
            .configure(font="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
            .configure_axis(labelColor="#c7d7ec", gridColor="#17304f", domainColor="#2a4a72", tickColor="#2a4a72")
            .configure_legend(labelColor="#dce8f7")
            .configure_view(strokeWidth=0))


# HTML pieces (all text escaped) --------------------------------------------------------------------------------
def page_css() -> str:
    try:
        return CSS_FILE.read_text(encoding="utf-8")
    except OSError:
        return ""


def title_html() -> str:
    return (f'<div class="xz-title"><div class="xz-title-main">{html_text(TITLE)}</div>'
            '<div class="xz-title-sub">一线协商 · 共同缔造　|　示范点 · 水井 · 桥梁 · 问题点 全区一张图</div></div>')


CLOCK_HTML = """<!doctype html><html><head><meta charset="utf-8"><style>
html,body{margin:0;background:transparent;overflow:hidden;}
body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;color:#e6f1ff;text-align:right;}
#t{font-size:46px;font-weight:700;letter-spacing:2px;line-height:52px;font-variant-numeric:tabular-nums;
   color:#8fe3ff;text-shadow:0 0 14px rgba(79,195,247,.55);}
#d{font-size:20px;line-height:26px;color:#b9cce6;letter-spacing:1px;}
</style></head><body><div id="t">--:--:--</div><div id="d"></div><script>
(function(){var W=["日","一","二","三","四","五","六"];function p(n){return (n<10?"0":"")+n;}
function tick(){var d=new Date();document.getElementById("t").textContent=p(d.getHours())+":"+p(d.getMinutes())+":"+p(d.getSeconds());
document.getElementById("d").textContent=d.getFullYear()+"年"+(d.getMonth()+1)+"月"+d.getDate()+"日　星期"+W[d.getDay()];}
tick();setInterval(tick,1000);})();
</script></body></html>"""


def kpi_html(figures: list[Kpi]) -> str:
    cards = []
    for k in figures:
        cards.append(
            f'<div class="xz-kpi xz-{k.tone}" data-kpi="{html_text(k.key)}">'
            f'<div class="xz-kpi-label">{html_text(k.label)}</div>'
            f'<div class="xz-kpi-value"><span class="xz-num">{html_text(k.value)}</span>'
            f'<span class="xz-kpi-unit">{html_text(k.unit)}</span></div>'
            f'<div class="xz-kpi-note">{html_text(k.note)}</div></div>')
    return f'<div class="xz-kpis">{"".join(cards)}</div>'


def in_area(snapshot: Snapshot, points: pd.DataFrame, area: str) -> pd.Series:
    """Which points the map draws in `area`: units without an area of their own (襄北农场 …) count in their host's."""
    return points["unit_code"].fillna("").map(lambda c: snapshot.area_of.get(c, c)) == area


def tour_html(snapshot: Snapshot, stop: str, stops: list[str], running: bool) -> str:
    if stop:
        name = snapshot.names.get(stop, stop)
        full = snapshot.units.loc[snapshot.units["code"] == stop, "name"]
        name = str(full.iloc[0]) if len(full) else name
        mine = snapshot.view.points[in_area(snapshot, snapshot.view.points, stop)]
    else:
        name = "襄州区全域" if not snapshot.presets.units else "所选乡镇"
        mine = snapshot.view.points
    stages = mine.groupby("stage").size().to_dict() if len(mine) else {}
    stats = "".join(f'<span><i style="background:{STAGE_COLORS[s]}"></i>{html_text(s)} <b>{int(stages.get(s, 0))}</b>'
                    "</span>" for s in model.STAGES)
    position = f"{stops.index(stop) + 1} / {len(stops)}" if running and stop in stops else "巡览已暂停"
    label = "自动巡览" if running else "全区概览"
    return (f'<div class="xz-card xz-tour"><div class="xz-card-head"><span>{label}</span>'
            f'<span class="xz-tour-pos">{html_text(position)}</span></div>'
            f'<div class="xz-tour-name" id="xz-tour-name" data-stop="{html_text(stop)}">{html_text(name)}</div>'
            f'<div class="xz-tour-total">点位 <b>{len(mine)}</b> 个</div>'
            f'<div class="xz-tour-stats">{stats}</div></div>')


def feed_html(snapshot: Snapshot) -> str:
    title = "最新动态" if snapshot.feed_is_history else "最新动态 <small>（最近更新的点位）</small>"
    rows = []
    for item in snapshot.feed:
        unit = f'<span class="xz-feed-unit">{html_text(item.unit)}</span>' if item.unit else ""
        rows.append(f'<li><i style="background:{item.color}"></i><div class="xz-feed-main">'
                    f'<div class="xz-feed-name">{html_text(item.name)}</div>'
                    f'<div class="xz-feed-what">{unit}{html_text(item.what)}</div></div>'
                    f'<div class="xz-feed-when">{html_text(item.when)}</div></li>')
    body = "".join(rows) or '<li class="xz-feed-empty">暂无动态</li>'
    return f'<div class="xz-card xz-feed"><div class="xz-card-head"><span>{title}</span></div><ul>{body}</ul></div>'


def footer_html(snapshot: Snapshot, stale_since: dt.datetime | None, runs: int) -> str:
    presets = snapshot.presets
    warn = ""
    if stale_since is not None:
        warn = (f'<span class="xz-stale" title="数据源暂时无法读取（{stale_since:%H:%M:%S}），'
                f'继续显示上次读取的数据">⚠ 数据源暂不可读，显示上次数据</span>')
    sample = "　·　含演示数据" if snapshot.view.sample_count else ""
    tour = f"　·　巡览每 {presets.tour} 秒" if st.session_state.get(TOUR_TOGGLE) else ""
    return (f'<div class="xz-footer" data-runs="{runs}" data-version="{snapshot.version}">'
            f'<span class="xz-foot-note">{html_text(mapview.NOTE)}{sample}　·　底图：离线示意图</span>'
            f'<span class="xz-foot-right">{warn}<span class="xz-updated" id="xz-updated">数据更新于 '
            f'<b>{snapshot.read_at:%H:%M:%S}</b></span><span class="xz-foot-refresh">每 {presets.refresh} 秒刷新{tour}'
            f'</span></span></div>')


# Storyboard ----------------------------------------------------------------------------------------------------
def _live(presets: Presets) -> None:
    """Everything that changes: runs every `presets.tick` seconds as a fragment (the page itself never reruns)."""
    ss = st.session_state
    ss[_RUNS] = ss.get(_RUNS, 0) + 1
    memory.collect_now_and_then()  # fragment runs skip app.py, where the other pages collect
    snapshot, stale_since = current_snapshot(presets)
    if snapshot is None:
        st.markdown('<div class="xz-waiting">正在连接数据…<br><small>数据源暂时无法读取，稍后自动重试</small></div>',
                    unsafe_allow_html=True)
        return
    stops = tour_stops(snapshot)
    running = bool(ss.get(TOUR_TOGGLE))
    stop = tour_stop(stops, presets, running)

    st.markdown(kpi_html(kpis(snapshot.view, presets)), unsafe_allow_html=True)
    left, centre, right = st.columns([1.02, 2.35, 1.02], gap="small")
    with left:
        st.markdown('<div class="xz-card-head xz-chart-head"><span>各乡镇（街道）进展</span></div>',
                    unsafe_allow_html=True)
        name = snapshot.names.get(stop) if stop else None
        st.altair_chart(stage_chart(unit_stage_table(snapshot), name), theme=None, width="stretch")
    with centre:
        show_map(snapshot, stop)
    with right:
        st.markdown(tour_html(snapshot, stop, stops, running), unsafe_allow_html=True)
        st.toggle("自动巡览", key=TOUR_TOGGLE)
        st.markdown(feed_html(snapshot), unsafe_allow_html=True)
    st.markdown(footer_html(snapshot, stale_since, ss[_RUNS]), unsafe_allow_html=True)


def render() -> None:
    ss = st.session_state
    st.html(f"<style>{page_css()}</style>")
    try:
        units = data.units(data.version())
    except Exception:  # noqa: BLE001 -- presets then use names only after the store comes back
        units = None
    cached: Snapshot | None = ss.get(_SNAPSHOT)
    if units is None and cached is not None:
        units = cached.units
    if units is None:
        units = pd.DataFrame(columns=["code", "name", "short_name"])
    presets = parse_presets(st.query_params, units)
    if ss.get(_PRESETS) != presets:  # a new URL: its tour switch wins over the last one
        ss[_PRESETS] = presets
        ss[TOUR_TOGGLE] = presets.tour_on
    ss.setdefault(TOUR_TOGGLE, presets.tour_on)

    title, clock = st.columns([4, 1], vertical_alignment="center")
    with title:
        st.markdown(title_html(), unsafe_allow_html=True)
    with clock:
        st.iframe(CLOCK_HTML, height=80)
    st.fragment(run_every=presets.tick)(_live)(presets)
