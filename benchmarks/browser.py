"""Browser timings in Debian Chromium through Playwright, with every non-loopback request aborted.

Reuses the helpers of tests/browser/conftest.py (server start, health wait, Chromium flags, idle selector).
* first load: from `page.goto` to every point of the page's data present on the map (one map iframe, app idle);
* filter change: from choosing a town in the sidebar to that town's points drawn, and back to 全部.
A point counts as drawn when its marker is in the Leaflet map (points.js adds all markers in one go, the canvas
paints them on the next animation frame, which the wait includes).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("xz_browser_conftest", ROOT / "tests" / "browser" / "conftest.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

# Points the map shows: one per point marker, a cluster's count for a cluster (static/points.js, dense views).
COUNT_JS = """() => Array.from(document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')).map(f => {
  const w = f.contentWindow; if (!w || !w.map_div || !w.map_div._layers) return -1;
  let n = 0; for (const l of Object.values(w.map_div._layers))
    if (l._xzCluster) n += l._xzCount;
    else if (l.feature && l.feature.properties && 'i' in l.feature.properties) n++;
  return n; })"""
DRAWN_JS = f"""([expected, idle]) => {{
  if (!document.querySelector(idle)) return false;
  const counts = ({COUNT_JS})();
  return counts.length === 1 && counts[0] === expected; }}"""
NEXT_FRAME_JS = """() => new Promise(r => { const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
  (f && f.contentWindow || window).requestAnimationFrame(() => r(true)); })"""


def available() -> str | None:
    return fixtures._browser_unavailable_reason()


@contextmanager
def serve(app: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = (), root: Path = ROOT):
    """`python -m streamlit run APP` on a free loopback port, as the browser tests start it; yields (url, pid).
    `root`: the source tree it runs from (working directory and PYTHONPATH), e.g. an earlier revision's."""
    import subprocess

    workdir = Path(tempfile.mkdtemp(prefix="xz-bench-app-"))
    script = fixtures._prepare_script(Path(app), lambda: workdir)
    port = fixtures._free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(root)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.enableStaticServing", "true",
               "--server.fileWatcherType", "none", *args]
    log_path = workdir / "streamlit.log"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=root, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        fixtures._wait_healthy(proc, url, log_path, 60)
        yield url, proc.pid
    finally:
        fixtures._stop(proc)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=fixtures.CHROMIUM, headless=True, args=fixtures.CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def offline_page(browser, blocked: list[str]):
    """A 1440x900 zh-CN page whose requests may go to loopback only (as the `page` test fixture)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(fixtures.DEFAULT_TIMEOUT_MS)

    def route(r):
        if fixtures._is_local(r.request.url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort("internetdisconnected")

    context.route("**/*", route)
    return context, context.new_page()


def wait_drawn(page, expected: int, timeout_ms: float = 60_000) -> None:
    page.wait_for_function(DRAWN_JS, arg=[expected, fixtures.APP_IDLE], polling="raf", timeout=timeout_ms)
    page.evaluate(NEXT_FRAME_JS)


def choose_unit(page, option: str, short: str) -> None:
    """Pick a town ("全部" for all) in the sidebar: the dashboard's 乡镇（街道） multiselect or the stand-in's selectbox."""
    towns = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="乡镇").first
    if towns.count():
        field = towns.locator("input")
        field.click()
        if option == "全部":
            field.press("Backspace")  # removes the one chosen town
        else:
            page.get_by_role("option", name=short, exact=True).click()
        field.press("Escape")
        return
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=option, exact=True).click()


def measure(app: Path, store_path: Path, total: int, town: str, town_count: int, changes: int = 4,
            town_short: str | None = None) -> dict:
    """First load to a drawn map, then `changes` filter changes (town, all, town, …); medians in seconds."""
    blocked: list[str] = []
    with serve(app, env={"XZMAP_STORE": str(store_path)}) as (url, _pid), chromium() as browser:
        # A throw-away first visit warms the server (imports, caches) the way a running deployment is warm.
        context, page = offline_page(browser, blocked)
        page.goto(url)
        wait_drawn(page, total)
        context.close()
        context, page = offline_page(browser, blocked)
        start = time.perf_counter()
        page.goto(url)
        wait_drawn(page, total)
        first_load = time.perf_counter() - start
        to_town, to_all = [], []
        for k in range(changes):
            option, expected = (town, town_count) if k % 2 == 0 else ("全部", total)
            page.wait_for_selector(fixtures.APP_IDLE, state="attached")
            start = time.perf_counter()
            choose_unit(page, option, town_short or town)
            wait_drawn(page, expected)
            (to_town if k % 2 == 0 else to_all).append(time.perf_counter() - start)
        context.close()
    return {"first_load_s": round(first_load, 3), "filter_to_town_s": _median(to_town),
            "filter_to_all_s": _median(to_all), "changes": changes, "blocked_requests": len(blocked)}


def _median(values):
    ordered = sorted(values)
    if not ordered:
        return None
    m = len(ordered) // 2
    return round(ordered[m] if len(ordered) % 2 else (ordered[m - 1] + ordered[m]) / 2, 3)
