"""数据维护 in Chromium with the network blocked: sign in through the form, pick a point on the map, change its status
and save, see it in the detail panel; add a point by clicking the map; screenshot."""
from __future__ import annotations

import re

import pytest
from browserkit import click_point, fill_sign_in

from loaders import auth, config, model
from loaders.store import Filter, GeoPackageStore, initialise

APP = "dashboard/app.py"
PASSWORD = "huangji-2024"
# Where a WGS-84 position is drawn, in page coordinates of the map iframe's content.


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("edit") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    home = store.units().get(store.units().code_of("黄集"))
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "store": store,
            "code": home.code, "home": (home.lat, home.lon)}


def _sign_in(page, server, wait_for_app):
    page.goto(server["url"] + "/edit")
    wait_for_app(page)
    page.get_by_text("此页面需要工作人员登录").wait_for()
    fill_sign_in(page, "hj", PASSWORD)
    page.get_by_text("可修改黄集镇的点位").wait_for()


def _fine(page):
    assert page.blocked_requests == []
    errors = [e for e in page.console_errors if "_stcore" not in e and "404" not in e]
    assert errors == []


def test_sign_in_edit_a_status_and_see_it(page, server, wait_for_app, map_frame, screenshot):
    _sign_in(page, server, wait_for_app)
    frame = map_frame(page)
    store = server["store"]
    record = store.points(Filter(unit_codes=(server["code"],), kinds=("issue",))).iloc[0]
    frame.evaluate("([lat, lng]) => { window.map.setView([lat, lng], 15, {animate: false}); }",
                   [float(record["lat"]), float(record["lon"])])
    page.wait_for_timeout(400)
    click_point(page, frame, float(record["lat"]), float(record["lon"]))
    side = page.locator(".st-key-edit_side")
    side.get_by_text(record["name"]).first.wait_for()
    wait_for_app(page)
    new_status = next(s for s in model.KINDS["issue"].status_labels if s not in (record["status"], "已撤销"))
    side.get_by_label("状态 *").click()
    page.get_by_role("option", name=re.compile("^" + new_status)).click()
    side.get_by_role("button", name="保存修改").click()
    page.get_by_text("已保存").wait_for()
    wait_for_app(page)
    after = store.point(record["id"])
    assert after["status"] == new_status and after["updated_by"] == "hj"
    frame = map_frame(page)
    frame.evaluate("([lat, lng]) => { window.map.setView([lat, lng], 12, {animate: false}); }",
                   [float(record["lat"]), float(record["lon"])])
    page.set_viewport_size({"width": 1440, "height": 1500})
    page.wait_for_timeout(800)
    screenshot(page, "edit.png")
    # the leaders' pages show it: the detail panel of the same point
    page.goto(f"{server['url']}/issues?point={record['id']}")
    map_frame(page)
    page.get_by_text(f"{new_status}（{model.stage_of('issue', new_status)}）").first.wait_for()
    _fine(page)


def test_add_a_point_by_clicking_the_map(page, server, wait_for_app, map_frame, screenshot):
    _sign_in(page, server, wait_for_app)
    page.get_by_text("新增点位", exact=True).click()
    wait_for_app(page)
    frame = map_frame(page)
    lat, lng = server["home"]
    frame.evaluate("([lat, lng]) => { window.map.setView([lat, lng], 13, {animate: false}); }", [lat, lng])
    page.wait_for_timeout(400)
    click_point(page, frame, lat + 0.003, lng + 0.004)
    page.get_by_text("所在乡镇：黄集镇").wait_for()
    wait_for_app(page)
    frame = map_frame(page)
    frame.locator(".xz-crosshair").wait_for()
    side = page.locator(".st-key-edit_side")
    side.get_by_label("名称 *").fill("浏览器测试新井")
    side.get_by_label("类型").click()
    page.get_by_role("option", name="水井").click()
    wait_for_app(page)
    side.get_by_label("名称 *").fill("浏览器测试新井")
    side.get_by_label("井深(米)").fill("255")
    screenshot(page, "edit_add.png")
    side.get_by_role("button", name="保存新点位").click()
    page.get_by_text("已添加水井").wait_for()
    wait_for_app(page)
    added = server["store"].points(Filter(keyword="浏览器测试新井"))
    assert len(added) == 1 and added.iloc[0]["unit_code"] == server["code"] and added.iloc[0]["depth_m"] == 255
    assert abs(added.iloc[0]["lat"] - (lat + 0.003)) < 0.0005 and abs(added.iloc[0]["lon"] - (lng + 0.004)) < 0.0005
    _fine(page)
