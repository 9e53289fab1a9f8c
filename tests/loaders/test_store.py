import datetime as dt
import sqlite3

import pandas as pd
import pyogrio
import pytest

from loaders import config, model
from loaders.store import NotFoundError, PointFilter, StaleEditError, initialise
from loaders.store.base import StoreError

SAMPLES = pd.read_csv(config.geodata_dir() / "sample_points.csv", dtype=str, keep_default_na=False)
ZHANGWAN = "420607001000"
HUANGJI = "420607102000"


def test_store_is_a_geopackage_that_gdal_reads_as_point_layer_in_wgs84(store_path):
    layers = {name: kind for name, kind in pyogrio.list_layers(store_path)}
    assert layers["points"] == "Point"
    assert layers["unit_areas"] in ("MultiPolygon", "Polygon")
    assert "district_outline" in layers
    info = pyogrio.read_info(store_path, layer="points")
    assert info["crs"] == "EPSG:4326"
    frame = pyogrio.read_dataframe(store_path, layer="points")
    assert len(frame) == len(SAMPLES)
    first = frame.iloc[0]
    assert first.geometry.x == pytest.approx(first["lon"]) and first.geometry.y == pytest.approx(first["lat"])


def test_every_sample_point_is_loaded_and_flagged_sample(store):
    points = store.points()
    assert sorted(points["id"]) == sorted(SAMPLES["id"])
    assert points["sample"].all()


def test_article_totals_are_reproduced(store):
    issues = store.points(PointFilter(kinds=("issue",)))
    assert (issues["status"] == model.ISSUE_RESOLVED).sum() == 24
    assert (issues["status"] == model.ISSUE_FORWARDED).sum() == 25
    sites = store.points(PointFilter(kinds=("demo_site",)))
    assert len(sites) == 17 and sites["unit_code"].nunique() == 17


def test_init_is_idempotent_and_never_overwrites(store_path, store):
    store.update_point(store.points()["id"][0], {"name": "改过的名字"}, 1, "tester")
    version = store.data_version()
    outcome, backup = initialise(store_path, config.geodata_dir())
    assert (outcome, backup) == ("exists", None)
    assert store.data_version() == version
    assert "改过的名字" in set(store.points()["name"])


def test_force_init_writes_a_timestamped_backup_first(store_path, store):
    point_id = store.points()["id"][0]
    store.update_point(point_id, {"name": "备份前的修改"}, 1, "tester")
    outcome, backup = initialise(store_path, config.geodata_dir(), force=True)
    assert outcome == "replaced" and backup.exists() and backup.name.startswith("xiangzhou.")
    assert "备份前的修改" not in set(store.points()["name"])
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT name FROM points WHERE id = ?", (point_id,)).fetchone()[0] == "备份前的修改"


@pytest.mark.parametrize(
    "where, check",
    [
        (PointFilter(kinds=("well",)), lambda p: set(p["kind"]) == {"well"}),
        (PointFilter(kinds=("well", "bridge")), lambda p: set(p["kind"]) == {"well", "bridge"}),
        (PointFilter(unit_codes=(HUANGJI,)), lambda p: set(p["unit_code"]) == {HUANGJI}),
        (PointFilter(statuses=("已出水", "干井")), lambda p: set(p["status"]) == {"已出水", "干井"}),
        (PointFilter(stages=("进行中",)), lambda p: set(p["stage"]) == {"进行中"}),
        (PointFilter(keyword="朱庄"), lambda p: p["name"].str.contains("朱庄").any()),
        (PointFilter(date_from="2022-01-01", date_to="2022-12-31"),
         lambda p: p["opened_on"].between("2022-01-01", "2022-12-31").all()),
        (PointFilter(bbox=(112.0, 32.2, 112.2, 32.4)),
         lambda p: p["lon"].between(112.0, 112.2).all() and p["lat"].between(32.2, 32.4).all()),
    ],
)
def test_each_filter_returns_only_and_all_matching_points(store, where, check):
    everything = store.points()
    found = store.points(where)
    assert len(found) > 0 and check(found)
    # Nothing matching was left out: the rest fail the check row by row.
    rest = everything[~everything["id"].isin(found["id"])]
    assert all(not check(rest.iloc[[i]]) for i in range(len(rest)))


def test_filters_combine_with_and(store):
    found = store.points(PointFilter(kinds=("issue",), unit_codes=(ZHANGWAN,), stages=("已完成",)))
    assert len(found) and set(found["kind"]) == {"issue"} and set(found["unit_code"]) == {ZHANGWAN}


def test_keyword_is_literal_not_a_pattern(store):
    assert store.points(PointFilter(keyword="%")).empty
    assert store.points(PointFilter(keyword="_")).empty
    assert store.points(PointFilter(keyword="'; DROP TABLE points; --")).empty
    assert len(store.points()) == len(SAMPLES)


def test_get_one_by_id(store):
    some = store.points().iloc[3]
    record = store.point(some["id"])
    assert record["name"] == some["name"] and record["version"] == 1
    assert store.point("p-doesnotexist") is None


def test_counts_by_unit_kind_and_stage_add_up(store):
    counts = store.counts()
    assert counts["n"].sum() == len(SAMPLES)
    wells = counts[counts["kind"] == "well"]
    assert wells["n"].sum() == (SAMPLES["kind"] == "well").sum()
    huangji = store.counts(PointFilter(unit_codes=(HUANGJI,)))
    assert set(huangji["unit_code"]) == {HUANGJI}


def test_new_point_gets_its_unit_from_its_position_and_an_audit_row(store):
    version = store.data_version()
    point_id = store.add_point({"kind": "well", "status": "规划", "name": "新井", "lon": 112.10, "lat": 32.34}, "小王")
    record = store.point(point_id)
    assert record["unit_code"] == HUANGJI and record["stage"] == "待办" and record["version"] == 1
    assert store.data_version() > version
    history = store.history(point_id)
    assert list(history["action"]) == ["create"] and history["user"][0] == "小王"


def test_point_outside_the_district_is_refused_with_its_distance(store):
    before = store.data_version()
    with pytest.raises(model.ValidationError) as caught:
        store.add_point({"kind": "well", "status": "规划", "name": "武汉的井", "lon": 114.30, "lat": 30.59}, "小王")
    assert "不在襄州区范围内，距区界约" in str(caught.value) and "公里" in str(caught.value)
    assert store.data_version() == before and len(store.points()) == len(SAMPLES)


def test_update_bumps_version_and_records_before_and_after(store):
    point_id = store.points(PointFilter(kinds=("issue",), statuses=("协商中",)))["id"][0]
    updated = store.update_point(point_id, {"status": "已解决", "resolved_on": dt.date.today().isoformat()}, 1, "小李")
    assert updated["version"] == 2 and updated["stage"] == "已完成"
    change = store.history(point_id).iloc[0]
    assert change["action"] == "update" and change["before"]["status"] == "协商中" and change["after"]["status"] == "已解决"


def test_stale_edit_is_refused_with_the_other_change_and_nothing_changes(store):
    point_id = store.points()["id"][0]
    store.update_point(point_id, {"description": "甲的修改"}, 1, "甲")
    with pytest.raises(StaleEditError) as caught:
        store.update_point(point_id, {"description": "乙的修改"}, 1, "乙")
    assert caught.value.current["description"] == "甲的修改" and "甲" in str(caught.value)
    assert store.point(point_id)["description"] == "甲的修改"


def test_invalid_update_changes_nothing(store):
    point_id = store.points(PointFilter(kinds=("well",)))["id"][0]
    before = store.point(point_id)
    with pytest.raises(model.ValidationError):
        store.update_point(point_id, {"status": "已解决"}, 1, "小王")
    assert store.point(point_id) == before


def test_only_editable_fields_can_be_changed(store):
    with pytest.raises(StoreError):
        store.update_point(store.points()["id"][0], {"version": 99}, 1, "小王")


def test_soft_delete_hides_and_restore_brings_back(store):
    point_id = store.points()["id"][0]
    store.delete_point(point_id, 1, "小王")
    assert point_id not in set(store.points()["id"])
    assert point_id in set(store.points(PointFilter(include_deleted=True))["id"])
    store.restore_point(point_id, "小王")
    assert point_id in set(store.points()["id"])
    assert list(store.history(point_id)["action"][:2]) == ["restore", "delete"]
    with pytest.raises(NotFoundError):
        store.restore_point("p-missing", "小王")


def test_follow_up_is_logged_and_can_move_the_status(store):
    point_id = store.points(PointFilter(statuses=("跟踪督办",)))["id"][0]
    before = len(store.follow_ups(point_id))
    today = dt.date.today().isoformat()
    updated = store.add_follow_up(point_id, {"date": today, "text": "现场复核，已通水", "status": "已解决"}, 1, "小李")
    assert updated["status"] == "已解决" and updated["version"] == 2 and updated["resolved_on"] == today
    entries = store.follow_ups(point_id)
    assert len(entries) == before + 1 and entries[-1]["text"] == "现场复核，已通水"
    with pytest.raises(model.ValidationError):
        store.add_follow_up(point_id, {"date": today, "text": " "}, 2, "小李")
    assert len(store.follow_ups(point_id)) == before + 1


def test_sample_follow_ups_are_in_date_order(store):
    with_log = [pid for pid in store.points()["id"] if store.follow_ups(pid)]
    assert with_log
    for pid in with_log:
        dates = [e["date"] for e in store.follow_ups(pid)]
        assert dates == sorted(dates)
