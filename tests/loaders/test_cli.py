"""The CLI as a user runs it: a real process, real files, exit codes."""
import json
import os
import subprocess
import sys

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from loaders import config

SAMPLES = pd.read_csv(config.geodata_dir() / "sample_points.csv", dtype=str, keep_default_na=False)


def run(*args, store):
    env = {**os.environ, "XZMAP_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "loaders", *args], check=False, capture_output=True, text=True, env=env, timeout=120)


def test_init_creates_then_leaves_alone(tmp_path):
    store = tmp_path / "new" / "x.gpkg"
    first = run("init", store=store)
    assert first.returncode == 0 and "已从内置数据创建" in first.stdout and store.exists()
    stamp = store.stat().st_mtime_ns
    second = run("init", store=store)
    assert second.returncode == 0 and "已存在，未做改动" in second.stdout
    assert store.stat().st_mtime_ns == stamp


def test_info_json_counts_by_kind_stage_status_and_unit(store_path):
    result = run("info", "--json", store=store_path)
    assert result.returncode == 0
    facts = json.loads(result.stdout)
    assert facts["total"] == len(SAMPLES)
    assert facts["by_kind"] == SAMPLES["kind"].value_counts().to_dict()
    assert facts["by_status"]["issue"]["已解决"] == 24
    assert facts["by_status"]["issue"]["已转社情民意"] == 25
    assert sum(facts["by_stage"].values()) == len(SAMPLES)
    assert facts["by_unit"]["420607109000"]["name"] == "黄龙镇"


def test_info_on_a_missing_store_fails_with_a_chinese_message(tmp_path):
    result = run("info", store=tmp_path / "absent.gpkg")
    assert result.returncode == 1 and "数据文件不存在" in result.stderr and "python -m loaders init" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg"])
def test_export_files_are_readable_again(store_path, tmp_path, fmt):
    out = tmp_path / f"wells.{fmt}"
    result = run("export", "--format", fmt, "--out", str(out), "--kind", "well", store=store_path)
    assert result.returncode == 0, result.stderr
    wells = SAMPLES[SAMPLES["kind"] == "well"]
    if fmt == "csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
        assert "名称" in table.columns and set(table["名称"]) == set(wells["name"])
        assert set(table["类型"]) == {"水井"}
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(out).active
        headers = [c.value for c in sheet[1]]
        assert headers[:4] == ["编号", "类型", "名称", "状态"] and "经度" in headers and "纬度" in headers
        assert sheet.max_row - 1 == len(wells)
    else:
        frame = gpd.read_file(out)
        assert frame.crs.to_epsg() == 4326 and len(frame) == len(wells)
        assert set(frame["name"]) == set(wells["name"])


def test_export_with_unit_name_and_stage_filters(store_path, tmp_path):
    out = tmp_path / "huangji.csv"
    result = run("export", "--format", "csv", "--out", str(out), "--unit", "黄集镇", "--stage", "已完成", store=store_path)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert len(table) and set(table["乡镇"]) == {"黄集镇"} and set(table["阶段"]) == {"已完成"}


def test_export_refuses_unknown_unit_and_bad_bbox(store_path, tmp_path):
    unknown = run("export", "--format", "csv", "--out", str(tmp_path / "a.csv"), "--unit", "火星镇", store=store_path)
    assert unknown.returncode == 1 and "无法识别的筛选条件：乡镇「火星镇」" in unknown.stderr
    bbox = run("export", "--format", "csv", "--out", str(tmp_path / "b.csv"), "--bbox", "1,2,3", store=store_path)
    assert bbox.returncode == 1 and "范围「1,2,3」" in bbox.stderr and "最小经度" in bbox.stderr
    assert not (tmp_path / "a.csv").exists()


def test_bad_usage_exits_2(store_path):
    assert run("export", "--format", "pdf", "--out", "x", store=store_path).returncode == 2
    assert run("frobnicate", store=store_path).returncode == 2
