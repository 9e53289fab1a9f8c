"""First load: the overview's map drawn vs a bare Streamlit page appearing, in the same run (`python -m benchmarks
firstload`, also part of `make bench`).

Both servers run side by side on the bundled data; one throw-away visit each warms them (imports, caches: a running
deployment is warm), then the visits alternate bare, overview, bare, overview, ... so both see the same load on the
machine. Every visit is a new browser context (an empty browser cache: a colleague opening the link), offline.
* bare page: from `page.goto` to its text shown and the script finished;
* overview: from `page.goto` to the map's Leaflet container holding every point of the view and the town areas,
  plus the next animation frame (the canvas paints then).
The result is the ratio of the medians; the goal of issue 13 is at most 2. Also reported: when the map's frame
appears on the page (until then the time is Streamlit's: the script run and its element code), and the median time
from there to the drawn map (the map frame's own loading: its scripts, styles and the map script).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from . import browser

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = ROOT / "benchmarks" / "apps" / "bare_page.py"
BARE_TEXT = "襄州一线协商地图"
TARGET_RATIO = 2.0
BARE_SHOWN_JS = """([idle, text]) => !!document.querySelector(idle)
    && document.querySelector('[data-testid="stMarkdownContainer"]') !== null
    && document.body.innerText.includes(text)"""
# Areas are GeoJSON features carrying a town code; points are points.js markers (see browser.COUNT_JS).
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
AREAS_JS = """() => { const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
  const w = f && f.contentWindow; if (!w || !w.map_div || !w.map_div._layers) return 0;
  return Object.values(w.map_div._layers).filter(l => l.feature && l.feature.properties
    && 'code' in l.feature.properties).length; }"""


def bundled_store() -> tuple[Path, int]:
    """The store `make run` creates, in a temporary folder, and its number of points."""
    from loaders import config
    from loaders.store import Filter, initialise, open_store

    path = Path(tempfile.mkdtemp(prefix="xz-bench-firstload-")) / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    return path, len(open_store(path).points(Filter(), columns=("id",)))


def _visit_bare(b, url: str, blocked: list[str]) -> float:
    context, page = browser.offline_page(b, blocked)
    try:
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_function(BARE_SHOWN_JS, arg=[browser.fixtures.APP_IDLE, BARE_TEXT], polling="raf")
        return time.perf_counter() - start
    finally:
        context.close()


def _visit_overview(b, url: str, total: int, blocked: list[str]) -> tuple[float, float]:
    """Seconds to the map's frame on the page (Streamlit has drawn the page's elements) and to the map drawn."""
    context, page = browser.offline_page(b, blocked)
    try:
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(MAP_FRAME, state="attached")
        framed = time.perf_counter() - start
        browser.wait_drawn(page, total)
        page.wait_for_function(f"() => ({AREAS_JS})() > 0", polling="raf")
        page.evaluate(browser.NEXT_FRAME_JS)
        return framed, time.perf_counter() - start
    finally:
        context.close()


def run(visits: int = 5, app: Path | None = None, log=lambda text: None) -> dict:
    """Median seconds of `visits` alternating timed visits to each page (after one warm-up each) and their ratio."""
    reason = browser.available()
    if reason:
        return {"skipped": reason}
    from . import pagerun

    app, label = (app, str(app)) if app else pagerun.page_under_test()
    store, total = bundled_store()
    blocked: list[str] = []
    bare_s: list[float] = []
    map_s: list[float] = []
    frame_s: list[float] = []
    with browser.serve(BARE_APP) as (bare_url, _), \
            browser.serve(app, env={"XZMAP_STORE": str(store)}) as (map_url, _), browser.chromium() as b:
        _visit_bare(b, bare_url, blocked)
        _visit_overview(b, map_url, total, blocked)
        for k in range(visits):
            bare_s.append(_visit_bare(b, bare_url, blocked))
            framed, drawn = _visit_overview(b, map_url, total, blocked)
            frame_s.append(framed)
            map_s.append(drawn)
            log(f"first load visit {k + 1}/{visits}: bare {bare_s[-1]:.3f} s, overview: map frame {framed:.3f} s, "
                f"map drawn {drawn:.3f} s")
    bare, drawn = statistics.median(bare_s), statistics.median(map_s)
    framed = statistics.median(frame_s)
    return {"bare_s": round(bare, 3), "overview_map_s": round(drawn, 3), "ratio": round(drawn / bare, 2),
            "overview_frame_s": round(framed, 3),
            "map_frame_to_drawn_s": round(statistics.median(d - f for d, f in zip(map_s, frame_s)), 3),
            "target_ratio": TARGET_RATIO, "visits": visits, "points": total, "page": label,
            "bare_runs_s": [round(s, 3) for s in bare_s], "overview_runs_s": [round(s, 3) for s in map_s],
            "blocked_requests": len(blocked)}


def table(result: dict) -> str:
    if "skipped" in result:
        return f"first load (bare page vs overview map): skipped ({result['skipped']})"
    rows = [("bare Streamlit page appears (s)", f"{result['bare_s']:.3f}"),
            ("overview: map frame on the page (s)", f"{result['overview_frame_s']:.3f}"),
            ("overview: map drawn (s)", f"{result['overview_map_s']:.3f}"),
            ("  of which frame → drawn (s)", f"{result['map_frame_to_drawn_s']:.3f}"),
            ("ratio map / bare (target ≤ 2)", f"{result['ratio']:.2f}×")]
    width = max(len(label) for label, _ in rows)
    lines = [f"first load, second visit, median of {result['visits']} ({result['points']} points, {result['page']})"]
    lines += [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(lines)
