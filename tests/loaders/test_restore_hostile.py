"""restore brings back only complete, intact snapshots: every case of the hostile-snapshot corpus is refused through
`restore()` and through `python -m loaders restore`, with exit code 1, a Chinese message naming the file and the
problem, no traceback, the live store unchanged byte for byte and nothing left behind."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dbfile
import hostile_snapshots  # builders beside this file (tests/ is not a package)
from hostile_snapshots import HOSTILE_SNAPSHOTS

from loaders import cli
from loaders.backup import BackupError, backup, check_store_file, restore
from loaders.store import GeoPackageStore

CASES = pytest.mark.parametrize("case", HOSTILE_SNAPSHOTS, ids=lambda case: case.build.__name__)


def state(store_path: Path, folder: Path) -> dict:
    """Everything a refused restore must leave alone: the store's bytes and what lies beside it and the snapshot."""
    return {"store": store_path.read_bytes(),
            "beside store": sorted(p.name for p in store_path.parent.iterdir()),
            "beside snapshot": sorted(p.name for p in folder.iterdir())}


@pytest.fixture
def folder(tmp_path) -> Path:
    path = tmp_path / "快照"
    path.mkdir()
    return path


@CASES
def test_restore_refuses_the_snapshot_and_changes_nothing(case, store_path, folder):
    snapshot = case.build(store_path, folder)
    assert snapshot.name == case.name
    before = state(store_path, folder)
    with pytest.raises(BackupError) as caught:
        restore(snapshot, store_path)
    message = str(caught.value)
    assert f"「{case.name}」" in message and "未做任何改动" in message
    assert re.search(case.says, message), message
    assert state(store_path, folder) == before


@CASES
def test_the_command_line_refuses_it_with_exit_code_1(case, store_path, folder, capsys):
    snapshot = case.build(store_path, folder)
    before = state(store_path, folder)
    assert cli.main(["--store", str(store_path), "restore", str(snapshot)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("错误：") and f"「{case.name}」" in err and re.search(case.says, err), err
    assert "Traceback" not in out + err and "已从" not in out
    assert state(store_path, folder) == before


CHECKSUM_ONLY = (hostile_snapshots.flipped_record, hostile_snapshots.point_removed_after_backup)


@pytest.mark.parametrize("case", [c for c in HOSTILE_SNAPSHOTS
                                  if not c.restorable_without_checksum and c.build not in CHECKSUM_ONLY],
                         ids=lambda case: case.build.__name__)
def test_no_checksum_does_not_let_anything_else_through(case, store_path, folder, capsys):
    """--no-checksum skips only the checksum: every other case is still refused for its own reason."""
    snapshot = case.build(store_path, folder)
    before = state(store_path, folder)
    assert cli.main(["--store", str(store_path), "restore", str(snapshot), "--no-checksum"]) == 1
    err = capsys.readouterr().err
    assert f"「{case.name}」" in err and re.search(case.says, err) and "Traceback" not in err, err
    assert state(store_path, folder) == before


def test_no_checksum_means_the_admin_vouches_for_the_content(store, store_path, folder, capsys):
    """The flag skips comparing a checksum that is there, too (a snapshot edited on purpose, e.g. in QGIS, can be
    brought back); the refusal of a mismatch does not suggest it. A removed point still leaves its audit rows
    pointing nowhere, which the row check refuses."""
    flipped = hostile_snapshots.flipped_record(store_path, folder)
    with pytest.raises(BackupError) as caught:
        restore(flipped, store_path)
    assert "--no-checksum" not in str(caught.value)
    assert cli.main(["--store", str(store_path), "restore", str(flipped), "--no-checksum"]) == 0
    assert "跳过内容校验" in capsys.readouterr().err
    assert hostile_snapshots.MARKER not in set(store.points()["name"]) and len(store.points()) == 113
    removed = hostile_snapshots.point_removed_after_backup(store_path, folder)
    with pytest.raises(BackupError, match="修改记录（audit）有误：第 \\d+ 条：指向不存在的记录编号"):
        restore(removed, store_path, verify_checksum=False)


@pytest.mark.parametrize("case", [c for c in HOSTILE_SNAPSHOTS if c.restorable_without_checksum],
                         ids=lambda case: case.build.__name__)
def test_a_valid_file_without_checksum_comes_back_with_no_checksum_and_a_warning(case, store, store_path, folder,
                                                                                 capsys):
    snapshot = case.build(store_path, folder)
    point_id = store.points()["id"].iloc[0]
    original = store.point(point_id)["name"]
    store.update_point(point_id, {"name": "快照之后的修改"}, store.point(point_id)["version"], "小王")
    assert cli.main(["--store", str(store_path), "restore", str(snapshot), "--no-checksum"]) == 0
    out, err = capsys.readouterr()
    assert "警告" in err and "--no-checksum" in err and "跳过内容校验" in err and case.name in err
    assert "已先把原数据文件备份到" in out
    assert store.point(point_id)["name"] == original
    assert sorted(p.name for p in folder.iterdir()) == [case.name]  # no -wal/-shm left beside the snapshot


def test_the_flipped_record_is_readable_and_valid_so_only_the_checksum_can_tell(store_path, folder):
    snapshot = hostile_snapshots.flipped_record(store_path, folder)
    check_store_file(snapshot, verify_checksum=False)  # quick_check, structure and every row pass
    with dbfile.connect(snapshot) as connection:
        assert connection.execute("SELECT COUNT(*) FROM points WHERE name = ?",
                                  (hostile_snapshots.MARKER,)).fetchone()[0] == 0


def test_a_missing_column_is_refused_before_anything_reads_the_rows(store_path, folder):
    """The old restore accepted it; `info` then failed on the restored store. Now the message lists the column
    and the store still answers."""
    snapshot = hostile_snapshots.points_without_columns(store_path, folder)
    with pytest.raises(BackupError, match="数据结构不完整.*points 表缺少列 village"):
        restore(snapshot, store_path)
    assert cli.main(["--store", str(store_path), "info"]) == 0


def test_bad_rows_are_named_a_few_at_a_time(store_path, folder):
    """Many bad rows: the first five are named (by name and id), the rest counted."""
    snapshot = hostile_snapshots._snapshot(store_path, folder, "很多坏行的快照.gpkg")
    with dbfile.connect(snapshot) as connection:
        wells = connection.execute("SELECT COUNT(*) FROM points WHERE kind = 'well'").fetchone()[0]
        connection.execute("UPDATE points SET status = '已解决', stage = '已完成' WHERE kind = 'well'")
    hostile_snapshots.seal(snapshot)
    assert wells > 5
    with pytest.raises(BackupError) as caught:
        restore(snapshot, store_path)
    message = str(caught.value)
    assert f"{wells} 个点位的数据无效" in message and f"（共 {wells} 处）" in message
    assert message.count("不是水井的状态") == 5


def test_a_backup_of_the_hostile_store_restores(hostile_store_path, tmp_path):
    """Names full of markup, formulas and odd characters are valid data: the row check must not refuse them."""
    snapshot = backup(hostile_store_path, tmp_path / "快照.gpkg")
    store = GeoPackageStore(hostile_store_path)
    names = sorted(store.points()["name"])
    assert restore(snapshot, hostile_store_path) is not None
    assert sorted(store.points()["name"]) == names


def test_as_a_real_process_the_refusal_is_one_chinese_line_and_exit_code_1(store_path, folder):
    snapshot = hostile_snapshots.flipped_record(store_path, folder)
    before = state(store_path, folder)
    result = subprocess.run([sys.executable, "-m", "loaders", "--store", str(store_path), "restore", str(snapshot)],
                            check=False, capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "位翻转的快照.gpkg" in result.stderr and "校验失败" in result.stderr
    assert "Traceback" not in result.stderr
    assert state(store_path, folder) == before
