"""Benchmark page: the map the dashboard draws (stable base map, compact points through feature_group_to_add),
with one sidebar filter (乡镇) that follows the URL (?unit=…), over the store in XZMAP_STORE.

Used by the browser timings and the load run while the real pages are absent; it must not rely on __file__
(the harness runs a copy beside a `static` link to dashboard/static).
"""
import folium
import streamlit as st
from streamlit_folium import st_folium

from dashboard.folium_runtime import prepare
from dashboard.pointlayer import points_layer
from loaders.store import Filter, open_store

MAP_COLUMNS = ("id", "kind", "status", "name", "lon", "lat")
ALL = "全部"

st.set_page_config(page_title="基准测试", layout="wide")
prepare()
store = open_store()


@st.cache_data
def unit_options(version: int) -> dict[str, str]:
    units = store.units().frame()
    units = units[units["in_network"]]
    return dict(zip(units["name"], units["code"]))


units = unit_options(store.data_version())
options = [ALL, *units]
wanted = st.query_params.get("unit", ALL)
if wanted != st.session_state.get("_url_unit"):  # a new URL (first load, or a client sent another query string)
    st.session_state["_url_unit"] = wanted
    st.session_state["unit"] = wanted if wanted in options else ALL
unit = st.sidebar.selectbox("乡镇", options, key="unit")
if st.query_params.get("unit", ALL) != unit:
    st.query_params["unit"] = unit
    st.session_state["_url_unit"] = unit

where = Filter(unit_codes=(units[unit],)) if unit != ALL else Filter()
points = store.points(where, columns=MAP_COLUMNS)
st.markdown(f"点位 **{len(points)}** 个")
base = folium.Map(location=[32.09, 112.21], zoom_start=10, tiles=None, max_zoom=18)
st_folium(base, height=560, width=1000, key="map", returned_objects=["last_active_drawing"],
          feature_group_to_add=points_layer(points))
