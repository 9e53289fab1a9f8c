"""A small, hand-made piece of consultation work added to a test store beside whatever the bundled data holds:
three groups (one district-level paired with two towns, one idle town group), seven members, two activities at
known places raising known issue points. Tests that need exact numbers count against this."""
from __future__ import annotations

ZHANGWAN, HUANGJI = "420607001000", "420607102000"
WATER_ISSUE = "s-5f670ca9d2"  # 朱庄社区八组居民吃水难: 已解决
WELLS_ISSUE = "s-18013f9de8"  # 黄集镇太山村岗地打井出水难: 已解决
OPINION_ISSUE = "s-1ca2bbaa6c"  # 关于岗地农田节水灌溉推广的建议: 已转社情民意 (黄集)
GROUPS = [
    {"code": "QZT1", "name": "测试区直活动组", "level": "区直"},
    {"code": "TZW", "name": "测试张湾活动组", "level": "乡镇", "unit_code": ZHANGWAN},
    {"code": "THJ", "name": "测试黄集活动组", "level": "乡镇", "unit_code": HUANGJI},
    {"code": "TIDLE", "name": "测试无活动组", "level": "乡镇", "unit_code": HUANGJI},
]
PAIRS = [("QZT1", "TZW"), ("QZT1", "THJ")]
WATER_TOPIC = "测试：朱庄社区八组吃水难现场协商"
WELLS_TOPIC = "测试：鄂北岗地打井出水难"


def add_groups(store) -> None:
    existing = [g for g in store.member_groups().to_dict("records") if g["code"] not in {x["code"] for x in GROUPS}]
    pairs = list(store.group_pairings().itertuples(index=False, name=None))
    store.replace_groups(existing + GROUPS, sorted(set(pairs + PAIRS)), "admin")


def add_work(store) -> dict:
    """Groups, members and two linked activities; returns their ids."""
    add_groups(store)

    def members(group, n, prefix):
        return [store.add_member({"name": f"{prefix}{i:03d}", "level": "区", "sector": "科技界", "group_code": group},
                                 "admin") for i in range(n)]

    zw, hj = members("TZW", 4, "张某"), members("THJ", 3, "黄某")
    water = store.add_activity({"date": "2022-07-02", "topic": WATER_TOPIC, "form": "现场+会场", "channel": "对口",
                                "place": "朱庄社区八组", "lon": 112.2035, "lat": 32.1164, "groups": "QZT1、TZW",
                                "members": zw, "departments": "区水利和湖泊局、区自来水公司"}, "admin")
    wells = store.add_activity({"date": "2022-04-18", "topic": WELLS_TOPIC, "form": "现场", "channel": "三级联动",
                                "lon": 112.0733, "lat": 32.3410, "groups": "THJ", "members": [*hj, zw[0]],
                                "departments": "区水利和湖泊局、区农业农村局", "expert_count": 3}, "admin")
    for point_id in (WATER_ISSUE, WELLS_ISSUE, OPINION_ISSUE):
        for link in store.issue_activities(point_id).itertuples(index=False):  # the bundled lineage gives way
            store.unlink_issue(link.point_id, link.activity_id, "admin")
    store.link_issue(WATER_ISSUE, water, "提出", "admin")
    store.link_issue(WELLS_ISSUE, wells, "提出", "admin")
    store.link_issue(OPINION_ISSUE, wells, "提出", "admin")
    return {"water": water, "wells": wells, "zw": zw, "hj": hj}
