"""The compact point layer draws every point, shows names literally, and reports clicks by row."""
import pytest

APP = "tests/browser/apps/point_layer.py"


@pytest.fixture(scope="module")
def base_url(browser, streamlit_server):
    return streamlit_server(APP)


def test_points_draw_tooltips_are_literal_and_clicks_return_the_row(page, base_url, wait_for_app, map_frame, screenshot):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base_url)
    wait_for_app(page)
    frame = map_frame(page)
    frame.wait_for_function("() => window.map_div && Object.keys(window.map_div._layers).length > 4")
    drawn = frame.evaluate("""() => Object.values(window.map_div._layers)
        .filter(l => l.feature && l.feature.properties && 'i' in l.feature.properties).length""")
    assert drawn == 4
    # Each marker is painted in its stage colour on the canvas (red-orange for the 待协商 issue).
    painted = frame.evaluate("""() => { const m = Object.values(window.map_div._layers)
        .find(l => l.feature && l.feature.properties && l.feature.properties.i === 0);
        const canvas = document.querySelector('canvas.leaflet-zoom-animated');
        const c = canvas.getBoundingClientRect(), box = window.map_div.getContainer().getBoundingClientRect();
        const p = window.map_div.latLngToContainerPoint(m.getLatLng());
        const scale = canvas.width / c.width;
        return Array.from(canvas.getContext('2d').getImageData(
            (p.x + box.left - c.left) * scale, (p.y + box.top - c.top) * scale, 1, 1).data); }""")
    assert painted[:3] == [0xE4, 0x57, 0x2E]
    # Hover the hostile point: its tooltip shows the text as text.
    box = frame.evaluate("""() => { const m = Object.values(window.map_div._layers)
        .find(l => l.feature && l.feature.properties && l.feature.properties.i === 0);
        const p = window.map_div.latLngToContainerPoint(m.getLatLng()); return [p.x, p.y]; }""")
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    page.mouse.move(iframe["x"] + box[0], iframe["y"] + box[1])
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert "<img src=x onerror=alert(1)>${alert(2)}\\1" in tooltip.inner_text()
    assert frame.locator(".leaflet-tooltip img").count() == 0
    page.mouse.click(iframe["x"] + box[0], iframe["y"] + box[1])
    page.get_by_text("clicked: a").wait_for()
    wait_for_app(page)
    screenshot(page, "point_layer.png")
    assert dialogs == [] and page.blocked_requests == []
