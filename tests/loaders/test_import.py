"""File import: reading what staff have, mapping columns, checking rows, committing in one transaction."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from loaders import auth, coords
from loaders.auth import User
from loaders.editing import Editor, PermissionDenied
from loaders.importing import (
    ImportFileError,
    ImportRefused,
    archive,
    build_plan,
    commit,
    detect_mapping,
    read,
    replace_areas,
)
from loaders.store import GeoPackageStore

sys.path.insert(0, str(Path(__file__).parent))
import dbfile
import import_files as files
from import_files import HUANGJI, ZHANGWAN

ADMIN = User("管理员", "admin")
REPO = Path(__file__).resolve().parents[2]


def snapshot(path: Path) -> tuple:
    with dbfile.connect(path) as c:
        points = c.execute("SELECT * FROM points ORDER BY fid").fetchall()
        audit = c.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        version = c.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0]
    return points, audit, version


def imported(store, external_id):
    return store.point_by_external_id(external_id)


# Reading -------------------------------------------------------------------------------------------------------------

def test_xlsx_with_merged_title_and_note_rows_finds_the_header_and_excel_row_numbers(tmp_path):
    table = read(files.xlsx(tmp_path / "台账.xlsx"))
    assert table.format == "xlsx" and table.header_row == 3
    assert table.columns == files.HEADERS
    assert table.rows == [4, 5, 6, 7]
    assert table.frame.iloc[0]["名称"] == "太山村1号井"
    assert any("第 3 行" in w for w in table.warnings)


@pytest.mark.parametrize("encoding, label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带 BOM）"),
                                             ("gbk", "GBK/GB18030"), ("gb18030", "GBK/GB18030")])
def test_csv_encodings_are_detected(encoding, label):
    table = read(files.csv_bytes(encoding=encoding), "水井.csv")
    assert table.encoding == label
    assert list(table.frame["名称"]) == [r["名称"] for r in files.rows()]
    assert table.columns[0] == "编号"  # no BOM left in the first header
    assert table.rows == [2, 3, 4, 5]


def test_csv_title_row_above_the_header_counts_in_line_numbers():
    table = read(files.csv_bytes(title="襄州区水井台账,,,"), "t.csv")
    assert table.header_row == 2 and table.rows[0] == 3


def test_undecodable_csv_names_the_file_and_the_line():
    data = "编号,名称\n1,好\n".encode() + b"2,\x80\xff\xfe\n"
    with pytest.raises(ImportFileError, match=r"「坏.csv」无法识别文字编码（第 3 行"):
        read(data, "坏.csv")


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.csv", "是空的"),
    ("名称,状态,经度,纬度\n".encode(), "header_only.csv", "只有表头"),
    (b"\n\n ,, \n", "blank.csv", "没有任何内容"),
    (b"\x00\x01binary", "x.dat", "格式无法识别"),
    (b"whatever", "old.xls", "旧版 Excel"),
    (b"whatever", "points.shp", "一起压缩成 zip"),
    (b"not a zip", "x.xlsx", "内容不是 zip/xlsx"),
    (files.zip_with({"readme.txt": b"hello"}), "noshp.zip", "没有 .shp 文件"),
])
def test_file_level_problems_have_chinese_messages_naming_the_file(data, name, message):
    with pytest.raises(ImportFileError, match=message) as error:
        read(data, name)
    assert name in str(error.value)


def test_upload_limit_is_checked_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setenv("XZMAP_UPLOAD_MB", "0.001")
    path = tmp_path / "big.csv"
    path.write_bytes(b"\xff" * 5000)  # would fail decoding if it were parsed
    with pytest.raises(ImportFileError, match="超过上传上限"):
        read(path)
    with pytest.raises(ImportFileError, match="超过上传上限"):
        read(b"a" * 2000, "big.csv")


def test_row_limit_is_stated(monkeypatch):
    monkeypatch.setattr("loaders.importing.core.ROW_LIMIT", 5)
    monkeypatch.setattr("loaders.importing.tables.ROW_LIMIT", 5)
    with pytest.raises(ImportFileError, match="超过 5 行上限"):
        read(files.csv_bytes(files.rows() * 2), "many.csv")


def test_headers_are_mapped_automatically_and_in_english():
    assert detect_mapping(files.HEADERS) == {
        "external_id": "编号", "name": "名称", "kind": "类型", "status": "状态", "unit": "乡镇（街道）",
        "village": "村/社区", "lon": "经度", "lat": "纬度", "opened_on": "登记日期", "depth_m": "井深",
        "description": "说明"}
    english = detect_mapping(["id", "Name", "kind", "Status", "unit", "lng", "LAT", "Description"])
    assert english["lon"] == "lng" and english["lat"] == "LAT" and english["external_id"] == "id"
    assert detect_mapping(["X", "Y", "外部编号", "井深(米)", "乡镇(街道)", "经度（高德）"])["lon"] == "X"
    assert detect_mapping(["井深(米)", "所属乡镇", "责任单位", "完成日期"]) == {
        "unit": "所属乡镇", "resolved_on": "完成日期", "depth_m": "井深(米)", "responsible_unit": "责任单位"}


# Vector files --------------------------------------------------------------------------------------------------------

def test_geojson_and_geopackage_are_read_with_their_positions(tmp_path, store):
    for path in (files.geojson(tmp_path / "p.geojson"), files.gpkg(tmp_path / "p.gpkg")):
        table = read(path)
        assert table.has_geometry and table.lon[0] == pytest.approx(112.10)
        plan = build_plan(table, store, ADMIN)
        assert plan.ok, plan.report_lines()
        assert list(plan.good["unit_code"]) == [HUANGJI] * 3 + [ZHANGWAN]


def test_shapefile_in_projected_cgcs2000_lands_within_a_metre(tmp_path, store):
    gdf = files.points_gdf(crs="EPSG:4547")
    assert 200_000 < gdf.geometry.x.iloc[0] < 500_000  # metres east of the 500 km false easting at 114°E
    table = read(files.shapefile_zip(tmp_path / "gk.zip", gdf))
    assert "4547" in table.source_crs
    for i, row in enumerate(files.rows()):
        assert coords.haversine_m(table.lon[i], table.lat[i], row["经度"], row["纬度"]) < 1.0
    plan = build_plan(table, store, ADMIN)
    assert plan.ok, plan.report_lines()
    assert plan.good.iloc[0]["unit_code"] == HUANGJI


def test_shapefile_in_cgcs2000_geographic_with_gbk_and_no_cpg(tmp_path, store):
    table = read(files.shapefile_zip(tmp_path / "gbk.zip", files.points_gdf(crs="EPSG:4490"), cpg=False, encoding="GBK"))
    assert table.encoding == "GBK/GB18030" and "名称" in table.columns
    assert table.frame["名称"].iloc[0] == "太山村1号井"
    assert coords.haversine_m(table.lon[0], table.lat[0], 112.10, 32.34) < 1.0
    utf8 = read(files.shapefile_zip(tmp_path / "u8.zip", files.points_gdf(), cpg=False))
    assert utf8.encoding == "UTF-8" and utf8.frame["名称"].iloc[3] == "干渠桥"


def test_shapefile_without_prj_asks_for_the_crs(tmp_path):
    path = files.shapefile_zip(tmp_path / "noprj.zip", files.points_gdf(), prj=False)
    with pytest.raises(ImportFileError, match="没有 .prj 文件.*请选择"):
        read(path)
    assert read(path, source_crs="cgcs2000").lon[0] == pytest.approx(112.10)


# Hostile archives ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (files.zip_slip, "指向解压目录之外"),
    (files.zip_absolute, "绝对路径"),
    (files.zip_symlink, "符号链接"),
    (files.zip_bomb, "压缩炸弹"),
])
def test_hostile_archives_are_refused_and_nothing_escapes(tmp_path, make, message):
    with pytest.raises(ImportFileError, match=message):
        read(make(), "evil.zip")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ImportFileError):
        archive.safe_extract(make(), out, "evil.zip")
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/xzmap-absolute-evil.txt").exists()


def test_too_many_members_are_refused(monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBERS", 3)
    with pytest.raises(ImportFileError, match="超过 3 个上限"):
        read(files.zip_with({f"{i}.txt": b"x" for i in range(4)}), "many.zip")


# Plans: rows checked and reported ------------------------------------------------------------------------------------

def test_good_file_plans_new_rows_in_wgs84_with_units(tmp_path, store):
    plan = build_plan(read(files.xlsx(tmp_path / "a.xlsx")), store, ADMIN)
    assert plan.ok and plan.problems.empty
    assert list(plan.good["action"]) == ["new"] * 4
    assert list(plan.good["row"]) == [4, 5, 6, 7]
    assert list(plan.good["unit_name"]) == ["黄集镇"] * 3 + ["张湾街道"]
    assert plan.good.iloc[2]["opened_on"] == "2023-05-03" and plan.good.iloc[2]["depth_m"] == 250.5


def test_every_bad_row_is_reported_with_row_column_value_and_reason(tmp_path, store):
    data = files.rows()
    data[0]["状态"] = "已完工"  # not a well status
    data[1]["经度"] = "东经112度abc"  # not a coordinate
    data[2]["乡镇（街道）"] = "火星镇"  # not a unit
    data[3]["登记日期"] = "2023-13-45"
    data.append({**files.rows()[0], "编号": "HJ-009", "经度": 113.5, "纬度": 30.5})  # outside the district
    data.append({**files.rows()[0], "编号": "HJ-010", "名称": ""})
    plan = build_plan(read(files.xlsx(tmp_path / "bad.xlsx", data)), store, ADMIN)
    assert not plan.ok and plan.good.empty
    report = plan.problems
    assert list(report.columns) == ["行号", "列", "值", "原因"]
    by_row = {r: g for r, g in report.groupby("行号")}
    assert set(by_row) == {4, 5, 6, 7, 8, 9}
    assert by_row[4].iloc[0][["列", "值"]].tolist() == ["状态", "已完工"] and "不是水井的状态" in by_row[4].iloc[0]["原因"]
    assert by_row[5].iloc[0][["列", "值"]].tolist() == ["经度", "东经112度abc"]
    assert by_row[6].iloc[0][["列", "值"]].tolist() == ["乡镇（街道）", "火星镇"] and "不是本区" in by_row[6].iloc[0]["原因"]
    assert by_row[7].iloc[0]["列"] == "登记日期" and "不是有效日期" in by_row[7].iloc[0]["原因"]
    assert "不在襄州区范围内" in by_row[8].iloc[0]["原因"] and "公里" in by_row[8].iloc[0]["原因"]
    assert by_row[9].iloc[0]["列"] == "名称" and "不能为空" in by_row[9].iloc[0]["原因"]
    assert any(line.startswith("第 4 行，列「状态」，值「已完工」") for line in plan.report_lines())


def test_duplicate_external_ids_within_the_file_are_errors_on_each_row(store):
    data = files.rows()
    data[1]["编号"] = "HJ-001"
    plan = build_plan(read(files.csv_bytes(data), "dup.csv"), store, ADMIN)
    dups = plan.problems[plan.problems["原因"].str.contains("外部编号重复")]
    assert list(dups["行号"]) == [2, 3] and "第 3 行" in dups.iloc[0]["原因"]


def test_empty_rows_are_skipped_silently_and_row_numbers_stay_true(store):
    text = files.csv_bytes().decode()
    lines = text.splitlines()
    lines.insert(2, ",,,,,,,,,,")
    lines.insert(3, "")
    plan = build_plan(read("\n".join(lines).encode(), "gaps.csv"), store, ADMIN)
    assert plan.ok and list(plan.good["row"]) == [2, 5, 6, 7]


def test_dms_text_coordinates_are_accepted(store):
    data = files.rows()[:1]
    data[0]["经度"], data[0]["纬度"] = "112°06′00″E", "32度20分24秒"
    plan = build_plan(read(files.csv_bytes(data), "dms.csv"), store, ADMIN)
    assert plan.ok, plan.report_lines()
    assert plan.good.iloc[0]["lon"] == pytest.approx(112.1) and plan.good.iloc[0]["lat"] == pytest.approx(32.34)


def test_gcj02_choice_converts_like_loaders_coords(store):
    plan = build_plan(read(files.csv_bytes(), "gcj.csv"), store, ADMIN, crs="gcj02")
    assert plan.ok
    for row, good in zip(files.rows(), plan.good.itertuples()):
        lon, lat = coords.gcj02_to_wgs84(row["经度"], row["纬度"])
        assert (good.lon, good.lat) == pytest.approx((lon, lat), abs=1e-12)
        assert coords.haversine_m(good.lon, good.lat, row["经度"], row["纬度"]) > 300  # really moved


def test_bd09_choice_on_a_geojson_removes_the_shift(tmp_path, store):
    plan = build_plan(read(files.geojson(tmp_path / "bd.geojson")), store, ADMIN, crs="bd09")
    lon, lat = coords.bd09_to_wgs84(112.10, 32.34)
    assert (plan.good.iloc[0]["lon"], plan.good.iloc[0]["lat"]) == pytest.approx((lon, lat), abs=1e-12)


def test_warnings_for_swapped_projected_and_likely_shifted_coordinates(store):
    swapped = files.rows()
    for r in swapped:
        r["经度"], r["纬度"] = r["纬度"], r["经度"]
    plan = build_plan(read(files.csv_bytes(swapped), "s.csv"), store, ADMIN)
    assert any("填反" in w for w in plan.warnings) and len(plan.bad_rows) == 4
    metres = files.rows()
    for r in metres:
        r["经度"], r["纬度"] = 321000.0, 3580000.0
    plan = build_plan(read(files.csv_bytes(metres), "m.csv"), store, ADMIN)
    assert any("投影坐标" in w for w in plan.warnings)
    plan = build_plan(read(files.csv_bytes(), "高德拾取点.csv"), store, ADMIN, crs="wgs84")
    assert any("高德" in w and "GCJ-02" in w for w in plan.warnings)
    assert not any("高德" in w for w in build_plan(read(files.csv_bytes(), "高德.csv"), store, ADMIN,
                                                    crs="gcj02").warnings)


def test_mapping_can_be_corrected_and_kind_chosen_for_the_whole_file(store):
    data = [{"点": r["名称"], "进度": r["状态"], "X坐标": r["经度"], "Y坐标": r["纬度"]} for r in files.rows()[:3]]
    table = read(pd.DataFrame(data).to_csv(index=False).encode(), "wells.csv")
    plan = build_plan(table, store, ADMIN)
    assert plan.file_errors and any("名称" in e for e in plan.file_errors) and any("类型" in e for e in plan.file_errors)
    mapping = {**detect_mapping(table.columns), "name": "点"}
    plan = build_plan(table, store, ADMIN, mapping=mapping, kind="水井")
    assert plan.ok, plan.report_lines()
    assert set(plan.good["kind"]) == {"well"} and set(plan.good["unit_code"]) == {HUANGJI}


def test_unit_from_position_when_the_file_has_no_unit_column(store):
    data = [{k: v for k, v in r.items() if k != "乡镇（街道）"} for r in files.rows()]
    table = read(pd.DataFrame(data).to_csv(index=False).encode(), "nounit.csv")
    plan = build_plan(table, store, ADMIN)
    assert list(plan.good["unit_code"]) == [HUANGJI] * 3 + [ZHANGWAN]


def test_editor_of_huangji_cannot_import_a_zhangwan_row(store, store_path):
    editor = User("黄集编辑", "editor", (HUANGJI,))
    plan = build_plan(read(files.csv_bytes(), "mixed.csv"), store, editor)
    assert list(plan.problems["行号"]) == [5] and "只能修改黄集镇的点位" in plan.problems.iloc[0]["原因"]
    assert "张湾街道" in plan.problems.iloc[0]["原因"]
    before = snapshot(store_path)
    with pytest.raises(ImportRefused):
        commit(Editor(store, plan.user), plan)
    assert snapshot(store_path) == before
    result = commit(Editor(store, plan.user), plan, valid_only=True)
    assert len(result.created) == 3 and imported(store, "ZW-001") is None
    assert {p["updated_by"] for p in map(store.point, result.created)} == {"黄集编辑"}
    # nor may they move a 张湾 point into 黄集 by an update with its external id
    commit(Editor(store, ADMIN), build_plan(read(files.csv_bytes(files.rows()[3:]), "zw.csv"), store, ADMIN))
    moved = [{**files.rows()[3], "乡镇（街道）": "黄集镇", "经度": 112.1, "纬度": 32.345}]
    plan = build_plan(read(files.csv_bytes(moved), "move.csv"), store, editor)
    assert not plan.ok and "张湾街道" in plan.problems.iloc[0]["原因"]


# Commit --------------------------------------------------------------------------------------------------------------

def test_import_then_import_again_changes_nothing(tmp_path, store, store_path):
    path = files.xlsx(tmp_path / "a.xlsx")
    first = commit(Editor(store, ADMIN), build_plan(read(path), store, ADMIN))
    assert len(first.created) == 4
    point = imported(store, "HJ-001")
    assert point["kind"] == "well" and point["unit_code"] == HUANGJI and point["depth_m"] == 260
    history = store.history(point["id"])
    assert list(history["action"]) == ["create"] and history.iloc[0]["user"] == "管理员"
    before = snapshot(store_path)
    plan = build_plan(read(path), store, ADMIN)
    assert list(plan.good["action"]) == ["unchanged"] * 4
    second = commit(Editor(store, plan.user), plan)
    assert second.written == 0 and second.unchanged == 4
    assert snapshot(store_path) == before


def test_changed_rows_update_by_external_id_using_the_current_version(store):
    commit(Editor(store, ADMIN), build_plan(read(files.csv_bytes(), "a.csv"), store, ADMIN))
    point = imported(store, "HJ-002")
    store.update_point(point["id"], {"description": "另一人改过"}, point["version"], "他人")
    data = files.rows()
    data[1]["状态"] = "已出水"
    data[1]["说明"] = ""  # empty cells keep what is stored
    plan = build_plan(read(files.csv_bytes(data), "a.csv"), store, ADMIN)
    assert list(plan.good["action"]) == ["unchanged", "update", "unchanged", "unchanged"]
    assert plan.good.iloc[1]["changed"] == "状态"
    result = commit(Editor(store, plan.user), plan)
    assert result.updated == [point["id"]]
    after = imported(store, "HJ-002")
    assert after["status"] == "已出水" and after["stage"] == "已完成" and after["version"] == point["version"] + 2
    assert after["description"] == "另一人改过"
    assert store.history(point["id"]).iloc[0]["action"] == "update"


def test_all_or_nothing_unless_valid_only(store, store_path):
    data = files.rows()
    data[2]["状态"] = "不存在的状态"
    plan = build_plan(read(files.csv_bytes(data), "a.csv"), store, ADMIN)
    before = snapshot(store_path)
    with pytest.raises(ImportRefused, match="有 1 行有误，未写入任何数据"):
        commit(Editor(store, plan.user), plan)
    assert snapshot(store_path) == before
    version = store.data_version()
    result = commit(Editor(store, plan.user), plan, valid_only=True)
    assert len(result.created) == 3 and result.skipped_bad == 1
    assert imported(store, "HJ-003") is None and imported(store, "HJ-001") is not None
    assert store.data_version() == version + 1  # one transaction


def test_script_text_round_trips_literally(store):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)> ${1+1} \\1 `tick`'
    data = files.rows()[:1]
    data[0]["名称"] = "井<b>1</b>"
    data[0]["说明"] = script
    commit(Editor(store, ADMIN), build_plan(read(files.csv_bytes(data), "xss.csv"), store, ADMIN))
    point = imported(store, "HJ-001")
    assert point["description"] == script and point["name"] == "井<b>1</b>"


def test_kill_during_import_leaves_the_store_exactly_as_before(tmp_path, store_path):
    path = tmp_path / "many.csv"
    data = [{**files.rows()[0], "编号": f"K-{i}", "名称": f"井{i}"} for i in range(20)]
    path.write_bytes(files.csv_bytes(data))
    before = snapshot(store_path)
    script = textwrap.dedent("""
        import os, sys
        from loaders.auth import User
        from loaders.editing import Editor
        from loaders.importing import build_plan, commit, read
        from loaders.store import GeoPackageStore, GeoPackageStore
        store = GeoPackageStore(sys.argv[1])
        plan = build_plan(read(sys.argv[2]), store, User("kill", "admin"))
        def die(n):
            if n == 10:
                os._exit(9)
        commit(Editor(store, plan.user), plan, on_row=die)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(store_path), str(path)], check=False, cwd=REPO, timeout=60,
                          capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    assert snapshot(store_path) == before
    with dbfile.connect(store_path) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# Replacing unit areas ------------------------------------------------------------------------------------------------

def _official_areas(store, tmp_path, drop: str | None = None, grow: str | None = None) -> Path:
    import geopandas as gpd
    areas = [a for a in store.areas() if a["code"] != drop]
    gdf = gpd.GeoDataFrame({"NAME": [a["name"] for a in areas] + ["不存在镇"],
                            "CODE": [a["code"] for a in areas] + ["999"]},
                           geometry=[a["geometry"].buffer(0.05 if a["code"] == grow else 0) for a in areas]
                           + [areas[0]["geometry"].centroid.buffer(0.001)], crs="EPSG:4326")
    path = tmp_path / "official.zip"
    return files.shapefile_zip(path, gdf.to_crs("EPSG:4547"))


def test_admin_replaces_areas_from_an_official_projected_shapefile(store, tmp_path):
    path = _official_areas(store, tmp_path)
    with pytest.raises(PermissionDenied, match="只有管理员"):
        replace_areas(Editor(store, User("e", "editor", (HUANGJI,))), path, "NAME")
    old = store.geography()
    result = replace_areas(Editor(store, ADMIN), path, "NAME")
    assert result.unmatched == ["不存在镇"] and len(result.replaced) == 19 and result.kept == []
    areas = {a["code"]: a for a in store.areas()}
    assert areas[HUANGJI]["schematic"] == 0 and areas[HUANGJI]["basis"] == "official.zip"
    assert store.geography() is not old  # the cached lookup refreshed
    assert store.geography().unit_at(112.10, 32.34) == HUANGJI


def test_replacing_areas_is_refused_when_a_unit_is_missing_or_areas_overlap(store, tmp_path, store_path):
    before = snapshot(store_path)
    with pytest.raises(ImportRefused, match="缺少.*黄集镇"):
        replace_areas(Editor(store, ADMIN), _official_areas(store, tmp_path, drop=HUANGJI), "CODE")
    with pytest.raises(ImportRefused, match="重叠"):
        replace_areas(Editor(store, ADMIN), _official_areas(store, tmp_path, grow=HUANGJI), "CODE")
    assert snapshot(store_path) == before


# The CLI -------------------------------------------------------------------------------------------------------------

def run_cli(*args, store):
    env = {**os.environ, "XZMAP_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "loaders", *args], check=False, capture_output=True, text=True,
                          env=env, timeout=60, cwd=REPO)


def test_cli_dry_run_import_and_failure(tmp_path, store_path):
    good = files.xlsx(tmp_path / "good.xlsx")
    before = snapshot(store_path)
    dry = run_cli("import", str(good), "--dry-run", store=store_path)
    assert dry.returncode == 0, dry.stderr + dry.stdout
    assert "新增 4" in dry.stdout and snapshot(store_path) == before
    data = files.rows()
    data[0]["状态"] = "坏状态"
    bad = files.xlsx(tmp_path / "bad.xlsx", data)
    failed = run_cli("import", str(bad), store=store_path)
    assert failed.returncode == 1 and "第 4 行，列「状态」，值「坏状态」" in failed.stdout
    assert snapshot(store_path) == before
    auth.add_user(GeoPackageStore(store_path), "张三", "password-123", role="admin")
    done = run_cli("import", str(good), "--crs", "wgs84", "--user", "张三", store=store_path)
    assert done.returncode == 0 and "新增 4" in done.stdout
    with dbfile.connect(store_path) as c:
        assert c.execute("SELECT updated_by FROM points WHERE external_id = 'HJ-001'").fetchone()[0] == "张三"
    again = run_cli("import", str(good), store=store_path)
    assert again.returncode == 0 and "新增 0，更新 0，无变化 4" in again.stdout


def test_cli_import_as_a_named_editor_keeps_to_their_towns(tmp_path, store_path):
    auth.add_user(GeoPackageStore(store_path), "黄集编辑", "password-123", role="editor", units=(HUANGJI,))
    before = snapshot(store_path)
    refused = run_cli("import", str(files.xlsx(tmp_path / "mixed.xlsx")), "--user", "黄集编辑", store=store_path)
    assert refused.returncode == 1 and "张湾" in refused.stdout and snapshot(store_path) == before
    unknown = run_cli("import", str(files.xlsx(tmp_path / "again.xlsx")), "--user", "无此人", store=store_path)
    assert unknown.returncode == 1 and snapshot(store_path) == before
