"""The consultation work in Chromium, on the bundled sample (network blocked): from the 总览 a leader goes to the
activity held at 朱庄社区, opens the water issue it raised, reads its follow-ups and 已解决; and from a district
group to the towns it pairs with. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import pytest

from loaders import config
from loaders.store import GeoPackageStore, initialise

APP = "dashboard/app.py"
WATER_ISSUE_NAME = "朱庄社区八组居民吃水难"
# The container position of the activity marker whose tooltip names a place, inside the map iframe.
MARKER_XY = """(needle) => { const m = Object.values(window.map._layers).find(l => l.feature && l.feature.properties
    && 'i' in l.feature.properties && l.getTooltip() && l.options.shape === 'diamond'
    && String(l.getTooltip()._content(l).textContent).includes(needle));
    if (!m) { return null; }
    window.map.setView(m.getLatLng(), 13, {animate: false});
    const p = window.map.latLngToContainerPoint(m.getLatLng()); return [p.x, p.y]; }"""
CLICK_AT = """([x, y]) => { const box = window.map.getContainer().getBoundingClientRect();
    const target = document.elementFromPoint(box.left + x, box.top + y);
    for (const type of ['mousedown', 'mouseup', 'click']) target.dispatchEvent(new MouseEvent(type,
        {clientX: box.left + x, clientY: box.top + y, bubbles: true, cancelable: true, view: window})); }"""


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("work") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "store": store}


def _fine(page):
    assert page.blocked_requests == []
    assert [e for e in page.console_errors if "_stcore" not in e and "404" not in e] == []


def test_from_the_overview_to_the_activity_its_issue_and_the_outcome(page, server, wait_for_app, map_frame,
                                                                    screenshot):
    store = server["store"]
    activities = store.activities()
    water = activities[activities["place"].fillna("").str.contains("朱庄社区")
                       | activities["topic"].str.contains("朱庄社区")].iloc[0]
    page.goto(server["url"] + "/")
    map_frame(page).wait_for_function("() => window.map")
    wait_for_app(page)
    page.get_by_text("委员参与").first.wait_for()  # the article's headline on the 总览
    page.get_by_role("link", name="协商活动").click()
    frame = map_frame(page)
    frame.wait_for_function("() => window.map && Object.values(window.map._layers).some(l => l.options && "
                            "l.options.shape === 'diamond')")
    wait_for_app(page)
    page.wait_for_timeout(1500)  # streamlit-folium wires its click handlers
    xy = frame.evaluate(MARKER_XY, water["topic"][:8])
    assert xy is not None, "the 朱庄社区 activity is on the map"
    page.wait_for_timeout(400)
    xy = frame.evaluate(MARKER_XY, water["topic"][:8])
    frame.evaluate(CLICK_AT, xy)
    page.wait_for_function("() => location.search.includes('activity=')")
    wait_for_app(page)
    page.get_by_text("参加的委员").first.wait_for()
    screenshot(page, "consultation_activity.png")
    row = page.locator("[data-testid='stHorizontalBlock']").filter(has_text=WATER_ISSUE_NAME).last
    row.get_by_role("button", name="查看").click()
    page.wait_for_function("() => location.pathname.endsWith('/issues') && location.search.includes('point=')")
    wait_for_app(page)
    page.get_by_text("来源与进展").wait_for()
    detail = page.locator("[data-testid='stColumn']").filter(has_text="来源与进展").last
    text = detail.inner_text()
    assert WATER_ISSUE_NAME in text and water["topic"] in text
    for entry in store.follow_ups(store.points().set_index("name").loc[WATER_ISSUE_NAME, "id"]):
        assert entry["text"][:10] in text
    assert text.rindex("结果") > text.rindex("跟踪督办") and "已解决" in text[text.rindex("结果"):]
    screenshot(page, "consultation_issue_timeline.png")
    _fine(page)


def test_from_a_district_group_to_the_towns_it_pairs_with(page, server, wait_for_app, map_frame, screenshot, choose):
    store = server["store"]
    groups = store.member_groups().set_index("code")
    pairs = store.group_pairings()
    district = pairs["district_group"].iloc[0]
    towns = list(pairs.loc[pairs["district_group"] == district, "town_group"])
    page.goto(server["url"] + "/members")
    map_frame(page).wait_for_function("() => window.map")
    wait_for_app(page)
    choose(page, "委员活动组", groups.at[district, "name"])
    wait_for_app(page)
    page.wait_for_function("(code) => location.search.includes('group=' + code)", arg=district)
    page.get_by_text(f"对口联系的乡镇活动组（{len(towns)} 个）").wait_for()
    for town in towns:
        assert page.get_by_text(groups.at[town, "name"], exact=True).count() >= 1
    frame = map_frame(page)
    frame.wait_for_function("(n) => Object.values(window.map._layers).filter(l => l instanceof L.Polyline && "
                            "!(l instanceof L.Polygon) && l.options.weight > 3).length === n", arg=len(towns))
    page.set_viewport_size({"width": 1440, "height": 1600})
    page.wait_for_timeout(600)
    screenshot(page, "consultation_pairing.png")
    _fine(page)
