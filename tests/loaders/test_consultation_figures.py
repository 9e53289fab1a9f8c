"""The consultation work in figures and the activity filter, on a store holding a small, hand-made set of groups,
members and activities (the bundled sample is checked against the article in tests/geodata and test_cli)."""
import datetime as dt

import pytest
from work_fixtures import HUANGJI, OPINION_ISSUE, WATER_ISSUE, ZHANGWAN, add_work

from loaders import figures
from loaders.filters import ActivityFilter


@pytest.fixture
def work(store):
    return add_work(store)


def test_headline_counts_distinct_members_and_activities_per_town(store, work):
    before = figures.headline(store)
    everything = figures.headline(store, since="2022-01-01", until="2022-12-31")
    assert everything.activities >= 2 and everything.three_level >= 1
    huangji = figures.headline(store, (HUANGJI,), since="2022-01-01", until="2022-12-31")
    assert huangji.members_taking_part == 4 and huangji.activities == 1 and huangji.three_level == 1
    zhangwan = figures.headline(store, (ZHANGWAN,), since="2022-07-02", until="2022-07-02")
    assert zhangwan.members_taking_part == 4 and zhangwan.activities == 1
    assert before.district_groups >= 1 and before.pairings >= 2


def test_participation_per_member_and_group_marks_idle_groups(store, work):
    members, groups = figures.participation(store, "2022-01-01", "2022-12-31")
    both = members.set_index("id").loc[work["zw"][0]]
    assert both["activities"] == 2 and both["issues"] == 3 and both["solved"] == 2 and both["forwarded"] == 1
    groups = groups.set_index("code")
    assert groups.loc["THJ", "activities"] == 1 and groups.loc["THJ", "forwarded"] == 1
    assert groups.loc["TIDLE", "activities"] == 0 and groups.loc["TIDLE", "members"] == 0
    assert "测试张湾活动组" in groups.loc["QZT1", "paired_with"] and groups.loc["TZW", "paired_with"] == "测试区直活动组"
    later, _ = figures.participation(store, "2023-01-01", None)
    assert later.set_index("id").loc[work["zw"][0], "activities"] == 0


def test_outcomes_are_typed(store, work):
    point = store.point(WATER_ISSUE)
    store.update_point(WATER_ISSUE, {"proposal_no": "提案第1号"}, point["version"], "admin")
    outcomes = figures.issue_outcomes(store).set_index("id")
    assert outcomes.loc[WATER_ISSUE, "outcome"] == "形成提案（提案第1号）→已解决"
    assert outcomes.loc[WATER_ISSUE, "activity_id"] == work["water"]
    assert outcomes.loc[OPINION_ISSUE, "outcome"].startswith("转社情民意")


def test_activity_filter_reads_and_writes_the_url(store, work):
    units = store.units()
    names = dict(zip(store.member_groups()["code"], store.member_groups()["name"]))
    wanted, problems = ActivityFilter.from_query(
        {"unit": "黄集", "group": "测试黄集活动组", "form": "现场,座谈", "channel": "三级联动", "member": "黄某000",
         "from": "2022-01-01"}, units, names)
    assert problems == ["形式「座谈」"]
    assert wanted.unit_codes == (HUANGJI,) and wanted.groups == ("THJ",) and wanted.forms == ("现场",)
    assert wanted.date_from == dt.date(2022, 1, 1)
    again, _ = ActivityFilter.from_query(wanted.to_query(units), units, names)
    assert again == wanted
    shown = wanted.apply(store.activities(), store.activity_members(), store.members())
    assert list(shown["id"]) == [work["wells"]]
    assert "黄集" in wanted.describe(units, names) and "测试黄集活动组" in wanted.describe(units, names)


@pytest.mark.parametrize("query, expected", [
    ({"member": "张某001"}, {"water"}), ({"member": "张某000"}, {"water", "wells"}), ({"q": "农业农村局"}, {"wells"}), ({"q": "水利和湖泊"}, {"water", "wells"}),
    ({"channel": "对口"}, {"water"}), ({"group": "QZT1"}, {"water"}), ({"to": "2022-05-01"}, {"wells"}),
])
def test_activity_filter_narrows_by_each_field(store, work, query, expected):
    units = store.units()
    names = dict(zip(store.member_groups()["code"], store.member_groups()["name"]))
    wanted, problems = ActivityFilter.from_query(query, units, names)
    assert not problems
    shown = set(wanted.apply(store.activities(), store.activity_members(), store.members())["id"])
    mine = {work["water"]: "water", work["wells"]: "wells"}
    assert {mine[i] for i in shown if i in mine} == expected
