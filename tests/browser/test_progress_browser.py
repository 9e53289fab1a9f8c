"""The 进展 page in Chromium with the network blocked (issue 13): for one town it answers how many came in and were
settled per month, how long settling takes, what is overdue and whose; the play control walks the map through the
months by itself; and every map page links to it with the same filter."""
from __future__ import annotations

import re
import time

import pytest

from loaders import model
from loaders.filters import Filter
from loaders.store import GeoPackageStore

HUANGJI = "420607102000"


@pytest.fixture(scope="module")
def server(browser, bundled_app):
    url, path = bundled_app("progress")
    return {"url": url, "store": GeoPackageStore(path)}


def test_progress_for_one_town_says_what_came_in_what_is_overdue_and_whose(page, server, wait_for_app, map_frame,
                                                                          screenshot):
    store = server["store"]
    points = store.points(Filter(unit_codes=(HUANGJI,)))
    open_now = points[points["stage"].isin(model.OPEN_STAGES)]
    page.goto(f"{server['url']}/progress?unit=黄集")
    map_frame(page)
    wait_for_app(page)
    main = page.locator("[data-testid=stMain]")
    assert main.get_by_role("heading", name="每月新增与办结").is_visible()
    card = main.locator("[data-testid=stMetric]").filter(has_text="逾期")
    assert card.locator("[data-testid=stMetricValue]").inner_text() == str(len(open_now))
    # The month chart is drawn (vega renders a canvas or svg inside the chart element).
    assert main.locator("[data-testid=stVegaLiteChart]").first.locator("canvas, svg").count() >= 1
    overdue = main.locator("[data-testid=stDataFrame]").filter(has_text="应办结日期")
    overdue.first.wait_for()
    text = overdue.first.text_content()  # the grid is a canvas; its accessible table holds the text
    for name in open_now["name"]:  # every open point of 黄集 is overdue in the sample (it ends in 2023)
        assert name in text
    assert "区交通运输局" in main.locator("[data-testid=stDataFrame]").filter(has_text="责任单位").first.text_content()
    assert main.get_by_text(re.compile(r"共 \d+ 件已办结：中位 \d+ 天")).is_visible()
    screenshot(page, "progress_huangji.png")
    assert page.blocked_requests == []


def test_every_map_page_links_to_progress_with_its_towns(page, server, wait_for_app, map_frame):
    page.goto(f"{server['url']}/issues?unit=黄集")
    map_frame(page)
    wait_for_app(page)
    strip = page.locator("[data-testid=stMain]").get_by_text(re.compile(r"本月新增 \d+"))
    assert "逾期" in strip.inner_text()
    page.get_by_role("link", name="查看进展").click()
    page.wait_for_url(re.compile(r"/progress\?.*unit="))
    wait_for_app(page)
    assert page.locator("[data-testid=stMain]").get_by_text(re.compile("^黄集")).first.is_visible()


def test_play_keeps_stepping_month_after_month_and_starts_over_from_today(page, server, wait_for_app, map_frame):
    # 播放 is switched inside the map's fragment; it used to step once and then stand still (the fragment's timer is
    # set by the page's run), and pressed at today (where the slider starts) it did nothing at all.
    page.goto(f"{server['url']}/progress")
    map_frame(page)
    wait_for_app(page)
    main = page.locator("[data-testid=stMain]")
    caption = main.get_by_text(re.compile(r"^截至 \d{4}-\d{2}-\d{2}："))
    assert not caption.inner_text().startswith("截至 2021-")
    main.get_by_text("▶ 播放").click()
    seen = set()
    deadline = time.monotonic() + 25
    while len(seen) < 4 and time.monotonic() < deadline:
        text = caption.inner_text()[3:13]
        if text.startswith("20"):
            seen.add(text)
        time.sleep(0.3)
    assert len(seen) >= 4, seen
    assert min(seen).startswith("2021-")  # from the first month on
    main.get_by_text("▶ 播放").click()  # stop


def test_on_a_phone_progress_fits_the_screen_and_its_briefing_buttons_are_44_px(phone, server, wait_for_app,
                                                                                map_frame):
    page = phone()
    page.goto(f"{server['url']}/progress?unit=黄集")
    map_frame(page)
    wait_for_app(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for label in ("简报 PDF", "简报 Word"):
        box = page.get_by_role("button", name=label).bounding_box()
        assert box["y"] + box["height"] <= 844 and box["x"] + box["width"] <= 390, (label, box)
        assert box["height"] >= 44, (label, box)  # were 40 px on 进展 (the map pages' 44 px rule did not reach it)
