"""The data tools on both engines (issue 10): init, info, export, import, backup and restore behave the same whether
XZMAP_STORE is a GeoPackage file or a PostGIS database; `copy` moves everything between the two, verified, and a
round trip GeoPackage → PostGIS → GeoPackage gives identical checksums."""
from __future__ import annotations

import json
import sqlite3

import dbfile
import pandas as pd
import pytest

from loaders import auth, cli
from loaders.filters import Filter
from loaders.store import GeoPackageStore, open_store
from loaders.store.copying import CHECKED

HUANGJI = "420607102000"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def run(*args, capsys) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_leaves_an_existing_store_and_info_reports_the_article_totals(any_store, capsys):
    code, out, _ = run("init", capsys=capsys)
    assert code == 0 and "数据已存在，未做改动" in out
    code, out, _ = run("info", "--json", capsys=capsys)
    facts = json.loads(out)
    assert code == 0 and facts["total"] == 113 and facts["store"] == any_store.location
    assert facts["by_status"]["issue"]["已解决"] == 24 and facts["by_status"]["issue"]["已转社情民意"] == 25
    assert facts["by_kind"]["demo_site"] == 17
    work = facts["consultation"]  # 270余名委员、30余场次、8个区直活动组对口联系17个、317名区政协委员、三级联动6次
    assert 30 <= work["activities"] < 40 and 270 <= work["members_taking_part"] < 300
    assert (work["district_groups"], work["town_groups"], work["pairings"]) == (8, 17, 17)
    assert work["members_district"] == 317 and work["three_level"] == 6
    assert (work["issues_solved"], work["opinions_forwarded"], work["demo_sites"]) == (24, 25, 17)


def test_export_with_filters(any_store, tmp_path, capsys):
    out_file = tmp_path / "黄集问题.csv"
    code, _out, _ = run("export", "--format", "csv", "--out", str(out_file), "--unit", "黄集", "--kind", "issue",
                       capsys=capsys)
    table = pd.read_csv(out_file, encoding="utf-8-sig", dtype=str)
    expected = any_store.points(Filter(unit_codes=(HUANGJI,), kinds=("issue",)))
    assert code == 0 and len(table) == len(expected) > 0 and set(table["乡镇"]) == {"黄集镇"}


def test_import_as_a_user_writes_through_the_editor(any_store, tmp_path, capsys):
    auth.add_user(any_store, "黄集编辑", "password-123", "editor", ["黄集镇"])
    unit = any_store.units().get(HUANGJI)
    lon, lat = unit.lon, unit.lat
    path = tmp_path / "新井.csv"
    pd.DataFrame([{"编号": "HJ-77", "名称": "新打的井", "类型": "水井", "状态": "钻井中", "经度": lon, "纬度": lat}]
                 ).to_csv(path, index=False)
    code, _out, err = run("import", str(path), "--user", "黄集编辑", capsys=capsys)
    assert code == 0, err
    point = any_store.point_by_external_id("HJ-77")
    assert point["updated_by"] == "黄集编辑" and point["unit_code"] == HUANGJI
    assert any_store.history(point["id"])["action"].tolist() == ["create"]


def test_backup_then_restore_brings_the_data_back(any_store, tmp_path, capsys):
    snapshot = tmp_path / "快照.gpkg"
    code, _, err = run("backup", "--out", str(snapshot), capsys=capsys)
    assert code == 0, err
    assert GeoPackageStore(snapshot).checksums() == any_store.checksums()  # the portable backup of either engine
    point = any_store.point(any_store.points()["id"][0])
    any_store.update_point(point["id"], {"name": "备份之后改的"}, point["version"], "测试")
    version = any_store.data_version()
    code, _out, err = run("restore", str(snapshot), capsys=capsys)
    assert code == 0, err
    assert any_store.point(point["id"])["name"] == point["name"]
    assert any_store.data_version() > version  # every server's caches let go of the old data


def test_copy_round_trip_gpkg_postgis_gpkg_has_identical_checksums(store_template, postgres_server, tmp_path, capsys):
    source = GeoPackageStore(_writable(store_template, tmp_path))
    auth.add_user(source, "管理员", "password-123", "admin")
    url = postgres_server.url(postgres_server.create_database("copy_round_trip", template="xz_postgis"))
    back = tmp_path / "back.gpkg"
    code, out, err = run("copy", "--from", source.location, "--to", url, capsys=capsys)
    assert code == 0, err
    assert "逐表核对行数与内容校验一致" in out and "点位（points）：113 行" in out
    code, out, err = run("copy", "--from", url, "--to", str(back), capsys=capsys)
    assert code == 0, err
    original, there, returned = source.checksums(), open_store(url).checksums(), GeoPackageStore(back).checksums()
    assert {t: original[t] for t in CHECKED} == {t: there[t] for t in CHECKED} == {t: returned[t] for t in CHECKED}
    assert original["users"][0] == 1 and auth.authenticate(open_store(url), "管理员", "password-123").is_admin


def test_copy_refuses_a_target_with_data_unless_forced_after_a_backup(any_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XZMAP_BACKUP_DIR", str(tmp_path / "backups"))
    other = tmp_path / "other.gpkg"
    code, _, err = run("copy", "--from", any_store.location, "--to", str(other), capsys=capsys)
    assert code == 0, err
    GeoPackageStore(other).update_point(any_store.points()["id"][0], {"name": "目标里改过"}, 1, "测试")
    before = GeoPackageStore(other).checksums()
    code, _, err = run("copy", "--from", any_store.location, "--to", str(other), capsys=capsys)
    assert code == 1 and "已有数据" in err and "--force" in err
    assert GeoPackageStore(other).checksums() == before
    code, _out, err = run("copy", "--from", any_store.location, "--to", str(other), "--force", capsys=capsys)
    assert code == 0, err
    backups = list(tmp_path.glob("other.*.bak.gpkg"))
    assert len(backups) == 1 and GeoPackageStore(backups[0]).checksums()["points"] == before["points"]
    assert GeoPackageStore(other).checksums()["points"] == any_store.checksums()["points"]


def _writable(template, folder):
    """A copy of the template store to change (the template is shared by the session)."""
    path = folder / "source.gpkg"
    with dbfile.connect(template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path
