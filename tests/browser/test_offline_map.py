"""The folium map renders with no network: every asset comes from /app/static/."""

from __future__ import annotations

import tomllib
from pathlib import Path

import folium
import pytest
from folium.plugins import FastMarkerCluster, MarkerCluster

from dashboard.assets import STATIC_URL, check, static_path_for_url
from dashboard.folium_runtime import asset_urls, external_links, use_local_assets

APP = "tests/browser/apps/offline_map.py"
TITLE = "离线地图测试"


@pytest.fixture(scope="module")
def loaded(browser, streamlit_server):
    """Base URL of the test app (``browser`` first, so a missing browser skips before any server starts)."""
    return streamlit_server(APP)


def test_assets_installed():
    problems = check()
    assert not problems, "run `npm ci` and `python -m dashboard.assets install`: " + "; ".join(
        problems
    )
    for url in asset_urls():
        assert url.startswith(STATIC_URL + "/"), url
        assert static_path_for_url(url).is_file(), url


def test_use_local_assets_is_idempotent_and_complete():
    use_local_assets()
    first = (list(folium.Map.default_js), list(folium.Map.default_css),
             list(MarkerCluster.default_js), list(MarkerCluster.default_css))
    use_local_assets()
    assert first == (folium.Map.default_js, folium.Map.default_css,
                     MarkerCluster.default_js, MarkerCluster.default_css)
    assert folium.folium._default_js is folium.Map.default_js
    names = [n for n, _ in folium.Map.default_js]
    assert names[:2] == ["leaflet", "map_setup"]  # map-setup.js right after Leaflet
    assert "glyphicons_css" not in dict(folium.Map.default_css)
    assert FastMarkerCluster.default_js == MarkerCluster.default_js

    m = folium.Map(tiles=None, maxZoom=18)
    folium.Marker([32.1, 112.2], icon=folium.Icon(prefix="fa", icon="star")).add_to(m)
    FastMarkerCluster([[32.1, 112.2]]).add_to(m)
    assert external_links(m) == []
    html = m.get_root().render()
    assert "://" not in "".join(
        line for line in html.splitlines() if "<script src" in line or "<link " in line
    )


def test_streamlit_config_is_offline_friendly():
    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is True
    assert config["browser"]["gatherUsageStats"] is False  # else data.streamlit.io is fetched


def test_offline_map(page, loaded, wait_for_app, map_frame, screenshot):
    base_url = loaded
    page.goto(base_url + "/")
    frame = map_frame(page)

    # every marker/shape is drawn inside the map iframe
    frame.wait_for_selector(".marker-cluster")
    frame.wait_for_function(
        "() => [...document.querySelectorAll('img.leaflet-marker-icon')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    counts = frame.evaluate(
        """() => ({
            defaultIcons: document.querySelectorAll('img.leaflet-marker-icon').length,
            shadows: document.querySelectorAll('img.leaflet-marker-shadow').length,
            awesome: document.querySelectorAll('.leaflet-marker-pane .awesome-marker').length,
            clusters: [...document.querySelectorAll('.marker-cluster')].map(e => e.textContent.trim()),
            paths: document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length,
            tiles: document.querySelectorAll('.leaflet-tile').length,
        })"""
    )
    assert counts == {
        "defaultIcons": 1,  # the default folium.Marker (cluster members are hidden in the cluster)
        "shadows": 1,
        "awesome": 1,
        "clusters": ["3"],
        "paths": 2,  # GeoJson polygon + CircleMarker
        "tiles": 0,  # tiles=None
    }

    # the default marker image came from our static folder and decoded
    icon = frame.evaluate(
        """() => { const i = document.querySelector('img.leaflet-marker-icon');
                   return {src: i.src, w: i.naturalWidth, h: i.naturalHeight,
                           imagePath: L.Icon.Default.imagePath}; }"""
    )
    assert icon["w"] > 0 and icon["h"] > 0, icon
    assert icon["src"] == f"{base_url}{STATIC_URL}/vendor/leaflet/images/marker-icon.png", icon
    assert icon["imagePath"] == f"{STATIC_URL}/vendor/leaflet/images/"

    # libraries present, and every asset URL was fetched from this server
    libs = frame.evaluate(
        """() => ({leaflet: L.version, jquery: window.jQuery && jQuery.fn.jquery,
                   bootstrap: window.bootstrap && bootstrap.Tooltip.VERSION,
                   awesome: typeof L.AwesomeMarkers, cluster: typeof L.markerClusterGroup})"""
    )
    assert libs == {
        "leaflet": "1.9.3",
        "jquery": "3.7.1",
        "bootstrap": "5.2.2",
        "awesome": "object",
        "cluster": "function",
    }
    fetched = set(frame.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)"))
    expected = {base_url + u for u in asset_urls()}
    assert expected <= fetched, f"not loaded: {sorted(expected - fetched)}"

    # Font Awesome webfont loaded and the icon is rotated by our map.css
    frame.wait_for_function(
        "() => [...document.fonts].some(f => f.family.includes('Font Awesome 6 Free')"
        " && f.status === 'loaded')"
    )
    transform = frame.evaluate(
        "() => getComputedStyle(document.querySelector('.awesome-marker i')).transform"
    )
    assert transform not in ("none", ""), transform

    # Chinese text is rendered with a real CJK font, not boxes
    heading = page.get_by_role("heading", name=TITLE)
    heading.wait_for()
    fonts = _platform_fonts(page, '[data-testid="stHeading"] h1')
    assert any("CJK" in f["familyName"] or " SC" in f["familyName"] for f in fonts), fonts
    assert sum(f["glyphCount"] for f in fonts) >= len(TITLE), fonts

    path = screenshot(page, "offline_map.png")
    assert path.stat().st_size > 10_000

    # nothing tried to leave the machine, nothing failed
    assert page.blocked_requests == []
    assert page.failed_requests == []
    assert page.bad_responses == []
    assert page.console_errors == []


def _platform_fonts(page, selector: str) -> list[dict]:
    """Fonts Chromium actually used to draw the text of ``selector`` (via CDP)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"{selector} not found"
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
