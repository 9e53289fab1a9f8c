"""Checks on the bundled sample of the consultation work (geodata/build_consultation.py) against the article
(../shared/seed/article.txt): 270余名委员、30余场次、24 solved、25 forwarded, 8 district groups paired with 17,
317 district members, six three-level consultations, and the named cases at their places."""
from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point, shape

from loaders.consultation import CHANNELS, FORMS, LEVELS, SECTORS

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "geodata"
FILES = ("member_groups.csv", "group_pairings.csv", "members.csv", "activities.csv", "activity_members.csv",
         "issue_activities.csv", "issue_outcomes.csv")


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(GEO / name, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def data():
    return {name.removesuffix(".csv"): _csv(name) for name in FILES + ("sample_points.csv", "units.csv")}


@pytest.fixture(scope="module")
def areas():
    features = json.loads((GEO / "unit_areas.geojson").read_text(encoding="utf-8"))["features"]
    return {f["properties"]["code"]: shape(f["geometry"]) for f in features}


def _raised_by(data, topic_part: str) -> pd.DataFrame:
    activities = data["activities"]
    hit = activities[activities["topic"].str.contains(topic_part, regex=False)]
    assert len(hit) >= 1, topic_part
    links = data["issue_activities"]
    ids = links[links["activity_id"].isin(hit["id"]) & (links["role"] == "提出")]["point_id"]
    return data["sample_points"].set_index("id").loc[list(ids)]


def test_the_article_headline(data):
    activities, taking_part, members = data["activities"], data["activity_members"], data["members"]
    assert 30 <= len(activities) < 40  # 共开展活动30余场次
    assert 270 <= taking_part["member_id"].nunique() < 300  # 270余名政协委员
    assert (members["level"] == "区").sum() == 317  # 317名区政协委员
    assert set(members["level"]) == set(LEVELS)  # 驻区省、市政协委员 too
    assert (activities["channel"] == "三级联动").sum() == 6  # 开展一线协商6次
    assert activities["topic"][activities["channel"] == "三级联动"].str.contains("323").sum() == 1


def test_eight_district_groups_pair_with_the_seventeen(data):
    groups = data["member_groups"].set_index("code")
    pairs = data["group_pairings"]
    assert (groups["level"] == "区直").sum() == 8 and (groups["level"] == "乡镇").sum() == 17
    units = data["units"]
    assert set(groups.loc[groups["level"] == "乡镇", "unit_code"]) == set(units.loc[units["in_network"] == "1", "code"])
    assert set(pairs["district_group"]) == set(groups.index[groups["level"] == "区直"])
    assert sorted(pairs["town_group"]) == sorted(groups.index[groups["level"] == "乡镇"])  # each town group once


def test_members_are_flagged_fictional_and_keep_only_a_count_of_contacts(data):
    members = data["members"]
    assert (members["sample"] == "1").all() and members["id"].is_unique
    assert set(members["sector"]) <= set(SECTORS)
    assert set(members["contacts"].astype(int)) <= {2, 3}  # 2至3名界别群众
    assert set(members["group_code"]) <= set(data["member_groups"]["code"])
    assert set(data["activity_members"]["member_id"]) <= set(members["id"])
    assert list(members.columns) == ["id", "name", "level", "sector", "group_code", "unit_code", "contacts", "sample"]


def test_activities_are_valid_and_inside_their_town(data, areas):
    activities = data["activities"]
    assert activities["id"].is_unique and (activities["sample"] == "1").all()
    assert set(activities["form"]) <= set(FORMS) and set(activities["channel"]) <= set(CHANNELS)
    assert set(activities["source_note"].str[:5]) == {"示例数据："}
    for row in activities.itertuples():
        assert areas[row.unit_code].contains(Point(float(row.lon), float(row.lat))), row.topic
    sites = data["sample_points"].set_index("id")
    for row in activities[activities["demo_site_id"] != ""].itertuples():
        site = sites.loc[row.demo_site_id]
        assert site["kind"] == "demo_site" and site["unit_code"] == row.unit_code
        assert site["resolved_on"] <= row.date, f"{row.topic} held at a site not yet built"


def test_every_issue_taken_up_has_the_activity_that_raised_it(data):
    points = data["sample_points"].set_index("id")
    links = data["issue_activities"]
    raised = links[links["role"] == "提出"]
    assert raised["point_id"].is_unique  # one activity raised it; later ones are 再次协商
    issues = points[points["kind"] == "issue"]
    for status in ("已解决", "已转社情民意", "协商中", "跟踪督办"):
        assert set(issues.index[issues["status"] == status]) <= set(raised["point_id"]), status
    assert not set(issues.index[issues["status"] == "待协商"]) & set(links["point_id"])
    dates = data["activities"].set_index("id")["date"]
    for row in raised.itertuples():
        assert dates[row.activity_id] <= points.at[row.point_id, "opened_on"], row.point_id


def test_the_named_cases_at_their_places(data):
    activities = data["activities"].set_index("id")
    water = _raised_by(data, "朱庄社区")
    assert list(water["name"]) == ["朱庄社区八组居民吃水难"]
    held = activities[activities["topic"].str.contains("朱庄社区")]
    assert held["place"].str.contains("朱庄社区").all() and (held["unit_code"] == "420607001000").all()
    enterprise = activities[activities["topic"].str.contains("惠企政策")].iloc[0]
    assert enterprise["department_count"] == "9" and len(enterprise["departments"].split("、")) == 9
    assert enterprise["form"] == "企业发展恳谈会"
    assert (_raised_by(data, "惠企政策")["category"] == "企业发展").sum() == 7
    wells = activities[activities["topic"].str.contains("岗地打井")].iloc[0]
    assert wells["form"] == "现场+会场" and int(wells["expert_count"]) > 0
    assert "太山村" in _raised_by(data, "岗地打井")["name"].iloc[0]
    assert {"古驿原种场生猪养殖基地建设", "古驿镇二房村生猪养殖基地建设"} == set(_raised_by(data, "生猪产业链")["name"])
    assert (activities["topic"].str.contains("生猪")).sum() >= 2  # 开展多次协商
    assert _raised_by(data, "红色旅游")["name"].str.contains("建馆修路").any()
    lights = _raised_by(data, "事故易发路段")
    assert lights["name"].str.contains("红绿灯").all()
    assert activities[activities["topic"].str.contains("事故易发路段")]["channel"].eq("提案办理").all()
    for topic, issue in (("物业纠纷", "物业纠纷"), ("夏收农机", "夏收农机"), ("干渠危桥", "干渠危桥"),
                         ("凤凰咀", "考古工作站")):
        assert _raised_by(data, topic)["name"].str.contains(issue).any(), topic


def test_outcomes_are_numbered(data):
    outcomes = data["issue_outcomes"].set_index("point_id")
    points = data["sample_points"].set_index("id")
    forwarded = points.index[points["status"] == "已转社情民意"]
    assert len(forwarded) == 25 and set(outcomes.index[outcomes["opinion_no"] != ""]) == set(forwarded)
    assert outcomes.loc[outcomes["opinion_no"] != "", "opinion_no"].is_unique
    proposal = outcomes[outcomes["proposal_no"] != ""]
    assert points.loc[proposal.index, "name"].str.contains("红绿灯").all()


def test_the_generator_reproduces_the_files(tmp_path):
    for name in ("sample_points.csv", "unit_areas.geojson", "units.csv"):
        shutil.copy(GEO / name, tmp_path / name)
    subprocess.run([sys.executable, str(GEO / "build_consultation.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for name in FILES:
        assert filecmp.cmp(GEO / name, tmp_path / name, shallow=False), name
