"""The hostile corpus (tests/hostile.py) on every page, through AppTest: every point, village, description, follow-up
and an editor's name are hostile. No page breaks, and the map receives each name as data, exactly as stored."""
from __future__ import annotations

import hostile
import pytest
from hostile import HOSTILE_EDITOR
from pagehelpers import APP, PAGES, map_args, payloads
from streamlit.testing.v1 import AppTest

from loaders import auth
from loaders.filters import Filter
from loaders.store import GeoPackageStore

LAYER_PAGES = [None, "demo_site", "well", "bridge", "issue"]


def run(page: str, query: dict | None = None, token: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if token:
        at.session_state["auth_token"] = token
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def names_on_map(args: dict) -> list[str]:
    return sorted(name for payload in payloads(args) for name in payload.get("n", []))


def stored_names(store, kind: str | None = None) -> list[str]:
    return sorted(store.points(Filter(kinds=(kind,) if kind else ()))["name"])


@pytest.mark.parametrize("kind", LAYER_PAGES)
def test_map_pages_draw_every_hostile_name_literally(hostile_store_path, kind):
    store = GeoPackageStore(hostile_store_path)
    at = run(PAGES[kind])
    args = map_args(at)
    assert names_on_map(args) == stored_names(store, kind)  # not one character changed on the way
    script = args["feature_group"]
    assert "</script>" not in script and "<img" not in script  # only \u escapes of < reach the page
    # The table lists the same names, as text.
    table = next(d.value for d in at.dataframe if "名称" in d.value.columns)
    assert set(table["名称"]) <= set(stored_names(store, kind))


def test_the_progress_page_lists_hostile_names_and_units_as_text(hostile_store_path):
    store = GeoPackageStore(hostile_store_path)
    at = run("views/progress.py")
    assert names_on_map(map_args(at)) == stored_names(store)  # the map of today: every point, unchanged
    overdue = next(d.value for d in at.dataframe if "应办结日期" in d.value.columns)
    points = store.points()
    open_names = set(points.loc[points["stage"].isin(("待办", "进行中")), "name"])
    assert set(overdue["名称"]) == open_names  # the sample ends in 2023: every open point is overdue
    assert set(overdue["责任单位"]) - {"—"} <= set(points["responsible_unit"].dropna())


def test_a_hostile_point_opened_by_link_shows_its_story_escaped(hostile_store_path):
    store = GeoPackageStore(hostile_store_path)
    point = store.points(Filter(keyword="{{ 未闭合")).iloc[0]
    at = run(PAGES[None], {"point": point["id"]})
    shown = [m.value for m in at.markdown]
    assert any("\\{\\{ 未闭合" in text for text in shown)  # the heading, markdown-escaped
    assert not any("<script>" in text or "<img src=x" in text for text in shown)


def test_the_meeting_screen_shows_hostile_names_and_editors_as_text(hostile_store_path):
    store = GeoPackageStore(hostile_store_path)
    at = run("views/screen.py", {"tour": "off"})
    html = "\n".join(m.value for m in at.markdown)
    assert "&lt;script&gt;alert(&#x27;名称&#x27;)&lt;/script&gt;" in html  # the followed-up point, escaped
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "\u202e" not in html  # bidi override never reaches the feed
    assert "{{编辑}}&lt;b&gt;" in html  # the editor's name in 最新动态, as text
    assert len(map_args(at)["feature_group"]) > 0
    assert store.data_version() > 0


def test_the_edit_page_loads_a_hostile_point_into_its_form(hostile_store_path):
    store = GeoPackageStore(hostile_store_path)
    admin = auth.active_user(store, HOSTILE_EDITOR)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["auth_token"] = auth.start_session(store, admin)
    point = store.points(Filter(keyword="{% if x %}")).iloc[0]
    at.session_state["_xz_edit_selected"] = point["id"]
    at.run()
    at.switch_page("views/edit.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="ef_name").value == point["name"]  # the form holds the text, not a rendering of it
    assert sorted(names_on_map(map_args(at))) == stored_names(store)


@pytest.mark.parametrize("page", ["views/admin.py", "views/import_data.py"])
def test_staff_pages_open_with_a_hostile_user_signed_in(hostile_store_path, page):
    store = GeoPackageStore(hostile_store_path)
    at = run(page, token=auth.start_session(store, auth.active_user(store, HOSTILE_EDITOR)))
    captions = " ".join(c.value for c in at.caption)
    assert "\\{\\{编辑\\}\\}\\<b\\>" in captions  # the signed-in name, markdown-escaped


def test_stored_text_has_no_bidi_or_control_characters(hostile_store_path):
    store = GeoPackageStore(hostile_store_path)
    points = store.points()
    for column in ("name", "village", "description"):
        text = "".join(points[column].dropna())
        assert not any(ch in text for ch in "\u202e\u202d\u2066\u2067\u2068\u2069\x07"), column
    assert "\n" not in "".join(points["name"]) and "\n" in points["description"].iloc[0]
    assert hostile.stored("\u202e反转文字") in set(points["name"])


# Hand-made links: dates no date picker can show, a NUL in a record id. Each page opens, says what it ignored, and
# filters on the rest.
@pytest.mark.parametrize("page, query", [
    (PAGES[None], {"from": "9999-12-31", "to": "1800-01-01"}),
    (PAGES["issue"], {"from": "2100-01-02"}),
    ("views/activities.py", {"from": "2100-01-02", "to": "0001-01-01"}),
    ("views/activities.py", {"activity": "\x00"}),
    ("views/activities.py", {"activity": "A001\u202e"}),
    ("views/members.py", {"from": "9999-12-31", "to": "1800-01-01"}),
    ("views/progress.py", {"from": "9999-12-31", "to": "1800-01-01"}),
    (PAGES["issue"], {"point": "\x00\x01"}),
])
def test_hand_made_links_with_impossible_dates_or_ids_open_the_page(store_path, page, query):
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page)  # the link opens this page first, as a browser does
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    dates = [v for k, v in query.items() if k in ("from", "to")]
    if dates:
        notices = " ".join(w.value for w in at.warning).replace("\\", "")
        assert all(d in notices for d in dates), notices
        assert all(d.value is None for d in at.date_input)  # nothing half-applied
    else:
        assert not any("参加的委员" in m.value for m in at.markdown)  # no record opened from a bad id
