"""Reusable fixtures for real-browser tests of the Streamlit dashboard.

Fixtures
--------
``streamlit_server`` (session-scoped factory)
    ``base_url = streamlit_server("tests/browser/apps/offline_map.py", env={...})``
    starts ``python -m streamlit run APP`` on a free 127.0.0.1 port, waits for
    ``/_stcore/health`` and returns the base URL (no trailing slash).  Servers
    are reused for the same (app, env, args) within the session and the whole
    process group is killed at the end.  Server output goes to
    ``tests/artifacts/streamlit-<app>-<port>.log``.

    Static files: Streamlit serves the ``static/`` folder *beside the main
    script* at ``/app/static/``.  If the app already has one (e.g.
    ``dashboard/app.py`` + ``dashboard/static/``) it is run in place.
    Otherwise (test apps under ``tests/browser/apps/``) the script is copied
    into a temporary folder next to a ``static`` symlink to
    ``dashboard/static/`` -- so the test app must not rely on ``__file__``.
    Either way the server runs with the repository root as working directory
    (so ``.streamlit/config.toml`` applies -- deliberately not overridden
    here, e.g. ``browser.gatherUsageStats = false`` must come from it, or the
    page fetches https://data.streamlit.io/metrics.json and the no-blocked-
    requests assertion catches it) and on ``PYTHONPATH`` (so
    ``import dashboard...`` works).  File watching is off.

``browser`` (session)
    Headless Debian Chromium (``/usr/bin/chromium``) driven by Playwright.

``page`` (function)
    A page in a fresh 1440x900 ``zh-CN`` context in which every request that
    is not for 127.0.0.1/localhost is aborted.  Extra attributes:
    ``page.blocked_requests`` (URLs that tried to leave the machine),
    ``page.console_errors`` (console errors + uncaught exceptions),
    ``page.failed_requests`` (requests that failed, with reason),
    ``page.bad_responses`` (HTTP status >= 400).

Helpers, available as fixtures returning the function (so tests need not
import conftest): ``wait_for_app(page)``, ``map_frame(page)``,
``screenshot(page, name)``, ``phone(viewport, geolocation)`` (a touch phone's
offline page, 390x844 unless told).

Tests using ``page`` or ``browser`` get the ``browser`` marker
(``pytest -m "not browser"`` leaves them out).

Without ``/usr/bin/chromium`` (or Playwright) the browser tests are skipped,
unless the ``CI`` environment variable is set: then they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Error as PlaywrightError

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
DASHBOARD_STATIC = REPO_ROOT / "dashboard" / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
DEFAULT_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(config, items):
    """Mark every test that uses a real browser with ``@pytest.mark.browser``."""
    for item in items:
        if {"page", "browser", "phone"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------
# skip / fail policy
# --------------------------------------------------------------------------
def _browser_unavailable_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed in this environment"
    return None


def _require_browser() -> None:
    reason = _browser_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


# --------------------------------------------------------------------------
# Streamlit server
# --------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, base_url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {proc.returncode} before becoming healthy; "
                f"log {log_path}:\n{_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:  # not up yet
            last_error = exc
        time.sleep(0.25)
    raise RuntimeError(
        f"streamlit not healthy after {timeout:.0f}s ({last_error}); "
        f"log {log_path}:\n{_tail(log_path)}"
    )


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group only
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def _prepare_script(app: Path, workdir_factory) -> Path:
    """Return a script path that has a ``static/`` folder beside it."""
    if (app.parent / "static").is_dir():
        return app
    run_dir = workdir_factory()
    script = run_dir / app.name
    shutil.copy2(app, script)
    (run_dir / "static").symlink_to(DASHBOARD_STATIC, target_is_directory=True)
    return script


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    """Factory: ``streamlit_server(app_path, env=None, args=(), timeout=60) -> base_url``."""
    procs: list[subprocess.Popen] = []
    cache: dict[tuple, str] = {}
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)

    def start(app_path, env: dict[str, str] | None = None, args=(), timeout: float = 60) -> str:
        app = Path(app_path)
        if not app.is_absolute():
            app = REPO_ROOT / app
        if not app.is_file():
            raise FileNotFoundError(app)
        key = (str(app), tuple(sorted((env or {}).items())), tuple(args))
        if key in cache:
            return cache[key]

        script = _prepare_script(app, lambda: tmp_path_factory.mktemp("st_app"))
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT)] + ([full_env["PYTHONPATH"]] if full_env.get("PYTHONPATH") else [])
        )
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env.update(env or {})
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--server.enableStaticServing", "true",
            "--server.fileWatcherType", "none",
            *args,
        ]
        log_path = ARTIFACTS_DIR / f"streamlit-{app.stem}-{port}.log"
        log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed by the process)
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        procs.append(proc)
        try:
            _wait_healthy(proc, base_url, log_path, timeout)
        except Exception:
            _stop(proc)
            raise
        cache[key] = base_url
        return base_url

    yield start
    for proc in procs:
        _stop(proc)


@pytest.fixture(scope="session")
def bundled_app(streamlit_server, tmp_path_factory):
    """Factory: ``bundled_app(name, env=None) -> (base_url, store_path)``: the dashboard on a fresh store of its own,
    built from the bundled data (a module's tests may change it without touching another module's)."""
    from loaders import config
    from loaders.store import initialise

    def start(name: str, env: dict[str, str] | None = None) -> tuple[str, Path]:
        path = tmp_path_factory.mktemp(name) / "xiangzhou.gpkg"
        initialise(path, config.geodata_dir())
        return streamlit_server("dashboard/app.py", env={"XZMAP_STORE": str(path), **(env or {})}), path

    return start


# --------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright_instance():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield b
    b.close()


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in {"data", "blob", "about"}:
        return True
    return parsed.hostname in LOCAL_HOSTS or f"[{parsed.hostname}]" in LOCAL_HOSTS


def _offline_page(context):
    """A page of `context` that may reach only this machine, recording what it tried otherwise and its errors."""
    blocked: list[str] = []

    def _route(route):
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    def _route_ws(ws):
        if _is_local(ws.url):
            ws.connect_to_server()
        else:
            blocked.append(ws.url)
            ws.close()

    context.route("**/*", _route)
    context.route_web_socket(lambda url: True, _route_ws)

    p = context.new_page()
    p.blocked_requests = blocked
    p.console_errors = []
    p.failed_requests = []
    p.bad_responses = []
    p.on(
        "console",
        lambda msg: p.console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")
        if msg.type == "error"
        else None,
    )
    p.on("pageerror", lambda exc: p.console_errors.append(f"uncaught: {exc}"))
    p.on("requestfailed", lambda req: p.failed_requests.append(f"{req.url} ({req.failure})"))
    p.on(
        "response",
        lambda resp: p.bad_responses.append(f"{resp.status} {resp.url}")
        if resp.status >= 400
        else None,
    )
    return p


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield _offline_page(context)
    context.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    """phone(viewport=PHONE, geolocation=None) -> a touch phone's page (isMobile, offline). `geolocation` is
    {"latitude", "longitude", "accuracy"}; given, the page may use it without asking."""
    contexts = []

    def open_phone(viewport: dict = PHONE, geolocation: dict | None = None):
        context = browser.new_context(
            viewport=viewport, is_mobile=True, has_touch=True, device_scale_factor=2, locale="zh-CN",
            timezone_id="Asia/Shanghai", geolocation=geolocation, permissions=["geolocation"] if geolocation else [],
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return _offline_page(context)

    yield open_phone
    for context in contexts:
        context.close()


# --------------------------------------------------------------------------
# helpers (exposed as fixtures below)
# --------------------------------------------------------------------------
def _wait_for_app(page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the Streamlit script has finished running (not "initial", not "running").

    Raises AssertionError with the exception text if the script raised.
    """
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout)
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise AssertionError("the Streamlit script raised:\n" + errors.first.inner_text())


def _map_frame(page, timeout: float = DEFAULT_TIMEOUT_MS, index: int = 0):
    """Frame of the (index-th) st_folium iframe, once it contains ``.leaflet-container``.

    Waits for the app to be idle and for rerun leftovers (two iframes during a
    rerun) to disappear.
    """
    _wait_for_app(page, timeout)
    deadline = time.monotonic() + timeout / 1000
    locator = page.locator(MAP_IFRAME)
    while True:
        try:
            frames = [h.content_frame() for h in locator.element_handles()]
            frames = [f for f in frames if f is not None]
            ready = [f for f in frames if f.query_selector(".leaflet-container")]
        except PlaywrightError:  # the page went on (a page switch): the frame looked at is gone; look again
            frames, ready = [None], []
        if len(ready) > index and len(frames) == len(ready):
            return ready[index]
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"no map iframe with .leaflet-container (iframes: {len(frames)}, "
                f"with a map: {len(ready)})"
            )
        page.wait_for_timeout(200)


def _choose(page, label: str, option: str, attempts: int = 3) -> None:
    """Open the select box or multiselect named `label` and pick `option`, as a user does. A rerun that lands while
    the menu is open (the map reporting its new zoom, say) re-renders the widget and closes the menu; a user would
    simply open it again, and so does this, a few times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.get_by_role("combobox", name=label).first
    for attempt in range(attempts):
        _wait_for_app(page)
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5000)
            return
        except PlaywrightTimeout:  # the menu closed under us: open it again
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")


def _screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture(scope="session")
def sign_in():
    """``sign_in(page, name, password)``: fill the page's own sign-in form and press 登录 (tests/browser/browserkit.py;
    imported here, not at the top: benchmarks/browser.py loads this file outside pytest)."""
    from browserkit import fill_sign_in

    return fill_sign_in


@pytest.fixture(scope="session")
def wait_for_app():
    """``wait_for_app(page, timeout_ms=60000)``: wait until the script run has finished."""
    return _wait_for_app


@pytest.fixture(scope="session")
def map_frame():
    """``map_frame(page, timeout_ms=60000, index=0)`` -> Playwright Frame of the st_folium map."""
    return _map_frame


@pytest.fixture(scope="session")
def choose():
    """``choose(page, "阶段", "进行中")``: pick an option of a select box or multiselect by the widget's label."""
    return _choose


@pytest.fixture(scope="session")
def screenshot():
    """``screenshot(page, "name.png")`` -> path under tests/artifacts/."""
    return _screenshot
