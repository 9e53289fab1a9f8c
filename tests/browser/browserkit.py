"""What browser tests do with the dashboard the way staff do it: sign in through the page's own form (not the
sidebar's account box), and click a point on the map. Tests import these; conftest offers `fill_sign_in` as the
`sign_in` fixture. The caller waits for what it expects to follow."""
from __future__ import annotations

import re

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
XY_OF = """([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);
    const box = window.map.getContainer().getBoundingClientRect(); return [p.x + box.left, p.y + box.top]; }"""


def fill_sign_in(page, name: str, password: str) -> None:
    main = page.locator("[data-testid='stMain']")
    main.get_by_label("用户名").fill(name)
    main.get_by_label("密码").fill(password)
    main.get_by_role("button", name="登录").click()


def click_point(page, frame, lat: float, lng: float, zoom: int | None = None) -> None:
    """A click where (lat, lng) is on the map in `frame` (centred there at `zoom` first, when given)."""
    if zoom is not None:
        frame.evaluate("([lat, lng, zoom]) => { window.map.setView([lat, lng], zoom, {animate: false}); }",
                       [lat, lng, zoom])
        page.wait_for_timeout(400)
    x, y = frame.evaluate(XY_OF, [lat, lng])
    box = page.locator(MAP_IFRAME).bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def change_status_on_the_map(page, frame, record, status: str, wait_for_app) -> None:
    """On 数据维护: pick `record` on the map, choose `status` and save; returns once 已保存 shows."""
    click_point(page, frame, float(record["lat"]), float(record["lon"]), zoom=17)
    side = page.locator(".st-key-edit_side")
    side.get_by_text(record["name"]).first.wait_for()
    wait_for_app(page)
    side.get_by_label("状态 *").click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(status)}")).click()
    side.get_by_role("button", name="保存修改").click()
    page.get_by_text("已保存").wait_for()
