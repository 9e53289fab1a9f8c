"""Build the bundled sample of the consultation work (一线协商) from the article and the bundled sample points.

Deterministic and re-runnable:

    .venv/bin/python geodata/build_consultation.py [--out geodata]

Reads sample_points.csv and unit_areas.geojson next to this script and writes member_groups.csv,
group_pairings.csv, members.csv, activities.csv, activity_members.csv, issue_activities.csv and
issue_outcomes.csv. Every record is fictional and flagged sample=1; what the article states (the named cases,
their places and outcomes, 9 departments, experts, "323", 8 district groups paired with 17, 317 district
members, 270+ taking part, 30+ activities, 6 three-level consultations) is reproduced, the rest is invented to
show the work and says so in its source note. Nothing here is needed at run time.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import Point, shape

HERE = Path(__file__).resolve().parent
SEED = 420607
ARTICLE = "示例数据：据文章“{}”一句，时间、人员为虚构"
INVENTED = "示例数据：虚构的演示活动（按示例问题点编排），非真实记录"

DISTRICT_MEMBERS = 317  # 317名区政协委员
CITY_MEMBERS, PROVINCE_MEMBERS = 12, 4  # 驻区省、市政协委员 (the article gives no number; invented)
NUMERALS = "一二三四五六七八"
# 8个区直委员活动组对口联系17个委员活动组 — the pairing itself is not published; this one groups neighbours.
PAIRING = (
    ("张湾", "肖湾", "六两河"), ("刘集", "浩然"), ("金华", "峪山"), ("龙王", "石桥"),
    ("黄集", "伙牌"), ("古驿", "朱集"), ("程河", "双沟"), ("张家集", "黄龙"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏"
SECTOR_WEIGHTS = {"中共": 8, "民革": 2, "民盟": 3, "民建": 3, "民进": 2, "农工党": 2, "致公党": 1, "九三学社": 2,
                  "无党派人士": 2, "共青团": 2, "工会": 2, "妇联": 2, "工商联": 5, "科技界": 3, "经济界": 8,
                  "农业和农村界": 9, "教育界": 6, "文化艺术界": 3, "医药卫生界": 5, "体育界": 1, "新闻出版界": 1,
                  "社会福利和社会保障界": 3, "少数民族界": 1, "宗教界": 1, "特邀": 4}


@dataclass
class Activity:
    date: str
    town: str  # short name of the unit it is held in
    topic: str
    form: str
    channel: str
    place: str
    raised: tuple[str, ...] = ()
    discussed: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    experts: int = 0
    public: int = 0
    summary: str = ""
    outcome: str = ""
    source_note: str = INVENTED
    at_site: bool = False  # held at the town's demonstration site (when it was built by then)
    near: str | None = None  # a point id to stand beside, when not at the site
    extra_towns: tuple[str, ...] = field(default=())


# The cases the article names, at their places, and the six three-level consultations (三级联动).
NAMED = (
    Activity("2021-06-15", "黄集", "鄂北岗地打井出水难“现场+会场”协商", "现场+会场", "界别", "黄集镇太山村岗地",
             raised=("s-18013f9de8",), departments=("区水利和湖泊局", "黄集镇人民政府"), experts=3, public=26,
             summary="邀请水文地质专家实地踏勘老井位，在田间看现场、到村委会开会场，与村民和打井队共同分析出水难的原因。",
             outcome="专家划定新点位，打井后顺利出水，解决困扰群众的饮水问题。",
             source_note=ARTICLE.format("围绕鄂北岗地打井出水难问题，邀请专家参与实地考察、协商座谈"),
             near="s-18013f9de8"),
    Activity("2021-08-20", "六两河", "事故易发路段实地考察", "现场", "提案办理", "六两河街道事故易发路段",
             raised=("s-5c95b44e81",), departments=("公安交警大队", "区交通运输局"), public=12,
             summary="委员实地考察易发交通事故路段，与交警、沿线居民一起查找问题。",
             outcome="形成提案，推动公安机关在事故路段设置红绿灯。",
             source_note=ARTICLE.format("实地考察易发交通事故路段，查找问题并形成提案"), near="s-5c95b44e81"),
    Activity("2021-09-10", "黄龙", "宣传红色资源、发展红色旅游协商座谈", "会场", "对口", "黄龙镇（革命老区）",
             raised=("s-445415e2c5", "s-a503ca975f"), departments=("区文化和旅游局", "区交通运输局", "黄龙镇人民政府"),
             public=18, summary="在革命老区黄龙镇开展协商座谈，梳理红色资源，商议展馆与道路建设。",
             outcome="推动建馆修路；老区村级道路安全设施的建议转为社情民意。",
             source_note=ARTICLE.format("围绕“宣传红色资源、发展红色旅游”，在革命老区黄龙镇开展协商座谈"),
             near="s-445415e2c5"),
    Activity("2021-10-12", "肖湾", "居民小区物业纠纷走访协商", "现场", "界别", "肖湾街道某居民小区",
             raised=("s-8b0f3fd5e0",), departments=("区住建局", "肖湾街道办事处"), public=35,
             summary="委员深入居民小区走访调研，听取业主、物业和社区三方意见。",
             outcome="推动多元化解物业矛盾，指导成立业主委员会。",
             source_note=ARTICLE.format("深入居民小区走访调研，围绕小区物业纠纷，推动多元化解矛盾和业主委员会建设"),
             near="s-8b0f3fd5e0"),
    Activity("2021-11-05", "古驿", "深化生猪产业链建设协商（基地选址）", "现场+会场", "界别", "古驿原种场",
             raised=("s-0e25e0eea0", "s-f4c3285bf1"), departments=("区农业农村局", "古驿镇人民政府"), experts=2,
             public=15, summary="农业和农村界委员与养殖企业、专家到古驿原种场、二房村看选址，再到会场商议用地和环评。",
             outcome="确定在古驿原种场、古驿二房村新建两个生猪养殖基地。",
             source_note=ARTICLE.format("围绕深化生猪产业链建设开展多次协商"), near="s-0e25e0eea0"),
    Activity("2022-06-20", "古驿", "深化生猪产业链建设协商（基地建设推进）", "现场", "对口", "古驿镇一线协商示范点",
             discussed=("s-0e25e0eea0", "s-f4c3285bf1"), departments=("区农业农村局",), public=10,
             summary="再次协商两个基地的建设进度和配套道路、用电问题。", outcome="两个基地按期建设，起到延链、强链作用。",
             source_note=ARTICLE.format("围绕深化生猪产业链建设开展多次协商"), at_site=True),
    Activity("2022-03-14", "龙王", "凤凰咀遗址公园建设协商", "现场+会场", "对口", "龙王镇凤凰咀遗址",
             raised=("s-65c7de2b37", "s-d1815d0896"), departments=("区文化和旅游局", "龙王镇人民政府"), experts=2,
             public=20, summary="委员与考古专家到遗址现场查看，商议考古工作站建设和周边村庄风貌。",
             outcome="持续跟踪督办，助推考古工作站在2个月内建成并投入使用。",
             source_note=ARTICLE.format("围绕“凤凰咀遗址公园建设”等开展协商，持续跟踪督办"), near="s-65c7de2b37"),
    Activity("2022-05-20", "伙牌", "疫情影响夏收农机跨区服务作业一线协商", "现场", "对口", "伙牌镇麦田",
             raised=("s-f5413c84de",), departments=("区农业农村局",), public=22,
             summary="在麦田地头与农机合作社、种粮大户协商跨区作业通行和燃油补贴。",
             outcome="组织市、区多家农机合作社集中时间帮助农民收割小麦，推动农机燃油补贴快速到位。",
             source_note=ARTICLE.format("围绕“疫情影响夏收农机跨区服务作业”开展一线协商"), near="s-f5413c84de"),
    Activity("2022-06-06", "石桥", "干渠危桥重修现场协商", "现场", "对口", "引丹总干渠渠营段",
             raised=("s-e830d26329",), departments=("区水利和湖泊局", "区交通运输局"), public=16,
             summary="委员与水利、交通部门在危桥现场协商改造方案和临时通行。", outcome="一个月内完成危桥改造。",
             source_note=ARTICLE.format("围绕“干渠危桥重修”开展协商，持续跟踪督办"), near="s-e830d26329"),
    Activity("2022-06-10", "刘集", "惠企政策落实企业发展恳谈会", "企业发展恳谈会", "对口", "刘集街道“企业发展恳谈会”示范点",
             raised=("s-835109bef2", "s-802e3c33f3", "s-70dc028f73", "s-af76abc7f4", "s-342d0ace42",
                     "s-7fbad002cc", "s-7f9f05ffcd"),
             departments=("区政府办公室", "区金融办", "区发改局", "区税务局", "区人社局", "区住建局", "区交通运输局",
                          "区经信局", "区市场监管局"), public=14,
             summary="邀请区政府分管领导、区金融办、区发改局等9个部门与企业充分协商交流，推动国务院33条稳经济一揽子政策在襄州落实落地。",
             outcome="协商解决困扰企业发展的7个具体问题。",
             source_note=ARTICLE.format("围绕惠企政策落实，邀请区政府分管领导、区金融办、区发改局等9个部门充分协商交流"),
             at_site=True),
    Activity("2022-07-04", "张湾", "朱庄社区八组居民吃水难现场协商", "现场", "对口", "张湾街道朱庄社区八组",
             raised=("s-5f670ca9d2",), departments=("区水利和湖泊局", "张湾街道办事处"), public=40,
             summary="委员入户走访八组居民，与水利部门、供水企业在现场商定管网延伸方案。",
             outcome="持续跟踪督办，一个月内解决500多名居民的生活用水问题。",
             source_note=ARTICLE.format("围绕“朱庄社区八组居民吃水难”开展协商"), near="s-5f670ca9d2"),
    Activity("2022-11-08", "张湾", "示范点观摩暨一线协商推进会", "会场", "对口", "张湾街道“社区协商议事厅”示范点",
             public=0, summary="观摩示范点建设，交流17个示范点的建设经验。", outcome="推动17个示范点建设提质增效。",
             source_note=ARTICLE.format("通过观摩示范点建设、召开推进会等方式，交流建设经验"), at_site=True),
    # 三级政协委员围绕全省共性指导议题开展一线协商6次.
    Activity("2022-08-16", "朱集", "影响群众健康突出问题“323”攻坚行动一线协商", "现场+会场", "三级联动", "朱集镇村卫生室",
             raised=("s-f70c775187",), departments=("区卫健局", "朱集镇人民政府"), experts=2, public=24,
             summary="省、市、区三级政协委员走进村卫生室，了解慢病管理和基层诊疗设备短板。",
             outcome="推动村卫生室设备更新，纳入“323”攻坚行动基层能力建设。",
             source_note=ARTICLE.format("三级政协委员先后围绕“影响群众健康突出问题‘323’攻坚行动”等全省共性指导议题开展一线协商6次"),
             near="s-f70c775187"),
    Activity("2021-09-22", "峪山", "农村生活污水治理三级联动协商", "现场", "三级联动", "峪山镇集镇",
             raised=("s-cbecd988ac",), departments=("区住建局", "峪山镇人民政府"), public=18,
             summary="三级政协委员查看集镇污水直排点，协商收集管网建设。", outcome="集镇生活污水收集纳入年度建设计划并完工。",
             source_note=ARTICLE.format("三级政协委员围绕全省共性指导议题开展一线协商6次") + "；议题为虚构",
             near="s-cbecd988ac"),
    Activity("2021-12-17", "双沟", "传统古镇文化保护利用三级联动协商", "会场", "三级联动", "双沟镇",
             raised=("s-a6f6e95ff3",), departments=("区文化和旅游局",), experts=1, public=12,
             summary="三级政协委员与文化学者座谈古镇文化资源保护。", outcome="形成社情民意信息报送。",
             source_note=ARTICLE.format("三级政协委员围绕全省共性指导议题开展一线协商6次") + "；议题为虚构",
             near="s-a6f6e95ff3"),
    Activity("2022-05-18", "程河", "高标准农田建设与后期管护三级联动协商", "现场+会场", "三级联动", "程河镇高标准农田",
             raised=("s-6651c45866",), departments=("区农业农村局",), experts=2, public=20,
             summary="在田间查看已建高标准农田的沟渠路，协商后期管护机制。", outcome="形成社情民意信息报送。",
             source_note=ARTICLE.format("三级政协委员围绕全省共性指导议题开展一线协商6次") + "；议题为虚构",
             near="s-6651c45866"),
    Activity("2022-07-22", "峪山", "农村养老服务三级联动协商", "会场", "三级联动", "峪山镇",
             raised=("s-c69f8bc36f",), departments=("区民政局",), public=15,
             summary="三级政协委员座谈山区留守老人助餐服务。", outcome="形成社情民意信息报送。",
             source_note=ARTICLE.format("三级政协委员围绕全省共性指导议题开展一线协商6次") + "；议题为虚构",
             near="s-c69f8bc36f"),
    Activity("2022-08-21", "朱集", "农村寄递物流体系建设三级联动协商", "现场", "三级联动", "朱集镇",
             raised=("s-5a5038a415",), departments=("区商务局", "区邮政分公司"), public=12,
             summary="三级政协委员走访村级寄递网点，协商快递进村。", outcome="形成社情民意信息报送。",
             source_note=ARTICLE.format("三级政协委员围绕全省共性指导议题开展一线协商6次") + "；议题为虚构",
             near="s-5a5038a415"),
)

# The other issue points still need the activity that raised them: one activity per category of issue within half
# a year, held where the first of them lies, as a 界别 consultation of the members concerned.
GROUPING_DAYS = 180
CATEGORY_TOPIC = {"民生保障": "民生实事", "交通安全": "群众出行安全", "基层治理": "基层治理", "水利设施": "农田水利设施",
                  "农业生产": "岗地农业生产", "产业发展": "乡村产业发展", "文化旅游": "文化旅游资源", "企业发展": "企业发展"}
ISSUE_TAKEN_UP = ("已解决", "已转社情民意", "协商中", "跟踪督办")


def _read(out: Path):
    points = list(csv.DictReader((out / "sample_points.csv").open(encoding="utf-8")))
    areas = json.loads((out / "unit_areas.geojson").read_text(encoding="utf-8"))["features"]
    units = list(csv.DictReader((out / "units.csv").open(encoding="utf-8")))
    return points, {a["properties"]["code"]: shape(a["geometry"]) for a in areas}, units


def _subject(name: str) -> str:
    return name.removeprefix("关于").removesuffix("的建议")


def _grouped_activities(issues: list[dict], taken: set[str], short: dict[str, str],
                        names: dict[str, str]) -> list[Activity]:
    rest = sorted((p for p in issues if p["status"] in ISSUE_TAKEN_UP and p["id"] not in taken),
                  key=lambda p: (p["opened_on"], p["id"]))
    groups: list[list[dict]] = []
    for point in rest:
        day = dt.date.fromisoformat(point["opened_on"])
        for group in groups:
            first = group[0]
            if first["category"] == point["category"] and \
                    (day - dt.date.fromisoformat(first["opened_on"])).days <= GROUPING_DAYS:
                group.append(point)
                break
        else:
            groups.append([point])
    made = []
    for group in groups:
        first = group[0]
        town = short[first["unit_code"]]
        street = first["unit_code"][6:9] < "100"
        form = "企业发展恳谈会" if first["category"] == "企业发展" else "社区协商议事厅" if street else "乡村月月谈"
        subjects = "、".join(_subject(p["name"]) for p in group[:2]) + ("等" if len(group) > 2 else "")
        made.append(Activity(
            first["opened_on"], town, f"围绕{subjects}开展{CATEGORY_TOPIC[first['category']]}协商", form, "界别",
            names[first["unit_code"]], raised=tuple(p["id"] for p in group),
            departments=tuple(dict.fromkeys(d for p in group for d in p["responsible_unit"].split("、") if d)),
            public=6 + 3 * len(group), summary=f"委员与群众、相关部门围绕{subjects}面对面协商。",
            outcome="形成协商意见，转交有关部门办理并跟踪督办。", near=first["id"], at_site=True))
    return made


def _position(activity: Activity, code: str, points: dict[str, dict], site: dict | None, area) -> tuple[float, float]:
    """Beside the demonstration site or the point named; never on top of it, and inside the town's area."""
    anchor = site if activity.at_site and site else points[activity.near]
    lon, lat = float(anchor["lon"]), float(anchor["lat"])
    for dx, dy in ((0.0035, 0.0025), (-0.0035, 0.0025), (0.0035, -0.0025), (-0.0035, -0.0025), (0.0015, 0.001)):
        if area.contains(Point(lon + dx, lat + dy)):
            return round(lon + dx, 6), round(lat + dy, 6)
    raise SystemExit(f"no place for {activity.topic} inside {code}")


def _groups(units: list[dict]):
    network = [u for u in units if u["in_network"] == "1"]
    by_short = {u["short_name"]: u["code"] for u in network}
    groups = [{"code": f"QZ{i + 1:02d}", "name": f"区直第{NUMERALS[i]}委员活动组", "level": "区直", "unit_code": "",
               "sample": "1"} for i in range(len(PAIRING))]
    groups += [{"code": f"T{u['code']}", "name": f"{u['name']}委员活动组", "level": "乡镇", "unit_code": u["code"],
                "sample": "1"} for u in network]
    pairings = [{"district_group": f"QZ{i + 1:02d}", "town_group": f"T{by_short[town]}"}
                for i, towns in enumerate(PAIRING) for town in towns]
    assert len(pairings) == len(network) == 17 and sum(g["level"] == "区直" for g in groups) == 8
    return groups, pairings


def _members(groups: list[dict], pairings: list[dict], rng: random.Random) -> list[dict]:
    paired_units = {}
    for pair in pairings:
        paired_units.setdefault(pair["district_group"], []).append(pair["town_group"][1:])
    sectors, weights = zip(*SECTOR_WEIGHTS.items())
    members = []
    levels = ["区"] * DISTRICT_MEMBERS + ["市"] * CITY_MEMBERS + ["省"] * PROVINCE_MEMBERS
    district = [g for g in groups if g["level"] == "区直"]
    for i, level in enumerate(levels):
        # 区 members round the 25 groups; 省/市 members resident in the district sit in the district groups.
        group = groups[i % len(groups)] if level == "区" else district[i % len(district)]
        unit = group["unit_code"] or paired_units[group["code"]][i % len(paired_units[group["code"]])]
        members.append({"id": f"M{i + 1:04d}", "name": f"{SURNAMES[i % len(SURNAMES)]}某{i + 1:03d}", "level": level,
                        "sector": rng.choices(sectors, weights)[0], "group_code": group["code"], "unit_code": unit,
                        "contacts": str(rng.choice((2, 3))), "sample": "1"})
    return members


ACTIVE_SHARE = 0.9  # of each group's members, the ones who take part at all; the rest stay idle (300 of 317 is rare)


def _active(members: list[dict], rng: random.Random) -> dict[str, list[str]]:
    """Per group, the members who turn up; 省/市 members under the key "upper"."""
    rolls: dict[str, list[str]] = {}
    for member in members:
        rolls.setdefault(member["group_code"] if member["level"] == "区" else "upper", []).append(member["id"])
    return {code: sorted(rng.sample(roll, round(len(roll) * ACTIVE_SHARE))) for code, roll in sorted(rolls.items())}


def _taking_part(activity: Activity, organisers: list[str], active: dict[str, list[str]],
                 rng: random.Random) -> list[str]:
    chosen: set[str] = set()
    for code in organisers:
        share = 0.7 if code.startswith("T") else 0.4
        chosen |= set(rng.sample(active[code], max(1, round(len(active[code]) * share))))
    if activity.channel == "三级联动":
        chosen |= set(rng.sample(active["upper"], 6))
    return sorted(chosen)


def build(out: Path) -> dict[str, int]:
    rng = random.Random(SEED)
    points, areas, units = _read(out)
    by_id = {p["id"]: p for p in points}
    short = {u["code"]: u["short_name"] for u in units}
    names = {u["code"]: u["name"] for u in units}
    code_of = {u["short_name"]: u["code"] for u in units}
    sites = {p["unit_code"]: p for p in points if p["kind"] == "demo_site"}
    issues = [p for p in points if p["kind"] == "issue"]
    taken = {i for a in NAMED for i in a.raised}
    plan = sorted(list(NAMED) + _grouped_activities(issues, taken, short, names), key=lambda a: (a.date, a.topic))

    groups, pairings = _groups(units)
    members = _members(groups, pairings, rng)
    active = _active(members, rng)
    district_of = {p["town_group"]: p["district_group"] for p in pairings}
    activities, taking_part, links = [], [], []
    for n, activity in enumerate(plan, start=1):
        code = code_of[activity.town]
        site = sites.get(code)
        built = site is not None and site["resolved_on"] and site["resolved_on"] <= activity.date
        activity.at_site = activity.at_site and bool(built)
        if not activity.at_site and activity.near is None:
            raise SystemExit(f"{activity.topic}: the demonstration site was not built by {activity.date}")
        lon, lat = _position(activity, code, by_id, site, areas[code])
        towns = dict.fromkeys([code] + [by_id[i]["unit_code"] for i in activity.raised])
        organisers = list(dict.fromkeys([f"T{c}" for c in towns if f"T{c}" in district_of] +
                                        [district_of[f"T{c}"] for c in towns if f"T{c}" in district_of]))
        activity_id = f"A{n:03d}"
        place = site["name"] if activity.at_site else activity.place
        activities.append({
            "id": activity_id, "date": activity.date, "topic": activity.topic, "form": activity.form,
            "channel": activity.channel, "place": place, "lon": lon, "lat": lat, "unit_code": code,
            "demo_site_id": site["id"] if activity.at_site else "", "groups": "、".join(organisers),
            "departments": "、".join(activity.departments), "department_count": len(activity.departments),
            "expert_count": activity.experts, "public_count": activity.public, "summary": activity.summary,
            "outcome": activity.outcome, "source_note": activity.source_note, "sample": "1"})
        taking_part += [{"activity_id": activity_id, "member_id": m}
                        for m in _taking_part(activity, organisers, active, rng)]
        links += [{"point_id": p, "activity_id": activity_id, "role": "提出"} for p in activity.raised]
        links += [{"point_id": p, "activity_id": activity_id, "role": "再次协商"} for p in activity.discussed]

    outcomes = _outcomes(issues)
    _write(out / "member_groups.csv", groups)
    _write(out / "group_pairings.csv", pairings)
    _write(out / "members.csv", members)
    _write(out / "activities.csv", activities)
    _write(out / "activity_members.csv", taking_part)
    _write(out / "issue_activities.csv", links)
    _write(out / "issue_outcomes.csv", outcomes)
    figures = {"activities": len(activities), "members_taking_part": len({r["member_id"] for r in taking_part}),
               "district_members": sum(m["level"] == "区" for m in members),
               "three_level": sum(a["channel"] == "三级联动" for a in activities),
               "issues_linked": len({r["point_id"] for r in links if r["role"] == "提出"})}
    assert 30 <= figures["activities"] < 40 and 270 <= figures["members_taking_part"] < 300, figures
    assert figures["three_level"] == 6 and figures["district_members"] == 317, figures
    return figures


def _outcomes(issues: list[dict]) -> list[dict]:
    """社情民意 numbers for the forwarded issues, numbered per year of forwarding; the one proposal the article names."""
    rows, count = [], {}
    for point in sorted(issues, key=lambda p: (p["resolved_on"] or "", p["id"])):
        if point["status"] == "已转社情民意":
            year = point["resolved_on"][:4]
            count[year] = count.get(year, 0) + 1
            rows.append({"point_id": point["id"], "opinion_no": f"襄州政协社情民意〔{year}〕{count[year]:02d}号",
                         "proposal_no": ""})
    rows.append({"point_id": "s-5c95b44e81", "opinion_no": "", "proposal_no": "襄州政协提案〔2021〕038号"})
    return rows


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    print(build(parser.parse_args().out))


if __name__ == "__main__":
    main()
