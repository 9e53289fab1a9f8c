"""Dense data (issue 15): the overview map at 10,000 / 100,000 / 1,000,000 points against a bare Streamlit page, in
one run (`python -m benchmarks --dense-only`; also part of `make bench`).

For each size a synthetic store (`synthetic.build_store`, a GeoPackage file; from `POSTGIS_FROM` points on a PostGIS
database on a throw-away server, `synthetic.build_postgis`) is served by the overview (`dashboard/app.py`, or what
`pagerun.page_under_test()` picks), beside one bare page server (`benchmarks/apps/bare_page.py`) for the whole run.
One untimed visitor warms each server (its view caches fill; at 1,000,000 points that first load is slow, so its
waits are long). Then, as in benchmarks/firstload.py, `visits` rounds alternate bare page and overview, each round a
fresh browser visiting twice (a new visitor, then a returning one). Per size:

* the map drawn (every point of the view represented on the map, cluster counts included, `browser.wait_drawn`, the
  town areas and the next animation frame: `firstload._time_overview`) against the bare page shown, second visit,
  median: the ratio (the goal: at most 3 at 100,000 points), and the same for the new visitor;
* bytes the server sent to the browser from `page.goto` to the map drawn, on the warm-up visitor's second visit:
  HTTP bodies and headers as received (CDP `Network.loadingFinished` encodedDataLength; what the browser cache
  answered costs nothing) plus websocket frames received (payloads, binary frames decoded from CDP's base64);
* the time to answer a zoom-in: from a click on the biggest visible cluster of the district view until the map has
  zoomed (`zoomend`) and the cluster layer has redrawn (`map_div._xzRedrawn` went up), plus one animation frame;
  median of `ZOOM_CLICKS`, each from the district view (the map's 全区 button, or a fresh load without one). None,
  with the reason, while the map has no cluster layer (a layer with `_xzClusters === true` and `visibleClusters()`);
* the overview server's resident memory after the run (/proc).

The returning visitor has the browser's cache: Playwright's request routing (`browser.offline_page`) turns Chromium's
HTTP cache off, so here the page is kept offline by the DevTools protocol instead (`returning_page`: every request
outside loopback fails, and is counted in blocked_requests, as there).
"""
from __future__ import annotations

import base64
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from . import browser, engines, firstload, synthetic
from .load import rss_mb

SIZES = (10_000, 100_000, 1_000_000)
POSTGIS_FROM = 1_000_000  # from this size on the store is a PostGIS database (a million rows is its engine's job)
TARGET_RATIO = 3.0
TARGET_AT = 100_000
ZOOM_CLICKS = 3
WARM_TIMEOUT_MS = 20 * 60_000  # the first load of a million points reads them all from the store
VISIT_TIMEOUT_MS = 5 * 60_000
ZOOM_TIMEOUT_MS = 60_000
HOME_TIMEOUT_MS = 15_000  # the 全区 button not redrawing the map by then: a fresh load instead
KB = 1024

# The map frame's window, its Leaflet map, the container's offset in the frame and the cluster layer (on the map
# or one level down in a layer group) -- shared by the JavaScript below.
_MAP = f"""const f = document.querySelector('{firstload.MAP_FRAME}'); const w = f && f.contentWindow;
  const m = w && w.map_div; if (!m || !m._layers) return null;
  const groups = Object.values(m._layers); let c = groups.find(l => l._xzClusters === true);
  for (const g of groups) if (!c && g._layers) c = Object.values(g._layers).find(l => l._xzClusters === true);"""
CLUSTERS_JS = f"""() => {{ {_MAP}
  if (!c || typeof c.visibleClusters !== 'function') return {{clusters: null}};
  const box = m.getContainer().getBoundingClientRect(), size = m.getSize();
  return {{clusters: c.visibleClusters(), left: box.left, top: box.top, width: size.x, height: size.y}}; }}"""
ARM_JS = f"""() => {{ {_MAP}
  m._xzBench = {{redrawn: m._xzRedrawn || 0, zoomed: false}};
  m.once('zoomend', () => {{ m._xzBench.zoomed = true; }}); return true; }}"""
ANSWERED_JS = f"""() => {{ {_MAP}
  return !!m._xzBench && m._xzBench.zoomed && (m._xzRedrawn || 0) > m._xzBench.redrawn; }}"""
HOME_JS = f"""() => {{ {_MAP}
  const button = w.document.querySelector('.xz-home .xz-home-button, .xz-home a');
  if (!button) return false; button.click(); return true; }}"""


def returning_page(b, blocked: list[str]):
    """`browser.offline_page` with its HTTP cache on: the route that keeps it offline is replaced by the DevTools
    protocol's request interception (Fetch), which fails what does not go to loopback and leaves the cache alone."""
    context, page = browser.offline_page(b, blocked)
    context.unroute_all()
    guard = context.new_cdp_session(page)

    def paused(event):
        url = event["request"]["url"]
        if browser.fixtures._is_local(url):
            guard.send("Fetch.continueRequest", {"requestId": event["requestId"]})
        else:
            blocked.append(url)
            guard.send("Fetch.failRequest", {"requestId": event["requestId"], "errorReason": "InternetDisconnected"})

    guard.on("Fetch.requestPaused", paused)
    guard.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
    return context, page


@contextmanager
def counting(page):
    """Bytes the server sends to this page while the block runs: HTTP as received, websocket payloads decoded."""
    counts = {"http_bytes": 0, "websocket_bytes": 0, "responses": 0, "websocket_frames": 0}
    cdp = page.context.new_cdp_session(page)

    def finished(event):
        counts["http_bytes"] += int(event.get("encodedDataLength", 0))
        counts["responses"] += 1

    def frame(event):
        response = event["response"]
        data = response.get("payloadData", "")
        counts["websocket_bytes"] += len(base64.b64decode(data)) if response.get("opcode") == 2 else len(data.encode())
        counts["websocket_frames"] += 1

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.webSocketFrameReceived", frame)
    cdp.send("Network.enable")
    try:
        yield counts
    finally:
        cdp.detach()


def _counted(visit):
    """`visit(page)` that also returns the bytes received while it ran (a copy taken as soon as it ended)."""
    def counted(page):
        with counting(page) as counts:
            result = visit(page)
            taken = dict(counts)
        return result, taken
    return counted


def _kb(counts: dict) -> dict:
    return {"total_kb": round((counts["http_bytes"] + counts["websocket_bytes"]) / KB, 1),
            "websocket_kb": round(counts["websocket_bytes"] / KB, 1), "http_kb": round(counts["http_bytes"] / KB, 1),
            "responses": counts["responses"], "websocket_frames": counts["websocket_frames"]}


# Zoom-in ------------------------------------------------------------------------------------------------------------
def _zoom(page, act, timeout_ms: float) -> float:
    """Seconds from `act()` until the map has zoomed and the cluster layer redrawn, plus one animation frame."""
    page.evaluate(ARM_JS)
    start = time.perf_counter()
    act()
    page.wait_for_function(ANSWERED_JS, polling="raf", timeout=timeout_ms)
    page.evaluate(browser.NEXT_FRAME_JS)
    return time.perf_counter() - start


def _biggest(page) -> tuple[dict | None, str | None]:
    """The biggest cluster drawn where a click reaches it (page coordinates added), or why there is none."""
    found = page.evaluate(CLUSTERS_JS)
    if found is None:
        return None, "the map frame has no Leaflet map"
    if found["clusters"] is None:
        return None, "no cluster layer on the map (_xzClusters): every point is its own marker"
    # A press on the map focuses its frame, and the page scrolls all of a frame into view then: scrolled first, the
    # cluster stays under the pointer.
    page.locator(firstload.MAP_FRAME).scroll_into_view_if_needed()
    frame = page.locator(firstload.MAP_FRAME).bounding_box()
    viewport = page.viewport_size
    reachable = []
    for c in found["clusters"]:
        x, y = frame["x"] + found["left"] + c["x"], frame["y"] + found["top"] + c["y"]
        if 0 <= c["x"] < found["width"] and 0 <= c["y"] < found["height"] and 0 <= x < viewport["width"] \
                and 0 <= y < viewport["height"] and c.get("count", 0) > 1:
            reachable.append({**c, "page_x": x, "page_y": y})
    if not reachable:
        return None, "the cluster layer shows no cluster (of more than one point) in the district view"
    return max(reachable, key=lambda c: c["count"]), None


def _home(page) -> None:
    if not page.evaluate(HOME_JS):
        raise LookupError("the map has no 全区 button")


def zoom_in(b, blocked: list[str], url: str, total: int, clicks: int = ZOOM_CLICKS, log=lambda text: None) -> dict:
    """Median seconds of `clicks` zoom-ins on the biggest cluster of the district view, in a fresh browser."""
    context, page = returning_page(b, blocked)
    try:
        firstload._time_overview(page, url, total, VISIT_TIMEOUT_MS)
        result = zoom_clicks(page, url, total, clicks)
    finally:
        context.close()
    log(f"zoom-in: {result}")
    return result


def zoom_clicks(page, url: str, total: int, clicks: int = ZOOM_CLICKS) -> dict:
    """On a page showing the drawn overview: `clicks` times, click the biggest cluster and time the answer, then go
    back to the district view (the 全区 button, else a fresh load). No cluster layer: median None and the reason."""
    result: dict = {"median_s": None, "clicks_s": [], "cluster_counts": [], "back_by": None, "reason": None}
    try:
        for k in range(clicks):
            cluster, reason = _biggest(page)
            if cluster is None:
                result["reason"] = reason
                break
            result["clicks_s"].append(round(_zoom(page, lambda c=cluster: page.mouse.click(c["page_x"], c["page_y"]),
                                                  ZOOM_TIMEOUT_MS), 3))
            result["cluster_counts"].append(cluster["count"])
            if k + 1 == clicks:
                break
            try:
                _zoom(page, lambda: _home(page), HOME_TIMEOUT_MS)
                result["back_by"] = "全区 button"
            except Exception:  # noqa: BLE001 -- no button, or it did not redraw: a fresh load of the page then
                page.goto("about:blank")
                firstload._time_overview(page, url, total, VISIT_TIMEOUT_MS)
                result["back_by"] = "reload"
    except Exception as error:  # noqa: BLE001 -- the rest of the run goes on; the reason is in the table
        result["reason"] = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
    if result["clicks_s"] and not result["reason"]:
        result["median_s"] = round(statistics.median(result["clicks_s"]), 3)
    return result


# One run ------------------------------------------------------------------------------------------------------------
def run(sizes=SIZES, visits: int = 5, log=print, app: Path | None = None, postgis_from: int = POSTGIS_FROM,
        zoom_clicks: int = ZOOM_CLICKS) -> dict:
    """Every size against the bare page in one run; sizes from `postgis_from` on a PostGIS store."""
    reason = browser.available()
    if reason:
        return {"skipped": reason}
    from . import pagerun

    app, label = (app, str(app)) if app else pagerun.page_under_test()
    folder = Path(tempfile.mkdtemp(prefix="xz-bench-dense-"))
    out: dict = {"visits": visits, "page": label, "target_ratio": TARGET_RATIO, "target_at": TARGET_AT,
                 "postgis_from": postgis_from, "sizes": [], "skipped": {}, "failed": {}}
    blocked: list[str] = []
    with ExitStack() as stack:
        bare_url, _ = stack.enter_context(browser.serve(firstload.BARE_APP))
        b = stack.enter_context(browser.chromium())

        def bare_visit(page):
            return firstload._time_bare(page, bare_url)

        warm = firstload._two_visits(b, blocked, _counted(bare_visit), returning_page)
        out["bare_bytes"] = _kb(warm[1][1])
        out["bare_new_visitor_bytes"] = _kb(warm[0][1])
        pg = None
        for n in sizes:
            engine = "postgis" if n >= postgis_from else "gpkg"
            if engine == "postgis" and pg is None:
                missing = engines.missing("postgis")
                if missing:
                    out["skipped"][str(n)] = missing
                    log(f"[dense {n:,}] skipped: {missing}")
                    continue
                started = time.perf_counter()
                pg = stack.enter_context(engines.postgis_server(folder / "pg"))
                log(f"[dense] PostGIS server on 127.0.0.1:{pg.port} started in {time.perf_counter() - started:.1f} s")
            try:
                out["sizes"].append(one_size(n, engine, b, bare_visit, visits, folder, pg, blocked, app, zoom_clicks,
                                             log))
            except Exception as error:  # noqa: BLE001 -- one size that fails (a timeout) leaves the others' results
                out["failed"][str(n)] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
                log(f"[dense {n:,}] FAILED: {out['failed'][str(n)]}")
    shutil.rmtree(folder, ignore_errors=True)
    out["blocked_requests"] = len(blocked)
    out["checks"] = checks(out)
    return out


@contextmanager
def _store(n: int, engine: str, folder: Path, pg, log):
    """A synthetic store of n points; yields (location for XZMAP_STORE, seconds to build); removed afterwards."""
    started = time.perf_counter()
    if engine == "gpkg":
        store, _ = synthetic.build_store(folder / f"dense-{n}.gpkg", n)
        location = str(store.path)
    else:
        database = pg.create_database(f"dense_{n}")
        location = pg.url(database)
        synthetic.build_postgis(location, n)
    built = time.perf_counter() - started
    log(f"[dense {n:,}] {engines.LABELS[engine]} store built in {built:.1f} s")
    try:
        yield location, built
    finally:
        if engine == "gpkg":
            Path(location).unlink(missing_ok=True)
        else:
            from loaders.store import postgis

            postgis.dispose(location)
            pg.drop_database(f"dense_{n}")


def one_size(n: int, engine: str, b, bare_visit, visits: int, folder: Path, pg, blocked: list[str], app: Path,
             zoom_clicks: int, log) -> dict:
    row: dict = {"points": n, "engine": engine}
    with _store(n, engine, folder, pg, log) as (location, built), \
            browser.serve(app, env={"XZMAP_STORE": location}) as (url, pid):
        row["store_build_s"] = round(built, 1)

        def overview_visit(page, timeout_ms=VISIT_TIMEOUT_MS):
            page.set_default_timeout(timeout_ms)
            return firstload._time_overview(page, url, n, timeout_ms)

        log(f"[dense {n:,}] warm-up visitor (the server's first load of {n:,} points)...")
        warm = firstload._two_visits(b, blocked, _counted(lambda page: overview_visit(page, WARM_TIMEOUT_MS)),
                                     returning_page)
        row["warm_up_s"] = round(warm[0][0][1], 2)
        row["warm_up_second_visit_s"] = round(warm[1][0][1], 2)
        row["bytes"], row["new_visitor_bytes"] = _kb(warm[1][1]), _kb(warm[0][1])
        log(f"[dense {n:,}] warm-up: drawn in {row['warm_up_s']} s, then {row['warm_up_second_visit_s']} s; "
            f"second visit received {row['bytes']}")
        bare, overview = [], []
        for k in range(visits):
            bare.append(firstload._two_visits(b, blocked, bare_visit, returning_page))
            overview.append(firstload._two_visits(b, blocked, overview_visit, returning_page))
            log(f"[dense {n:,}] round {k + 1}/{visits}: bare {bare[-1][0]:.3f} / {bare[-1][1]:.3f} s, map "
                f"{overview[-1][0][1]:.3f} / {overview[-1][1][1]:.3f} s (new visitor / second visit)")
        for visit, prefix in ((1, ""), (0, "new_visitor_")):
            bare_s = firstload._median(r[visit] for r in bare) if bare else None
            map_s = firstload._median(r[visit][1] for r in overview) if overview else None
            row.update({f"{prefix}bare_s": bare_s, f"{prefix}map_s": map_s,
                        f"{prefix}frame_s": firstload._median(r[visit][0] for r in overview) if overview else None,
                        f"{prefix}ratio": round(map_s / bare_s, 2) if bare_s and map_s else None,
                        f"{prefix}bare_runs_s": [round(r[visit], 3) for r in bare],
                        f"{prefix}map_runs_s": [round(r[visit][1], 3) for r in overview]})
        row["zoom_in"] = zoom_in(b, blocked, url, n, zoom_clicks, log) if zoom_clicks else {
            "median_s": None, "reason": "not asked for (0 clicks)"}
        row["server_rss_mb"] = rss_mb(pid)
    log(f"[dense {n:,}] {row['ratio']}× a bare page (second visit), {row['bytes']['total_kb']:,} KB, "
        f"zoom-in {row['zoom_in']['median_s']} s, server {row['server_rss_mb']} MB")
    return row


def checks(out: dict) -> dict:
    """The issue's goal where this run measured it: True met, False missed."""
    found = {}
    for row in out["sizes"]:
        if row["points"] == out["target_at"] and row.get("ratio") is not None:
            found[f"ratio_at_{row['points']}"] = {"value": row["ratio"], "target": f"≤ {out['target_ratio']:g}",
                                                  "met": row["ratio"] <= out["target_ratio"]}
    return found


# The table ----------------------------------------------------------------------------------------------------------
def _num(value, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


ROWS = (
    (lambda r: _num(r["store_build_s"], 1), "store built (s)"),
    (lambda r: _num(r["warm_up_s"], 1), "server's first load, warm-up (s)"),
    (lambda r: _num(r["bare_s"], 3), "bare page, second visit (s)"),
    (lambda r: _num(r["map_s"], 3), "map drawn, second visit (s)"),
    (lambda r: _num(r["ratio"], 2, "×"), "ratio map / bare, second visit"),
    (lambda r: _num(r["new_visitor_map_s"], 3), "map drawn, new visitor (s)"),
    (lambda r: _num(r["new_visitor_ratio"], 2, "×"), "ratio map / bare, new visitor"),
    (lambda r: _num(r["bytes"]["total_kb"], 0), "to the browser, second visit (KB)"),
    (lambda r: _num(r["bytes"]["websocket_kb"], 0), "  of which websocket (KB)"),
    (lambda r: _num(r["new_visitor_bytes"]["total_kb"], 0), "to the browser, new visitor (KB)"),
    (lambda r: _num(r["zoom_in"]["median_s"], 3), "zoom-in on a cluster answered (s)"),
    (lambda r: _num(r["server_rss_mb"], 0), "server memory after the run (MB)"),
)


def table(out: dict) -> str:
    if "skipped" in out and "sizes" not in out:
        return f"dense data (map vs bare page by size): skipped ({out['skipped']})"
    rows = out["sizes"]
    head = ["", *[f"{r['points']:,} pts ({engines.LABELS[r['engine']]})" for r in rows]]
    lines = [[label, *[cell(r) for r in rows]] for cell, label in ROWS]
    widths = [max(engines._width(str(c)) for c in col) for col in zip(head, *lines)]
    rounds = f"{out['visits']} round{'s' if out['visits'] != 1 else ''}"
    text = [f"dense data: overview map vs bare Streamlit page, median of {rounds} ({out['page']})",
            " | ".join(engines._pad(str(c), w) for c, w in zip(head, widths)), "-+-".join("-" * w for w in widths)]
    text += [" | ".join(engines._pad(str(c), w) for c, w in zip(line, widths)) for line in lines]
    bare = out.get("bare_bytes")
    if bare:
        text.append(f"bare page to the browser: {bare['total_kb']:,.0f} KB second visit "
                    f"({out['bare_new_visitor_bytes']['total_kb']:,.0f} KB new visitor); "
                    f"requests outside loopback blocked: {out.get('blocked_requests', 0):,}")
    for r in rows:
        zoom = r["zoom_in"]
        if zoom["median_s"] is None:
            text.append(f"zoom-in at {r['points']:,}: n/a ({zoom['reason']})")
        else:
            text.append(f"zoom-in at {r['points']:,}: {', '.join(f'{s:.3f}' for s in zoom['clicks_s'])} s on clusters "
                        f"of {', '.join(f'{c:,}' for c in zoom['cluster_counts'])} points (back by {zoom['back_by']})")
    for size, reason in out.get("skipped", {}).items():
        text.append(f"{int(size):,} points skipped: {reason}")
    for size, reason in out.get("failed", {}).items():
        text.append(f"{int(size):,} points FAILED: {reason}")
    for name, check in out.get("checks", {}).items():
        text.append(f"target {name}: {check['value']}× ({check['target']}) {'met' if check['met'] else 'MISSED'}")
    return "\n".join(text)
