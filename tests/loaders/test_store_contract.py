"""The store contract: every engine (GeoPackage, PostGIS) passes exactly these tests (the `store` fixture below
is parametrised over both). Round trips, every filter, version bumps, stale-write refusal, audit rows, soft
delete/restore, transactions, area replacement, users and sessions, and the article's totals after init."""
import datetime as dt

import pandas as pd
import pytest

from loaders import config, model
from loaders.filters import Filter
from loaders.store import NotFoundError, StaleEditError
from loaders.store.base import StoreError

SAMPLES = pd.read_csv(config.geodata_dir() / "sample_points.csv", dtype=str, keep_default_na=False)
ZHANGWAN = "420607001000"
HUANGJI = "420607102000"


@pytest.fixture
def store(any_store):
    return any_store


def test_every_sample_point_is_loaded_and_flagged_sample(store):
    points = store.points()
    assert sorted(points["id"]) == sorted(SAMPLES["id"])
    assert points["sample"].all()


def test_article_totals_are_reproduced(store):
    issues = store.points(Filter(kinds=("issue",)))
    assert (issues["status"] == model.ISSUE_RESOLVED).sum() == 24
    assert (issues["status"] == model.ISSUE_FORWARDED).sum() == 25
    sites = store.points(Filter(kinds=("demo_site",)))
    assert len(sites) == 17 and sites["unit_code"].nunique() == 17


@pytest.mark.parametrize(
    "where, check",
    [
        (Filter(kinds=("well",)), lambda p: set(p["kind"]) == {"well"}),
        (Filter(kinds=("well", "bridge")), lambda p: set(p["kind"]) == {"well", "bridge"}),
        (Filter(unit_codes=(HUANGJI,)), lambda p: set(p["unit_code"]) == {HUANGJI}),
        (Filter(statuses=("已出水", "干井")), lambda p: set(p["status"]) == {"已出水", "干井"}),
        (Filter(stages=("进行中",)), lambda p: set(p["stage"]) == {"进行中"}),
        (Filter(keyword="朱庄"), lambda p: p["name"].str.contains("朱庄").any()),
        (Filter(date_from=dt.date(2022, 1, 1), date_to=dt.date(2022, 12, 31)),
         lambda p: p["opened_on"].between("2022-01-01", "2022-12-31").all()),
        (Filter(bbox=(112.0, 32.2, 112.2, 32.4)),
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
    found = store.points(Filter(kinds=("issue",), unit_codes=(ZHANGWAN,), stages=("已完成",)))
    assert len(found) and set(found["kind"]) == {"issue"} and set(found["unit_code"]) == {ZHANGWAN}


def test_keyword_is_literal_not_a_pattern(store):
    assert store.points(Filter(keyword="%")).empty
    assert store.points(Filter(keyword="_")).empty
    assert store.points(Filter(keyword="'; DROP TABLE points; --")).empty
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
    huangji = store.counts(Filter(unit_codes=(HUANGJI,)))
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
    point_id = store.points(Filter(kinds=("issue",), statuses=("协商中",)))["id"][0]
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
    point_id = store.points(Filter(kinds=("well",)))["id"][0]
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
    assert point_id in set(store.points(Filter(include_deleted=True))["id"])
    store.restore_point(point_id, "小王")
    assert point_id in set(store.points()["id"])
    assert list(store.history(point_id)["action"][:2]) == ["restore", "delete"]
    with pytest.raises(NotFoundError):
        store.restore_point("p-missing", "小王")


def test_follow_up_is_logged_and_can_move_the_status(store):
    point_id = store.points(Filter(statuses=("跟踪督办",)))["id"][0]
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


# Transactions -----------------------------------------------------------------------------------------------------
def test_writes_in_one_transaction_land_together_and_move_the_version_once(store):
    first, second = store.points()["id"][:2]
    version = store.data_version()
    with store.transaction():
        store.update_point(first, {"description": "一起"}, 1, "甲")
        assert store.point(first)["description"] == "一起"  # reads inside see the transaction's own writes
        store.update_point(second, {"description": "一起"}, 1, "甲")
    assert store.data_version() == version + 1
    assert {store.point(first)["description"], store.point(second)["description"]} == {"一起"}


def test_an_error_inside_a_transaction_rolls_every_write_back(store):
    first, second = store.points()["id"][:2]
    version, audit = store.data_version(), len(store.history(limit=100_000))
    with pytest.raises(StaleEditError), store.transaction():
        store.update_point(first, {"description": "不该留下"}, 1, "甲")
        store.add_point({"kind": "well", "status": "规划", "name": "不该留下的井", "lon": 112.10, "lat": 32.34}, "甲")
        store.update_point(second, {"description": "版本不对"}, 7, "甲")
    assert store.point(first)["description"] != "不该留下" and store.points(Filter(keyword="不该留下的井")).empty
    assert store.data_version() == version and len(store.history(limit=100_000)) == audit


def test_an_update_that_changes_nothing_writes_nothing(store):
    point = store.point(store.points()["id"][0])
    version, history = store.data_version(), len(store.history(point["id"]))
    assert store.update_point(point["id"], {"name": point["name"]}, 1, "甲")["version"] == 1
    assert store.data_version() == version and len(store.history(point["id"])) == history


def test_a_move_takes_the_unit_of_the_new_position(store):
    point = store.point(store.points(Filter(unit_codes=(ZHANGWAN,)))["id"][0])
    moved = store.update_point(point["id"], {"lon": 112.10, "lat": 32.34}, point["version"], "甲")
    assert moved["unit_code"] == HUANGJI and (moved["lon"], moved["lat"]) == (112.10, 32.34)
    assert store.points(Filter(bbox=(112.0999, 32.3399, 112.1001, 32.3401)))["id"].tolist() == [point["id"]]


# Reads ------------------------------------------------------------------------------------------------------------
def test_points_come_newest_first_with_the_columns_asked_for(store):
    added = store.add_point({"kind": "bridge", "status": "正常", "name": "最新的桥", "lon": 112.10, "lat": 32.34}, "甲")
    frame = store.points(columns=("id", "name", "sample"))
    assert list(frame.columns) == ["id", "name", "sample"] and frame["id"].iloc[0] == added
    assert frame["sample"].dtype == bool and not frame["sample"].iloc[0]
    with pytest.raises(ValueError):
        store.points(columns=("id", "password_hash"))


def test_external_ids_find_their_point(store):
    point_id = store.add_point({"kind": "well", "status": "规划", "name": "台账井", "lon": 112.10, "lat": 32.34,
                                "external_id": "HJ-1"}, "甲")
    assert store.point_by_external_id("HJ-1")["id"] == point_id
    assert store.point_by_external_id("HJ-2") is None


@pytest.mark.parametrize("field, value, expected", [
    ("external_id", "HJ\x00-1", "外部编号"), ("external_id", "HJ-1\u202e", "外部编号"), ("external_id", "H" * 65, "太长"),
    ("id", "p\x00", "编号"), ("id", "p\x07", "编号")])
def test_ids_with_invisible_characters_or_too_long_are_refused(store, field, value, expected):
    # Such an id once reached the XLSX export (which then failed) and PostgreSQL (which cannot hold a NUL).
    before = store.checksums()
    with pytest.raises(model.ValidationError, match=expected):
        store.add_point({"kind": "well", "status": "规划", "name": "台账井", "lon": 112.10, "lat": 32.34,
                         field: value}, "甲")
    with pytest.raises(model.ValidationError, match="编号"):
        store.add_member({"id": value, "name": "王某", "level": "区", "sector": "科技界",
                          "group_code": store.member_groups()["code"].iloc[0]}, "甲")
    assert store.checksums() == before


def test_keyword_ignores_latin_case_and_searches_every_text_column(store):
    point_id = store.add_point({"kind": "issue", "status": "待协商", "name": "Road Lights", "lon": 112.10,
                                "lat": 32.34, "responsible_unit": "交警大队"}, "甲")
    assert store.points(Filter(keyword="road lights"))["id"].tolist() == [point_id]
    assert point_id in set(store.points(Filter(keyword="交警"))["id"])


def test_date_range_spans_the_registered_dates(store):
    low, high = store.date_range()
    dates = store.points()["opened_on"].dropna()
    assert (low, high) == (min(dates), max(dates))


def test_the_geography_and_units_after_init(store):
    units = store.units()
    assert len(units) == 22 and len(units.network) == 17 and units.code_of("黄集") == HUANGJI
    assert units.name(HUANGJI) == "黄集镇" and units.short(HUANGJI) == "黄集"
    areas = store.areas()
    assert len(areas) == 19 and sum(1 for a in areas if a["in_network"]) == 17
    assert all(a["schematic"] for a in areas)
    geography = store.geography()
    assert geography.unit_at(112.10, 32.34) == HUANGJI and not geography.inside(114.30, 30.59)
    assert 2400 < __import__("loaders.geography", fromlist=["area_km2"]).area_km2(store.outline()) < 2600


def test_history_lists_every_audited_change_newest_first(store):
    point_id = store.points()["id"][0]
    store.update_point(point_id, {"description": "一"}, 1, "甲")
    store.update_point(point_id, {"description": "二"}, 2, "乙")
    history = store.history(point_id)
    assert list(history["user"][:2]) == ["乙", "甲"] and history["after"].iloc[0] == {"description": "二"}
    assert list(store.history(limit=1)["user"]) == ["乙"]


def test_the_init_writes_one_create_row_per_point(store):
    init = store.history(limit=100_000)
    assert (init["action"] == "create").sum() == len(SAMPLES) and set(init["user"]) == {"init"}


# Areas ------------------------------------------------------------------------------------------------------------
def test_replacing_areas_changes_the_lookup_and_keeps_the_others(store):
    areas = {a["code"]: a for a in store.areas()}
    version = store.data_version()
    bigger = areas[HUANGJI]["geometry"].buffer(0.0)
    kept = store.replace_areas({HUANGJI: bigger}, "官方边界.shp", "管理员")
    assert HUANGJI not in kept and len(kept) == 18
    after = {a["code"]: a for a in store.areas()}
    assert not after[HUANGJI]["schematic"] and after[HUANGJI]["basis"] == "官方边界.shp"
    assert after[ZHANGWAN]["schematic"]
    assert store.data_version() > version
    assert store.history(limit=1)["action"].iloc[0] == "areas"


# Users and sessions -----------------------------------------------------------------------------------------------
def user_record(name="小王", role="editor", units=(HUANGJI,)):
    return {"name": name, "role": role, "units": units, "password_hash": "$2b$04$hash", "disabled": False,
            "failed_count": 0, "created_at": "2026-01-01T08:00:00+08:00", "updated_at": "2026-01-01T08:00:00+08:00"}


def test_users_round_trip_without_moving_the_data_version(store):
    users = store.users
    version = store.data_version()
    users.insert(user_record())
    users.insert(user_record("管理员", "admin", ()))
    got = users.get("小王")
    assert got["units"] == (HUANGJI,) and got["disabled"] is False and got["role"] == "editor"
    users.set("小王", units=(HUANGJI, ZHANGWAN), failed_count=2)
    assert users.get("小王")["units"] == (HUANGJI, ZHANGWAN) and users.get("小王")["failed_count"] == 2
    assert [u["name"] for u in users.all()] == ["小王", "管理员"] and users.count_active_admins() == 1
    users.set("管理员", disabled=True)
    assert users.count_active_admins() == 0 and users.get("没有") is None
    assert store.data_version() == version


def test_sessions_are_kept_by_hash_and_deleted_by_token_user_or_age(store):
    users = store.users
    users.insert(user_record())
    users.add_session("h1", "小王", "2026-01-01T08:00:00+08:00", "2026-01-01T16:00:00+08:00")
    users.add_session("h2", "小王", "2026-01-02T08:00:00+08:00", "2026-01-02T16:00:00+08:00")
    assert users.session("h1")["user"] == "小王"
    users.delete_sessions(expired_before="2026-01-01T23:00:00+08:00")
    assert users.session("h1") is None and users.session("h2") is not None
    users.delete_sessions(user="小王")
    assert users.session("h2") is None


def test_a_failed_user_transaction_changes_nothing(store):
    users = store.users
    users.insert(user_record())
    with pytest.raises(RuntimeError), users.transaction():
        users.set("小王", role="admin")
        users.add_session("h9", "小王", "2026-01-01T08:00:00+08:00", "2026-01-01T16:00:00+08:00")
        raise RuntimeError("中途出错")
    assert users.get("小王")["role"] == "editor" and users.session("h9") is None
