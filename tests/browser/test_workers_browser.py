"""`make run WORKERS=2` in Chromium with the network blocked (issue 14): two dashboard workers behind the launcher's
nginx (tools/serve.py). Through the nginx port a browser signs in, uploads and imports a file on 导入 and edits a point
on 数据维护 -- each lands in the store -- and nginx's access log shows every request of that browser, the upload PUT,
the sign-in post and the websocket included, went to one worker (its `xz_route` cookie), while fresh browsers are
spread over both."""
from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from loaders import auth, model
from loaders.store import Filter, GeoPackageStore
from tools import serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "loaders"))
import import_files
from browserkit import change_status_on_the_map, fill_sign_in

PASSWORD = "workers-password-1"
LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d+) \d+ upstream=(?P<upstream>\S+) route=(?P<route>[0-9a-f]+)')


@pytest.fixture(scope="module")
def cluster(browser, store_template, tmp_path_factory):
    if serve.find_nginx() is None:
        if os.environ.get("CI"):  # under CI a missing nginx is a failure, never a silent skip
            pytest.fail("the workers test cannot run under CI: nginx is missing (apt-get install nginx-light)",
                        pytrace=False)
        pytest.skip("nginx is missing (apt-get install nginx-light)")
    folder = tmp_path_factory.mktemp("workers")
    path = folder / "xiangzhou.gpkg"
    shutil.copy(store_template, path)
    store = GeoPackageStore(path)
    auth.add_user(store, "管理员", PASSWORD, "admin")
    with serve.cluster(2, env={"XZMAP_STORE": str(path)}, directory=folder / "run") as running:
        yield {"url": running.url, "store": store, "cluster": running}


def requests_by_route(cluster) -> dict[str, list[dict]]:
    """The access log's requests, grouped by the route cookie they carried (or were given)."""
    found: dict[str, list[dict]] = {}
    for line in cluster["cluster"].access_log.read_text(encoding="utf-8").splitlines():
        match = LINE.search(line)
        if match:
            found.setdefault(match["route"], []).append(match.groupdict())
    return found


def closed_requests(cluster, route: str, streams: int) -> list[dict]:
    """The requests of `route` once its `streams` websockets are in the log (nginx writes them when they close)."""
    deadline = time.monotonic() + 10
    while True:
        mine = requests_by_route(cluster).get(route, [])
        if sum(r["request"].startswith("GET /_stcore/stream") for r in mine) >= streams or time.monotonic() > deadline:
            assert sum(r["request"].startswith("GET /_stcore/stream") for r in mine) >= streams, mine
            return mine
        time.sleep(0.2)


def route_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "xz_route")


def _sign_in(page, wait_for_app):
    fill_sign_in(page, "管理员", PASSWORD)
    wait_for_app(page)


def test_import_and_edit_through_nginx_stay_on_one_worker(page, browser, cluster, wait_for_app, map_frame,
                                                          screenshot):
    store, url = cluster["store"], cluster["url"]
    before = len(store.points(Filter()))

    # 导入: sign in, upload a CSV through the real uploader (a PUT to the worker that holds the session), import it.
    page.goto(url + "/import")
    wait_for_app(page)
    page.get_by_text("此页面需要工作人员登录").wait_for()
    _sign_in(page, wait_for_app)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "台账.csv", "mimeType": "text/csv", "buffer": import_files.csv_bytes()}])
    wait_for_app(page)
    page.get_by_text("已读取「台账.csv」").wait_for()
    page.get_by_role("button", name="全部导入").click()
    wait_for_app(page)
    page.get_by_text("导入完成：新增 4").wait_for()
    points = store.points(Filter())
    assert len(points) == before + 4
    assert set(points[points["updated_by"] == "管理员"]["name"]) == {row["名称"] for row in import_files.rows()}

    # 数据维护: a new page load, signed in by the cookie the sign-in route set; change an issue's status on the map.
    page.goto(url + "/edit")
    wait_for_app(page)
    page.get_by_text("可修改全区所有点位").wait_for()
    record = store.points(Filter(kinds=("issue",), statuses=("协商中",))).iloc[0]
    frame = map_frame(page)
    change_status_on_the_map(page, frame, record, "已解决", wait_for_app)
    after = store.point(record["id"])
    assert after["status"] == model.ISSUE_RESOLVED and after["updated_by"] == "管理员"
    screenshot(page, "workers_edit.png")
    assert page.blocked_requests == []

    # nginx logs a websocket when it closes: close the browser, then read the log.
    route = route_of(page.context)
    page.context.close()
    mine = closed_requests(cluster, route, streams=2)  # /import, then /edit
    upstreams = {r["upstream"] for r in mine}
    assert len(upstreams) == 1, f"one browser, several workers: {upstreams}"
    assert upstreams <= {f"127.0.0.1:{p}" for p in cluster["cluster"].upstreams}
    requests = [r["request"] for r in mine]
    assert any(r.startswith("PUT /_stcore/upload_file/") for r in requests), requests
    assert any(r.startswith("POST /_xz/session") for r in requests), requests
    # (Streamlit's client asks /import/_stcore/… before /_stcore/…: those 404s are its own; a 5xx would be nginx's.)
    assert [r for r in mine if int(r["status"]) >= 500] == []


def test_fresh_browsers_are_spread_over_both_workers(browser, cluster, wait_for_app):
    """Each fresh browser gets a random route, so browsers land on both workers (with ip_hash every one of them,
    all on 127.0.0.1, would share one); each stays on its own."""
    seen: dict[str, str] = {}  # route -> upstream
    for _ in range(16):
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.goto(cluster["url"] + "/")
        wait_for_app(page)
        route = route_of(context)
        context.close()
        mine = closed_requests(cluster, route, streams=1)
        upstreams = {r["upstream"] for r in mine}
        assert len(upstreams) == 1, f"one browser, several workers: {upstreams}"
        seen[route] = upstreams.pop()
        if len(set(seen.values())) == 2:
            break
    assert set(seen.values()) == {f"127.0.0.1:{p}" for p in cluster["cluster"].upstreams}, seen
