"""The real dashboard in Chromium with the network blocked: map, points, filters, clicks, links, screenshots."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from loaders import config
from loaders.store import Filter, GeoPackageStore, initialise

APP = "dashboard/app.py"
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}\\1"
POINTS_JS = """() => Object.values(window.map._layers)
    .filter(l => l.feature && l.feature.properties && 'i' in l.feature.properties).length"""
# Where the first visible point is drawn, relative to the map container.
POINT_XY = """() => { const m = Object.values(window.map._layers).find(l => l.feature && l.feature.properties &&
    'i' in l.feature.properties && window.map.getBounds().contains(l.getLatLng()));
    const p = window.map.latLngToContainerPoint(m.getLatLng());
    return [p.x, p.y]; }"""
# A DOM click at a map-container position, dispatched inside the iframe: Leaflet's canvas hit-testing decides what
# was clicked, exactly as for a mouse (Playwright's mouse coordinates drift while Streamlit settles its layout).
CLICK_AT = """([x, y]) => { const box = window.map.getContainer().getBoundingClientRect();
    const target = document.elementFromPoint(box.left + x, box.top + y);
    for (const type of ['mousedown', 'mouseup', 'click']) target.dispatchEvent(new MouseEvent(type,
        {clientX: box.left + x, clientY: box.top + y, bubbles: true, cancelable: true, view: window})); }"""
PAGES = [("", "总览", 113), ("demo_sites", "示范点", 17), ("wells", "水井", 21), ("bridges", "桥梁", 12),
         ("issues", "问题点", 63)]


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    """One server per module on a private store, with one point renamed to a hostile string."""
    path = tmp_path_factory.mktemp("dash") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    point = store.points(Filter(kinds=("issue",))).iloc[-1]
    store.update_point(point["id"], {"name": HOSTILE}, int(point["version"]), "test")
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "hostile": point, "store": store}


def _open(page, url, wait_for_app, map_frame, expected: int):
    page.goto(url)
    frame = map_frame(page)
    frame.wait_for_function(f"() => window.map && ({POINTS_JS})() === {expected}")
    wait_for_app(page)
    return frame


def _fine(page):
    assert page.blocked_requests == []
    errors = [e for e in page.console_errors if "_stcore" not in e and "404" not in e]
    assert errors == []


@pytest.mark.parametrize("path,title,expected", PAGES)
def test_each_page_draws_offline_in_chinese(page, server, wait_for_app, map_frame, screenshot, path, title, expected):
    frame = _open(page, f"{server['url']}/{path}", wait_for_app, map_frame, expected)
    assert frame.locator(".leaflet-container").count() == 1
    assert frame.locator(".xz-area-label").count() == 19
    assert "示意范围" in frame.locator(".xz-note").inner_text()
    assert frame.locator(".leaflet-tile").count() == 0  # no tiles at all with the offline base
    page.get_by_text(f"工作地图 · {title}").wait_for()
    # Chinese renders with a CJK font (not boxes): a Chinese string is much wider than a missing-glyph fallback.
    width = page.evaluate("""() => { const c = document.createElement('canvas').getContext('2d');
        c.font = '16px "Noto Sans CJK SC"'; return c.measureText('襄州区').width; }""")
    assert width > 40
    assert page.evaluate("() => document.fonts.check('16px \"Noto Sans CJK SC\"', '襄州')")
    page.set_viewport_size({"width": 1440, "height": 2200})
    page.wait_for_timeout(600)
    screenshot(page, f"dashboard_{path or 'overview'}.png")
    _fine(page)


def test_filter_change_keeps_the_map_mounted_and_zoom(page, server, wait_for_app, map_frame, choose):
    frame = _open(page, server["url"] + "/", wait_for_app, map_frame, 113)
    iframe = page.locator(MAP_IFRAME).element_handle()
    frame.evaluate("() => { window.__marker = 'kept'; window.map.setZoom(11, {animate: false}); }")
    page.wait_for_timeout(500)
    choose(page, "阶段", "进行中")
    page.keyboard.press("Escape")
    wait_for_app(page)
    frame.wait_for_function(f"() => ({POINTS_JS})() === 14")
    assert frame.evaluate("() => window.map.getZoom()") == 11
    assert frame.evaluate("() => window.__marker") == "kept"
    assert page.locator(MAP_IFRAME).count() == 1
    assert page.locator(MAP_IFRAME).element_handle().evaluate("(a, b) => a === b", iframe)
    assert "stage=" in page.url
    # the copied URL reproduces the view in a fresh page
    copied = page.url
    second = page.context.new_page()
    second.goto(copied)
    other = map_frame(second)
    other.wait_for_function(f"() => ({POINTS_JS})() === 14")
    second.close()
    _fine(page)


def test_clicking_a_point_shows_its_details_and_an_area_filters(page, server, wait_for_app, map_frame):
    code = server["store"].units().code_of("黄龙")
    expected = len(server["store"].points(Filter(unit_codes=(code,))))
    frame = _open(page, server["url"] + "/?unit=" + quote("黄龙"), wait_for_app, map_frame, expected)
    page.wait_for_timeout(1500)  # let streamlit-folium finish wiring its click handlers
    xy = frame.evaluate(POINT_XY)
    frame.evaluate(CLICK_AT, xy)
    page.wait_for_function("() => location.search.includes('point=')")
    page.get_by_text("关闭详情").wait_for()
    wait_for_app(page)
    assert "point=" in page.url
    assert page.get_by_text("经纬度（WGS-84）").count() >= 1
    # an area: click the 程河 label's position (labels do not take clicks; the area under them does)
    frame = map_frame(page)
    frame.evaluate("() => window.map.setZoom(9, {animate: false})")
    page.wait_for_timeout(1000)
    xy = frame.evaluate("""() => { const e = [...document.querySelectorAll('.xz-area-label div')]
        .find(d => d.textContent === '程河').getBoundingClientRect();
        const box = window.map.getContainer().getBoundingClientRect();
        return [e.left + e.width / 2 - box.left, e.bottom + 8 - box.top]; }""")
    frame.evaluate(CLICK_AT, xy)
    page.wait_for_function("() => decodeURIComponent(location.search).includes('unit=程河')")
    wait_for_app(page)
    _fine(page)


def test_hostile_name_shows_literally_without_a_dialog(page, server, wait_for_app, map_frame, screenshot):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    point = server["hostile"]
    frame = _open(page, f"{server['url']}/issues?point={point['id']}", wait_for_app, map_frame, 63)
    page.get_by_text(HOSTILE, exact=False).first.wait_for()
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    assert frame.locator(".leaflet-container").count() == 1
    page.wait_for_timeout(800)  # let the centring animation finish
    screenshot(page, "dashboard_hostile.png")
    assert dialogs == []
    _fine(page)
