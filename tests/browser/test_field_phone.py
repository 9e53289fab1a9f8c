"""A day in the field, on a phone (390x844, touch, isMobile) with its position in 黄集, in Chromium with the network
blocked: sign in; 定位到我 fills the position with its accuracy and town; a new point with a photo taken sideways;
its status changed; a follow-up with two photos; the photos shown upright, EXIF-free, in the detail panel; the
change on the 大屏. Poor accuracy and a position outside the district are refused; files that are not photos change
nothing. Screenshots of each step at 390x844 and 360x640 in tests/artifacts/field_*.png."""
from __future__ import annotations

import re

import photo_files
import pytest
from browserkit import fill_sign_in

from loaders import auth, config
from loaders.store import Filter, GeoPackageStore, initialise

APP = "dashboard/app.py"
PHONE = {"width": 390, "height": 844}  # the phone fixture's default
SMALL_PHONE = {"width": 360, "height": 640}
PASSWORD = "huangji-2024"
HUANGJI = {"latitude": 32.335, "longitude": 112.105, "accuracy": 12}
MAIN = "[data-testid='stMain']"


@pytest.fixture(scope="module")
def server(browser, streamlit_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("field") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    store = GeoPackageStore(path)
    auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    return {"url": streamlit_server(APP, env={"XZMAP_STORE": str(path)}), "store": store}


def sign_in(page, server, wait_for_app):
    page.goto(server["url"] + "/edit")
    wait_for_app(page)
    fill_sign_in(page, "hj", PASSWORD)
    page.get_by_text("可修改黄集镇的点位").wait_for()


def shoot(page, screenshot, name: str) -> None:
    """The step at 390x844 and at 360x640 (then back)."""
    screenshot(page, f"field_{name}_390.png", full_page=False)
    page.set_viewport_size(SMALL_PHONE)
    page.wait_for_timeout(400)
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"], f"{name}: cut off at 360"
    screenshot(page, f"field_{name}_360.png", full_page=False)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)


def add_mode(page):
    page.locator(MAIN).get_by_text("新增点位", exact=True).first.click()
    page.get_by_role("button", name="定位到我").wait_for()


def locate_me(page, wait_for_app) -> None:
    """Tap 定位到我 once the page has settled (the map reports its size in a rerun right after the switch)."""
    wait_for_app(page)
    page.wait_for_timeout(500)
    page.get_by_role("button", name="定位到我").click()


def upload(page, key_prefix: str, files: list[tuple[str, bytes, str]]) -> None:
    box = page.locator(f"[class*='st-key-{key_prefix}']").first
    box.locator("input[type=file]").set_input_files(
        [{"name": name, "mimeType": mime, "buffer": data} for name, data, mime in files])
    for name, _, _ in files:
        box.get_by_text(name).wait_for()


def test_a_field_day_on_a_phone(phone, server, wait_for_app, screenshot, browser, choose, map_frame):
    page = phone(PHONE, HUANGJI)
    store = server["store"]
    sign_in(page, server, wait_for_app)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_attribute("aria-expanded") != "true"  # the sidebar does not cover the phone's screen
    shoot(page, screenshot, "1_signed_in")

    # 定位到我: the phone's position, its accuracy and its town, as a candidate to confirm
    add_mode(page)
    locate_me(page, wait_for_app)
    page.get_by_text("手机定位（精度约 12 米）").wait_for()
    page.get_by_text("所在乡镇：黄集镇").wait_for()
    shoot(page, screenshot, "2_located")

    # a new point with a photo taken sideways; the photo's own position is offered, not applied
    upload(page, "add_photos_", [("IMG_0001.jpg", photo_files.sideways_jpeg(), "image/jpeg")])
    page.get_by_role("button", name=re.compile("用照片的拍摄位置")).wait_for()
    page.get_by_role("button", name="用拍摄日期 2026-12-03 作登记日期").wait_for()
    page.locator(".st-key-af_name input").fill("黄集村口排水沟堵塞")
    page.get_by_role("button", name="保存新点位").click()
    page.get_by_text("已添加问题点「黄集村口排水沟堵塞」").wait_for()
    added = store.points(Filter(keyword="黄集村口排水沟堵塞"))
    assert len(added) == 1 and abs(added.iloc[0]["lon"] - 112.105) < 1e-6  # the located position, not the photo's
    point_id = added.iloc[0]["id"]
    assert len(store.photos(point_id)) == 1
    shoot(page, screenshot, "3_added")

    # its status changed
    choose(page, "状态 *", "协商中（进行中）")
    page.get_by_role("button", name="保存修改").click()
    page.get_by_text(re.compile("已保存「黄集村口排水沟堵塞」：修改了状态")).wait_for()
    assert store.point(point_id)["status"] == "协商中"

    # a follow-up with two photos
    page.get_by_role("tab", name="跟踪督办").click()
    page.locator(".st-key-fu_text textarea").fill("已约村委会和水利站现场查看，清淤后拍照对比")
    upload(page, "fu_photos_", [("before.jpg", photo_files.sideways_jpeg(), "image/jpeg"),
                                ("after.jpg", photo_files.sideways_jpeg(gps=False), "image/jpeg")])
    shoot(page, screenshot, "4_follow_up_filled")
    page.get_by_role("button", name="添加记录").dblclick()  # a double tap saves once, with no clash reported
    page.get_by_text(re.compile("督办记录（附照片 2 张）")).wait_for()
    wait_for_app(page)
    assert page.get_by_text("没有保存").count() == 0
    follow_ups = store.follow_ups(point_id)
    assert len(follow_ups) == 1
    assert sum(p["follow_up_fid"] == follow_ups[0]["fid"] for p in store.photos(point_id)) == 2

    # the photos as served: upright, no EXIF (no position of the phone leaves the server)
    page.get_by_role("tab", name="跟踪督办").click()
    images = page.locator("[data-testid='stImage'] img")
    images.first.wait_for()
    shoot(page, screenshot, "5_follow_up_photos")
    for source in [images.nth(i).get_attribute("src") for i in range(images.count())]:
        served = page.request.get(source if source.startswith("http") else server["url"] + source).body()
        upright, clean = photo_files.is_upright_and_clean(served)
        assert upright and clean
    page.get_by_role("button", name="放大").first.click()
    page.locator("[data-testid='stDialog'] img").wait_for()
    shoot(page, screenshot, "6_full_size")
    page.keyboard.press("Escape")

    # after their own follow-up, the point's form follows the new version: the next save is no clash
    page.get_by_role("tab", name="基本信息").click()
    choose(page, "状态 *", "跟踪督办（进行中）")
    page.get_by_role("button", name="保存修改").click()
    page.get_by_text(re.compile("已保存「黄集村口排水沟堵塞」：修改了状态")).wait_for()
    assert store.point(point_id)["status"] == "跟踪督办"

    # the 大屏 shows the change
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id="Asia/Shanghai")
    screen = context.new_page()
    screen.goto(server["url"] + "/screen")
    screen.get_by_text("黄集村口排水沟堵塞").first.wait_for()
    map_frame(screen)
    screen.locator("img.xz-feed-photo").first.wait_for()
    screenshot(screen, "field_7_screen.png", full_page=False)
    context.close()


@pytest.mark.parametrize("where, expected", [
    ({"latitude": 32.335, "longitude": 112.105, "accuracy": 850}, "精度约 850 米，粗于 100 米的要求"),
    ({"latitude": 30.59, "longitude": 114.30, "accuracy": 8}, "不在襄州区范围内"),
])
def test_poor_accuracy_and_outside_the_district_are_refused(phone, server, wait_for_app, screenshot, where,
                                                            expected):
    page = phone(PHONE, where)
    sign_in(page, server, wait_for_app)
    add_mode(page)
    before = len(server["store"].points())
    locate_me(page, wait_for_app)
    page.get_by_text(expected).first.wait_for()
    assert page.get_by_role("button", name="保存新点位").is_visible()
    page.locator(".st-key-af_name input").fill("不该保存的点")
    page.get_by_role("button", name="保存新点位").click()
    page.get_by_text("没有保存").first.wait_for()
    assert len(server["store"].points()) == before
    screenshot(page, f"field_refused_{'accuracy' if where['accuracy'] > 100 else 'outside'}.png", full_page=False)


def test_files_that_are_not_photos_are_named_and_change_nothing(phone, server, wait_for_app, screenshot):
    page = phone(PHONE, HUANGJI)
    store = server["store"]
    sign_in(page, server, wait_for_app)
    add_mode(page)
    locate_me(page, wait_for_app)
    page.get_by_text("手机定位（精度约 12 米）").wait_for()
    oversized = photo_files.sideways_jpeg() + b"\0" * (16 * 1024 * 1024)  # past the 15 MB photo limit
    upload(page, "add_photos_", [("名单.jpg", photo_files.not_an_image(), "image/jpeg"),
                                 ("半张.jpg", photo_files.truncated_jpeg(), "image/jpeg"),
                                 ("超大.jpg", oversized, "image/jpeg")])
    page.get_by_text("以下照片没有保存").wait_for()
    refusal = page.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert "「名单.jpg」不是照片" in refusal and "「半张.jpg」不完整或已损坏" in refusal
    assert "「超大.jpg」有 16.0 MB，超过 15 MB 的上限" in refusal
    before = (len(store.points()), store.data_version())
    page.locator(".st-key-af_name input").fill("带坏照片的点")
    page.get_by_role("button", name="保存新点位").click()
    page.get_by_text("没有保存，以下照片有问题").wait_for()
    assert (len(store.points()), store.data_version()) == before
    screenshot(page, "field_bad_photos.png", full_page=False)


def test_a_reload_keeps_the_sign_in_and_offers_the_unsaved_draft(phone, server, wait_for_app, screenshot):
    page = phone(PHONE, HUANGJI)
    sign_in(page, server, wait_for_app)
    add_mode(page)
    page.locator(".st-key-af_name input").fill("村口路灯不亮")
    page.locator(".st-key-af_description textarea").fill("晚上七点后全黑，老人出行不便")
    page.wait_for_timeout(1500)  # the draft is kept every second
    page.reload()  # what a phone does to a background tab
    wait_for_app(page)
    page.get_by_text("可修改黄集镇的点位").wait_for()  # still signed in: no sign-in form
    add_mode(page)
    page.get_by_text("未保存的草稿（2 项）").wait_for()
    shoot(page, screenshot, "8_draft_offered")
    page.get_by_role("button", name="恢复草稿").click()
    page.wait_for_function("document.querySelector('.st-key-af_name input').value === '村口路灯不亮' && "
                           "document.querySelector('.st-key-af_description textarea').value.includes('老人出行不便')")
    locate_me(page, wait_for_app)
    page.get_by_text("手机定位（精度约 12 米）").wait_for()
    page.get_by_text("不是同一个，仍然新增").click()  # the field day's point is right here
    wait_for_app(page)
    page.get_by_role("button", name="保存新点位").dblclick()  # a double tap adds it once
    page.get_by_text("已添加问题点「村口路灯不亮」").wait_for()
    wait_for_app(page)
    assert len(server["store"].points(Filter(keyword="村口路灯不亮"))) == 1
    assert page.evaluate("localStorage.getItem('xz-draft:add-issue')") is None  # a saved form leaves no draft
