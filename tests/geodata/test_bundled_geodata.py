"""Checks on the bundled geodata (geodata/*.geojson, *.csv) written by geodata/build_geodata.py."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, shape

from loaders.model import ISSUE_FORWARDED, ISSUE_RESOLVED, KINDS, OPEN_STAGES

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "geodata"
REFERENCE = ROOT.parent / "shared" / "reference" / "district_outline_wgs84.geojson"
EQUAL_AREA = "EPSG:6933"

UNIT_COLUMNS = ["code", "name", "short_name", "type", "lon", "lat", "uncertainty_km", "point_note", "in_network", "area_code", "order"]
POINT_COLUMNS = ["id", "kind", "name", "status", "lon", "lat", "unit_code", "village", "description", "opened_on", "resolved_on",
                 "site_format", "batch", "depth_m", "canal", "category", "responsible_unit", "source_note", "sample"]
CATEGORIES = {"产业发展", "民生保障", "交通安全", "基层治理", "企业发展", "农业生产", "文化旅游", "水利设施"}


def _area_km2(geoms) -> float:
    return float(gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_crs(EQUAL_AREA).area.sum() / 1e6)


@pytest.fixture(scope="module")
def outline():
    gdf = gpd.read_file(GEO / "district_outline.geojson")
    assert len(gdf) == 1
    return gdf


@pytest.fixture(scope="module")
def areas():
    return gpd.read_file(GEO / "unit_areas.geojson")


@pytest.fixture(scope="module")
def units():
    return pd.read_csv(GEO / "units.csv", dtype={"code": str, "area_code": str}, encoding="utf-8")


@pytest.fixture(scope="module")
def points():
    return pd.read_csv(GEO / "sample_points.csv", dtype={"unit_code": str, "opened_on": str, "resolved_on": str},
                       keep_default_na=False, na_values=[""], encoding="utf-8")


@pytest.fixture(scope="module")
def follow_ups():
    return pd.read_csv(GEO / "sample_follow_ups.csv", dtype=str, encoding="utf-8")


# ----------------------------------------------------------------------------------------------- outline
def test_outline_properties_vertices_and_validity(outline):
    row = outline.iloc[0]
    assert row["name"] == "襄州区"
    assert str(row["adcode"]) == "420607"
    assert row["source"] and row["license"]
    geom = row.geometry
    assert geom.geom_type in ("Polygon", "MultiPolygon")
    assert geom.is_valid
    assert 200 <= shapely.get_num_coordinates(geom) <= 600


def test_outline_area_close_to_reference(outline):
    if not REFERENCE.exists():
        pytest.skip("../shared/reference is not available")
    ref = gpd.read_file(REFERENCE)
    a, b = _area_km2(outline.geometry), _area_km2(ref.geometry)
    assert abs(a - b) / b < 0.01


def test_outline_coordinates_rounded():
    doc = json.loads((GEO / "district_outline.geojson").read_text(encoding="utf-8"))
    coords = shapely.get_coordinates(shape(doc["features"][0]["geometry"]))
    assert (abs(coords * 1e6 - (coords * 1e6).round()) < 1e-3).all()


# ----------------------------------------------------------------------------------------------- areas
def test_areas_partition_outline(outline, areas):
    geoms = list(areas.geometry)
    assert all(g.is_valid for g in geoms)
    outline_area = _area_km2(outline.geometry)
    total = _area_km2(geoms)
    union = shapely.union_all(geoms)
    union_area = _area_km2([union])
    overlap = sum(
        _area_km2([a.intersection(b)]) for a, b in itertools.combinations(geoms, 2) if a.intersects(b)
        and a.intersection(b).area > 0
    )
    assert overlap < 1e-6 * outline_area
    assert abs(total - union_area) <= 1e-6 * union_area
    assert abs(union_area - outline_area) <= 1e-3 * outline_area
    gap = _area_km2([outline.geometry.iloc[0].difference(union)])
    assert gap <= 1e-3 * outline_area


def test_areas_properties(areas):
    assert len(areas) == 19
    assert areas["in_network"].astype(bool).sum() == 17
    assert (~areas["in_network"].astype(bool)).sum() == 2
    assert areas["schematic"].astype(bool).all()
    assert areas["basis"].str.contains("示意").all()
    assert areas["code"].is_unique
    others = set(areas.loc[~areas["in_network"].astype(bool), "short_name"])
    assert others == {"东津", "米庄"}


def test_each_area_contains_its_unit_point(areas, units):
    by_code = dict(zip(areas["code"].astype(str), areas.geometry))
    for u in units.itertuples():
        assert u.area_code in by_code, u.name
        assert by_code[u.area_code].contains(Point(u.lon, u.lat)), u.name
    with_area = units[units["code"] == units["area_code"]]
    assert set(with_area["code"]) == set(by_code)


def test_documented_places_fall_in_their_area(areas):
    by_short = dict(zip(areas["short_name"], areas.geometry))
    assert by_short["张湾"].contains(Point(112.205, 32.125))  # 朱庄社区 (article_places.csv)
    assert by_short["东津"].contains(Point(112.26, 31.96))  # 鹿门


# ----------------------------------------------------------------------------------------------- units
def test_units_table(units):
    assert list(units.columns) == UNIT_COLUMNS
    assert len(units) == 22
    assert units["in_network"].sum() == 17
    assert units["code"].is_unique
    assert set(units["type"]) <= {"街道", "镇", "其他"}
    net = units[units["in_network"] == 1]
    assert (net["type"] == "街道").sum() == 6 and (net["type"] == "镇").sum() == 11
    assert "东津镇" not in set(net["name"])
    assert sorted(units["order"]) == list(range(1, 23))
    assert not units["short_name"].str.endswith(("街道", "镇")).any()
    for short in ("肖湾", "六两河", "浩然", "金华"):
        note = units.loc[units["short_name"] == short, "point_note"].iloc[0]
        assert "推测" in note or "占位" in note


def test_units_file_has_no_bom():
    assert not (GEO / "units.csv").read_bytes().startswith(b"\xef\xbb\xbf")


# ----------------------------------------------------------------------------------------------- points
def test_points_columns_ids_and_flags(points):
    assert list(points.columns) == POINT_COLUMNS
    assert points["id"].is_unique
    assert points["id"].str.fullmatch(r"s-[0-9a-f]{10}").all()
    assert (points["sample"] == 1).all()
    assert points["source_note"].notna().all() and points["source_note"].str.startswith("示例数据").all()
    for col in ("name", "description"):
        text = points[col].fillna("")
        assert not text.str.contains(r"[<>&\"'`$\\]").any(), col


def test_points_inside_their_area_and_outline(points, areas, outline):
    by_code = dict(zip(areas["code"].astype(str), areas.geometry))
    district = outline.geometry.iloc[0]
    for p in points.itertuples():
        pt = Point(p.lon, p.lat)
        assert p.unit_code in by_code, p.name
        assert by_code[p.unit_code].contains(pt), p.name
        assert district.contains(pt), p.name


def test_points_statuses_and_dates(points):
    for p in points.itertuples():
        kind = KINDS[p.kind]
        stage = kind.stage_of(p.status)
        assert stage is not None, (p.kind, p.status)
        assert "2021-01-01" <= p.opened_on <= "2023-12-31"
        if isinstance(p.resolved_on, str):
            assert stage not in OPEN_STAGES, p.name
            assert p.opened_on <= p.resolved_on <= "2023-12-31", p.name


def test_issue_counts_match_article(points):
    issues = points[points["kind"] == "issue"]
    counts = issues["status"].value_counts()
    assert counts.get(ISSUE_RESOLVED, 0) == 24
    assert counts.get(ISSUE_FORWARDED, 0) == 25
    open_labels = [s.label for s in KINDS["issue"].statuses if s.stage in OPEN_STAGES]
    assert issues["status"].isin(open_labels).sum() >= 10
    for label in open_labels:
        assert counts.get(label, 0) >= 3, label
    assert set(issues["category"]) <= CATEGORIES
    assert issues["responsible_unit"].notna().all()
    assert (issues[(issues["status"] == ISSUE_RESOLVED) & (issues["category"] == "企业发展")].shape[0]) == 7


def test_forwarded_items_cover_every_network_unit(points, units):
    fwd = points[(points["kind"] == "issue") & (points["status"] == ISSUE_FORWARDED)]
    assert set(fwd["unit_code"]) == set(units.loc[units["in_network"] == 1, "code"])


def test_wells_and_bridges(points):
    wells = points[points["kind"] == "well"]
    assert len(wells) >= 15
    for label in KINDS["well"].status_labels:
        assert (wells["status"] == label).sum() >= 3, label
    assert wells["depth_m"].dropna().between(0, 1500).all()
    bridges = points[points["kind"] == "bridge"]
    assert len(bridges) >= 8
    assert bridges["canal"].notna().all()


def test_demo_sites_one_per_network_unit(points, units):
    sites = points[points["kind"] == "demo_site"]
    assert len(sites) == 17
    assert sorted(sites["unit_code"]) == sorted(units.loc[units["in_network"] == 1, "code"])
    assert (sites["batch"] == "首批").sum() == 3
    assert (sites["batch"] == "2022年").sum() == 14
    assert set(sites.loc[sites["batch"] == "首批", "site_format"]) == {"乡村月月谈", "社区协商议事厅", "企业发展恳谈会"}


def test_named_cases_present(points, units):
    code = dict(zip(units["short_name"], units["code"]))
    issues = points[points["kind"] == "issue"]

    def unit_of(fragment):
        rows = issues[issues["name"].str.contains(fragment)]
        assert len(rows) >= 1, fragment
        return rows.iloc[0]

    assert unit_of("朱庄社区八组")["unit_code"] == code["张湾"]
    assert unit_of("凤凰咀")["unit_code"] == code["龙王"]
    assert unit_of("红色旅游")["unit_code"] == code["黄龙"]
    assert unit_of("古驿原种场")["unit_code"] == code["古驿"]
    assert unit_of("二房村")["unit_code"] == code["古驿"]
    assert unit_of("太山村")["unit_code"] == code["黄集"]
    assert unit_of("干渠危桥")["status"] == ISSUE_RESOLVED
    assert unit_of("红绿灯")["status"] == ISSUE_RESOLVED


# ----------------------------------------------------------------------------------------------- follow-ups
def test_follow_ups(points, follow_ups):
    assert list(follow_ups.columns) == ["point_id", "date", "text", "author", "status"]
    by_id = points.set_index("id")
    assert set(follow_ups["point_id"]) <= set(by_id.index)
    for pid, group in follow_ups.groupby("point_id"):
        p = by_id.loc[pid]
        group = group.sort_values("date", kind="stable")
        assert 2 <= len(group) <= 4
        assert group["status"].iloc[-1] == p["status"]
        assert set(group["status"]) <= set(KINDS[p["kind"]].status_labels)
        assert (group["date"] >= p["opened_on"]).all()
        if isinstance(p["resolved_on"], str):
            assert (group["date"] <= p["resolved_on"]).all()
    tracked = points[(points["kind"] == "issue") & (points["status"] == "跟踪督办")]
    assert set(tracked["id"]) <= set(follow_ups["point_id"])
