"""The 大屏's map: the shared offline base map recoloured for a dark room (deterministic, so streamlit-folium never
remounts it), the layers that change (the toured town's outline, the points, the toured town's points enlarged) and
the view (the toured town, the preset towns, or the district)."""
from __future__ import annotations

from typing import ClassVar

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from loaders import model

from ... import basemaps, data, framecache, mapview
from ...assets import static_url
from ...pointlayer import KIND_SHAPES, dense, encode, js_literal, points_layer
from . import tour
from .snapshot import Snapshot, overdue_points

MAP_HEIGHT = 758
MAP_WIDTH = 990  # the centre column at 1920 px, for choosing a zoom that fits a unit
ZOOM_SNAP = 0.25  # fractional zoom: a unit or the district fills the big map
ZOOM_MARGIN = 0.12
ZOOM_RANGE = (7.0, 14.0)
MAP_KEY = "xz_screen_map"
POINT_RADIUS = 7
TOURED_RADIUS = 11  # the toured town's points
CLUSTER_FONT = 24  # a cluster's count, read from 5 m like every text on the screen
DARK_AREAS = ("#12305a", "#0f3a55", "#173a66", "#10354e", "#1a3260", "#0d3b4f", "#15355c", "#113057")
DARK_AREA_OF = dict(zip(mapview.AREA_PALETTE, DARK_AREAS))
HIGHLIGHT = "#ffd166"
TOURED_STYLE = {"color": HIGHLIGHT, "weight": 4, "fill": True, "fillColor": HIGHLIGHT, "fillOpacity": 0.10}

OVERDUE_COLOR = "#ff3355"  # the ring around an overdue point (static/screen-map.js draws it)
# Every text a meeting reads from 5 m is at least 24 px (about 20 mm on a 65-inch 1080p panel). The note and the
# attribution move to the page's footer; Leaflet's own credit and the imperial scale line are not drawn.
DARK_MAP_CSS = """<style>
.leaflet-container { background: #050f1f !important; font-family: 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif; }
.xz-area-label div { color: #e4eeff !important; font-size: 24px !important; font-weight: 700 !important;
  text-shadow: 0 0 5px #050f1f, 0 0 4px #050f1f, 0 0 3px #050f1f, 0 0 2px #050f1f !important; }
.xz-area-label.xz-outside div { color: #8a93a3 !important; font-size: 24px !important; font-weight: 400 !important; }
.xz-control { background: rgba(6, 20, 40, 0.86) !important; color: #dce8f7 !important; border: 1px solid #1d4877;
  box-shadow: 0 0 12px rgba(0, 0, 0, 0.5) !important; font-size: 24px !important; line-height: 34px !important;
  padding: 8px 14px !important; }
.xz-legend .xz-row { gap: 10px !important; }
.xz-legend svg { width: 24px; height: 24px; }
.xz-note, .leaflet-control-attribution { display: none !important; }
.leaflet-control-scale-line { background: rgba(6, 20, 40, 0.7); color: #dce8f7; border-color: #8fb7e0;
  font-size: 24px; line-height: 30px; padding: 0 6px; }
.leaflet-control-scale-line:not(:first-child) { display: none; }
.leaflet-control-zoom { display: none; }
.leaflet-tooltip { background: #0b1f3a; color: #e8f1ff; border-color: #1d4877; }
</style>"""
RING_SVG = (f'<svg width="14" height="14" viewBox="0 0 14 14"><circle cx="7" cy="7" r="5.2" fill="none" '
            f'stroke="{OVERDUE_COLOR}" stroke-width="2"/></svg>')


def legend_html(kinds: tuple[str, ...]) -> str:
    """The kinds' shapes and the overdue ring (the stages' colours are in the chart's legend and the tour card); what
    a cluster says, while clusters are drawn (mapview.CLUSTER_ROW_CSS)."""
    rows = mapview.legend_rows("图例", [(KIND_SHAPES[k], "#8aa0bb", model.kind_label(k)) for k in kinds])
    return rows + f'<div class="xz-row">{RING_SVG}逾期</div>' + mapview.cluster_row("聚合：数字为点位数")


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
    m = mapview.build_base_map(basemaps.get(basemaps.DEFAULT), geography, kinds, legend=legend_html(kinds),
                               gestures=False)  # nobody touches it
    for child in m._children.values():
        if isinstance(child, folium.GeoJson):
            if child.layer_name == "区界":
                child.style_function = _dark_outline
            else:
                child.style_function = _dark_area
                child.highlight_function = _no_highlight
    m.options["zoom_snap"] = ZOOM_SNAP
    m.options["zoom_control"] = False  # nobody touches the screen
    m.options["zoom_animation"] = False  # an animated zoom scales the points' canvas: they balloon, then shrink
    m.get_root().header.add_child(Element(DARK_MAP_CSS), name="xz_screen_css")
    return m


class ScreenTour(JSCSSMixin, MacroElement):
    """Every tour stop's view, outline and enlarged points, plus the overdue rings, for `static/screen-map.js`, which
    shows the stop the tour card shows -- in the same frame as the card (see there why the map is not moved from
    Python)."""

    default_js: ClassVar[list[tuple[str, str]]] = [("xz_screen_map", static_url("screen-map.js"))]
    _template = Template(
        """{% macro script(this, kwargs) %}
        L.xzScreenTour({{ this.payload }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, payload: dict):
        super().__init__()
        self._name = "ScreenTour"
        self.payload = js_literal(payload)


def tour_payload(snapshot: Snapshot, running: bool) -> dict:
    """For each stop ("" = the district, or the preset towns while the tour is off): its view [lat, lon, zoom], the
    outline to draw and the points to enlarge (points.js payloads); the overdue points' positions."""
    features = {f["properties"]["code"]: f for f in snapshot.geography.areas["features"]}
    # A dense view is clustered (`layers`): the clusters regroup at each stop's zoom and mark overdue points
    # themselves, so no stop enlarges points and no ring is drawn per overdue point.
    crowded = dense(snapshot.view.points)
    stops = {}
    for stop in tour.stops(snapshot):
        towns = (stop,) if stop else snapshot.presets.where.unit_codes
        areas = [features[a] for a in snapshot.units.areas_of(towns) if a in features]
        where = view(snapshot, stop, running)
        enlarged = []
        if stop and not crowded:
            for frame in snapshot.view.parts.values():
                mine = frame[snapshot.in_area(frame, stop)]
                if len(mine):
                    enlarged.append(encode(mine.reset_index(drop=True)))
        stops[stop] = {"view": [*where.center, where.zoom], "points": enlarged,
                       "outline": {"type": "FeatureCollection", "features": areas} if areas else None}
    late = overdue_points(snapshot.view.points.iloc[:0] if crowded else snapshot.view.points)
    return {"stops": stops, "overdue": late[["lat", "lon"]].round(6).to_numpy().tolist(), "radius": TOURED_RADIUS,
            "outline_style": TOURED_STYLE, "overdue_color": OVERDUE_COLOR}


def layers(snapshot: Snapshot, running: bool) -> list[folium.FeatureGroup]:
    """What changes with the data: all points, and the tour (`ScreenTour`). Nothing here changes from one tour stop
    to the next, so a tour step does not redraw the points."""
    points = snapshot.view.points
    if dense(points):
        groups = [points_layer(points, name="点位", radius=POINT_RADIUS, shared_renderer=True, clustered=True,
                               cluster_font=CLUSTER_FONT, late_color=OVERDUE_COLOR)]
    else:
        groups = [points_layer(frame, name=model.kind_label(kind), radius=POINT_RADIUS, shared_renderer=True)
                  for kind, frame in snapshot.view.parts.items()]
    touring = folium.FeatureGroup(name="巡览", control=False)
    ScreenTour(tour_payload(snapshot, running)).add_to(touring)
    return [*groups, touring]


def view(snapshot: Snapshot, stop: str, running: bool) -> mapview.MapView:
    """The toured unit; else the preset towns while the tour is off; else the district."""
    if stop:
        towns: tuple[str, ...] = (stop,)
    elif not running:
        towns = snapshot.presets.where.unit_codes
    else:
        towns = ()
    box = mapview.towns_box(snapshot.geography, snapshot.units, towns)
    return mapview.view_for_bounds(box, MAP_WIDTH, MAP_HEIGHT, padding=0, zoom_snap=ZOOM_SNAP, zoom_margin=ZOOM_MARGIN,
                                   zoom_range=ZOOM_RANGE)


def show(snapshot: Snapshot, running: bool) -> None:
    """The map, with no center/zoom for streamlit-folium: the view follows the tour card (`ScreenTour`). Made once
    per view, presets and tour state for every screen showing them (dashboard/framecache.py): a refresh that finds
    the data unchanged costs no map build."""

    def build():
        base = dark_base_map(snapshot.geography, snapshot.presets.where.kinds or tuple(model.KINDS))
        return base, layers(snapshot, running)

    framecache.show(("screen", snapshot.view.key, snapshot.presets, running), build, None, None, key=MAP_KEY,
                    height=MAP_HEIGHT, returned=[], layer_control=False)
