"""Hardening in Chromium (issue 9, items 1, 2 and 6), with the network blocked.

1. Every point named from the hostile corpus: the overview, a layer page and the 大屏 draw all their points; each
   tooltip shows its name exactly as stored; no script from a name runs (no dialog, no injected element).
2. Access lost while a form is open: the editor is disabled on the server, then presses 保存修改 -- nothing is
   written, and the page says so.
6. A missing or damaged store: every page shows a calm Chinese message naming what the admin should run, no
   traceback; a missing store is not created by looking at it.
"""
from __future__ import annotations

import hostile
import pytest
from browserkit import click_point, fill_sign_in

from loaders import auth, config
from loaders.store import Filter, GeoPackageStore, initialise

APP = "dashboard/app.py"
PASSWORD = "huangji-2024"
# Every drawn point's tooltip title, built by points.js exactly as a hover would build it.
TOOLTIP_TITLES = """() => Object.values(window.map._layers)
    .filter(l => l.feature && l.feature.properties && 'i' in l.feature.properties && l.getTooltip())
    .map(l => l.getTooltip()._content(l).querySelector('b').textContent)"""
INJECTED = """() => document.querySelectorAll('img[src="x"], script[src*="evil"], a[href^="javascript"]').length"""


@pytest.fixture(scope="module")
def hostile_server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    hostile.make_store(path)
    store = GeoPackageStore(path)
    auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "store": store}


def _watch_dialogs(page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return dialogs


@pytest.mark.parametrize("path,kind", [("", None), ("issues", "issue"), ("screen?tour=off", None)])
def test_hostile_names_are_drawn_and_shown_as_text(page, hostile_server, map_frame, wait_for_app, screenshot,
                                                   path, kind):
    dialogs = _watch_dialogs(page)
    store = hostile_server["store"]
    names = set(store.points(Filter(kinds=(kind,) if kind else ()))["name"])
    page.goto(f"{hostile_server['url']}/{path}")
    frame = map_frame(page)
    frame.wait_for_function(f"() => window.map && new Set(({TOOLTIP_TITLES})()).size === {len(names)}")
    assert set(frame.evaluate(TOOLTIP_TITLES)) == names  # every name, character for character
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.evaluate(INJECTED) == 0 and frame.evaluate(INJECTED) == 0
    if path.startswith("screen"):
        feed = page.locator(".xz-feed-name").first.inner_text()
        assert feed == "<script>alert('名称')</script>"  # the followed-up point, as text
        assert page.locator(".xz-feed-what").first.inner_text().startswith("张湾") or "{{编辑}}<b>" in \
            page.locator(".xz-feed").inner_text()
    screenshot(page, f"hostile_{path.split('?')[0] or 'overview'}.png")
    assert page.blocked_requests == []
    assert [e for e in page.console_errors if "_stcore" not in e and "404" not in e] == []


def test_a_save_after_the_editor_was_disabled_writes_nothing(page, hostile_server, map_frame, wait_for_app):
    store = hostile_server["store"]
    auth.set_disabled(store, "hj", False)
    page.goto(hostile_server["url"] + "/edit")
    wait_for_app(page)
    fill_sign_in(page, "hj", PASSWORD)
    page.get_by_text("可修改黄集镇的点位").wait_for()
    frame = map_frame(page)
    code = store.units().code_of("黄集")
    record = store.points(Filter(unit_codes=(code,))).iloc[0]
    click_point(page, frame, float(record["lat"]), float(record["lon"]), zoom=16)
    side = page.locator(".st-key-edit_side")
    side.get_by_role("button", name="保存修改").wait_for()
    wait_for_app(page)
    side.get_by_label("情况说明").fill("停用之后仍想保存的内容")
    auth.set_disabled(store, "hj", True)  # an admin disables the account while the form is open
    before = store.point(record["id"])
    audit = len(store.history(limit=10_000))
    side.get_by_role("button", name="保存修改").click()
    page.get_by_text("失效后提交的修改没有保存").first.wait_for()
    wait_for_app(page)
    assert store.point(record["id"]) == before and len(store.history(limit=10_000)) == audit
    assert page.get_by_text("此页面需要工作人员登录").count() == 1


@pytest.mark.parametrize("damage", ["missing", "garbage", "empty"])
def test_a_missing_or_damaged_store_shows_a_calm_message(page, streamlit_server, tmp_path_factory, wait_for_app,
                                                         damage):
    path = tmp_path_factory.mktemp(f"store_{damage}") / "xiangzhou.gpkg"
    if damage == "garbage":
        path.write_bytes(b"this is not a database\n" * 200)
    elif damage == "empty":
        path.write_bytes(b"")
    url = streamlit_server(APP, env={"XZMAP_STORE": str(path)})
    expected = "数据文件不存在" if damage == "missing" else "已损坏或不是本系统的数据文件"
    for where in ("", "issues", "screen", "edit"):
        page.goto(f"{url}/{where}")
        wait_for_app(page)
        if where == "edit":  # nothing is read before a sign-in; the sign-in itself says what is wrong
            fill_sign_in(page, "hj", PASSWORD)
            page.get_by_text(expected).first.wait_for()
            wait_for_app(page)
        text = page.locator("[data-testid='stApp']").inner_text()
        assert "Traceback" not in text and "sqlite3" not in text and "Error" not in text
        if where != "screen":  # the 大屏 keeps its calm waiting card instead
            assert expected in text and "python -m loaders" in text, text[:500]
    assert path.exists() == (damage != "missing")  # looking never creates a store
    assert page.blocked_requests == []


def test_the_uploader_speaks_chinese_and_refuses_a_big_file_in_chinese(page, streamlit_server, tmp_path_factory,
                                                                       wait_for_app):
    """Streamlit's own uploader words ("Drag and drop", "Browse files", "File must be … or smaller") in Chinese."""
    path = tmp_path_factory.mktemp("upload_words") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    auth.add_user(GeoPackageStore(path), "管理员", PASSWORD, "admin")
    url = streamlit_server(APP, env={"XZMAP_STORE": str(path), "XZMAP_UPLOAD_MB": "1"})
    page.goto(url + "/import")
    wait_for_app(page)
    fill_sign_in(page, "管理员", PASSWORD)
    uploader = page.locator('[data-testid="stFileUploader"]')
    uploader.get_by_text("上传", exact=True).wait_for()
    words = uploader.inner_text()
    assert "文件格式" in words and "per file" not in words and "Upload" not in words
    # Over the widget's own limit: Streamlit refuses it in the browser -- in Chinese now.
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "大文件.csv", "mimeType": "text/csv", "buffer": b"x" * (3 * 1024 * 1024)}])
    page.wait_for_function("() => document.querySelector('[data-testid=\"stFileUploader\"]')"
                           ".innerText.includes('文件不能超过')")
    assert "File must be" not in uploader.inner_text()
    # Just over the app's limit: the page itself refuses it, naming the file and its size.
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "稍大.csv", "mimeType": "text/csv", "buffer": b"x" * (1024 * 1024 + 5000)}])
    wait_for_app(page)
    page.get_by_text("文件「稍大.csv」大小为").wait_for()
