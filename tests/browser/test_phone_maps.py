"""The map pages on a phone, in Chromium with touch emulation and the network blocked: one finger scrolls the page and
two move the map (Leaflet.GestureHandling, served locally), a tap beside a point opens it, the map starts within the
first screen, nothing runs off a 360 px screen; and the base maps carry gesture handling except the 大屏's."""
from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest

from loaders import auth, config
from loaders.store import Filter, GeoPackageStore, initialise

APP = "dashboard/app.py"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
PASSWORD = "huangji-2024"
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 640}
# How far the page has scrolled: the window and Streamlit's own scroller (stMain scrolls, not the window).
SCROLLED = """() => window.scrollY + (document.querySelector('[data-testid="stMain"]') || {scrollTop: 0}).scrollTop"""
SCROLL_BY = """(dy) => { const main = document.querySelector('[data-testid="stMain"]'); main.scrollTop += dy;
    window.scrollBy(0, dy); }"""
# Top of the map frame measured from the top of the page (whatever has scrolled).
MAP_TOP = """() => document.querySelector('iframe[title="streamlit_folium.st_folium"]').getBoundingClientRect().top
    + window.scrollY + document.querySelector('[data-testid="stMain"]').scrollTop"""
CENTER = "() => { const c = window.map.getCenter(); return [c.lat, c.lng, window.map.getZoom()]; }"
POINTS = """() => Object.values(window.map._layers).filter(l => l.feature && l.feature.properties
    && 'i' in l.feature.properties)"""
# A spot 15 px from a drawn point (inside the visible map) that is clearly nearer to it than to any other point (by
# the widest margin found): where a finger lands just beside a point. Returns the spot (container px) and the name.
TAP_BESIDE = """() => { const size = window.map.getSize();
    const pts = (""" + POINTS + """)().map(m => [m, window.map.latLngToContainerPoint(m.getLatLng())]);
    let best = null;
    for (const [m, p] of pts) {
        if (p.x < 40 || p.y < 40 || p.x > size.x - 40 || p.y > size.y - 40) continue;
        for (let k = 0; k < 16; k++) {
            const t = L.point(p.x + 15 * Math.cos(k * Math.PI / 8), p.y + 15 * Math.sin(k * Math.PI / 8));
            let margin = Infinity;
            for (const [n, q] of pts) if (n !== m) margin = Math.min(margin, t.distanceTo(q) - 15);
            if (!best || margin > best.margin) best = {x: t.x, y: t.y, margin,
                name: m._tooltip._content(m).querySelector('b').textContent};
        }
    }
    return best; }"""
OVERFLOW = """() => { const main = document.querySelector('[data-testid="stMain"]');
    const block = document.querySelector('[data-testid="stMainBlockContainer"]');
    return [document.documentElement.scrollWidth, document.body.scrollWidth, main.scrollWidth - main.clientWidth,
            block.scrollWidth - block.clientWidth]; }"""


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("phone") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    home = store.units().get(store.units().code_of("黄集"))
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "store": store, "code": home.code,
            "home": (home.lat, home.lon), "path": path}


def _collapse_sidebar(page) -> None:
    """On a phone Streamlit may open the sidebar over the page: close it, as a user would, to see the page."""
    if page.locator('[data-testid="stSidebar"][data-collapsed="false"]').count():
        page.locator('[data-testid="stSidebarCollapseButton"] button').click()
        page.locator('[data-testid="stSidebar"][data-collapsed="true"]').wait_for(state="attached")
        page.wait_for_timeout(500)


def _open(page, url, wait_for_app, map_frame, phone=True):
    page.goto(url)
    frame = map_frame(page)
    frame.wait_for_function("() => window.map && (" + POINTS + ")().length > 0")
    wait_for_app(page)
    if phone:
        _collapse_sidebar(page)
    return map_frame(page)


def _swipe(page, points, dy, steps=10):
    """A real touch gesture (CDP): fingers down at `points` (page px), moved by `dy` in `steps`, lifted."""
    cdp = page.context.new_cdp_session(page)

    def at(offset):
        return [{"x": x, "y": y + offset, "id": n} for n, (x, y) in enumerate(points)]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": at(0)})
    for k in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": at(dy * k / steps)})
        time.sleep(0.03)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
    page.wait_for_timeout(700)


def _fine(page):
    assert page.blocked_requests == []
    assert [e for e in page.console_errors if "_stcore" not in e and "404" not in e] == []


def test_one_finger_scrolls_the_page_two_fingers_move_the_map(phone, server, wait_for_app, map_frame, screenshot):
    page = phone(PHONE)
    frame = _open(page, server["url"] + "/", wait_for_app, map_frame)
    container = frame.locator(".leaflet-container")
    assert container.get_attribute("data-gesture-handling-touch-content") == "请用双指移动地图"
    assert "Ctrl" in container.get_attribute("data-gesture-handling-scroll-content")
    box = page.locator(MAP_IFRAME).bounding_box()
    start = min(box["y"] + box["height"], PHONE["height"]) - 30  # on the map, on the screen
    assert start > box["y"] + 60
    before, scrolled = frame.evaluate(CENTER), page.evaluate(SCROLLED)
    _swipe(page, [(box["x"] + box["width"] / 2, start)], -260)
    assert page.evaluate(SCROLLED) - scrolled > 150  # the page moved with the finger
    assert frame.evaluate(CENTER) == before  # the map did not
    screenshot(page, "phone_overview_390_swiped.png", full_page=False)

    # Two fingers move the map and leave the page where it is.
    box = page.locator(MAP_IFRAME).bounding_box()
    y = max(box["y"], 0) + min(box["height"], PHONE["height"] - max(box["y"], 0)) / 2
    x = box["x"] + box["width"] / 2
    scrolled = page.evaluate(SCROLLED)
    _swipe(page, [(x - 50, y), (x + 50, y)], -80)
    after = frame.evaluate(CENTER)
    assert after[0] < before[0] - 0.01 and after[2] == before[2]  # dragged up: the view went south, same zoom
    assert abs(page.evaluate(SCROLLED) - scrolled) < 5
    _fine(page)


def test_a_tap_beside_a_point_opens_it(phone, server, wait_for_app, map_frame, screenshot):
    page = phone(PHONE)
    frame = _open(page, server["url"] + "/issues", wait_for_app, map_frame)
    page.evaluate(SCROLL_BY, page.locator(MAP_IFRAME).bounding_box()["y"] - 60)  # the map on the screen
    page.wait_for_timeout(500)
    point = frame.evaluate(TAP_BESIDE)
    assert point["margin"] > 5, point  # the spot is nearer to this point than to any other
    box = page.locator(MAP_IFRAME).bounding_box()
    x, y = box["x"] + point["x"], box["y"] + point["y"]
    assert 0 < y < PHONE["height"] and 0 < x < PHONE["width"]
    page.touchscreen.tap(x, y)
    panel = page.locator("[data-testid='stMain'] h5", has_text=point["name"])
    panel.wait_for()
    wait_for_app(page)
    assert page.get_by_role("button", name="关闭详情").bounding_box()["height"] >= 44
    screenshot(page, "phone_issues_390_tapped.png", full_page=False)
    _fine(page)


def test_the_overview_map_starts_within_the_first_screen(phone, page, server, wait_for_app, map_frame, screenshot):
    small = phone(PHONE)
    frame = _open(small, server["url"] + "/", wait_for_app, map_frame)
    top = small.evaluate(MAP_TOP)
    assert top <= 900, top
    height = small.locator(MAP_IFRAME).bounding_box()["height"]
    assert 280 <= height <= 0.65 * PHONE["height"]  # the page can be scrolled past the map
    assert abs(frame.evaluate("() => window.map.getSize().y") - height) < 2  # the map fills its frame
    for control in (".leaflet-control-zoom-in", ".leaflet-control-zoom-out", ".leaflet-control-layers-toggle"):
        box = frame.locator(control).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (control, box)
    cards = small.locator(".st-key-xz_kpis [data-testid='stMetric']")
    tops = [round(cards.nth(k).bounding_box()["y"]) for k in range(cards.count())]
    assert cards.count() >= 12 and len(set(tops)) <= -(-cards.count() // 3)  # three small cards to a row
    screenshot(small, "phone_overview_390.png", full_page=False)

    # The desktop is as it was: the map 600 px high, seven table columns, cards in rows.
    desktop_frame = _open(page, server["url"] + "/", wait_for_app, map_frame, phone=False)
    assert page.locator(MAP_IFRAME).bounding_box()["height"] == 600
    assert desktop_frame.evaluate("() => window.map.getSize().y") == 600
    assert page.locator(".st-key-xz_point_table").is_visible()
    assert not page.locator(".st-key-xz_point_table_phone").is_visible()


@pytest.mark.parametrize("path", ["", "issues", "issues?point={point}"])
def test_nothing_runs_off_a_360_px_screen(phone, server, wait_for_app, map_frame, screenshot, path):
    point = server["store"].points(Filter(kinds=("issue",))).iloc[0]
    page = phone(SMALL_PHONE)
    _open(page, server["url"] + "/" + path.format(point=point["id"]), wait_for_app, map_frame)
    if "point=" in path:
        page.locator("[data-testid='stMain'] h5", has_text=point["name"]).wait_for()
    name = "phone_" + (re.sub(r"\W+", "_", path.split("?")[0]) or "overview") + ("_detail" if "point=" in path else "")
    shots = 0
    total = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    for offset in range(0, total, SMALL_PHONE["height"] - 80):  # every screen of the page
        page.evaluate(f"() => document.querySelector('[data-testid=\"stMain\"]').scrollTop = {offset}")
        page.wait_for_timeout(250)
        widths = page.evaluate(OVERFLOW)
        assert widths[0] <= 360 and widths[1] <= 360 and widths[2] <= 0 and widths[3] <= 0, (offset, widths)
        if shots < 6:
            screenshot(page, f"{name}_360_{shots}.png", full_page=False)
            shots += 1
    # The phone table: the three columns that matter, the desktop table hidden.
    table = page.locator(".st-key-xz_point_table_phone")
    assert table.is_visible() and not page.locator(".st-key-xz_point_table").is_visible()
    headers = table.locator("[role='columnheader']").all_inner_texts()
    assert [h.strip() for h in headers if h.strip()] == ["名称", "状态", "乡镇"]
    assert table.bounding_box()["x"] + table.bounding_box()["width"] <= 360
    buttons = page.locator("[data-testid='stMain'] [data-testid='stDownloadButton'] button").all()
    heights = [h for h in (b.evaluate("e => e.getBoundingClientRect().height") for b in buttons) if h]
    assert len(heights) == 5 and min(heights) >= 44, heights  # 简报 PDF / Word, 导出 CSV / Excel / GeoJSON
    _fine(page)


def test_a_tap_far_from_points_on_the_edit_map_places_a_point(phone, server, wait_for_app, map_frame, screenshot,
                                                              sign_in):
    page = phone(PHONE)
    page.goto(server["url"] + "/edit")
    wait_for_app(page)
    _collapse_sidebar(page)
    sign_in(page, "hj", PASSWORD)
    page.get_by_text("可修改黄集镇的点位").wait_for()
    page.get_by_text("新增点位", exact=True).click()
    wait_for_app(page)
    frame = map_frame(page)
    lat, lng = server["home"]
    frame.evaluate("([lat, lng]) => { window.map.setView([lat, lng], 13, {animate: false}); }", [lat, lng])
    page.evaluate(SCROLL_BY, page.locator(MAP_IFRAME).bounding_box()["y"] - 60)
    page.wait_for_timeout(600)
    # A spot in 黄集 at least 60 px from every point.
    spot = frame.evaluate("""([lat, lng]) => { const pts = (""" + POINTS + """)().map(m =>
            window.map.latLngToContainerPoint(m.getLatLng()));
        for (let k = 0; k < 40; k++) { const ll = [lat + 0.004 * Math.cos(k), lng + 0.004 * Math.sin(k) * k / 10];
            const p = window.map.latLngToContainerPoint(ll);
            if (pts.every(q => q.distanceTo(p) > 60)) return [p.x, p.y, ll[0], ll[1]]; }
        return null; }""", [lat, lng])
    assert spot is not None
    box = page.locator(MAP_IFRAME).bounding_box()
    page.touchscreen.tap(box["x"] + spot[0], box["y"] + spot[1])
    page.get_by_text("所在乡镇：黄集镇").wait_for()
    wait_for_app(page)
    map_frame(page).locator(".xz-crosshair").wait_for()
    screenshot(page, "phone_edit_390_tapped.png", full_page=False)
    _fine(page)


def test_base_maps_carry_gesture_handling_except_the_screen(tmp_path):
    """The plugin and our hints are on every page's map and served from /app/static; the 大屏 has none."""
    from dashboard import basemaps, data, mapview
    from dashboard.components.screen_page import darkmap
    from dashboard.folium_runtime import external_links

    initialise(tmp_path / "x.gpkg", config.geodata_dir())
    geography = data._map_geography(str(tmp_path / "x.gpkg"), 1, False)
    page_map = mapview.build_base_map(basemaps.get(basemaps.DEFAULT), geography)
    html = page_map.get_root().render()
    assert "L.xzGestures(" in html and "请用双指移动地图" in html
    assert any(isinstance(c, mapview.GestureHandling) for c in page_map._children.values())
    assert external_links(page_map) == []
    screen_map = darkmap.dark_base_map(geography, ("issue",))
    assert not any(isinstance(c, mapview.GestureHandling) for c in screen_map._children.values())
    assert "L.xzGestures(" not in screen_map.get_root().render()
