"""First load: the overview's map drawn vs a bare Streamlit page appearing, in the same run (`python -m benchmarks
--first-load-only`; also part of `make bench`).

Both servers run side by side on the bundled data; one throw-away visit each warms them (imports, caches: a running
deployment is warm). Then, alternating bare page and overview so both see the same load on the machine, each timed
round opens a fresh browser (empty cache) and visits the page twice: the first visit is a new visitor's, the second
a returning one's (the issue's "second visit": the browser has Streamlit's and the map's files already). Offline.
* bare page: from `page.goto` to its text shown and the script finished;
* overview: from `page.goto` to the map's Leaflet container holding every point of the view and the town areas,
  plus the next animation frame (the canvas paints then).
The result is the ratio of the medians of the second visits (the goal of issue 13 is at most 2), with the new
visitor's ratio beside it. Also reported: when the map's frame appears on the page (until then the time is
Streamlit's: the script run and the code of the page's other elements) and the median time from there to the drawn
map (the map frame's own work: its scripts, styles and the map script).
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


def _time_bare(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(BARE_SHOWN_JS, arg=[browser.fixtures.APP_IDLE, BARE_TEXT], polling="raf")
    return time.perf_counter() - start


def _time_overview(page, url: str, total: int, timeout_ms: float = 60_000) -> tuple[float, float]:
    """Seconds to the map's frame on the page (Streamlit has drawn the page's elements) and to the map drawn."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(MAP_FRAME, state="attached", timeout=timeout_ms)
    framed = time.perf_counter() - start
    browser.wait_drawn(page, total, timeout_ms)
    page.wait_for_function(f"() => ({AREAS_JS})() > 0", polling="raf", timeout=timeout_ms)
    page.evaluate(browser.NEXT_FRAME_JS)
    return framed, time.perf_counter() - start


def _two_visits(b, blocked: list[str], visit, open_page=browser.offline_page) -> list:
    """A fresh browser's first and second visit (each `visit(page)`'s result); `open_page(b, blocked)` makes it."""
    context, page = open_page(b, blocked)
    try:
        first = visit(page)
        page.goto("about:blank")
        return [first, visit(page)]
    finally:
        context.close()


def _median(values) -> float:
    return round(statistics.median(values), 3)


def run(visits: int = 5, app: Path | None = None, log=lambda text: None) -> dict:
    """Medians of `visits` alternating rounds (a fresh browser visiting twice) of each page, and the ratios."""
    reason = browser.available()
    if reason:
        return {"skipped": reason}
    from . import pagerun

    app, label = (app, str(app)) if app else pagerun.page_under_test()
    store, total = bundled_store()
    blocked: list[str] = []
    bare: list[list[float]] = []  # per round: [new visitor, second visit]
    overview: list[list[tuple[float, float]]] = []
    with browser.serve(BARE_APP) as (bare_url, _), \
            browser.serve(app, env={"XZMAP_STORE": str(store)}) as (map_url, _), browser.chromium() as b:
        def bare_visit(page):
            return _time_bare(page, bare_url)

        def overview_visit(page):
            return _time_overview(page, map_url, total)

        _two_visits(b, blocked, bare_visit)  # warm-up
        _two_visits(b, blocked, overview_visit)
        for k in range(visits):
            bare.append(_two_visits(b, blocked, bare_visit))
            overview.append(_two_visits(b, blocked, overview_visit))
            log(f"first load round {k + 1}/{visits}: bare {bare[-1][0]:.3f} / {bare[-1][1]:.3f} s, overview map "
                f"{overview[-1][0][1]:.3f} / {overview[-1][1][1]:.3f} s (new visitor / second visit)")
    result = {"target_ratio": TARGET_RATIO, "visits": visits, "points": total, "page": label,
              "blocked_requests": len(blocked)}
    for visit, prefix in ((1, ""), (0, "new_visitor_")):
        bare_s = _median(r[visit] for r in bare)
        drawn = _median(r[visit][1] for r in overview)
        result.update({f"{prefix}bare_s": bare_s, f"{prefix}overview_map_s": drawn,
                       f"{prefix}overview_frame_s": _median(r[visit][0] for r in overview),
                       f"{prefix}map_frame_to_drawn_s": _median(r[visit][1] - r[visit][0] for r in overview),
                       f"{prefix}ratio": round(drawn / bare_s, 2),
                       f"{prefix}bare_runs_s": [round(r[visit], 3) for r in bare],
                       f"{prefix}overview_runs_s": [round(r[visit][1], 3) for r in overview]})
    return result


def table(result: dict) -> str:
    if "skipped" in result:
        return f"first load (bare page vs overview map): skipped ({result['skipped']})"
    rows = [("", "second visit", "new visitor")]
    for key, label in (("bare_s", "bare Streamlit page appears (s)"),
                       ("overview_frame_s", "overview: map frame on the page (s)"),
                       ("overview_map_s", "overview: map drawn (s)"),
                       ("map_frame_to_drawn_s", "  of which frame → drawn (s)")):
        rows.append((label, f"{result[key]:.3f}", f"{result['new_visitor_' + key]:.3f}"))
    rows.append((f"ratio map / bare (target ≤ {result['target_ratio']:g})", f"{result['ratio']:.2f}×",
                 f"{result['new_visitor_ratio']:.2f}×"))
    widths = [max(len(row[k]) for row in rows) for k in range(3)]
    lines = [f"first load, median of {result['visits']} ({result['points']} points, {result['page']})"]
    lines += ["  " + "  ".join(cell.ljust(w) if k == 0 else cell.rjust(w) for k, (cell, w) in enumerate(zip(row, widths)))
              for row in rows]
    return "\n".join(lines)
