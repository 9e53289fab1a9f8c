"""The map: a stable base map (outline, town areas, labels, legend, note) plus the changing points.

streamlit-folium remounts the map -- blank flash, zoom and position lost -- whenever the base map's generated script
changes. So the base map is built deterministically from cached geography: same base and same data give the same
script byte for byte (folium's random element ids are replaced by fixed ones), and everything that changes with the
filters (points, the outline of the selected towns) travels in `feature_group_to_add`. The view moves only when the
page asks for it (`View`), because st_folium compares center/zoom with the last value Python sent.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import folium
import numpy as np
import pandas as pd
import streamlit as st
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template
from streamlit_folium import st_folium

from loaders import coords, model
from loaders.mapstyle import AREA_PALETTE, OUTSIDE_FILL
from loaders.readable import count
from loaders.units import Units

from . import basemaps, framecache
from .assets import OWN_FILES, static_url, vendor_url
from .components.safe import html_text
from .data import MapGeography, View
from .folium_runtime import lean_assets
from .folium_runtime import prepare as prepare_maps
from .pointlayer import KIND_SHAPES, OVERDUE_COLOR, STAGE_COLORS, dense, individual_zoom, js_literal, points_layer

MAP_HEIGHT = 600  # st_folium's frame height before the page's CSS (FRAME_CSS) sizes it to the window
MAP_WIDTH_GUESS = 700  # for choosing a zoom that fits a box; the real width follows the column
#: The smallest map frame (a phone's): at the lowest zoom the whole district still fits into it, so nobody zooms out
#: to a speck; the map cannot be dragged further than half the district's size past its edges.
SMALLEST_FRAME = (360, 280)
BOUNDS_MARGIN = 0.5
NOTE = "示意范围：乡镇范围由近似点位划分，非官方界线"
RETURNED = ["last_active_drawing", "last_object_clicked"]
#: The map's frame follows the window's height (the map inside follows its frame: static/map.css): 501 px at 768 px
#: (it starts at about 470 px under the KPI cards, so its upper part is on the first screen), 600 px at 900, 1005 px
#: at 1440 -- never less than 420 px. On a phone (≤ 640 px wide) 60 % of the screen, so the page can be scrolled
#: past it.
FRAME_CSS = """<style>
iframe[title="streamlit_folium.st_folium"] { height: clamp(420px, calc(75vh - 75px), 1600px); }
@media (max-width: 640px) {
  iframe[title="streamlit_folium.st_folium"] { height: 60vh; height: 60svh; min-height: 280px; }
}
</style>"""


class MapControl(MacroElement):
    """A Leaflet control holding HTML that this module built from escaped text."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position_js }}});
            control.onAdd = function () {
                var box = L.DomUtil.create("div", {{ this.css_js }});
                box.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                return box;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, html: str, position: str = "bottomleft", css_class: str = "xz-control"):
        super().__init__()
        self._name = "MapControl"
        self.html_js = js_literal(html)
        self.position_js = js_literal(position)
        self.css_js = js_literal(css_class)


GESTURE_TEXT = {
    "touch": "请用双指移动地图",
    "scroll": "按住 Ctrl 并滚动鼠标以缩放地图",
    "scrollMac": "按住 ⌘ 并滚动鼠标以缩放地图",
}


class GestureHandling(JSCSSMixin, MacroElement):
    """Leaflet.GestureHandling (vendored from npm): on a touch screen one finger scrolls the page and two fingers move
    the map; on a desktop the wheel zooms the map only with Ctrl. The hints are Chinese (`GESTURE_TEXT`)."""

    default_js: ClassVar[list[tuple[str, str]]] = [
        ("gesture_handling", vendor_url("gesture_handling")),
        ("xz_gestures", static_url(OWN_FILES["gestures"])),
    ]
    default_css: ClassVar[list[tuple[str, str]]] = [("gesture_handling_css", vendor_url("gesture_handling_css"))]
    _template = Template(
        """{% macro script(this, kwargs) %}
        L.xzGestures({{ this._parent.get_name() }}, {{ this.text_js }});
        {% endmacro %}"""
    )

    def __init__(self):
        super().__init__()
        self._name = "GestureHandling"
        self.text_js = js_literal(GESTURE_TEXT)


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's control_scale adds Leaflet's default, which also shows
    miles)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 120}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


HOME_TEXT = {"title": "全区", "label": "全区：显示整个襄州区"}


class HomeButton(MacroElement):
    """The 全区 button under the zoom buttons: back to the whole district (static/map-setup.js, L.xzHome)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.xzHome({{ this._parent.get_name() }}, {{ this.bounds_js }}, {{ this.text_js }});
        {% endmacro %}"""
    )

    def __init__(self, bounds: tuple[float, float, float, float]):
        super().__init__()
        self._name = "HomeButton"
        south, west, north, east = bounds
        self.bounds_js = js_literal([[south, west], [north, east]])
        self.text_js = js_literal(HOME_TEXT)


class SharedCanvas(MacroElement):
    """One canvas for every vector layer (areas and points), so a click reaches whatever is on top of it."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.options.renderer = L.canvas({padding: 0.5, tolerance: 4});
        (function (map) {
            function zoomClass() {
                var box = map.getContainer();
                box.className = box.className.replace(/ ?xz-z[0-9]+/g, "") + " xz-z" + Math.round(map.getZoom());
            }
            map.on("zoomend", zoomClass);
            zoomClass();
            // The frame's height can change after the map was drawn (60vh on a phone, static/map.css): keep Leaflet's
            // idea of its size current, or the bottom of the map stays blank and clicks land off by the difference.
            if (window.ResizeObserver) {
                new ResizeObserver(function () { map.invalidateSize({pan: false}); }).observe(map.getContainer());
            }
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self):
        super().__init__()
        self._name = "SharedCanvas"


CSS = """<style>
.leaflet-container { background: %(background)s; }
.xz-area-label div { transform: translate(-50%%, -50%%); white-space: nowrap; font-size: 13px; font-weight: 600;
  color: #2f3b4a; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; pointer-events: none; }
.xz-area-label.xz-outside div { color: #6b7078; font-weight: 400; font-size: 12px; }
.xz-z7 .xz-small, .xz-z8 .xz-small, .xz-z9 .xz-small, .xz-z10 .xz-small { display: none; }
.xz-control { background: rgba(255,255,255,0.92); padding: 6px 9px; border-radius: 6px; font-size: 12px;
  line-height: 1.5; color: #333; box-shadow: 0 1px 4px rgba(0,0,0,0.25); }
.xz-legend b { display: block; margin-bottom: 2px; }
.xz-legend .xz-row { display: flex; align-items: center; gap: 6px; }
.xz-legend svg { flex: none; }
.xz-note { font-size: 11px; color: #555; max-width: 260px; }
%(cluster_row)s
</style>"""


def _shape_svg(shape: str, fill: str, size: int = 14) -> str:
    c, r = size / 2, size / 2 - 1.5
    if shape == "circle":
        body = f'<circle cx="{c}" cy="{c}" r="{r}"/>'
    elif shape == "square":
        body = f'<rect x="2" y="2" width="{size - 4}" height="{size - 4}"/>'
    elif shape == "diamond":
        body = f'<polygon points="{c},1 {size - 1},{c} {c},{size - 1} 1,{c}"/>'
    elif shape == "triangle":
        body = f'<polygon points="{c},1.5 {size - 1.5},{size - 2} 1.5,{size - 2}"/>'
    else:  # star
        pts = []
        for k in range(10):
            radius = r if k % 2 == 0 else r * 0.45
            angle = -math.pi / 2 + k * math.pi / 5
            pts.append(f"{c + radius * math.cos(angle):.1f},{c + radius * math.sin(angle):.1f}")
        body = f'<polygon points="{" ".join(pts)}"/>'
    return (f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
            f'<g fill="{fill}" stroke="#fff" stroke-width="1">{body}</g></svg>')


OVERDUE_LABEL = "逾期（虚线圈）"
#: The legend's sample of an overdue point: a point inside the dashed ring points.js draws around it.
OVERDUE_SVG = (f'<svg width="14" height="14" viewBox="0 0 14 14"><circle cx="7" cy="7" r="3.2" fill="#5b6b7d"/>'
               f'<circle cx="7" cy="7" r="5.8" fill="none" stroke="{OVERDUE_COLOR}" stroke-width="1.6" '
               f'stroke-dasharray="2.4 1.6"/></svg>')


CLUSTER_LABEL = "聚合：数字为点位数，色环为各阶段占比，红虚线为逾期占比；点击放大"
#: The legend always holds the cluster row, shown only while the map draws clusters (static/points.js marks the map
#: `xz-clustered`): a filter that crosses `pointlayer.CLUSTER_ABOVE` must not change the base map, or streamlit-folium
#: would remount it and lose the place the user zoomed to.
CLUSTER_ROW_CSS = """.xz-legend .xz-cluster-row { display: none; max-width: 170px; align-items: flex-start; }
.xz-clustered .xz-legend .xz-cluster-row { display: flex; }"""


def cluster_svg(size: int = 14) -> str:
    """The legend's sample of a cluster: a ring in the stages' colours, a quarter each, from 12 o'clock."""
    c, r = size / 2, size / 2 - 2.5
    arc = 2 * math.pi * r / len(model.STAGES)
    rings = "".join(
        f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{STAGE_COLORS[stage]}" stroke-width="4" '
        f'stroke-dasharray="{arc:.2f} {2 * math.pi * r:.2f}" stroke-dashoffset="{-arc * n:.2f}" '
        f'transform="rotate(-90 {c} {c})"/>' for n, stage in enumerate(model.STAGES))
    return f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}">{rings}</svg>'


def cluster_row(label: str) -> str:
    return f'<div class="xz-row xz-cluster-row">{cluster_svg()}{html_text(label)}</div>'


def legend_html(kinds: tuple[str, ...]) -> str:
    """Shapes by kind, colours by stage, the overdue ring, and what a cluster's ring says (`CLUSTER_ROW`)."""
    rows = ["<b>图例</b>"]
    for kind in kinds:
        rows.append(f'<div class="xz-row">{_shape_svg(KIND_SHAPES[kind], "#5b6b7d")}'
                    f"{html_text(model.kind_label(kind))}</div>")
    for stage in model.STAGES:
        rows.append(f'<div class="xz-row">{_shape_svg("circle", STAGE_COLORS[stage])}{html_text(stage)}</div>')
    rows.append(f'<div class="xz-row">{OVERDUE_SVG}{html_text(OVERDUE_LABEL)}</div>')
    rows.append(cluster_row(CLUSTER_LABEL))
    rows.append(f'<div class="xz-row"><svg width="14" height="14"><rect x="1" y="1" width="12" height="12" '
                f'fill="{OUTSIDE_FILL}" stroke="#9aa0a6" stroke-dasharray="3 2"/></svg>不在17个单元内</div>')
    return "".join(rows)


def legend_rows(title: str, entries: list[tuple[str, str, str]]) -> str:
    """A legend of (shape, colour, label) rows, e.g. activities by 形式."""
    rows = [f"<b>{html_text(title)}</b>"]
    rows += [f'<div class="xz-row">{_shape_svg(shape, color)}{html_text(label)}</div>' for shape, color, label in entries]
    return "".join(rows)


def _area_style(feature: dict) -> dict:
    props = feature["properties"]
    if not props.get("in_network"):
        return {"fillColor": OUTSIDE_FILL, "color": "#9aa0a6", "weight": 1, "dashArray": "4 3", "fillOpacity": 0.55}
    return {"fillColor": props.get("fill", AREA_PALETTE[0]), "color": "#8797a8", "weight": 1, "fillOpacity": 0.75}


def _area_style_tiles(feature: dict) -> dict:
    style = _area_style(feature)
    return {**style, "fillOpacity": 0.12 if feature["properties"].get("in_network") else 0.3}


def _fix_ids(element, counter: list[int]) -> None:
    """Replace folium's random element ids with fixed ones, in tree order."""
    element._id = f"xz{counter[0]:03d}"
    counter[0] += 1
    for child in element._children.values():
        _fix_ids(child, counter)


def build_base_map(provider: basemaps.BaseMap, geography: MapGeography,
                   legend_kinds: tuple[str, ...] = tuple(model.KINDS), legend: str | None = None,
                   gestures: bool = True) -> folium.Map:
    """The base map: the same inputs give the same generated script, so st_folium never remounts it.
    `gestures`: one finger scrolls the page, two move the map (`GestureHandling`), and a 全区 button; off for the
    大屏, which nobody touches."""
    prepare_maps()
    south, west, north, east = district = geography.bounds[""]
    d_lat, d_lon = (north - south) * BOUNDS_MARGIN, (east - west) * BOUNDS_MARGIN
    m = folium.Map(location=[round((south + north) / 2, 5), round((west + east) / 2, 5)], zoom_start=10, tiles=None,
                   maxZoom=18, max_zoom=18, minZoom=min_zoom(district), prefer_canvas=True,
                   max_bounds=True, min_lat=round(south - d_lat, 5), max_lat=round(north + d_lat, 5),
                   min_lon=round(west - d_lon, 5), max_lon=round(east + d_lon, 5), maxBoundsViscosity=1.0)
    lean_assets(m)
    SharedCanvas().add_to(m)
    MetricScale().add_to(m)
    if gestures:
        GestureHandling().add_to(m)
        HomeButton(district).add_to(m)
    m.get_root().header.add_child(
        Element(CSS % {"background": "#f3f5f7" if provider.offline else "#dde3e8", "cluster_row": CLUSTER_ROW_CSS}),
        name="xz_css")
    for number, tile in enumerate(provider.tiles):
        folium.TileLayer(tiles=basemaps.tile_urls(provider)[number], attr=provider.attribution, name=provider.label,
                         subdomains=tile.subdomains, max_zoom=tile.max_zoom, overlay=False, control=False).add_to(m)
    features = []
    for number, feature in enumerate(geography.areas["features"]):
        features.append({**feature, "properties": {**feature["properties"],
                                                   "fill": AREA_PALETTE[number % len(AREA_PALETTE)]}})
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name="乡镇范围（示意）",
                   style_function=_area_style if provider.offline else _area_style_tiles,
                   highlight_function=lambda f: {"weight": 2.5, "color": "#1f6feb"}).add_to(m)
    folium.GeoJson(geography.outline, name="区界",
                   style_function=lambda f: {"color": "#34495e", "weight": 2.5, "fill": False},
                   interactive=False).add_to(m)
    labels = folium.FeatureGroup(name="乡镇名称")
    for code, short_name, in_network, lat, lon, small in geography.labels:
        css = "xz-area-label" + ("" if in_network else " xz-outside") + (" xz-small" if small else "")
        folium.Marker([lat, lon], icon=folium.DivIcon(html=f"<div>{html_text(short_name)}</div>", class_name=css),
                      interactive=False, keyboard=False).add_to(labels)
    labels.add_to(m)
    MapControl(legend or legend_html(legend_kinds), "topright", "xz-control xz-legend").add_to(m)
    note = html_text(NOTE) + "<br>" + html_text(basemaps.OFFLINE_ATTRIBUTION)
    MapControl(note, "bottomleft", "xz-control xz-note").add_to(m)
    _fix_ids(m, [0])
    return m


Bounds = tuple[float, float, float, float]  # south, west, north, east (the base map's coordinates)


@dataclass(frozen=True)
class MapView:
    center: tuple[float, float]
    zoom: float  # whole levels on the pages; quarter levels on the 大屏 (zoom_snap)


def view_for_bounds(bounds: Bounds, width: int = MAP_WIDTH_GUESS, height: int = MAP_HEIGHT, *, padding: int = 40,
                    zoom_snap: float = 1, zoom_margin: float = 0.0, zoom_range: tuple[float, float] = (7, 15)
                    ) -> MapView:
    """The centre and zoom that fit a box into a map of `width` × `height` pixels (less `padding`), rounded down to
    a step of `zoom_snap` after holding back `zoom_margin` levels, within `zoom_range`."""
    south, west, north, east = bounds

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_span = max(east - west, 1e-4)
    lat_span = max(merc(north) - merc(south), 1e-6)
    zoom_x = math.log2((width - padding) * 360 / (256 * lon_span))
    zoom_y = math.log2((height - padding) * 2 * math.pi / (256 * lat_span))
    zoom = math.floor((min(zoom_x, zoom_y) - zoom_margin) / zoom_snap) * zoom_snap
    low, high = zoom_range
    return MapView((round((south + north) / 2, 5), round((west + east) / 2, 5)), max(low, min(high, zoom)))


def min_zoom(district: Bounds) -> int:
    """The lowest zoom at which the whole district still fits into the smallest map frame (`SMALLEST_FRAME`)."""
    return int(view_for_bounds(district, *SMALLEST_FRAME, padding=0, zoom_range=(0, 18)).zoom)


def towns_box(geography: MapGeography, units: Units, codes: Iterable[str]) -> Bounds:
    """The box covering the map areas of these units (a unit without an area of its own counts in its host's);
    the whole district when none is given or none has an area."""
    boxes = [geography.bounds.get(area) for area in units.areas_of(codes)]
    boxes = [b for b in boxes if b] or [geography.bounds[""]]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


POINT_ZOOM = 13  # a point and its village around it


@st.cache_resource(show_spinner=False, max_entries=64)
def _individual_zoom(view_key: tuple, _points: pd.DataFrame) -> int:
    return individual_zoom(_points["lon"].to_numpy(dtype=float), _points["lat"].to_numpy(dtype=float))


def zoom_for_one_point(view: View) -> int:
    """The zoom to centre one point of `view` at: `POINT_ZOOM`, or closer where the view is so dense that the point
    would still be inside a cluster there (a point chosen in the table must be seen, not a ring around a cluster)."""
    if not dense(view.points):
        return POINT_ZOOM
    return max(POINT_ZOOM, _individual_zoom(view.key, view.points))


def view_for_point(lon: float, lat: float, gcj02: bool = False, zoom: int = POINT_ZOOM) -> MapView:
    if gcj02:
        lon, lat = coords.wgs84_to_gcj02(lon, lat)
    return MapView((round(float(lat), 6), round(float(lon), 6)), zoom)


SELECTION_STYLE = {"color": "#1f6feb", "weight": 3, "fill": False}


def selection_layer(geography: MapGeography, area_codes: Iterable[str], name: str = "所选乡镇",
                    style: dict = SELECTION_STYLE) -> folium.FeatureGroup:
    """Thick outlines of the selected towns' areas (travels with the points, so the base map stays)."""
    group = folium.FeatureGroup(name=name, control=False)
    codes = set(area_codes)
    wanted = [f for f in geography.areas["features"] if f["properties"]["code"] in codes]
    if wanted:
        folium.GeoJson({"type": "FeatureCollection", "features": wanted}, interactive=False,
                       style_function=lambda f: style).add_to(group)
    return group


def point_groups(points: pd.DataFrame, parts: dict[str, pd.DataFrame], *, gcj02: bool,
                 highlight_id: str | None) -> list[folium.FeatureGroup]:
    """One compact layer per kind, named with its count (the layer control shows them); a view too dense for a
    marker per point (`pointlayer.dense`) is one layer of every kind, clustered where symbols would overlap."""
    if dense(points):
        return [points_layer(points, name=f"点位（{count(len(points))}）", gcj02=gcj02,
                             highlight_id=highlight_id, shared_renderer=True, clustered=True)]
    groups = []
    for kind, frame in parts.items():
        groups.append(points_layer(frame, name=f"{model.kind_label(kind)}（{count(len(frame))}）", gcj02=gcj02,
                                   highlight_id=highlight_id, shared_renderer=True))
    return groups


def lines_layer(lines: list[tuple[tuple[float, float], tuple[float, float]]], *, name: str, color: str,
                weight: float = 2, dash: str | None = "6 4", gcj02: bool = False) -> folium.FeatureGroup:
    """Straight lines between (lon, lat) pairs (an activity to the issues it raised, a group to its towns); not
    clickable, no text: they only show what belongs together."""
    group = folium.FeatureGroup(name=name)
    for start, end in lines:
        (x0, x1), (y0, y1) = ((start[0], end[0]), (start[1], end[1]))
        if gcj02:
            (x0, x1), (y0, y1) = coords.wgs84_to_gcj02(np.array([x0, x1]), np.array([y0, y1]))
        folium.PolyLine([[float(y0), float(x0)], [float(y1), float(x1)]], color=color, weight=weight, opacity=0.8,
                        dash_array=dash, interactive=False).add_to(group)
    return group


def show(base_map: folium.Map, groups: list[folium.FeatureGroup], view: MapView, key: str = "xzmap",
         returned: list[str] = RETURNED) -> dict:
    """Draw the map; returns what the user last clicked (only clicks rerun the script)."""
    st.html(FRAME_CSS)
    lean_assets(base_map, *groups)
    result = st_folium(base_map, key=key, height=MAP_HEIGHT, use_container_width=True, returned_objects=returned,
                       feature_group_to_add=groups, layer_control=folium.LayerControl(collapsed=True),
                       center=list(view.center), zoom=view.zoom)
    return result or {}


def show_cached(content: tuple, build: framecache.Build, view: MapView, key: str = "xzmap",
                returned: list[str] = RETURNED) -> dict:
    """`show()` for a map whose content has a key (see dashboard/framecache.py): `build()` returns the base map and
    the layers, and runs only when no session has shown that content yet."""
    st.html(FRAME_CSS)
    return framecache.show(content, build, view.center, view.zoom, key=key, height=MAP_HEIGHT, returned=returned)


def click_token(result: dict) -> str:
    return json.dumps([result.get("last_active_drawing"), result.get("last_object_clicked")], sort_keys=True,
                      ensure_ascii=False, default=str)
