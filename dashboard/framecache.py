"""The map frame's arguments, made once per content and shared by every session that shows the same map.

Why: at 10,000 points, building the point layers and letting streamlit-folium render the map into its frame's
arguments (the Leaflet script, the points' payload, the layer control) was about 40 % of the CPU of a rerun, and every
viewer of the same filter paid it again at every rerun. Those arguments depend only on what the map shows -- base map,
data version, filter, the highlighted point -- never on who looks, except where the map looks (`center`, `zoom`),
which is passed per call.

How: `st_folium` computes the arguments and hands them to its component function; `_capture()` runs `st_folium` with
that hand-over redirected into a dict (per thread, so concurrent sessions never see each other's capture), the dict
is kept in `st.cache_resource` under the content's key, and later reruns give it straight to the component function.
The arguments are exactly what `st_folium` would have sent (tests/dashboard/test_framecache.py compares them).
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Callable

import folium
import streamlit as st
import streamlit_folium

from . import pointdata
from .folium_runtime import lean_assets

_real_component = streamlit_folium._component_func
_capturing = threading.local()


def _component(**kwargs):
    sink = getattr(_capturing, "sink", None)
    if sink is None:
        return _real_component(**kwargs)
    sink.update(kwargs)
    return None


streamlit_folium._component_func = _component  # st_folium looks the name up at each call

Build = Callable[[], tuple[folium.Map, list[folium.FeatureGroup]]]


def _capture(build: Build, key: str, height: int, returned: list[str], layer_control: bool
             ) -> tuple[dict, list[pointdata.Blob]]:
    """The frame's arguments, and the point blobs they name (dashboard/pointdata.py)."""
    with pointdata.collecting() as blobs:
        base_map, groups = build()
    lean_assets(base_map, *groups)
    _capturing.sink = args = {}
    try:
        streamlit_folium.st_folium(base_map, key=key, height=height, use_container_width=True,
                                   returned_objects=returned, feature_group_to_add=groups,
                                   layer_control=folium.LayerControl(collapsed=True) if layer_control else None)
    finally:
        _capturing.sink = None
    return args, blobs


@st.cache_resource(show_spinner=False, max_entries=64)
def _arguments(content: tuple, key: str, height: int, returned: tuple[str, ...], layer_control: bool,
               _build: Build) -> tuple[dict, list[pointdata.Blob]]:
    return _capture(_build, key, height, list(returned), layer_control)


def show(content: tuple, build: Build, center: tuple[float, float] | None, zoom: float | None, *, key: str,
         height: int, returned: list[str], layer_control: bool = True) -> dict:
    """The frame for `content` (a hashable key of everything the map shows; `build` makes its base map and layers
    when no session has shown it yet), looking at `center`/`zoom` (None: where the map itself says). Returns what
    the user last clicked."""
    cached, blobs = _arguments(content, key, height, tuple(returned), layer_control, build)
    pointdata.keep(blobs)  # the points this frame names are served as long as the frame is shown
    args = dict(cached)
    # The component hands `default` back as the value before any click: each session gets its own copy.
    args.update(center=list(center) if center else None, zoom=zoom, default=copy.deepcopy(args["default"]))
    return _real_component(**args) or {}
