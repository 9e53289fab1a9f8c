"""The map frame is made once per content and shared by every session (dashboard/framecache.py): what a viewer gets
is exactly what st_folium would have sent, a second viewer of the same view costs no map build, and an edit, a
filter or a selected point gives a new frame."""
from __future__ import annotations

import pytest
from pagehelpers import APP, map_args, open_page, payloads, points_sent
from streamlit.testing.v1 import AppTest

from dashboard import basemaps, framecache, mapview
from dashboard.data import map_geography
from loaders import model
from loaders.auth import User
from loaders.editing import Editor
from loaders.filters import Filter


@pytest.fixture
def builds(monkeypatch):
    """How many times a page built its base map (the expensive part the cache saves)."""
    count = {"n": 0}
    real = mapview.build_base_map

    def counting(*args, **kwargs):
        count["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(mapview, "build_base_map", counting)
    return count


def test_the_cached_frame_is_exactly_what_st_folium_sends(store_path, monkeypatch):
    sent = []
    monkeypatch.setattr(framecache, "_real_component", lambda **kwargs: sent.append(kwargs))
    provider = basemaps.get(basemaps.DEFAULT)
    geography = map_geography(provider.gcj02)

    def build():
        return mapview.build_base_map(provider, geography), [mapview.selection_layer(geography, ["420607100"])]

    view = mapview.MapView((32.1, 112.2), 11)
    mapview.show(*build(), view)  # st_folium itself, uncached
    mapview.show_cached(("test", str(store_path)), build, view)
    direct, cached = ({k: v for k, v in args.items() if k != "on_change"} for args in sent)
    assert cached == direct
    assert cached["center"] == [32.1, 112.2] and cached["zoom"] == 11


def test_a_second_viewer_of_the_same_view_gets_the_same_frame_without_a_map_build(store_path, builds):
    first = AppTest.from_file(APP, default_timeout=60)
    first.query_params["unit"] = "黄集"
    first.run()
    assert builds["n"] == 1
    second = AppTest.from_file(APP, default_timeout=60)
    second.query_params["unit"] = "黄集"
    second.run()
    assert not second.exception
    assert builds["n"] == 1
    assert map_args(second)["feature_group"] == map_args(first)["feature_group"]

    other = AppTest.from_file(APP, default_timeout=60)
    other.query_params["unit"] = "古驿"  # another view: its own frame
    other.run()
    assert builds["n"] == 2
    assert map_args(other)["feature_group"] != map_args(first)["feature_group"]


def test_an_edit_gives_every_viewer_a_new_frame_with_it(store, store_path, builds):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["unit"] = "黄集"
    at.run()
    before = map_args(at)
    issue = store.points(Filter(kinds=("issue",), unit_codes=(store.units().code_of("黄集"),),
                                statuses=("待协商",))).iloc[0]
    Editor(store, User("staff", "admin")).update(issue["id"], {"status": model.ISSUE_RESOLVED}, int(issue["version"]))

    other = AppTest.from_file(APP, default_timeout=60)
    other.query_params["unit"] = "黄集"
    other.run()
    after = map_args(other)
    assert builds["n"] == 2
    assert points_sent(after) == points_sent(before)
    colours = [p["colors"][c] for p in payloads(after) for c in p["c"]]
    colours_before = [p["colors"][c] for p in payloads(before) for c in p["c"]]
    assert colours.count("#e4572e") == colours_before.count("#e4572e") - 1  # one 待办 point fewer


def test_the_selected_point_is_highlighted_in_its_own_frame_and_nobody_else_s(store, store_path):
    point = store.points(Filter(kinds=("issue",))).iloc[0]
    chosen = AppTest.from_file(APP, default_timeout=60)
    chosen.query_params["point"] = point["id"]
    chosen.run()
    plain = AppTest.from_file(APP, default_timeout=60)
    plain.run()
    highlighted = [p["highlight"] for p in payloads(map_args(chosen)) if p["highlight"] is not None]
    assert len(highlighted) == 1
    assert all(p["highlight"] is None for p in payloads(map_args(plain)))


def test_meeting_screens_showing_the_same_data_share_one_map_build(store, store_path, builds):
    def screen() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["tour"] = "off"
        at.switch_page("views/screen.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    first, second = screen(), screen()
    assert builds["n"] == 1
    assert map_args(second)["feature_group"] == map_args(first)["feature_group"]
    issue = store.points(Filter(kinds=("issue",), statuses=("待协商",))).iloc[0]
    Editor(store, User("staff", "admin")).update(issue["id"], {"status": model.ISSUE_RESOLVED}, int(issue["version"]))
    screen()  # new data: a new frame
    assert builds["n"] == 2


def test_an_id_the_map_does_not_show_shares_the_plain_frame(store, store_path, builds):
    def run(point: str, page: str | None = None) -> AppTest:
        return open_page(page, {"point": point})

    AppTest.from_file(APP, default_timeout=60).run()
    assert builds["n"] == 1
    for made_up in ("P-nope-1", "P-nope-2"):  # ids from a hand-made URL: the plain overview, no build
        assert all(p["highlight"] is None for p in payloads(map_args(run(made_up))))
    assert builds["n"] == 1
    well = store.points(Filter(kinds=("well",))).iloc[0]["id"]
    issues = run(well, "views/issues.py")  # highlighted on the overview (a build), not on 问题点
    assert all(p["highlight"] is None for p in payloads(map_args(issues)))
    assert builds["n"] == 3
    plain = AppTest.from_file(APP, default_timeout=60)
    plain.run()
    plain.switch_page("views/issues.py")
    plain.run()
    assert builds["n"] == 3  # the 问题点 frame the well's link got is the plain one
