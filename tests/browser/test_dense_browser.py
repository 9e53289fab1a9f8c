"""A dense store (100,000 synthetic points, benchmarks/synthetic.py) in Chromium with the network blocked: the district
view shows clusters split by stage that account for every point, a click on a cluster zooms in until single points
are drawn, clusters follow the town filter, overdue points stay countable inside them, and the 大屏 clusters too."""
from __future__ import annotations

import pytest
from browserkit import fill_sign_in

from benchmarks import synthetic
from loaders import auth, model
from loaders.store import Filter

APP = "dashboard/app.py"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
POINTS = 100_000
PASSWORD = "dense-viewer-2024"
SCROLLED = """() => window.scrollY + (document.querySelector('[data-testid="stMain"]') || {scrollTop: 0}).scrollTop"""
GROUP = "Object.values(window.map._layers).find(l => l._xzClusters)"
# Clusters and single points the map holds now: [clusters, singles, points they stand for, per-stage sums, overdue].
DRAWN = """() => { const out = {clusters: 0, singles: 0, total: 0, stages: [0, 0, 0, 0], late: 0, lateSingles: 0};
  for (const l of Object.values(window.map._layers)) {
    if (l._xzCluster) { out.clusters++; out.total += l.options.count; out.late += l.options.late;
      l.options.stages.forEach((n, k) => { out.stages[k] += n; }); }
    else if (l._xzPoint) { out.singles++; out.total++; }
    else if (l._xzLate) out.lateSingles++;
  }
  return out; }"""


@pytest.fixture(scope="module")
def dense(streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("dense") / "dense.gpkg"
    store, _ = synthetic.build_store(path, POINTS)
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}, timeout=120), "store": store}


def _open(page, url, map_frame, wait_for_app, height: int = 1000):
    page.set_viewport_size({"width": 1440, "height": height})
    page.goto(url)
    frame = map_frame(page, timeout=120_000)
    frame.wait_for_function(f"() => window.map && !!({GROUP}) && window.map._xzRedrawn > 0", timeout=120_000)
    wait_for_app(page)
    return frame


def _stage_counts(store, where: Filter) -> list[int]:
    stages = store.points(where, columns=("id", "stage"))["stage"]
    return [int((stages == stage).sum()) for stage in model.STAGES]


def _click_biggest(page, frame) -> int:
    # Only a cluster in the open: not under the legend or a button.
    clusters = frame.evaluate(f"""() => ({GROUP}).visibleClusters().filter(c =>
        (document.elementFromPoint(c.x, c.y) || {{}}).tagName === 'CANVAS')""")
    biggest = max(clusters, key=lambda c: c["count"])
    box = page.locator(MAP_IFRAME).bounding_box()
    before = frame.evaluate("() => [window.map.getZoom(), window.map._xzRedrawn]")
    page.mouse.click(box["x"] + biggest["x"], box["y"] + biggest["y"])
    frame.wait_for_function(f"() => window.map && window.map._xzRedrawn > {before[1]} && window.map.getZoom() > {before[0]}")
    return biggest["count"]


def test_the_district_view_shows_clusters_by_stage_that_account_for_every_point(
        dense, page, map_frame, wait_for_app, screenshot):
    frame = _open(page, dense["url"], map_frame, wait_for_app)
    drawn = frame.evaluate(DRAWN)
    assert drawn["total"] == POINTS  # every point is in a cluster or drawn by itself
    assert 5 <= drawn["clusters"] <= 150, drawn  # aggregates, not 100,000 symbols
    assert drawn["stages"] == _stage_counts(dense["store"], Filter())  # each ring's split is the store's
    # The count in a cluster reads with separators (1,234) or in 万.
    labels = frame.evaluate(f"() => ({GROUP}).visibleClusters().map(c => c.count)")
    assert max(labels) >= 1000
    screenshot(page, "dense_district_100k.png", full_page=False)


def test_overdue_points_stay_countable_inside_clusters(dense, page, map_frame, wait_for_app):
    frame = _open(page, dense["url"], map_frame, wait_for_app)
    drawn = frame.evaluate(DRAWN)
    card = page.locator('[data-testid="stMetric"]').filter(has_text="逾期").first
    shown = int(card.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))
    assert shown > 0
    assert drawn["late"] + drawn["lateSingles"] == shown  # the dashed arcs hold what the 逾期 card counts
    tooltip = frame.evaluate(f"""() => {{ const g = {GROUP}; let hit = null;
        g.eachLayer(l => {{ if (!hit && l._xzCluster && l.options.late) hit = l; }});
        hit.openTooltip(); return hit.getTooltip().getElement().innerText; }}""")
    assert "逾期" in tooltip and "个点位" in tooltip


def test_a_click_on_a_cluster_zooms_in_until_single_points_are_drawn(
        dense, page, map_frame, wait_for_app, screenshot):
    frame = _open(page, dense["url"], map_frame, wait_for_app)
    start = frame.evaluate("() => window.map.getZoom()")
    for _ in range(10):
        _click_biggest(page, frame)
        drawn = frame.evaluate(DRAWN)
        if drawn["singles"] and not frame.evaluate(f"() => ({GROUP}).visibleClusters().length"):
            break
    assert frame.evaluate("() => window.map.getZoom()") > start
    assert drawn["singles"] > 0
    # A cluster click is the browser's: no rerun selected anything, and no town filter was applied.
    assert "?unit=" not in page.url and "point=" not in page.url
    screenshot(page, "dense_zoomed_in.png", full_page=False)


def test_a_click_on_a_map_partly_below_the_fold_does_not_scroll_the_page_away_from_under_the_pointer(
        dense, page, map_frame, wait_for_app):
    """At 1366 × 768 the map starts near the bottom of the first screen. Leaflet focused it on the mouse press, the
    page scrolled it into view, and the release landed elsewhere: the click was lost."""
    frame = _open(page, dense["url"], map_frame, wait_for_app, height=768)
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box["y"] + box["height"] > 768  # partly below the fold
    clusters = frame.evaluate(f"""([bottom]) => ({GROUP}).visibleClusters().filter(c => c.y < bottom
        && (document.elementFromPoint(c.x, c.y) || {{}}).tagName === 'CANVAS')""", [768 - box["y"] - 30])
    assert clusters, "no cluster on the first screen"
    scrolled = page.evaluate(SCROLLED)
    before = frame.evaluate("() => window.map.getZoom()")
    page.mouse.click(box["x"] + clusters[0]["x"], box["y"] + clusters[0]["y"])
    frame.wait_for_function(f"() => window.map.getZoom() > {before}")
    assert page.evaluate(SCROLLED) == scrolled


def test_clusters_follow_the_town_filter(dense, page, map_frame, wait_for_app):
    store = dense["store"]
    town = store.units().network[0]
    frame = _open(page, f"{dense['url']}?unit={store.units().short(town.code)}", map_frame, wait_for_app)
    wanted = _stage_counts(store, Filter(unit_codes=(town.code,)))
    frame.wait_for_function(f"() => ({DRAWN})().total === {sum(wanted)}", timeout=60_000)
    assert frame.evaluate(DRAWN)["stages"] == wanted


def test_the_screen_clusters_a_dense_view_in_type_read_from_five_metres(dense, page, map_frame):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{dense['url']}/screen")
    frame = map_frame(page, timeout=120_000)
    frame.wait_for_function(f"() => window.map && !!({GROUP}) && window.map._xzRedrawn > 0", timeout=120_000)
    drawn = frame.evaluate(DRAWN)
    assert drawn["clusters"] >= 3 and drawn["total"] == POINTS
    fonts = frame.evaluate("() => Object.values(window.map._layers).filter(l => l._xzCluster).map(l => l.options.font)")
    assert min(fonts) >= 24


def test_with_anonymous_viewing_off_the_points_reach_only_a_signed_in_browser(
        streamlit_server, tmp_path_factory, page, map_frame, wait_for_app):
    """The points travel by their own request (dashboard/pointdata.py): right after signing in it must carry the
    session cookie, and before signing in there is no map to ask for them."""
    path = tmp_path_factory.mktemp("dense-closed") / "dense.gpkg"
    store, _ = synthetic.build_store(path, 3_000)
    auth.add_user(store, "viewer1", PASSWORD, "viewer")
    url = streamlit_server(APP, env={"XZMAP_STORE": str(path), "XZMAP_ANONYMOUS_READ": "0"})
    page.goto(url)
    wait_for_app(page)
    assert page.locator(MAP_IFRAME).count() == 0
    fill_sign_in(page, "viewer1", PASSWORD)
    frame = map_frame(page, timeout=60_000)
    frame.wait_for_function(f"() => window.map && !!({GROUP}) && ({DRAWN})().total === 3000", timeout=60_000)
    assert page.get_by_text("点位数据未能载入").count() == 0


def test_a_filter_that_crosses_the_cluster_threshold_keeps_the_map_where_the_user_left_it(
        dense, page, map_frame, wait_for_app, choose):
    """龙王 holds about 9,400 points, of which about 1,960 are 待办: choosing 待办 goes from clusters to single points.
    The base map must stay (no remount): same Leaflet map, same zoom and centre; the legend's cluster row goes."""
    store = dense["store"]
    town = next(u for u in store.units().network if store.units().short(u.code) == "龙王")
    todo = len(store.points(Filter(unit_codes=(town.code,), stages=("待办",)), columns=("id",)))
    assert todo <= 2_000 < len(store.points(Filter(unit_codes=(town.code,)), columns=("id",)))
    frame = _open(page, f"{dense['url']}?unit=龙王", map_frame, wait_for_app)
    assert frame.evaluate("() => getComputedStyle(document.querySelector('.xz-cluster-row')).display") == "flex"
    for _ in range(2):  # the user zooms in with the + button
        zoom = frame.evaluate("() => window.map.getZoom()")
        frame.locator(".leaflet-control-zoom-in").click()
        frame.wait_for_function(f"() => window.map.getZoom() === {zoom + 1} && !window.map._animatingZoom")
    frame.evaluate("() => { window.map._xzSameMap = true; }")
    left = frame.evaluate("() => [window.map.getZoom(), window.map.getCenter().lat.toFixed(4)]")
    choose(page, "阶段", "待办")
    frame.wait_for_function(f"() => window.map && ({DRAWN})().total > 0 && ({DRAWN})().clusters === 0"
                            f" && Object.values(window.map._layers).filter(l => l._xzPoint).length <= {todo}",
                            timeout=60_000)
    assert frame.evaluate("() => window.map._xzSameMap === true")  # not remounted
    assert frame.evaluate("() => [window.map.getZoom(), window.map.getCenter().lat.toFixed(4)]") == left
    assert frame.evaluate("() => getComputedStyle(document.querySelector('.xz-cluster-row')).display") == "none"


def test_a_point_chosen_by_link_in_a_dense_view_is_centred_where_it_is_drawn_by_itself(
        dense, page, map_frame, wait_for_app):
    store = dense["store"]
    points = store.points(Filter(), columns=("id", "name", "lon", "lat"))
    chosen = points.iloc[len(points) // 2]
    frame = _open(page, f"{dense['url']}?point={chosen['id']}", map_frame, wait_for_app)
    page.get_by_text(chosen["name"]).first.wait_for()  # the detail panel shows it
    frame.wait_for_function(f"""() => Object.values(window.map._layers).some(l => l._xzPoint
        && Math.abs(l.getLatLng().lat - {float(chosen['lat'])}) < 1e-4
        && Math.abs(l.getLatLng().lng - {float(chosen['lon'])}) < 1e-4)""", timeout=30_000)
    assert frame.evaluate(f"""() => ({GROUP}).visibleClusters().every(c =>
        window.map.distance([c.lat, c.lng], [{float(chosen['lat'])}, {float(chosen['lon'])}]) > 1)""")


def test_town_names_never_cover_a_clusters_count(dense, page, map_frame, wait_for_app):
    frame = _open(page, dense["url"], map_frame, wait_for_app)
    covered = frame.evaluate("""() => {
        const discs = Object.values(window.map._layers).filter(l => l._xzCluster).map(l => {
            const p = window.map.latLngToContainerPoint(l.getLatLng()); return [p.x, p.y, l._radius * 0.64]; });
        const box = window.map.getContainer().getBoundingClientRect();
        return Array.from(document.querySelectorAll('.xz-area-label div')).filter(el => el.offsetWidth).map(el => {
            const r = el.getBoundingClientRect();
            const hit = discs.find(([x, y, d]) => r.left - box.left < x + d && r.right - box.left > x - d
                && r.top - box.top < y + d && r.bottom - box.top > y - d);
            return hit ? el.textContent : null; }).filter(Boolean); }""")
    assert covered == []
