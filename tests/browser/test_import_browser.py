"""The 导入 and 用户管理 pages in Chromium with the network blocked: sign in, upload a CSV through the real uploader,
read the report and the map preview, commit, see the points counted; screenshots for a human look."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from loaders import auth, config
from loaders.store import Filter, GeoPackageStore, initialise

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "loaders"))
import import_files

APP = "dashboard/app.py"
PASSWORD = "password-123"
POINTS_JS = """() => Object.values(window.map._layers)
    .filter(l => l.feature && l.feature.properties && 'i' in l.feature.properties).length"""


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("import") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    auth.add_user(store, "admin", PASSWORD, "admin")
    auth.add_user(store, "hj_staff", PASSWORD, "editor", ("黄集镇",))
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "store": store}


def sign_in(page, wait_for_app, name: str = "admin") -> None:
    main = page.locator('[data-testid="stMain"]')  # the page's own form, not the sidebar's account box
    main.get_by_label("用户名").fill(name)
    main.get_by_label("密码").fill(PASSWORD)
    main.get_by_role("button", name="登录").click()
    wait_for_app(page)


def _fine(page):
    assert page.blocked_requests == []
    assert [e for e in page.console_errors if "_stcore" not in e and "404" not in e] == []


def test_upload_report_preview_commit(page, server, wait_for_app, map_frame, screenshot):
    store = server["store"]
    before = len(store.points(Filter()))
    data = import_files.rows()
    data[1] = {**data[1], "状态": "挖好了"}
    page.goto(server["url"] + "/import")
    wait_for_app(page)
    page.get_by_text("此页面需要工作人员登录").wait_for()
    sign_in(page, wait_for_app)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "黄集台账.csv", "mimeType": "text/csv", "buffer": import_files.csv_bytes(data, "gbk")}])
    wait_for_app(page)
    page.get_by_text("已读取「黄集台账.csv」").wait_for()
    assert "GBK" in page.get_by_text("已读取「黄集台账.csv」").inner_text()
    page.get_by_text("有误的行（1 行，1 处问题）").wait_for()
    frame = map_frame(page)
    frame.wait_for_function(f"() => window.map && ({POINTS_JS})() === 3")
    wait_for_app(page)
    assert page.get_by_role("button", name="全部导入").is_disabled()
    page.set_viewport_size({"width": 1440, "height": 2050})
    page.wait_for_timeout(1500)
    screenshot(page, "import.png")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.get_by_role("button", name="仅导入有效行（3）").click()
    wait_for_app(page)
    page.get_by_text("导入完成：新增 3").wait_for()
    assert len(store.points(Filter())) == before + 3
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="无变化")
    assert metric.locator('[data-testid="stMetricValue"]').inner_text() == "3"
    _fine(page)


def test_admin_page(page, server, wait_for_app, screenshot):
    page.goto(server["url"] + "/admin")
    wait_for_app(page)
    sign_in(page, wait_for_app)
    page.get_by_text("当前管理员：admin").wait_for()
    page.get_by_text("添加用户").first.wait_for()
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.wait_for_timeout(3000)
    screenshot(page, "admin.png")
    page.get_by_role("tab", name="乡镇范围").click()
    page.get_by_text("示意范围").first.wait_for()
    page.get_by_role("tab", name="备份").click()
    page.get_by_role("button", name="生成并下载备份").wait_for()
    _fine(page)


def test_an_editor_cannot_open_the_admin_page(page, server, wait_for_app):
    page.goto(server["url"] + "/admin")
    wait_for_app(page)
    sign_in(page, wait_for_app, "hj_staff")
    page.get_by_text("此页面仅限管理员使用").wait_for()
    assert page.get_by_role("tab", name="用户").count() == 0
