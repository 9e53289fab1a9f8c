"""The map's frame as built in Python: what every page's base map carries (km-only scale, 全区 button, a floor under
the zoom, bounds), which scripts its frame loads, and how overdue points travel to points.js."""
from __future__ import annotations

import math

import folium
import numpy as np
import pandas as pd
import pytest

from dashboard import basemaps, data, mapview, pointlayer
from dashboard.components.screen_page import darkmap
from loaders import config
from loaders.store import initialise


@pytest.fixture(scope="module")
def geography(tmp_path_factory):
    path = tmp_path_factory.mktemp("frame") / "x.gpkg"
    initialise(path, config.geodata_dir())
    return data._map_geography(str(path), 1, False)


def _frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"id": [f"p{k}" for k in range(n)], "kind": ["issue"] * n, "status": ["待协商"] * n,
            "name": [f"点{k}" for k in range(n)], "lon": np.linspace(112.0, 112.3, n), "lat": [32.1] * n}
    return pd.DataFrame({**base, **columns})


def test_overdue_points_travel_with_their_days_in_send_order():
    # lon decreasing: the send order (by longitude) is the reverse of the rows.
    points = _frame(overdue_days=[np.nan, 3.2, 0.4, np.nan], lon=[112.4, 112.3, 112.2, 112.1])
    payload = pointlayer.encode(points)
    rows = [payload["order"][k] for k in payload["late"]]
    assert sorted(rows) == [1, 2]  # the two overdue rows, and not the NaN ones
    assert dict(zip(rows, payload["late_days"])) == {1: 4, 2: 1}  # whole days, at least one


def test_frames_without_the_column_have_no_overdue_points():
    payload = pointlayer.encode(_frame(lon=[112.0, 112.1]))
    assert payload["late"] == [] and payload["late_days"] == []


def test_every_page_map_has_a_km_scale_a_home_button_a_zoom_floor_and_bounds(geography):
    m = mapview.build_base_map(basemaps.get(basemaps.DEFAULT), geography)
    html = m.get_root().render()
    assert "L.control.scale({imperial: false" in html and "L.control.scale()" not in html  # no miles
    assert "L.xzHome(" in html and "全区" in html
    south, west, north, east = geography.bounds[""]
    assert m.options["minZoom"] == mapview.min_zoom(geography.bounds[""]) >= 8  # not the old 7
    (lo_lat, lo_lon), (hi_lat, hi_lon) = m.options["max_bounds"]
    assert lo_lat < south and lo_lon < west and hi_lat > north and hi_lon > east
    assert hi_lat - lo_lat < 3 * (north - south) and m.options["maxBoundsViscosity"] == 1.0


def test_the_screen_map_has_the_km_scale_but_no_home_button(geography):
    html = darkmap.dark_base_map(geography, ("issue",)).get_root().render()
    assert "L.control.scale({imperial: false" in html and "L.xzHome(" not in html


def test_the_map_frame_loads_no_jquery_bootstrap_or_font_awesome(geography):
    m = mapview.build_base_map(basemaps.get(basemaps.DEFAULT), geography)
    urls = [u for _, u in m.default_js + m.default_css]
    assert any(u.endswith("leaflet.js") for u in urls) and any(u.endswith("map-setup.js") for u in urls)
    assert not [u for u in urls if any(x in u for x in ("jquery", "bootstrap", "fontawesome", "awesome-markers"))]
    # Another folium map in the process keeps folium's full set (tests/browser/test_offline_map.py uses it) ...
    assert any("jquery" in u for _, u in folium.Map().default_js)
    # ... and so does ours once a layer on it uses an awesome-markers icon.
    group = folium.FeatureGroup()
    folium.Marker([32.1, 112.1], icon=folium.Icon(prefix="fa", icon="star")).add_to(group)
    from dashboard.folium_runtime import lean_assets

    lean_assets(m, group)
    assert any("awesome-markers" in u for _, u in m.default_js)


def test_the_point_legend_explains_the_overdue_ring():
    legend = mapview.legend_html(("issue",))
    assert "逾期（虚线圈）" in legend and "stroke-dasharray" in legend.split("逾期")[0].rsplit("<svg", 1)[1]


def test_min_zoom_keeps_the_district_inside_the_smallest_frame(geography):
    south, west, north, east = geography.bounds[""]
    zoom = mapview.min_zoom(geography.bounds[""])
    width_px = (east - west) / 360 * 256 * 2 ** zoom

    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    height_px = (merc(north) - merc(south)) / (2 * math.pi) * 256 * 2 ** zoom
    assert width_px <= mapview.SMALLEST_FRAME[0] and height_px <= mapview.SMALLEST_FRAME[1]
    assert width_px * 2 > mapview.SMALLEST_FRAME[0] or height_px * 2 > mapview.SMALLEST_FRAME[1]  # not a speck
