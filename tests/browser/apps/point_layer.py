"""Test page: the compact point layer over a bare base map, with a hostile name, reporting what was clicked."""
import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.folium_runtime import prepare
from dashboard.pointlayer import clicked_row, points_layer

prepare()
HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}\\1"
points = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "kind": ["issue", "well", "bridge", "demo_site"],
        "status": ["待协商", "已出水", "改造中", "已建成"],
        "name": [HOSTILE, "太山村抗旱井", "干渠危桥", "示范点"],
        "lon": [112.20, 112.25, 112.30, 112.35],
        "lat": [32.10, 32.12, 32.14, 32.16],
    }
)
base = folium.Map(location=[32.13, 112.27], zoom_start=11, tiles=None, maxZoom=18)
result = st_folium(base, height=500, width=900, key="map", returned_objects=["last_active_drawing"],
                   feature_group_to_add=points_layer(points))
row = clicked_row(points, (result or {}).get("last_active_drawing"))
st.write("clicked:", "none" if row is None else points["id"][row])
