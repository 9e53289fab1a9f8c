"""数据维护 for staff in the field (issue 12): the phone's position (定位到我) as a candidate with its accuracy and town,
refused when poor or outside the district; the duplicate check before adding; the kind a new point starts with; dates
that follow a status change."""
from __future__ import annotations

import pytest
import test_edit
from streamlit.testing.v1 import AppTest
from test_edit import point_of, save, texts, unit_code

from dashboard.components import coordinput, edit_add, edit_page, locate
from loaders import clock, model
from loaders.filters import Filter

open_edit = test_edit.open_edit  # the signed-in editing page, as a fixture
HUANGJI = (112.105, 32.335)  # inside 黄集镇's area


# The phone's position -------------------------------------------------------------------------------------------
def test_a_fix_becomes_a_candidate_with_its_accuracy_and_town(store):
    geography = store.geography()
    position = coordinput.from_fix(locate.Fix(*HUANGJI, accuracy_m=12.4), geography, 100)
    assert isinstance(position, coordinput.Position) and position.inside
    assert position.unit_code == unit_code(store, "黄集")
    assert "手机定位" in position.source and "12 米" in position.source


def test_a_poor_fix_is_refused_with_its_accuracy_and_the_limit(store):
    refusal = coordinput.from_fix(locate.Fix(*HUANGJI, accuracy_m=850), store.geography(), 100)
    assert isinstance(refusal, str) and "850 米" in refusal and "100 米" in refusal


def test_a_fix_outside_the_district_is_a_red_candidate_that_cannot_be_saved(store):
    wuhan = coordinput.from_fix(locate.Fix(114.30, 30.59, accuracy_m=8), store.geography(), 100)
    assert isinstance(wuhan, coordinput.Position) and not wuhan.inside
    assert "不在襄州区范围内" in wuhan.message


@pytest.mark.parametrize("payload, expected", [
    ({"error": "denied", "at": 1}, "权限"),
    ({"error": "insecure", "at": 1}, "HTTPS"),
    ({"error": "timeout", "at": 1}, "超时"),
    ({"error": "<script>", "at": 1}, "取不到位置"),  # an unknown code from a hand-made message
    ({"lon": "112.1", "lat": None, "accuracy": 5}, "取不到位置"),
    ({"lon": float("nan"), "lat": 32.3, "accuracy": 5}, "取不到位置"),
    ({"lon": 112.1, "lat": 32.3, "accuracy": -1}, "取不到位置"),
])
def test_a_failed_or_malformed_fix_says_why_and_gives_no_position(store, payload, expected):
    fix = locate.parse(payload)
    refusal = coordinput.from_fix(fix, store.geography(), 100)
    assert isinstance(refusal, str) and expected in refusal


def test_the_accuracy_limit_is_configurable_and_a_bad_value_falls_back(monkeypatch):
    from loaders import config

    monkeypatch.setenv("XZMAP_GPS_ACCURACY_M", "30")
    assert config.gps_accuracy_limit_m() == 30
    monkeypatch.setenv("XZMAP_GPS_ACCURACY_M", "abc")
    assert config.gps_accuracy_limit_m() == 100
    monkeypatch.setenv("XZMAP_GPS_ACCURACY_M", "0")  # would refuse every fix
    assert config.gps_accuracy_limit_m() == 100


# The duplicate check ----------------------------------------------------------------------------------------------
def _place(at: AppTest, lon: float, lat: float) -> AppTest:
    at.text_input(key="add_text").set_value(f"{lon:.6f}, {lat:.6f}").run()
    at.button(key="add_show").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_point_of_the_same_kind_within_50_m_is_shown_before_saving(open_edit, store):
    well = point_of(store, "黄集", "well")
    at = open_edit()
    at.radio(key=edit_page.MODE).set_value("新增点位").run()
    at.selectbox(key=edit_add.KIND).set_value("well").run()
    _place(at, well["lon"] + 0.0003, well["lat"])  # about 28 m east
    assert "可能是同一个" in texts(at.warning) and well["name"] in texts(at.markdown)
    before = len(store.points())
    at.text_input(key="af_name").set_value("又一口井")
    at.button(key="FormSubmitter:af_form-保存新点位").click().run()
    assert "附近已有同类点位" in texts(at.error) and len(store.points()) == before
    # "this is the same one": the existing well opens on its follow-up tab instead
    at.button(key=f"same_{well['id']}").click().run()
    assert at.session_state[edit_page.SELECTED] == well["id"]
    assert at.radio(key=edit_page.MODE).value == "修改点位"
    assert "跟踪督办" in texts(at.info) and len(store.points()) == before


def test_a_different_point_nearby_is_added_once_confirmed(open_edit, store):
    well = point_of(store, "黄集", "well")
    at = open_edit()
    at.radio(key=edit_page.MODE).set_value("新增点位").run()
    at.selectbox(key=edit_add.KIND).set_value("well").run()
    _place(at, well["lon"] + 0.0003, well["lat"])
    at.checkbox(key=edit_add.SAME_ONE).check().run()
    at.text_input(key="af_name").set_value("新打的二号井")
    at.button(key="FormSubmitter:af_form-保存新点位").click().run()
    assert len(store.points(Filter(keyword="新打的二号井"))) == 1, texts(at.error)


def test_another_kind_or_a_point_further_away_is_no_duplicate(open_edit, store):
    well = point_of(store, "黄集", "well")
    at = open_edit()
    at.radio(key=edit_page.MODE).set_value("新增点位").run()
    at.selectbox(key=edit_add.KIND).set_value("issue").run()
    _place(at, well["lon"] + 0.0003, well["lat"])
    assert "可能是同一个" not in texts(at.warning)
    at.selectbox(key=edit_add.KIND).set_value("well").run()
    _place(at, well["lon"] + 0.0010, well["lat"])  # about 94 m
    assert edit_add.nearby(store.points(), "well", well["lon"] + 0.0010, well["lat"], 50).empty
    assert "可能是同一个" not in texts(at.warning)


# The kind a new point starts with --------------------------------------------------------------------------------
def test_a_new_point_starts_with_the_kind_this_user_added_last(open_edit, store):
    at = open_edit()
    at.radio(key=edit_page.MODE).set_value("新增点位").run()
    assert at.selectbox(key=edit_add.KIND).value == "issue"  # nothing added yet: the commonest field report
    at.selectbox(key=edit_add.KIND).set_value("bridge").run()
    _place(at, *HUANGJI)
    at.text_input(key="af_name").set_value("黄集新发现的危桥")
    at.button(key="FormSubmitter:af_form-保存新点位").click().run()
    assert len(store.points(Filter(keyword="黄集新发现的危桥"))) == 1
    # a new session of the same user (the next day, another phone) starts from the audit log
    again = open_edit()
    again.radio(key=edit_page.MODE).set_value("新增点位").run()
    assert again.selectbox(key=edit_add.KIND).value == "bridge"


# Dates that follow the status --------------------------------------------------------------------------------------
def test_reopening_a_finished_well_clears_its_completion_date(open_edit, store):
    well = point_of(store, "黄集", "well")
    store.update_point(well["id"], {"status": "干井", "resolved_on": "2026-05-01"}, well["version"], "init")
    at = open_edit(point_id=well["id"])
    at.selectbox(key="ef_status").set_value("钻井中")
    save(at)
    after = store.point(well["id"])
    assert after["status"] == "钻井中" and not after["resolved_on"]
    assert "已清除原完成日期 2026-05-01" in texts(at.success)


def test_finishing_without_a_date_fills_today_in_beijing_time(open_edit, store):
    well = point_of(store, "黄集", "well")
    store.update_point(well["id"], {"status": "钻井中", "resolved_on": None}, well["version"], "init")
    at = open_edit(point_id=well["id"])
    at.selectbox(key="ef_status").set_value("已出水")
    save(at)
    assert store.point(well["id"])["resolved_on"] == clock.today().isoformat()


def test_a_date_the_user_typed_with_the_status_is_kept(open_edit, store):
    well = point_of(store, "黄集", "well")
    store.update_point(well["id"], {"status": "钻井中", "resolved_on": None}, well["version"], "init")
    at = open_edit(point_id=well["id"])
    at.selectbox(key="ef_status").set_value("已出水")
    at.date_input(key="ef_resolved_on").set_value(__import__("datetime").date(2026, 11, 20))
    save(at)
    assert store.point(well["id"])["resolved_on"] == "2026-11-20"


def test_resolved_on_for_every_stage():
    assert model.resolved_on_for("issue", "协商中", "2026-01-02", "2026-12-04") == (
        None, "「协商中」尚未完成，已清除原完成日期 2026-01-02")
    assert model.resolved_on_for("issue", "已解决", None, "2026-12-04")[0] == "2026-12-04"
    assert model.resolved_on_for("issue", "已解决", "2026-03-01", "2026-12-04") == ("2026-03-01", None)
    assert model.resolved_on_for("issue", "待协商", None, "2026-12-04") == (None, None)


# Photos in the detail panel of the map pages ---------------------------------------------------------------------
def test_the_detail_panel_shows_a_points_photos_and_none_once_deleted(run_page, store):
    from photo_files import sideways_jpeg

    from loaders import photos

    well = point_of(store, "黄集", "well")
    photo_id = store.add_photo(well["id"], photos.prepare(sideways_jpeg(), "井口.jpg"), "hj")
    at = run_page("well", {"point": well["id"]})
    assert "**照片**（1 张）" in [m.value for m in at.markdown]
    assert len(at.get("image")) == 1 and at.button(key=f"xz_detail_photo_{photo_id}").label == "放大"
    store.delete_photo(photo_id, "hj")
    at = run_page("well", {"point": well["id"]})
    assert not any("**照片**" in m.value for m in at.markdown) and not at.get("image")


def test_an_accuracy_just_over_the_limit_or_absurd_reads_sensibly(store):
    just_over = coordinput.from_fix(locate.Fix(*HUANGJI, accuracy_m=100.4), store.geography(), 100)
    assert "约 101 米，粗于 100 米" in just_over
    absurd = coordinput.from_fix(locate.Fix(*HUANGJI, accuracy_m=1e308), store.geography(), 100)
    assert "超过 100 公里" in absurd and len(absurd) < 120
    swapped = coordinput.from_fix(locate.Fix(32.335, 112.105, accuracy_m=5), store.geography(), 100)
    assert not swapped.inside and "nan" not in swapped.message and "不是有效的经纬度" in swapped.message

