"""Minimal Streamlit page for the offline-map browser test.

Run by tests/browser/test_offline_map.py through the ``streamlit_server``
fixture, which copies this script next to a ``static`` symlink to
dashboard/static/ -- so do not rely on ``__file__`` here.
"""

import folium
import streamlit as st
from folium.plugins import MarkerCluster
from streamlit_folium import st_folium

from dashboard.folium_runtime import prepare

prepare()

st.title("离线地图测试")
st.write("襄州区地图资源全部由本机提供。")

CENTER = [32.09, 112.21]  # Xiangzhou District, Xiangyang

# tiles=None leaves the map without maxZoom, and MarkerCluster then throws
# "Map has no maxZoom specified" (silently under streamlit-folium): set it.
m = folium.Map(location=CENTER, zoom_start=12, tiles=None, maxZoom=18)
folium.GeoJson(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "测试区域"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[112.17, 32.06], [112.25, 32.06], [112.25, 32.12],
                         [112.17, 32.12], [112.17, 32.06]]
                    ],
                },
            }
        ],
    },
    name="测试区域",
    tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["名称"]),
).add_to(m)
# default Leaflet marker: proves the marker images load from /app/static
folium.Marker([32.10, 112.19], tooltip="默认标记").add_to(m)
# awesome marker with a Font Awesome icon, rotated: proves FA webfonts + map.css
folium.Marker(
    [32.07, 112.23],
    icon=folium.Icon(prefix="fa", icon="star", color="red", angle=45),
    tooltip="图标标记",
).add_to(m)
folium.CircleMarker([32.08, 112.20], radius=12, color="#d33", fill=True, tooltip="圆形标记").add_to(m)
cluster = MarkerCluster(name="聚合").add_to(m)
for dx in (0.0, 0.0005, 0.001):  # close together: one cluster of 3 at zoom 12
    folium.Marker([32.115, 112.235 + dx], tooltip="聚合标记").add_to(cluster)

st_folium(m, height=500, returned_objects=[])
