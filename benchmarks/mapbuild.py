"""Map build cost: our compact layer vs one folium.Marker per point, rendered the way streamlit-folium does.

streamlit-folium turns `feature_group_to_add` into JS with `_get_feature_group_string(fg, map)` on every rerun;
that string is what travels to the browser, so its UTF-8 length is the bytes sent for the points.
"""
from __future__ import annotations

import html
import time

import folium
import pandas as pd
from streamlit_folium import _get_feature_group_string

from dashboard.folium_runtime import render_literally, use_local_assets
from dashboard.pointlayer import points_layer
from loaders import model

CENTER = [32.09, 112.21]


def base_map() -> folium.Map:
    render_literally()
    use_local_assets(warn_if_missing=False)
    return folium.Map(location=CENTER, zoom_start=10, tiles=None, max_zoom=18)


def ours(points: pd.DataFrame) -> str:
    return _get_feature_group_string(points_layer(points), base_map())


def naive(points: pd.DataFrame) -> str:
    """What a first version of the page would do: one Marker with popup and tooltip per point."""
    group = folium.FeatureGroup(name="点位")
    for row in points.itertuples(index=False):
        name = html.escape(str(row.name))
        popup = (f"<b>{name}</b><br>{model.kind_label(row.kind)} · {html.escape(str(row.status))}"
                 f"<br>编号 {html.escape(str(row.id))}")
        folium.Marker([row.lat, row.lon], popup=folium.Popup(popup, max_width=300),
                      tooltip=f"{name}（{html.escape(str(row.status))}）",
                      icon=folium.Icon(color="blue", icon="circle", prefix="fa")).add_to(group)
    return _get_feature_group_string(group, base_map())


def timed(build, points: pd.DataFrame, repeats: int) -> dict:
    """Median seconds of `repeats` builds, and the bytes of the generated JS (total and per point)."""
    times = []
    text = ""
    for _ in range(repeats):
        start = time.perf_counter()
        text = build(points)
        times.append(time.perf_counter() - start)
    size = len(text.encode("utf-8"))
    return {"seconds": _median(times), "runs": len(times), "bytes": size,
            "bytes_per_point": round(size / max(len(points), 1), 1)}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
