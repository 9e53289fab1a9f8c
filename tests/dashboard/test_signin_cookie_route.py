"""The sign-in cookie's server side (`dashboard/server.py`): one-time codes, the route's refusals and its Set-Cookie;
and that `streamlit run dashboard/app.py` serves the app with that route. The browser side, on a phone:
tests/browser/test_signin_cookie.py."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.requests import Request
from streamlit import config as st_config
from streamlit.web.server.app_discovery import discover_asgi_app

from dashboard import server
from loaders import auth, config
from loaders.store import GeoPackageStore, initialise

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
HOST = "127.0.0.1:8501"


def _post(body, *, origin: str | None = f"http://{HOST}", content_type="application/json", scheme="http",
          extra=()):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = [(b"host", HOST.encode()), (b"content-type", content_type.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += [(k.encode(), v.encode()) for k, v in extra]
    scope = {"type": "http", "method": "POST", "path": "/_xz/session", "headers": headers, "scheme": scheme,
             "server": ("127.0.0.1", 8501), "query_string": b"", "root_path": ""}

    async def receive():
        return {"type": "http.request", "body": raw, "more_body": False}

    # in a thread of its own: Playwright's sync API may already run an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, server.session_route(Request(scope, receive))).result()


def _cookie(response) -> str | None:
    values = [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]
    assert len(values) <= 1
    return values[0] if values else None


def _later(minutes: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)


def test_a_code_sets_the_token_as_an_httponly_strict_cookie_once():
    code = server.handoff("the-token", _later(480))
    assert not server.finished(code)
    response = _post({"code": code})
    assert response.status_code == 204 and response.headers["cache-control"] == "no-store"
    cookie = _cookie(response)
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == f"{server.COOKIE}=the-token"
    lower = {p.lower() for p in parts}
    assert {"httponly", "samesite=strict", "path=/"} <= lower and "secure" not in lower
    max_age = int(next(p for p in parts if p.lower().startswith("max-age=")).split("=")[1])
    assert 480 * 60 - 5 <= max_age <= 480 * 60
    assert server.finished(code)
    again = _post({"code": code})  # once only
    assert again.status_code == 400 and _cookie(again) is None


def test_over_https_the_cookie_is_secure():
    for kwargs in ({"origin": f"https://{HOST}"}, {"scheme": "https"}):
        response = _post({"code": server.handoff("t", _later(10))}, **kwargs)
        assert response.status_code == 204 and "secure" in {p.strip().lower() for p in _cookie(response).split(";")}
        assert "clear-site-data" not in response.headers  # a sign-in keeps the cache


def test_a_clear_code_expires_the_cookie():
    response = _post({"code": server.handoff(None)})
    assert response.status_code == 204
    cookie = _cookie(response).lower()
    assert cookie.startswith((f'{server.COOKIE}="";', f"{server.COOKIE}=;"))
    assert "max-age=0" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    # and the browser drops what it kept (a dense view's points): nothing for the next person at a shared computer
    assert response.headers["clear-site-data"] == '"cache"'


def test_a_session_already_over_clears_instead_of_setting():
    response = _post({"code": server.handoff("t", _later(-1))})
    assert response.status_code == 204 and "max-age=0" in _cookie(response).lower()


@pytest.mark.parametrize("kwargs", [
    {"origin": None},  # no Origin: not a fetch from our page
    {"origin": "http://evil.example"},
    {"origin": "null"},
    {"origin": f"http://{HOST}", "extra": [("sec-fetch-site", "cross-site")]},
    {"content_type": "text/plain"},  # a form or a no-preflight post from elsewhere
])
def test_a_post_from_elsewhere_gets_no_cookie_and_leaves_the_code_alone(kwargs):
    code = server.handoff("t", _later(10))
    response = _post({"code": code}, **kwargs)
    assert response.status_code in (403, 415) and _cookie(response) is None
    assert not server.finished(code)  # the real page can still post it
    server.withdraw(code)


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", {"code": 5}, {"code": ""}, {"code": "unknown"},
                                  {"code": "x" * 2000}])
def test_a_bad_or_unknown_code_gets_no_cookie(body):
    response = _post(body)
    assert response.status_code == 400 and _cookie(response) is None


def test_codes_are_void_after_a_minute_or_when_withdrawn(monkeypatch):
    withdrawn = server.handoff("t", _later(10))
    server.withdraw(withdrawn)
    assert server.finished(withdrawn) and server.redeem(withdrawn) is None
    late = server.handoff("t", _later(10))
    clock = server.time.monotonic() + server.CODE_SECONDS + 1
    monkeypatch.setattr(server.time, "monotonic", lambda: clock)
    assert server.finished(late) and server.redeem(late) is None
    assert server.finished(None)


def test_the_route_follows_the_base_url_path(monkeypatch):
    assert server.route_path() == "/_xz/session"
    monkeypatch.setattr(st_config, "get_option", lambda name: "/xz/" if name == "server.baseUrlPath" else None)
    assert server.route_path() == "/xz/_xz/session" and server.base_path() == "/xz/"


def test_streamlit_run_dashboard_app_serves_the_app_with_the_route(monkeypatch):
    found = discover_asgi_app(APP)
    assert found.is_asgi_app and found.import_string == "app:app"  # what `make run` and the browser tests start
    monkeypatch.setattr(server, "_serving", False)
    [route] = server.routes()
    assert route.path == "/_xz/session" and route.methods == {"POST"} and server.serving()


def test_the_cookie_lasts_as_long_as_the_session(tmp_path):
    path = tmp_path / "s.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    user = auth.add_user(store, "hj", "huangji-2024", "editor", ["黄集镇"])
    now = dt.datetime(2026, 5, 1, 9, 0)
    token = auth.start_session(store, user, now=now)
    assert auth.session_expires(store, token) == (now + dt.timedelta(minutes=config.session_minutes())).replace(
        tzinfo=auth.TZ)
    auth.end_session(store, token)
    assert auth.session_expires(store, token) is None and auth.session_expires(store, None) is None


def test_a_huge_body_is_refused_before_it_is_read_into_memory():
    """A same-origin post of a never-ending body: the route stops reading past MAX_BODY (it used to read it all)."""
    sent = []
    scope = {"type": "http", "method": "POST", "path": "/_xz/session", "scheme": "http", "query_string": b"",
             "root_path": "", "server": ("127.0.0.1", 8501),
             "headers": [(b"host", HOST.encode()), (b"content-type", b"application/json"),
                         (b"origin", f"http://{HOST}".encode())]}

    async def receive():  # 1 MB chunks, for ever
        sent.append(1)
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": True}

    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, server.session_route(Request(scope, receive))).result()
    assert response.status_code == 400 and _cookie(response) is None and len(sent) <= 2
    declared = _post({"code": "x"}, extra=(("content-length", str(10 * 1024 * 1024)),))
    assert declared.status_code == 400
