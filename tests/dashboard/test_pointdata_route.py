"""The route that serves a dense view's points (`dashboard/pointdata.py`): the bytes a frame names, kept in the
browser's cache; nothing for an address that was not published; nothing without a signed-in cookie when anonymous
viewing is off; old blobs make room for new ones."""
from __future__ import annotations

import asyncio
import gzip
import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from dashboard import pointdata, server
from loaders import auth, config
from loaders.store import GeoPackageStore, initialise


def _get(path: str, cookie: str | None = None, gzip_ok: bool = False):
    headers = [(b"host", b"127.0.0.1:8501")]
    if gzip_ok:
        headers.append((b"accept-encoding", b"gzip, deflate, br"))
    if cookie:
        headers.append((b"cookie", f"{server.COOKIE}={cookie}".encode()))
    key = path.rsplit("/", 1)[1]
    scope = {"type": "http", "method": "GET", "path": path, "headers": headers, "scheme": "http",
             "server": ("127.0.0.1", 8501), "query_string": b"", "root_path": "", "path_params": {"key": key}}
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may already run an event loop in this thread
        return pool.submit(asyncio.run, pointdata.points_route(Request(scope))).result()


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(pointdata, "_blobs", type(pointdata._blobs)())
    monkeypatch.setattr(pointdata, "_held", 0)
    monkeypatch.setenv("XZMAP_ANONYMOUS_READ", "1")


def test_a_published_blob_is_served_whole_and_kept_by_the_browser(fresh):
    blob = bytes(range(256)) * 40
    path = pointdata.publish(blob)
    assert path.startswith("/_xz/points/")
    response = _get(path)
    assert response.status_code == 200 and response.body == blob
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["content-type"] == "application/octet-stream"
    assert pointdata.publish(blob) == path  # the same points, the same address: the browser's copy stays good
    packed = _get(path, gzip_ok=True)  # gzipped once when published, not at every request
    assert packed.headers["content-encoding"] == "gzip" and gzip.decompress(packed.body) == blob


def test_a_cached_frame_keeps_its_points_served_however_many_views_came_after(fresh, monkeypatch):
    """A frame shared from dashboard/framecache.py names its blob: showing the frame again brings the blob back even
    after other views' blobs pushed it out, so no viewer is ever told the points cannot be loaded."""
    monkeypatch.setattr(pointdata, "MAX_BYTES", 1_000)
    with pointdata.collecting() as named:
        path = pointdata.publish(b"popular view" * 30)
    for k in range(5):
        pointdata.publish(bytes([k]) * 400)  # other views, built later
    assert _get(path).status_code == 404
    pointdata.keep(named)  # framecache.show does this each time it shows the frame
    assert _get(path).body == b"popular view" * 30


def test_an_address_cannot_be_made_from_the_points_or_guessed(fresh):
    blob = b"\x01\x02" * 100
    path = pointdata.publish(blob)
    assert hashlib.blake2b(blob, digest_size=16).hexdigest() not in path  # keyed with this process's secret
    for wrong in ("/_xz/points/" + "0" * 32, "/_xz/points/..%2F..%2Fetc%2Fpasswd", "/_xz/points/<script>"):
        response = _get(wrong)
        assert response.status_code == 404 and response.body == b""
        assert response.headers["cache-control"] == "no-store"


def test_old_blobs_make_room_for_new_ones(fresh, monkeypatch):
    monkeypatch.setattr(pointdata, "MAX_BYTES", 250)  # a blob of 100 bytes holds about 120 with its gzipped copy
    first = pointdata.publish(b"a" * 100)
    second = pointdata.publish(b"b" * 100)
    assert _get(first).status_code == 200  # used: now the most recent
    pointdata.publish(b"c" * 100)
    assert _get(second).status_code == 404 and _get(first).status_code == 200


def test_with_anonymous_viewing_off_only_a_signed_in_browser_gets_the_points(fresh, monkeypatch, tmp_path):
    path = tmp_path / "s.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    user = auth.add_user(store, "hj", "huangji-2024", "viewer")
    token = auth.start_session(store, user)
    monkeypatch.setenv("XZMAP_STORE", str(path))
    monkeypatch.setenv("XZMAP_ANONYMOUS_READ", "0")
    address = pointdata.publish(b"points" * 10)
    assert _get(address).status_code == 403
    assert _get(address, cookie="forged-token").status_code == 403
    assert _get(address, cookie=token).status_code == 200
    auth.end_session(store, token)
    assert _get(address, cookie=token).status_code == 403  # signed out: no more points


def test_streamlit_run_serves_the_points_route():
    route = pointdata.route()
    assert route.path == "/_xz/points/{key:str}" and route.methods == {"GET", "HEAD"}
