"""The pages on both engines (issue 10): the overview, the 数据维护 page, the 导入 page and the 大屏 read and write the
same way whether XZMAP_STORE is a GeoPackage file or a PostGIS database."""
from __future__ import annotations

import re

import pandas as pd
from pagehelpers import APP, map_args, metrics, open_signed_in, payloads
from streamlit.testing.v1 import AppTest

from loaders.filters import Filter

HUANGJI = "420607102000"


def test_the_overview_shows_the_article_figures(any_store):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    values = metrics(at)
    assert values["点位总数"] == "113" and values["已解决问题"] == "24" and values["转社情民意"] == "25"
    assert sum(len(p["c"]) for p in payloads(map_args(at))) == 113


def test_an_edit_saved_on_the_page_lands_in_the_store(any_store):
    point = any_store.point(any_store.points(Filter(kinds=("well",)))["id"].iloc[0])
    at = open_signed_in(any_store, "views/edit.py")
    at.session_state["_xz_edit_selected"] = point["id"]
    at.run()
    at.text_area(key="ef_description").set_value("两个引擎都要能保存")
    next(b for b in at.button if b.label == "保存修改").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    after = any_store.point(point["id"])
    assert after["description"] == "两个引擎都要能保存" and after["version"] == point["version"] + 1
    assert after["updated_by"] == "staff"


def test_an_import_on_the_page_writes_its_rows(any_store):
    unit = any_store.units().get(HUANGJI)
    lon, lat = unit.lon, unit.lat
    data = pd.DataFrame([{"编号": f"E-{i}", "名称": f"新井{i}", "类型": "水井", "状态": "规划", "经度": lon + i * 1e-4,
                          "纬度": lat} for i in range(3)]).to_csv(index=False).encode("utf-8")
    at = open_signed_in(any_store, "views/import_data.py")
    at.file_uploader(key="imp_upload").set_value(("引擎.csv", data, "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "全部导入").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(any_store.points()) == 116 and any_store.point_by_external_id("E-2")["updated_by"] == "staff"


def test_the_meeting_screen_counts_what_the_store_holds(any_store):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["tour"] = "off"
    at.switch_page("views/screen.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    html = "\n".join(m.value for m in at.markdown)
    figures = dict(re.findall(r'data-kpi="(\w+)".*?<span class="xz-num">(\d+)</span>', html))
    assert figures["resolved"] == "24" and figures["forwarded"] == "25"
