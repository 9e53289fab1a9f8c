"""Two dashboard servers on one PostGIS database, in Chromium with the network blocked (issue 10): an edit saved
through server A shows on server B's pages and on B's 大屏 within one refresh -- the caches of each server key on
the data version kept in the database."""
from __future__ import annotations

import pytest
from browserkit import change_status_on_the_map, fill_sign_in

from loaders import auth, config, model
from loaders.filters import Filter
from loaders.store import initialise, open_store

APP = "dashboard/app.py"
PASSWORD = "admin-password-1"


@pytest.fixture(scope="module")
def servers(browser, streamlit_server, postgres_server):
    url = postgres_server.url(postgres_server.create_database("two_servers"))
    initialise(url, config.geodata_dir())
    store = open_store(url)
    auth.add_user(store, "管理员", PASSWORD, "admin")
    # Two processes: the env differs only by a name, so the fixture starts a second server.
    a = streamlit_server(APP, env={"XZMAP_STORE": url, "XZMAP_SERVER_NAME": "A"})
    b = streamlit_server(APP, env={"XZMAP_STORE": url, "XZMAP_SERVER_NAME": "B"})
    assert a != b
    return {"a": a, "b": b, "store": store}


def _sign_in(page, base, wait_for_app):
    page.goto(base + "/edit")
    wait_for_app(page)
    fill_sign_in(page, "管理员", PASSWORD)
    page.get_by_text("可修改全区所有点位").wait_for()


def test_an_edit_through_a_shows_on_b_and_its_meeting_screen(page, browser, servers, wait_for_app, map_frame,
                                                            screenshot):
    store = servers["store"]
    record = store.points(Filter(kinds=("issue",), statuses=("协商中",))).iloc[0]
    resolved_before = len(store.points(Filter(kinds=("issue",), statuses=(model.ISSUE_RESOLVED,))))

    # B is open first, so its caches hold the old data.
    viewer = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    screen = viewer.new_page()
    screen.goto(f"{servers['b']}/screen?refresh=3&tour=off")
    screen.wait_for_selector(".xz-footer")
    assert int(screen.locator('[data-kpi="resolved"] .xz-num').inner_text()) == resolved_before
    detail = viewer.new_page()
    detail.goto(f"{servers['b']}/issues?point={record['id']}")
    wait_for_app(detail)
    detail.get_by_text(f"{record['status']}（进行中）").first.wait_for()

    # The edit, through A's pages.
    _sign_in(page, servers["a"], wait_for_app)
    frame = map_frame(page)
    change_status_on_the_map(page, frame, record, "已解决", wait_for_app)
    assert store.point(record["id"])["status"] == model.ISSUE_RESOLVED

    # B's 大屏 refreshes by itself (every 3 s) and counts it; B's page shows it on its next run.
    screen.wait_for_function(
        f"() => parseInt(document.querySelector('[data-kpi=\"resolved\"] .xz-num').innerText) === {resolved_before + 1}",
        timeout=20_000)
    # The feed is drawn after the figures and the map of the same refresh: wait for it, not just for the figure.
    screen.locator(".xz-feed").get_by_text(record["name"]).first.wait_for(timeout=20_000)
    detail.reload()
    wait_for_app(detail)
    detail.get_by_text("已解决（已完成）").first.wait_for()
    screenshot(screen, "two_servers_screen_b.png", full_page=False)
    viewer.close()
    assert page.blocked_requests == []
