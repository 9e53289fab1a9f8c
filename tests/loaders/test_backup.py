"""Backup while others write; restore only a real store, keeping the current one first."""
import datetime as dt
import hashlib
import sqlite3
import threading

import pytest

from loaders import auth
from loaders.backup import BackupError, backup, check_store_file, default_backup_path, restore
from loaders.store import GeoPackageStore
from loaders.store.gpkg import TZ

T0 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=TZ)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity(path):
    with sqlite3.connect(path) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def test_backup_while_another_thread_keeps_writing(store, store_path, tmp_path):
    point_id = store.points()["id"].iloc[0]
    stop, errors, written = threading.Event(), [], []

    def writer():
        writing = GeoPackageStore(store_path)
        version = writing.point(point_id)["version"]
        try:
            while not stop.is_set():
                version = writing.update_point(point_id, {"description": f"第 {version} 次"}, version, "写入者")["version"]
                written.append(version)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5 and thread.is_alive():
            pass
        started = len(written)
        snapshots = [backup(store_path, tmp_path / f"snap{i}.gpkg") for i in range(5)]
        during = len(written) - started
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors and during > 0  # the writer kept writing while the snapshots were taken
    for snapshot in snapshots:
        assert integrity(snapshot) == "ok"
        assert not snapshot.with_name(snapshot.name + "-wal").exists()
        check_store_file(snapshot)
        copy = GeoPackageStore(snapshot)
        # A consistent moment: the point's version matches the number of its audited updates.
        record = copy.point(point_id)
        updates = (copy.history(point_id)["action"] == "update").sum()
        assert record["version"] == updates + 1 and record["description"] == f"第 {record['version'] - 1} 次"
    assert GeoPackageStore(snapshots[-1]).data_version() >= GeoPackageStore(snapshots[0]).data_version()


def test_default_backup_names_carry_a_timestamp_and_never_collide(store_path):
    first = backup(store_path, now=T0)
    second = backup(store_path, now=T0)
    assert first.name == "xiangzhou.20240501-093000.bak.gpkg"
    assert second.name == "xiangzhou.20240501-093000.bak-2.gpkg"
    assert default_backup_path(store_path, T0).name == "xiangzhou.20240501-093000.bak-3.gpkg"


def test_backup_never_overwrites(store_path, tmp_path):
    out = tmp_path / "taken.gpkg"
    out.write_text("keep me")
    with pytest.raises(BackupError, match="已存在"):
        backup(store_path, out)
    assert out.read_text() == "keep me"
    with pytest.raises(BackupError, match="数据文件本身"):
        backup(store_path, store_path)
    with pytest.raises(BackupError, match="数据文件不存在"):
        backup(tmp_path / "absent.gpkg", tmp_path / "x.gpkg")


def test_restore_brings_the_snapshot_back_and_keeps_the_current_store(store, store_path, tmp_path, monkeypatch):
    point_id = store.points()["id"].iloc[0]
    original = store.point(point_id)["name"]
    snapshot = backup(store_path, tmp_path / "snap.gpkg")
    store.update_point(point_id, {"name": "快照之后的修改"}, 1, "小王")
    version_before = store.data_version()
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    auth.add_user(store, "管理员甲", "password-123", "admin")
    token = auth.start_session(store, auth.get_user(store, "管理员甲"))
    kept = restore(snapshot, store_path, now=T0)
    assert store.point(point_id)["name"] == original
    assert store.data_version() > version_before  # pages do not keep showing cached numbers
    assert kept.name == "xiangzhou.20240501-093000.bak.gpkg"
    assert GeoPackageStore(kept).point(point_id)["name"] == "快照之后的修改"
    assert integrity(store_path) == "ok"
    with sqlite3.connect(store_path) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # The snapshot predates the users table: it is added; the session started afterwards is gone.
    assert auth.user_for_session(store, token) is None and auth.list_users(store).empty


def test_restore_into_a_missing_store_creates_it(store_path, tmp_path):
    snapshot = backup(store_path, tmp_path / "snap.gpkg")
    target = tmp_path / "fresh" / "xiangzhou.gpkg"
    assert restore(snapshot, target) is None
    assert len(GeoPackageStore(target).points()) == len(GeoPackageStore(store_path).points())


def make_plain_sqlite(path):
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (x)")


def make_other_geopackage(path):
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA application_id = 1196444487")
        c.execute("CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT)")
        c.execute("CREATE TABLE roads (fid INTEGER PRIMARY KEY)")
        c.execute("INSERT INTO gpkg_contents VALUES ('roads', 'features')")


def make_truncated_store(path, store_path):
    data = store_path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize("make, expected", [
    (lambda p, s: p.write_text("名称,经度,纬度\n新井,112.1,32.3\n", encoding="utf-8"), "不是 GeoPackage/SQLite 文件"),
    (lambda p, s: p.write_bytes(b""), "不是 GeoPackage/SQLite 文件"),
    (lambda p, s: make_plain_sqlite(p), "不是 GeoPackage 文件"),
    (lambda p, s: make_other_geopackage(p), "不是本系统的数据文件"),
    (make_truncated_store, "未做任何改动"),
    (None, "找不到要恢复的文件"),
])
def test_restore_refuses_anything_but_an_intact_store_and_changes_nothing(store_path, tmp_path, make, expected):
    bad = tmp_path / "bad.gpkg"
    if make:
        make(bad, store_path)
    before = digest(store_path)
    with pytest.raises(BackupError) as caught:
        restore(bad, store_path)
    assert expected in str(caught.value)
    assert digest(store_path) == before
    assert sorted(p.name for p in store_path.parent.iterdir() if p.name.startswith("xiangzhou")) == ["xiangzhou.gpkg"]


def test_restoring_the_store_onto_itself_is_refused(store_path):
    with pytest.raises(BackupError, match="当前数据文件本身"):
        restore(store_path, store_path)
