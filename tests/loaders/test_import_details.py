"""Details staff met (issue 12): empty cells read 空 in every import message (never "nan" or "None"), and a row
whose 经度/纬度 are swapped is offered a swap -- never swapped silently -- in the plan and in the CLI (--swap-latlon).
Real files as staff send them (CSV and XLSX written here)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loaders import auth
from loaders.cells import EMPTY, readable_reason, shown, table_text, value_phrase
from loaders.editing import Editor
from loaders.importing import ImportRefused, build_plan, commit, read
from loaders.importing.records import import_records
from loaders.store import Filter

sys.path.insert(0, str(Path(__file__).parent))
import import_files as files

ADMIN = auth.User("管理员", "admin")
NOT_EMPTY_WORDS = re.compile(r"\b(nan|NaN|None|NaT)\b|<NA>")


def run_cli(*args, store):
    env = {**os.environ, "XZMAP_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "loaders", *args], check=False, capture_output=True, text=True,
                          env=env, timeout=120)


def write(tmp_path: Path, fmt: str, data: list[dict], stem: str = "台账") -> Path:
    if fmt == "xlsx":
        return files.xlsx(tmp_path / f"{stem}.xlsx", data)
    path = tmp_path / f"{stem}.csv"
    path.write_bytes(files.csv_bytes(data))
    return path


def with_empty_cells() -> list[dict]:
    data = files.rows()
    data[0] = {**data[0], "名称": ""}  # a required text left empty
    data[1] = {**data[1], "类型": ""}  # kind empty, no kind for the whole file
    data[2] = {**data[2], "经度": None}  # a coordinate left empty
    data[3] = {**data[3], "状态": ""}
    return data


def swapped_rows() -> list[dict]:
    """Four rows: 2 (HJ-002) and 4 (ZW-001) with 经度/纬度 swapped; HJ-003 a Beijing position swapped (not offered)."""
    data = files.rows()
    data[1] = {**data[1], "经度": 32.35, "纬度": 112.11}
    data[2] = {**data[2], "经度": 39.90, "纬度": 116.40}  # swapped, but Beijing either way
    data[3] = {**data[3], "经度": 32.0873, "纬度": 112.2079}
    return data


# The helper ------------------------------------------------------------------------------------------------------

def test_a_cell_as_a_person_reads_it():
    import numpy as np
    import pandas as pd

    for empty in (None, float("nan"), np.nan, np.float32("nan"), pd.NA, pd.NaT, "", "   "):
        assert shown(empty) == EMPTY and table_text(empty) == "" and value_phrase(empty) == "值为空"
    assert shown(260.0) == "260" and shown(112.1) == "112.1" and shown(np.int64(4)) == "4"
    assert shown("None") == "None"  # text a person typed is theirs, even this
    assert value_phrase("黄集") == "值「黄集」"
    assert readable_reason("字段「类型」的值「」无效，应为：水井") == "字段「类型」为空，应为：水井"
    assert readable_reason("字段「经度」的值「」不是有效的坐标（应在 73.0–136.0 之间）") == "字段「经度」为空（应在 73.0–136.0 之间）"
    assert readable_reason("字段「井深」的值「abc」不是数字") == "字段「井深」的值「abc」不是数字"


# 空 in messages --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_empty_cells_read_kong_in_the_plan_and_its_lines(store, tmp_path, fmt):
    table = read(write(tmp_path, fmt, with_empty_cells()))
    plan = build_plan(table, store, ADMIN)
    first = table.rows[0]
    by_column = {(r["行号"] - first, r["列"]): r for r in plan.problems.to_dict("records")}
    assert by_column[(0, "名称")]["值"] == EMPTY
    assert by_column[(1, "类型")]["值"] == EMPTY and by_column[(1, "类型")]["原因"].startswith("字段「类型」为空")
    assert by_column[(2, "经度")]["值"] == EMPTY
    assert by_column[(3, "状态")]["值"] == EMPTY
    assert plan.problems["值"].map(type).eq(str).all()
    lines = plan.report_lines()
    assert f"第 {first} 行，列「名称」，值为空：字段「名称」不能为空" in lines
    for text in [*lines, *plan.problems["原因"], *plan.problems["值"]]:
        assert not NOT_EMPTY_WORDS.search(text), text
        assert "「」" not in text, text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_cli_says_kong_for_empty_cells(store_path, tmp_path, fmt):
    path = write(tmp_path, fmt, with_empty_cells())
    result = run_cli("import", str(path), "--dry-run", store=store_path)
    assert result.returncode == 1
    assert result.stdout.count("值为空") == 4, result.stdout
    assert not NOT_EMPTY_WORDS.search(result.stdout + result.stderr), result.stdout


def test_activity_import_says_kong_for_empty_cells(store_path, store, tmp_path):
    path = tmp_path / "活动.csv"
    path.write_text("编号,日期,议题,形式,协商渠道,经度,纬度\n,2023-03-01,,乡村月月谈,,,\n", encoding="utf-8")
    result = import_records(Editor(store, ADMIN), read(path), "activities", dry_run=True)
    assert not result.ok
    assert set(result.problems["值"]) == {EMPTY}
    for text in result.problems["原因"]:
        assert not NOT_EMPTY_WORDS.search(text) and "「」" not in text, text
    cli = run_cli("import", str(path), "--table", "activities", "--dry-run", store=store_path)
    assert cli.returncode == 1 and "「议题」列，值为空：字段「议题」不能为空" in cli.stdout
    assert not NOT_EMPTY_WORDS.search(cli.stdout), cli.stdout


# Swapped 经度/纬度 --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_swapped_rows_are_offered_a_swap_and_refused_until_asked(store, tmp_path, fmt):
    table = read(write(tmp_path, fmt, swapped_rows()))
    first = table.rows[0]
    plan = build_plan(table, store, ADMIN)
    assert plan.swap_rows == [first + 1, first + 3] and plan.swapped_rows == []
    reasons = dict(zip(plan.problems["行号"], plan.problems["原因"]))
    assert reasons[first + 1].startswith("疑似经纬度颠倒") and "黄集镇" in reasons[first + 1]
    assert "张湾街道" in reasons[first + 3]
    assert not reasons[first + 2].startswith("疑似")  # Beijing: no swap puts it in the district
    assert len(plan.rows) == 1
    before = len(store.points(Filter()))
    with pytest.raises(ImportRefused):
        commit(Editor(store, ADMIN), plan)
    assert len(store.points(Filter())) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_swap_asked_for_swaps_only_those_rows_and_commits_them(store, tmp_path, fmt):
    table = read(write(tmp_path, fmt, swapped_rows()))
    first = table.rows[0]
    only_one = build_plan(table, store, ADMIN, swap_latlon={first + 1, first + 2})  # first + 2 does not look swapped
    assert only_one.swapped_rows == [first + 1] and only_one.swap_rows == [first + 3]
    plan = build_plan(table, store, ADMIN, swap_latlon=True)
    assert plan.swapped_rows == [first + 1, first + 3] and plan.swap_rows == []
    assert any("已交换 2 行的经度和纬度" in w for w in plan.warnings)
    good = plan.good.set_index("row")
    assert (good.loc[first + 1, "lon"], good.loc[first + 1, "lat"]) == (112.11, 32.35)
    assert good.loc[first + 3, "unit_name"] == "张湾街道"
    assert list(plan.bad_rows) == [first + 2]
    commit(Editor(store, ADMIN), plan, valid_only=True)
    point = store.point_by_external_id("ZW-001")
    assert (point["lon"], point["lat"]) == (112.2079, 32.0873)
    assert store.point_by_external_id("HJ-003") is None


def test_a_row_given_lat_first_in_one_column_is_read_so_and_said(store, tmp_path):
    path = tmp_path / "坐标.csv"
    path.write_text("名称,类型,状态,坐标\n井A,水井,规划,\"112.10, 32.34\"\n井B,水井,规划,\"32.35, 112.11\"\n", encoding="utf-8")
    plan = build_plan(read(path), store, ADMIN)
    assert plan.ok and list(plan.good["lon"]) == [112.10, 112.11]
    assert any("纬度在前" in w and "1 行" in w for w in plan.warnings)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_cli_refuses_swapped_rows_with_a_hint_and_swaps_them_with_the_flag(store_path, store, tmp_path, fmt):
    path = write(tmp_path, fmt, swapped_rows())
    before, version = len(store.points(Filter())), store.data_version()
    refused = run_cli("import", str(path), store=store_path)
    assert refused.returncode == 1
    assert "疑似经纬度颠倒" in refused.stdout and "--swap-latlon" in refused.stdout
    assert len(store.points(Filter())) == before and store.data_version() == version  # nothing written

    swapped = run_cli("import", str(path), "--swap-latlon", "--valid-only", store=store_path)
    assert "已交换 2 行的经度和纬度" in swapped.stdout, swapped.stdout
    assert "已导入：新增 3" in swapped.stdout
    assert swapped.returncode == 1  # the Beijing row is still bad (and left out)
    point = store.point_by_external_id("HJ-002")
    assert (point["lon"], point["lat"]) == (112.11, 32.35)


@pytest.mark.parametrize("empty", [None, float("nan")])
def test_an_area_without_a_name_is_reported_as_kong(store, tmp_path, empty):
    import geopandas as gpd

    from loaders.importing import replace_areas

    areas = store.areas()
    gdf = gpd.GeoDataFrame({"NAME": [a["name"] for a in areas] + [empty],
                            "SIZE": [1.0] * len(areas) + [empty]},
                           geometry=[a["geometry"] for a in areas] + [areas[0]["geometry"].centroid.buffer(0.001)],
                           crs="EPSG:4326")
    path = tmp_path / "边界.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    result = replace_areas(Editor(store, ADMIN), path, "NAME")
    assert result.unmatched == [EMPTY]
    assert "未匹配的要素：空" in result.summary() and not NOT_EMPTY_WORDS.search(result.summary())
    with pytest.raises(ImportRefused) as refused:  # a number field: no unit matches; the empty one reads 空
        replace_areas(Editor(store, ADMIN), path, "SIZE")
    message = str(refused.value)
    assert message.endswith("、1、空）") and not NOT_EMPTY_WORDS.search(message), message
