"""The consultation part of the store contract, on both engines: groups and pairings, members, activities with
their members, the lineage from an activity to the issues it raised; validation, versions, stale writes, audit."""
import pytest

from loaders import model
from loaders.store import NotFoundError, StaleEditError
from loaders.store.base import StoreError

ZHANGWAN, HUANGJI = "420607001000", "420607102000"
ZHUZHUANG = (112.2035, 32.1164)  # 朱庄社区, 张湾街道
WATER_ISSUE = "s-5f670ca9d2"  # 朱庄社区八组居民吃水难
ZHANGWAN_SITE = "s-287aca9c11"  # 张湾街道“社区协商议事厅”示范点

GROUPS = [
    {"code": "QZT1", "name": "测试区直活动组", "level": "区直"},
    {"code": "TZW", "name": "测试张湾活动组", "level": "乡镇", "unit_code": ZHANGWAN},
    {"code": "THJ", "name": "测试黄集活动组", "level": "乡镇", "unit_code": HUANGJI},
]
PAIRINGS = [("QZT1", "TZW"), ("QZT1", "THJ")]


@pytest.fixture
def store(any_store):
    # Test groups beside whatever the bundled data holds (kept: its members and activities name them).
    existing = any_store.member_groups().to_dict("records")
    pairs = list(any_store.group_pairings().itertuples(index=False, name=None))
    any_store.replace_groups(existing + GROUPS, pairs + PAIRINGS, "admin")
    return any_store


def member(store, name="测某001", group="TZW", **extra) -> str:
    return store.add_member({"name": name, "level": "区", "sector": "农业和农村界", "group_code": group,
                             "contacts": 3, **extra}, "admin")


def activity(store, **extra) -> dict:
    record = {"date": "2022-07-02", "topic": "朱庄社区八组吃水难", "form": "现场+会场", "channel": "对口",
              "place": "朱庄社区八组", "lon": ZHUZHUANG[0], "lat": ZHUZHUANG[1], "groups": "QZT1、TZW",
              "departments": "区水利和湖泊局、区自来水公司", "expert_count": 2}
    return {**record, **extra}


def test_groups_and_pairings_round_trip(store):
    groups = store.member_groups().set_index("code")
    assert groups.loc["TZW", "unit_code"] == ZHANGWAN and groups.loc["QZT1", "level"] == "区直"
    pairs = store.group_pairings()
    assert set(pairs[pairs["district_group"] == "QZT1"]["town_group"]) == {"TZW", "THJ"}


def test_pairing_must_go_from_district_to_town_group(store):
    version = store.data_version()
    with pytest.raises(model.ValidationError, match="应由区直活动组指向乡镇活动组"):
        store.replace_groups(GROUPS, [("TZW", "QZT1")], "admin")
    assert store.data_version() == version and len(store.group_pairings()) >= 2


def test_a_group_still_in_use_cannot_be_removed(store):
    member(store)
    with pytest.raises(model.ValidationError, match="TZW"):
        store.replace_groups([g for g in GROUPS if g["code"] != "TZW"], [("QZT1", "THJ")], "admin")
    assert "TZW" in set(store.member_groups()["code"])


def test_member_round_trip_takes_the_unit_of_its_group(store):
    member_id = member(store)
    record = store.member(member_id)
    assert record["unit_code"] == ZHANGWAN and record["contacts"] == 3 and record["version"] == 1
    assert member_id in set(store.members()["id"])


@pytest.mark.parametrize("bad, message", [
    ({"level": "乡"}, "委员级别"), ({"sector": "无"}, "界别"), ({"group_code": "NOPE"}, "所在委员活动组"),
    ({"contacts": "12"}, "太多"), ({"contacts": "两个"}, "不是整数"), ({"name": ""}, "姓名"),
])
def test_a_bad_member_is_refused_naming_the_field(store, bad, message):
    before = len(store.members())
    with pytest.raises(model.ValidationError, match=message):
        member(store, **bad)
    assert len(store.members()) == before


def test_activity_round_trip_with_members_and_derived_unit(store):
    people = [member(store, f"测某{i:03d}") for i in range(3)]
    activity_id = store.add_activity({**activity(store), "members": people}, "admin")
    record = store.activity(activity_id)
    assert record["unit_code"] == ZHANGWAN  # from the position
    assert record["groups"] == ("QZT1", "TZW")
    assert record["departments"] == ("区水利和湖泊局", "区自来水公司") and record["department_count"] == 2
    assert record["members"] == tuple(sorted(people)) and record["date"] == "2022-07-02"
    table = store.activities()
    assert activity_id in set(table["id"])
    assert table.set_index("id").loc[activity_id, "groups"] == ("QZT1", "TZW")


def test_activity_at_a_demonstration_site_must_name_a_real_site(store):
    store.add_activity(activity(store, demo_site_id=ZHANGWAN_SITE), "admin")
    with pytest.raises(model.ValidationError, match="示范点编号"):
        store.add_activity(activity(store, demo_site_id=WATER_ISSUE), "admin")  # an issue, not a site


@pytest.mark.parametrize("bad, message", [
    ({"form": "座谈"}, "形式"), ({"channel": "随便"}, "协商渠道"), ({"date": "2022-13-40"}, "日期"),
    ({"lon": "北京"}, "经度"), ({"lon": 116.4, "lat": 39.9}, "区界"), ({"groups": "不存在组"}, "委员活动组"),
    ({"members": ["m-nobody"]}, "参加的委员"), ({"topic": ""}, "议题"), ({"expert_count": "-3"}, "专家人数"),
    ({"public_count": "1e400"}, "群众"), ({"department_count": "inf"}, "部门数"), ({"expert_count": "nan"}, "专家"),
    ({"date": "0001-01-01"}, "太早"),
])
def test_a_bad_activity_is_refused_and_nothing_is_written(store, bad, message):
    before, version = len(store.activities()), store.data_version()
    with pytest.raises(model.ValidationError, match=message):
        store.add_activity(activity(store, **bad), "admin")
    assert len(store.activities()) == before and store.data_version() == version


def test_activity_update_versions_audits_and_refuses_stale_saves(store):
    activity_id = store.add_activity(activity(store), "admin")
    people = [member(store, "测某101")]
    after = store.update_activity(activity_id, {"outcome": "一个月内解决500多名居民用水", "members": people}, 1, "黄集编辑")
    assert after["version"] == 2 and after["members"] == tuple(people) and after["updated_by"] == "黄集编辑"
    with pytest.raises(StaleEditError) as stale:
        store.update_activity(activity_id, {"outcome": "覆盖"}, 1, "另一人")
    assert stale.value.current["outcome"].startswith("一个月内")
    actions = list(store.history(activity_id)["action"])
    assert actions == ["activity_update", "activity_create"]


def test_deleted_activity_leaves_the_list_but_keeps_its_record(store):
    activity_id = store.add_activity(activity(store), "admin")
    store.delete_activity(activity_id, 1, "admin")
    assert activity_id not in set(store.activities()["id"])
    assert activity_id in set(store.activities(include_deleted=True)["id"])
    with pytest.raises(StaleEditError):
        store.delete_activity(activity_id, 1, "admin")


def test_lineage_one_raising_activity_and_later_discussions(store):
    first = store.add_activity(activity(store), "admin")
    later = store.add_activity(activity(store, date="2022-08-01"), "admin")
    existing = store.issue_activities(WATER_ISSUE)
    for row in existing.itertuples():  # the bundled lineage of this issue, if any, gives way to the test's
        store.unlink_issue(row.point_id, row.activity_id, "admin")
    store.link_issue(WATER_ISSUE, first, "提出", "admin")
    store.link_issue(WATER_ISSUE, later, "再次协商", "admin")
    with pytest.raises(StoreError, match="只有一个提出它的活动"):
        store.link_issue(WATER_ISSUE, later, "提出", "admin")
    links = store.issue_activities(WATER_ISSUE).set_index("activity_id")["role"].to_dict()
    assert links == {first: "提出", later: "再次协商"}
    assert (WATER_ISSUE, "提出") in store.activity(first)["issues"]
    assert list(store.history(WATER_ISSUE)["action"])[:2] == ["issue_link", "issue_link"]


def test_only_issue_points_and_real_activities_are_linked(store):
    activity_id = store.add_activity(activity(store), "admin")
    with pytest.raises(NotFoundError, match="问题点"):
        store.link_issue(ZHANGWAN_SITE, activity_id, "提出", "admin")
    with pytest.raises(NotFoundError, match="协商活动"):
        store.link_issue(WATER_ISSUE, "a-none", "提出", "admin")
    with pytest.raises(model.ValidationError, match="关系"):
        store.link_issue(WATER_ISSUE, activity_id, "随便", "admin")


def test_issue_outcome_numbers_are_point_fields(store):
    point = store.point(WATER_ISSUE)
    after = store.update_point(WATER_ISSUE, {"proposal_no": "襄州政协提案第2022045号"}, point["version"], "admin")
    assert after["proposal_no"] == "襄州政协提案第2022045号"
    assert "proposal_no" in model.fields_for("issue") and "opinion_no" in model.fields_for("issue")


def test_hostile_text_in_activities_is_stored_as_given(store):
    text = "{{ 7*7 }}<script>alert(1)</script>"
    activity_id = store.add_activity(activity(store, topic=text, summary=text), "admin")
    assert store.activity(activity_id)["topic"] == text


def test_copy_carries_the_consultation_tables(store, tmp_path):
    from loaders.store import copying, gpkg

    store.add_activity({**activity(store), "members": [member(store)]}, "admin")
    target = gpkg.create_empty(tmp_path / "copy.gpkg")
    result = copying.copy(store, target)
    for table in ("member_groups", "group_pairings", "members", "activities", "activity_members"):
        assert result.tables[table][0] == store.checksums()[table][0] > 0


# Rights: the Editor applies the town rule of points to activities and members ------------------------------------
@pytest.fixture
def huangji_editor(store, monkeypatch):
    from loaders import auth
    from loaders.editing import Editor

    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    user = auth.add_user(store, "hj", "password-123", "editor", ["黄集镇"])
    return Editor.for_session(store, auth.start_session(store, user))


HUANGJI_FIELD = (112.0733, 32.3410)  # 太山村, 黄集镇


def test_an_editor_adds_activities_and_members_in_their_own_town_only(store, huangji_editor):
    from loaders.editing import PermissionDenied

    activity_id = huangji_editor.add_activity(activity(store, lon=HUANGJI_FIELD[0], lat=HUANGJI_FIELD[1],
                                                       groups="THJ", topic="岗地打井"))
    assert store.activity(activity_id)["updated_by"] == "hj"
    before = len(store.activities())
    with pytest.raises(PermissionDenied, match="张湾街道"):
        huangji_editor.add_activity(activity(store))  # at 朱庄社区, 张湾街道
    with pytest.raises(PermissionDenied, match="张湾街道"):  # names 黄集镇 but lies in 张湾
        huangji_editor.add_activity(activity(store, unit_code=HUANGJI))
    assert len(store.activities()) == before
    assert store.member(huangji_editor.add_member({"name": "测某201", "level": "区", "sector": "科技界",
                                                   "group_code": "THJ"}))["unit_code"] == HUANGJI
    with pytest.raises(PermissionDenied, match="区直委员活动组"):
        huangji_editor.add_member({"name": "测某202", "level": "区", "sector": "科技界", "group_code": "QZT1"})


def test_a_town_editor_cannot_touch_a_district_group_member_even_one_living_in_their_town(store, huangji_editor):
    from loaders.editing import PermissionDenied

    resident = member(store, "测某301", group="QZT1", unit_code=HUANGJI)  # a 区直 member who lives in 黄集
    before = store.member(resident)
    with pytest.raises(PermissionDenied, match="区直委员活动组"):
        huangji_editor.update_member(resident, {"name": "被改名"}, before["version"])
    with pytest.raises(PermissionDenied, match="区直委员活动组"):
        huangji_editor.add_member({"name": "测某302", "level": "区", "sector": "科技界", "group_code": "QZT1",
                                   "unit_code": HUANGJI})
    assert store.member(resident) == before


def test_an_editor_cannot_move_or_delete_another_towns_activity(store, huangji_editor):
    from loaders.editing import PermissionDenied

    theirs = store.add_activity(activity(store), "admin")  # 张湾
    with pytest.raises(PermissionDenied, match="不能修改协商活动"):
        huangji_editor.update_activity(theirs, {"topic": "改题"}, 1)
    with pytest.raises(PermissionDenied, match="不能删除协商活动"):
        huangji_editor.delete_activity(theirs, 1)
    mine = huangji_editor.add_activity(activity(store, lon=HUANGJI_FIELD[0], lat=HUANGJI_FIELD[1], groups="THJ"))
    with pytest.raises(PermissionDenied, match="张湾街道"):
        huangji_editor.update_activity(mine, {"lon": ZHUZHUANG[0], "lat": ZHUZHUANG[1]}, 1)
    assert store.activity(mine)["version"] == 1 and store.activity(theirs)["topic"] == activity(store)["topic"]
    with pytest.raises(PermissionDenied, match="只有管理员"):
        huangji_editor.replace_groups(GROUPS, PAIRINGS)
    with pytest.raises(PermissionDenied, match="张湾街道"):
        huangji_editor.link_issue(WATER_ISSUE, mine, "再次协商")


def test_a_lost_session_writes_no_activity(store, huangji_editor):
    from loaders import auth
    from loaders.editing import SESSION_LOST, PermissionDenied

    auth.set_disabled(store, "hj", True)
    before = store.data_version()
    with pytest.raises(PermissionDenied, match=SESSION_LOST[:6]):
        huangji_editor.add_activity(activity(store, lon=HUANGJI_FIELD[0], lat=HUANGJI_FIELD[1], groups="THJ"))
    assert store.data_version() == before
