"""The editing page's map: the shared stable base map, every point (the selected one highlighted), and a crosshair
at the position being confirmed. Everything that changes travels in `feature_group_to_add`, so the base map stays
mounted; unlike the viewing pages this map also returns plain clicks (`last_clicked`) for placing points."""
from __future__ import annotations

import json

import folium
import streamlit as st

from loaders import coords

from .. import basemaps, data, mapview
from ..pointlayer import clicked_id
from .coordinput import CENTER_REQUEST, Position

KEY = "xz_edit_map"
RETURNED = [*mapview.RETURNED, "last_clicked"]
_SEEN = "_xz_edit_map_seen"
_VIEW = "_xz_edit_map_view"
_VIEW_FOR = "_xz_edit_map_view_for"
CENTER = CENTER_REQUEST
CROSSHAIR = """<svg width="34" height="34" viewBox="0 0 34 34" style="overflow:visible">
<circle cx="17" cy="17" r="9" fill="none" stroke="{color}" stroke-width="3"/>
<circle cx="17" cy="17" r="9" fill="none" stroke="#fff" stroke-width="1" stroke-dasharray="2 2"/>
<path d="M17 0v10M17 24v10M0 17h10M24 17h10" stroke="{color}" stroke-width="3"/>
<circle cx="17" cy="17" r="2.2" fill="{color}"/></svg>"""
OK_COLOR, BAD_COLOR = "#1f6feb", "#d1242f"


def _here(lon: float, lat: float, gcj02: bool) -> list[float]:
    if gcj02:
        lon, lat = coords.wgs84_to_gcj02(lon, lat)
    return [round(float(lat), 7), round(float(lon), 7)]


def candidate_layer(position: Position | None, gcj02: bool, moving_from: tuple[float, float] | None = None
                    ) -> folium.FeatureGroup:
    """The crosshair for a typed or clicked position (blue inside the district, red outside)."""
    group = folium.FeatureGroup(name="待确认位置", control=False)
    if position is None:
        return group
    color = OK_COLOR if position.inside else BAD_COLOR
    at = _here(position.lon, position.lat, gcj02)
    if moving_from is not None:
        folium.PolyLine([_here(*moving_from, gcj02), at], color=color, weight=2, dash_array="6 5",
                        interactive=False).add_to(group)
    folium.Marker(at, icon=folium.DivIcon(html=CROSSHAIR.format(color=color), icon_size=(34, 34),
                                          icon_anchor=(17, 17), class_name="xz-crosshair"),
                  interactive=False, keyboard=False, z_index_offset=1000).add_to(group)
    return group


def request_center(lon: float, lat: float) -> None:
    """Centre the map on a position in the next run (a picked table row, typed coordinates); clicks never move it."""
    st.session_state[CENTER] = (float(lon), float(lat))


def view_for(provider: basemaps.BaseMap, geography: data.MapGeography, view: data.View) -> mapview.MapView:
    ss = st.session_state
    wanted = ss.pop(CENTER, None)
    if wanted is not None:
        ss[_VIEW] = mapview.view_for_point(*wanted, gcj02=provider.gcj02, zoom=mapview.zoom_for_one_point(view))
        ss[_VIEW_FOR] = provider.key
    if ss.get(_VIEW) is None or ss.get(_VIEW_FOR) != provider.key:
        ss[_VIEW], ss[_VIEW_FOR] = mapview.view_for_bounds(geography.bounds[""]), provider.key
    return ss[_VIEW]


def show(provider: basemaps.BaseMap, view: data.View, selected: str | None, candidate: Position | None,
         record: dict | None, moving: bool) -> dict:
    geography = data.map_geography(provider.gcj02)
    base_map = mapview.build_base_map(provider, geography)
    groups = mapview.point_groups(view.points, view.parts, gcj02=provider.gcj02, highlight_id=selected)
    moving_from = (record["lon"], record["lat"]) if moving and record else None
    groups.append(candidate_layer(candidate, provider.gcj02, moving_from))
    return mapview.show(base_map, groups, view_for(provider, geography, view), key=KEY, returned=RETURNED)


def new_click(result: dict) -> tuple[str, dict | None]:
    """What the user did on the map since the last run: ("point", drawing), ("map", latlng) or ("", None)."""
    ss = st.session_state
    token = json.dumps([result.get("last_active_drawing"), result.get("last_clicked")], sort_keys=True,
                       ensure_ascii=False, default=str)
    first = _SEEN not in ss
    previous = ss.get(_SEEN)
    ss[_SEEN] = token
    if first or previous == token:
        return "", None
    old = json.loads(previous) if previous else [None, None]
    drawing, clicked = result.get("last_active_drawing"), result.get("last_clicked")
    if drawing and drawing != old[0] and "i" in (drawing.get("properties") or {}):
        return "point", drawing
    if clicked and clicked != old[1]:
        return "map", clicked
    return "", None


def point_at(view: data.View, drawing: dict) -> str | None:
    return clicked_id([view.points, *view.parts.values()], drawing)
