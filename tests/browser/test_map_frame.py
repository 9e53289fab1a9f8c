"""The map's frame on the desk pages, in Chromium with the network blocked: the wheel scrolls the page and zooms the
map only with Ctrl or after a click on the map (until the mouse leaves it), a 全区 button, no zooming out past the
district, a scale in kilometres, a height that follows the window, and overdue points drawn in a dashed ring."""
from __future__ import annotations

import pytest

from dashboard import data
from loaders import auth, config, progress
from loaders.store import Filter, GeoPackageStore, initialise

APP = "dashboard/app.py"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
PASSWORD = "huangji-2024"
SCROLLED = """() => window.scrollY + (document.querySelector('[data-testid="stMain"]') || {scrollTop: 0}).scrollTop"""
SCROLL_BY = """(dy) => { const main = document.querySelector('[data-testid="stMain"]'); main.scrollTop += dy;
    window.scrollBy(0, dy); }"""
ZOOM = "() => window.map.getZoom()"
POINTS = """() => Object.values(window.map._layers).filter(l => l.feature && l.feature.properties
    && 'i' in l.feature.properties)"""
RINGS = "() => Object.values(window.map._layers).filter(l => l._xzLate).length"
# Whether the map shows all of [[south, west], [north, east]].
SHOWS = "(b) => window.map.getBounds().contains(L.latLngBounds(b))"
# A spot on the map (container px) left of the district, halfway down the visible part: clicking it hits no area.
BLANK_SPOT = """([west, top, bottom]) => { for (let x = 8; x < 200; x += 4) {
    const y = (top + bottom) / 2; if (window.map.containerPointToLatLng([x + 6, y]).lng < west) return [x, y]; }
    return null; }"""


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("frame") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    south, west, north, east = data._map_geography(str(path), store.data_version(), False).bounds[""]
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "store": store,
            "district": [[south, west], [north, east]]}


def _open(page, url, wait_for_app, map_frame):
    page.goto(url)
    frame = map_frame(page)
    frame.wait_for_function("() => window.map && window.map.getContainer().classList.contains('xz-gestures')")
    wait_for_app(page)
    return frame


def _map_on_screen(page):
    """Scroll the page so the map's frame starts 100 px below the top of the window; returns its box."""
    page.evaluate(SCROLL_BY, page.locator(MAP_IFRAME).bounding_box()["y"] - 100)
    page.wait_for_timeout(300)
    return page.locator(MAP_IFRAME).bounding_box()


def _wheel(page, dy, ticks=3):
    for _ in range(ticks):
        page.mouse.wheel(0, dy)
        page.wait_for_timeout(250)
    page.wait_for_timeout(400)


def _sign_in(page, url, wait_for_app, sign_in):
    page.goto(url + "/edit")
    wait_for_app(page)
    sign_in(page, "hj", PASSWORD)
    page.get_by_text("可修改黄集镇的点位").wait_for()
    page.get_by_text("新增点位", exact=True).click()
    wait_for_app(page)


def _fine(page):
    assert page.blocked_requests == []
    assert [e for e in page.console_errors if "_stcore" not in e and "404" not in e] == []


@pytest.mark.parametrize("path", ["", "activities", "members", "edit"])
def test_the_wheel_scrolls_the_page_and_zooms_the_map_only_with_ctrl_or_after_a_click(page, server, wait_for_app,
                                                                                       map_frame, screenshot, sign_in,
                                                                                       path):
    if path == "edit":  # the point picker of 数据维护
        _sign_in(page, server["url"], wait_for_app, sign_in)
        frame = map_frame(page)
    else:
        frame = _open(page, f"{server['url']}/{path}", wait_for_app, map_frame)
    box = _map_on_screen(page)
    x, y = box["x"] + box["width"] / 2, 300
    page.mouse.move(x, y)
    zoom, scrolled = frame.evaluate(ZOOM), page.evaluate(SCROLLED)

    _wheel(page, 120)  # a plain wheel: the page moves, the map does not
    assert page.evaluate(SCROLLED) > scrolled + 150
    assert frame.evaluate(ZOOM) == zoom
    assert "Ctrl" in frame.locator(".leaflet-container").get_attribute("data-gesture-handling-scroll-content")

    box = _map_on_screen(page)
    page.mouse.move(box["x"] + box["width"] / 2, 300)
    scrolled = page.evaluate(SCROLLED)
    page.keyboard.down("Control")
    _wheel(page, -120)  # Ctrl + wheel: the map zooms in, the page stays
    page.keyboard.up("Control")
    assert frame.evaluate(ZOOM) > zoom
    assert abs(page.evaluate(SCROLLED) - scrolled) < 5

    # The 全区 button brings the whole district back.
    home = frame.get_by_role("button", name="全区：显示整个襄州区")
    assert home.get_attribute("title") == "全区"
    home.click()
    frame.wait_for_function(SHOWS, arg=server["district"])
    assert frame.evaluate(ZOOM) <= zoom

    # The scale bar: metres or kilometres, never miles.
    scales = frame.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scales) == 1 and scales[0].strip().endswith(("km", " m")), scales
    _fine(page)
    if path == "edit":  # a click on this map places a point: the wheel-after-a-click part is on the other pages
        return

    # After a click on the map the wheel zooms it, until the mouse leaves the map.
    box = _map_on_screen(page)
    spot = frame.evaluate(BLANK_SPOT, [server["district"][0][1], 0, min(box["height"], 900 - box["y"])])
    assert spot is not None
    zoom, scrolled = frame.evaluate(ZOOM), page.evaluate(SCROLLED)
    page.mouse.click(box["x"] + spot[0], box["y"] + spot[1])
    page.wait_for_timeout(300)
    wait_for_app(page)
    _wheel(page, -120)
    assert frame.evaluate(ZOOM) > zoom
    assert abs(page.evaluate(SCROLLED) - scrolled) < 5
    screenshot(page, f"map_frame_wheel_{path or 'overview'}.png", full_page=False)
    page.mouse.move(box["x"] - 40, 300, steps=5)  # out of the map (onto the page) and back in
    page.mouse.move(box["x"] + box["width"] / 2, 300, steps=5)
    zoom = frame.evaluate(ZOOM)
    _wheel(page, 120)
    assert page.evaluate(SCROLLED) > scrolled + 150
    assert frame.evaluate(ZOOM) == zoom
    _fine(page)


def test_zooming_out_stops_with_the_whole_district_on_the_map(page, server, wait_for_app, map_frame):
    frame = _open(page, server["url"] + "/", wait_for_app, map_frame)
    _map_on_screen(page)
    floor = frame.evaluate("() => window.map.getMinZoom()")
    assert floor >= 8
    zoom_out = frame.locator(".leaflet-control-zoom-out")
    for _ in range(8):  # a user presses − until it gives up (Leaflet greys it out at the floor)
        if "leaflet-disabled" in zoom_out.get_attribute("class"):
            break
        zoom_out.click()
        page.wait_for_timeout(350)
    assert "leaflet-disabled" in zoom_out.get_attribute("class")
    assert frame.evaluate(ZOOM) == floor
    assert frame.evaluate(SHOWS, server["district"])
    # The district is still a good part of the map, not a speck: at least a third of its width.
    width = frame.evaluate("""(b) => { const m = window.map; return (m.latLngToContainerPoint([b[0][0], b[1][1]]).x
        - m.latLngToContainerPoint([b[0][0], b[0][1]]).x) / m.getSize().x; }""", server["district"])
    assert width >= 0.33, width
    # Dragged far away, the map comes back to the district.
    box = page.locator(MAP_IFRAME).bounding_box()
    for _ in range(4):
        page.mouse.move(box["x"] + 40, 300)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 40, 320, steps=8)
        page.mouse.up()
        page.wait_for_timeout(300)
    assert frame.evaluate("""(b) => window.map.getBounds().intersects(L.latLngBounds(b))""", server["district"])
    _fine(page)


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 2560, "height": 1440}])
def test_the_map_height_follows_the_window(browser, server, wait_for_app, map_frame, screenshot, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        frame = _open(page, server["url"] + "/", wait_for_app, map_frame)
        box = page.locator(MAP_IFRAME).bounding_box()
        assert abs(frame.evaluate("() => window.map.getSize().y") - box["height"]) < 2  # the map fills its frame
        if viewport["height"] == 768:
            assert box["y"] + 200 <= 768  # the map starts on the first screen, with room to see it
            assert 440 <= box["height"] <= 560
        else:
            assert box["height"] >= 900  # not stuck at 600 px on a big screen
            assert box["y"] + box["height"] <= 1440 + 100
        screenshot(page, f"map_frame_{viewport['width']}x{viewport['height']}.png", full_page=False)
    finally:
        context.close()


def test_overdue_points_are_drawn_in_a_dashed_ring_with_their_days(page, server, wait_for_app, map_frame, screenshot):
    overdue = progress.report(server["store"], Filter()).overdue
    assert len(overdue) > 0  # the bundled data has overdue points
    frame = _open(page, server["url"] + "/", wait_for_app, map_frame)
    frame.wait_for_function(f"() => ({RINGS})() === {len(overdue)}")
    legend = frame.locator(".xz-legend")
    assert "逾期（虚线圈）" in legend.inner_text()
    # Hover the overdue point farthest from any other point: its tooltip says by how many days it is overdue.
    spot = frame.evaluate("""() => { const rings = Object.values(window.map._layers).filter(l => l._xzLate)
            .map(r => window.map.latLngToContainerPoint(r.getLatLng()));
        const pts = (""" + POINTS + """)().map(m => window.map.latLngToContainerPoint(m.getLatLng()));
        let best = null;
        for (const p of rings) { const gap = Math.min(...pts.filter(q => q.distanceTo(p) > 0.5).map(q => q.distanceTo(p)));
            if (!best || gap > best.gap) best = {x: p.x, y: p.y, gap}; }
        return best; }""")
    assert spot["gap"] > 8
    box = _map_on_screen(page)
    page.mouse.move(box["x"] + spot["x"], box["y"] + spot["y"], steps=4)
    page.wait_for_timeout(100)  # points.js answers at most one move per 32 ms: a last small move after a pause
    page.mouse.move(box["x"] + spot["x"] + 1, box["y"] + spot["y"])
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for()
    name = tooltip.locator("b").inner_text()
    days = int(overdue.set_index("name").loc[name, "days_over"])
    assert f"逾期 {days:,} 天" in tooltip.inner_text()  # days with their thousands separated
    page.locator(MAP_IFRAME).screenshot(path=str(screenshot(page, "map_frame_overdue_page.png", full_page=False)
                                                 .with_name("map_frame_overdue.png")))
    _fine(page)
