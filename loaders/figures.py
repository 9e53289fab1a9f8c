"""The consultation work in figures, computed from the store: the article's headline ("270余名政协委员共开展活动30余场次，
推动解决问题24个，转化社情民意25件", 17 示范点, 8 区直活动组对口联系 17 个活动组, 317 名区政协委员, 三级联动 6 次) and the
per-member and per-group participation the 委员履职 page shows. One place, so the CLI, the 总览 and the 大屏 agree.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from . import model
from .consultation import ROLES
from .filters import Filter


@dataclass(frozen=True)
class Headline:
    members_taking_part: int  # distinct members in the selected activities
    activities: int
    issues_solved: int
    opinions_forwarded: int
    demo_sites: int
    three_level: int  # 三级联动 activities
    members_district: int  # 区政协委员 on the roll (all of them, not only those taking part)
    district_groups: int
    town_groups: int
    pairings: int

    def as_dict(self) -> dict:
        return asdict(self)


def activities_in(store, unit_codes: tuple[str, ...] = (), since: str | None = None,
                  until: str | None = None) -> pd.DataFrame:
    """The activities (not deleted) in the given towns and dates (ISO, inclusive); all when empty."""
    frame = store.activities()
    if unit_codes:
        frame = frame[frame["unit_code"].isin(unit_codes)]
    if since:
        frame = frame[frame["date"] >= since]
    if until:
        frame = frame[frame["date"] <= until]
    return frame


def headline(store, unit_codes: tuple[str, ...] = (), since: str | None = None, until: str | None = None) -> Headline:
    activities = activities_in(store, unit_codes, since, until)
    taking_part = store.activity_members()
    taking_part = taking_part[taking_part["activity_id"].isin(activities["id"])]
    issues = store.counts(Filter(kinds=("issue",), unit_codes=unit_codes))
    sites = store.counts(Filter(kinds=("demo_site",), unit_codes=unit_codes))
    members = store.members()
    groups = store.member_groups()
    return Headline(
        members_taking_part=int(taking_part["member_id"].nunique()),
        activities=len(activities),
        issues_solved=int(issues.loc[issues["status"] == model.ISSUE_RESOLVED, "n"].sum()),
        opinions_forwarded=int(issues.loc[issues["status"] == model.ISSUE_FORWARDED, "n"].sum()),
        demo_sites=int(sites["n"].sum()),
        three_level=int((activities["channel"] == "三级联动").sum()),
        members_district=int((members["level"] == "区").sum()),
        district_groups=int((groups["level"] == "区直").sum()),
        town_groups=int((groups["level"] == "乡镇").sum()),
        pairings=len(store.group_pairings()),
    )


def issue_outcomes(store) -> pd.DataFrame:
    """Per issue point: the activity that raised it (`activity_id`), its status, and the typed outcome (已解决 /
    转社情民意 + number / 形成提案 + number / 办理中)."""
    issues = store.points(Filter(kinds=("issue",)), columns=("id", "name", "status", "unit_code", "opinion_no",
                                                               "proposal_no"))
    links = store.issue_activities()
    raised = links[links["role"] == ROLES["raised"]].set_index("point_id")["activity_id"]
    issues["activity_id"] = issues["id"].map(raised).astype(object)
    issues["outcome"] = [outcome_of(r) for r in issues.to_dict("records")]
    return issues


def outcome_of(point: dict) -> str:
    """The typed outcome of an issue point, in words."""
    if point.get("status") == model.ISSUE_FORWARDED:
        return f"转社情民意（{point['opinion_no']}）" if point.get("opinion_no") else "转社情民意"
    proposal = f"形成提案（{point['proposal_no']}）" if point.get("proposal_no") else ""
    if point.get("status") == model.ISSUE_RESOLVED:
        return f"{proposal}→已解决" if proposal else "已解决"
    return proposal or str(point.get("status") or "")


def participation(store, since: str | None = None, until: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per member, per group) for the activities in the dates: activities attended, issues raised and solved by
    those activities, 社情民意 forwarded. Groups with no activity in the period have 0 (the page marks them)."""
    activities = activities_in(store, since=since, until=until)
    taking_part = store.activity_members()
    taking_part = taking_part[taking_part["activity_id"].isin(activities["id"])]
    outcomes = issue_outcomes(store)
    raised = outcomes.dropna(subset=["activity_id"])
    per_activity = raised.groupby("activity_id").agg(
        issues=("id", "size"), solved=("status", lambda s: int((s == model.ISSUE_RESOLVED).sum())),
        forwarded=("status", lambda s: int((s == model.ISSUE_FORWARDED).sum())))
    per_activity.index = per_activity.index.astype(object)  # joins on text ids, also when there are none
    members = store.members()[["id", "name", "level", "sector", "group_code", "unit_code", "contacts", "sample"]]
    joined = taking_part.join(per_activity, on="activity_id").fillna(0)
    per_member = joined.groupby("member_id").agg(activities=("activity_id", "nunique"), issues=("issues", "sum"),
                                                 solved=("solved", "sum"), forwarded=("forwarded", "sum"))
    members = members.join(per_member, on="id")
    for column in ("activities", "issues", "solved", "forwarded"):
        members[column] = members[column].fillna(0).astype(int)

    groups = store.member_groups()
    organised = activities[["id", "groups"]].explode("groups").dropna()
    organised = organised.join(per_activity, on="id").fillna(0)
    per_group = organised.groupby("groups").agg(activities=("id", "nunique"), issues=("issues", "sum"),
                                                solved=("solved", "sum"), forwarded=("forwarded", "sum"))
    groups = groups.join(per_group, on="code")
    roll = store.members().groupby("group_code")["id"].size()
    groups["members"] = groups["code"].map(roll).fillna(0).astype(int)
    for column in ("activities", "issues", "solved", "forwarded"):
        groups[column] = groups[column].fillna(0).astype(int)
    pairs = store.group_pairings()
    names = groups.set_index("code")["name"]
    paired = pairs.groupby("district_group")["town_group"].agg(lambda s: "、".join(names.get(c, c) for c in s))
    partner = pairs.set_index("town_group")["district_group"].map(lambda c: names.get(c, c))
    groups["paired_with"] = groups["code"].map(paired).fillna(groups["code"].map(partner)).fillna("")
    return members, groups
