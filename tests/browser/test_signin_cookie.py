"""Sign-in that survives a reload, on a phone (390×844, touch), in Chromium with the network blocked.

A phone reloads a background tab (after switching to WeChat, say); the sign-in must survive that through an HttpOnly,
SameSite=Strict cookie set by the server (`dashboard/server.py`) -- and end whenever the session ends: sign-out,
an ended session, a disabled user, an expired session. The token is never in the URL, the page, `document.cookie`
or the server log. Over HTTPS (Streamlit's own TLS, a throw-away certificate) the cookie is also `Secure`.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browserkit import fill_sign_in

from loaders import auth, config
from loaders.store import GeoPackageStore, initialise

APP = "dashboard/app.py"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "huangji-2024"
COOKIE = "xzmap_session"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai", "ignore_https_errors": True}  # the HTTPS test's own cert
REPO = Path(__file__).resolve().parents[2]
ASKS = "此页面需要工作人员登录"
SIGNED_IN = "可修改黄集镇的点位"
ENDED = "登录已失效"
USERS = ("hj", "zs", "ls", "ww", "zl", "tls")


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("cookie") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    for name in USERS:
        auth.add_user(store, name, PASSWORD, "editor", ["黄集镇"])
    url = streamlit_server(APP, env={"XZMAP_STORE": str(path)})
    return {"url": url, "store": store, "path": path}


@pytest.fixture(scope="module")
def https_server(server, tmp_path_factory):
    """The same app and store over HTTPS: Streamlit's own TLS (README, "Serving HTTPS on an intranet") with a
    throw-away self-signed certificate for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not found")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "xzmap.crt", folder / "xzmap.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, XZMAP_STORE=str(server["path"]), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / f"streamlit-https-{port}.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", APP, "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--server.enableStaticServing", "true",
             "--server.fileWatcherType", "none", "--server.sslCertFile", str(cert), "--server.sslKeyFile", str(key)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2,
                                            context=ssl.create_default_context(cafile=str(cert))) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
        yield {"url": url, "store": server["store"], "path": server["path"]}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


@pytest.fixture
def phone(browser):
    """A page in a fresh phone context; requests that leave the machine are aborted and recorded."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(60_000)
    blocked, urls = [], []

    def _route(route):
        url = route.request.url
        urls.append(url)
        if url.startswith(("http://127.0.0.1", "https://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", _route)
    page = context.new_page()
    page.blocked_requests, page.request_urls = blocked, urls
    page.on("framenavigated", lambda frame: urls.append(frame.url))
    yield page
    context.close()


def _cookie(page):
    found = [c for c in page.context.cookies() if c["name"] == COOKIE]
    return found[0] if found else None


def _wait_cookie(page, present: bool, seconds: float = 15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cookie = _cookie(page)
        if bool(cookie) == present:
            return cookie
        page.wait_for_timeout(200)
    raise AssertionError(f"the cookie is {'still missing' if present else 'still there'} after {seconds} s")


def _sidebar(page, shown: bool) -> None:
    """Open or close the sidebar as a thumb does: on a phone it covers the page when open."""
    bar = page.get_by_test_id("stSidebar")
    if (bar.get_attribute("data-collapsed") == "false") == shown:
        return
    if shown:
        page.get_by_test_id("stExpandSidebarButton").click()
    else:
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    page.wait_for_selector(f"[data-testid='stSidebar'][data-collapsed='{str(not shown).lower()}']")


def _sign_in(page, server, name, wait_for_app) -> str:
    page.goto(server["url"] + "/edit")
    wait_for_app(page)
    page.get_by_text(ASKS).wait_for()
    _sidebar(page, False)
    fill_sign_in(page, name, PASSWORD)
    page.get_by_text(SIGNED_IN).wait_for()
    return _wait_cookie(page, True)["value"]


def _open_edit(page, server, wait_for_app) -> None:
    page.goto(server["url"] + "/edit")
    wait_for_app(page)


def _asks_to_sign_in(page) -> bool:
    page.get_by_text(ASKS).wait_for()
    return page.get_by_text(SIGNED_IN).count() == 0


def _log(server) -> str:
    """What the server wrote (tests/browser/conftest.py sends it to tests/artifacts/streamlit-<app>-<port>.log)."""
    port = server["url"].rsplit(":", 1)[1]
    logs = list(ARTIFACTS.glob(f"streamlit-*-{port}.log"))
    assert logs, "no server log"
    return "".join(log.read_text(encoding="utf-8", errors="replace") for log in logs)


def test_a_reload_keeps_the_sign_in_and_the_token_stays_out_of_reach(phone, server, wait_for_app, map_frame,
                                                                      screenshot):
    token = _sign_in(phone, server, "hj", wait_for_app)
    cookie = _cookie(phone)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["secure"] is False  # plain HTTP here; Secure over HTTPS (tests/dashboard/test_signin_cookie_route.py)
    lifetime = cookie["expires"] - time.time()
    assert config.session_minutes() * 60 - 120 < lifetime <= config.session_minutes() * 60
    assert auth.user_for_session(server["store"], token).name == "hj"
    # JavaScript cannot read it, and it is nowhere in the page
    assert COOKIE not in phone.evaluate("document.cookie") and token not in phone.evaluate("document.cookie")
    assert all(token not in frame.content() for frame in phone.frames)

    phone.reload()
    wait_for_app(phone)
    phone.get_by_text(SIGNED_IN).wait_for()
    assert phone.get_by_text(ASKS).count() == 0
    _open_edit(phone, server, wait_for_app)  # a new visit too
    phone.get_by_text(SIGNED_IN).wait_for()
    assert phone.get_by_text(ASKS).count() == 0 and phone.get_by_text(ENDED).count() == 0
    map_frame(phone)
    _sidebar(phone, False)
    screenshot(phone, "signin_cookie_phone.png", full_page=False)

    assert all(token not in url for url in phone.request_urls + [phone.url])
    assert token not in _log(server)
    assert phone.blocked_requests == []


def test_sign_out_ends_the_session_and_clears_the_cookie(phone, server, wait_for_app, screenshot):
    token = _sign_in(phone, server, "zs", wait_for_app)
    phone.reload()
    wait_for_app(phone)
    phone.get_by_text(SIGNED_IN).wait_for()
    _sidebar(phone, True)
    phone.get_by_text("已登录：zs（编辑）").wait_for()
    screenshot(phone, "signin_cookie_phone_sidebar.png", full_page=False)
    phone.get_by_role("button", name="退出登录").click()
    _wait_cookie(phone, False)
    wait_for_app(phone)
    phone.get_by_test_id("stSidebar").get_by_text("工作人员登录").wait_for()
    assert phone.get_by_text(ENDED).count() == 0  # signed out, not "lapsed"
    assert auth.user_for_session(server["store"], token) is None
    phone.reload()
    wait_for_app(phone)
    assert _asks_to_sign_in(phone)
    assert phone.get_by_text(ENDED).count() == 0  # a sign-out is not a lapse
    screenshot(phone, "signin_cookie_phone_signed_out.png", full_page=False)


def _end(server, name, token, how) -> None:
    store = server["store"]
    if how == "session_ended":
        auth.end_session(store, token)
    elif how == "user_disabled":
        auth.set_disabled(store, name)
    elif how == "password_changed":
        auth.set_password(store, name, "a-new-password-1")
    else:  # expired: the session's end moved into the past, as time would
        with sqlite3.connect(server["path"]) as db:
            db.execute("UPDATE sessions SET expires_at = '2020-01-01T00:00:00+08:00' WHERE \"user\" = ?", (name,))


@pytest.mark.parametrize("name,how", [("ls", "session_ended"), ("ww", "user_disabled"), ("zl", "expired")])
def test_an_ended_session_ignores_and_clears_the_cookie(phone, server, wait_for_app, screenshot, name, how):
    token = _sign_in(phone, server, name, wait_for_app)
    _end(server, name, token, how)
    phone.reload()
    wait_for_app(phone)
    phone.get_by_test_id("stMain").get_by_text(ENDED).wait_for()  # above the page's sign-in form
    assert _asks_to_sign_in(phone)
    _wait_cookie(phone, False)
    if how == "session_ended":
        screenshot(phone, "signin_cookie_phone_ended.png", full_page=False)
    _open_edit(phone, server, wait_for_app)  # the cookie is gone: signed out, nothing more to say
    assert _asks_to_sign_in(phone) and phone.get_by_text(ENDED).count() == 0


def test_over_https_the_cookie_is_also_secure(phone, https_server, wait_for_app):
    token = _sign_in(phone, https_server, "tls", wait_for_app)
    cookie = _cookie(phone)
    assert cookie["secure"] is True and cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    phone.reload()
    wait_for_app(phone)
    phone.get_by_text(SIGNED_IN).wait_for()
    assert phone.get_by_text(ASKS).count() == 0
    assert token not in phone.evaluate("document.cookie") and token not in _log(https_server)
