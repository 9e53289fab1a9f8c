"""Backup while others write; restore only a real store, keeping the current one first; the content checksum.
(The hostile snapshots restore must refuse are in test_restore_hostile.py.)"""
import contextlib
import datetime as dt
import decimal
import hashlib
import json
import sqlite3
import threading

import dbfile
import pyogrio
import pytest
import shapely

from loaders import auth, cli
from loaders.backup import BackupError, backup, check_store_file, default_backup_path, expected_columns, restore
from loaders.clock import TZ
from loaders.store import GeoPackageStore, checksum, schema
from loaders.store.gpkg import POINT_COLUMNS

T0 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=TZ)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity(path):
    with dbfile.connect(path) as c:
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
        except Exception as error:  # noqa: BLE001  # pragma: no cover - any error is reported below
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
    with dbfile.connect(store_path) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # The snapshot predates the users table: it is added; the session started afterwards is gone.
    assert auth.user_for_session(store, token) is None and auth.list_users(store).empty


def test_restore_into_a_missing_store_creates_it(store_path, tmp_path):
    snapshot = backup(store_path, tmp_path / "snap.gpkg")
    target = tmp_path / "fresh" / "xiangzhou.gpkg"
    assert restore(snapshot, target) is None
    assert len(GeoPackageStore(target).points()) == len(GeoPackageStore(store_path).points())


def make_plain_sqlite(path):
    with dbfile.connect(path) as c:
        c.execute("CREATE TABLE t (x)")


def make_other_geopackage(path):
    with dbfile.connect(path) as c:
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


# The content checksum ---------------------------------------------------------------------------------------------
def checksums_of(path):
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return checksum.gpkg_checksums(connection)


def meta(path, key):
    with contextlib.closing(sqlite3.connect(path)) as connection:
        row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def test_a_backup_is_sealed_with_the_checksums_of_the_store_and_stays_a_geopackage(store_path, tmp_path):
    snapshot = backup(store_path, tmp_path / "snap.gpkg")
    sums = checksums_of(store_path)
    assert checksums_of(snapshot) == sums
    assert checksum.loads(meta(snapshot, "checksum")) == sums and meta(snapshot, "schema") == str(schema.SCHEMA_VERSION)
    assert set(sums) == {"points", "follow_ups", "audit", "units", "unit_areas", "district_outline", "users",
                         "member_groups", "group_pairings", "members", "activities", "activity_members",
                         "issue_activities", "photos", "settings"}
    assert sums["points"][0] == 113 and sums["unit_areas"][0] == 19
    # GDAL, which QGIS uses, still reads it as a GeoPackage with its three layers.
    layers = {name for name, _ in pyogrio.list_layers(snapshot)}
    assert {"points", "unit_areas", "district_outline"} <= layers
    assert len(pyogrio.read_dataframe(snapshot, layer="points")) == 113


def test_checksums_change_with_one_name_and_only_for_its_table(store, store_path, tmp_path):
    snapshot = backup(store_path, tmp_path / "snap.gpkg")
    point_id = store.points()["id"].iloc[0]
    with dbfile.connect(snapshot) as connection:  # no audit row, no version bump: only the name
        connection.execute("UPDATE points SET name = name || '。' WHERE id = ?", (point_id,))
    assert checksum.differences(checksums_of(store_path), checksums_of(snapshot)) == ["points"]
    # What a PostgreSQL engine may return instead does not matter: row order, parsed JSON, booleans, dates as dates.
    kinds = {t: {c.name: c.kind for c in schema.TABLES[t].columns} for t in checksum.TABLES}
    with contextlib.closing(sqlite3.connect(store_path)) as connection:
        read = checksum.gpkg_reader(connection)

        def like_postgres(table, columns, order_by):
            rows = [list(r) for r in read(table, columns, order_by)]
            for row in rows:
                for i, column in enumerate(columns):
                    value = row[i]
                    kind = kinds[table][column]
                    if value is None:
                        continue
                    if kind == "json":
                        row[i] = json.loads(value)
                    elif kind == "bool":
                        row[i] = bool(value)
                    elif kind == "date":
                        row[i] = dt.date.fromisoformat(value)
                    elif kind == "float":
                        row[i] = decimal.Decimal(repr(value))  # a numeric column, say
                    elif kind == "geometry":  # through big-endian EWKB with an SRID and back
                        row[i] = shapely.from_wkb(shapely.to_wkb(shapely.set_srid(value, 4326), byte_order=0,
                                                                 include_srid=True))
            return reversed(rows)

        assert checksum.table_checksums(like_postgres) == checksum.table_checksums(read)


def test_the_canonical_encoding():
    encode = checksum.encode
    assert encode(None) == b"N" and encode(True) == encode(1) == checksum.encode_int(1) == b"I1;"
    assert checksum.encode_float(250) == checksum.encode_float(250.0) == b"F0x1.f400000000000p+7;"
    assert encode(0.1) == b"F0x1.999999999999ap-4;" != encode(0.1 + 2e-17)
    assert checksum.encode_int("1") == encode("1") != encode(1)  # text in a number column stays text
    assert encode("井") == b"T3:\xe4\xba\x95" and encode(dt.date(2024, 5, 1)) == encode("2024-05-01")
    assert checksum.encode_json('{"b": 1, "a": "井"}') == checksum.encode_json({"a": "井", "b": 1})
    assert checksum.encode_json("{坏的") == encode("{坏的")
    with pytest.raises(TypeError, match="datetime"):
        encode(dt.datetime(2024, 5, 1, 9, 30))
    columns = ("id", "name")
    assert checksum.table_checksum([("a", "x"), ("b", "y")], "t", columns) == \
        checksum.table_checksum([("b", "y"), ("a", "x")], "t", columns)
    assert checksum.table_checksum([("a", "xb")], "t", columns) != checksum.table_checksum([("ax", "b")], "t", columns)


def test_the_checked_columns_come_from_the_schema_the_code_creates():
    """The checksum covers the canonical schema's columns (fid where it is data); the structure check wants every
    column the GeoPackage engine creates, and those include the canonical ones."""
    assert checksum.columns_of("points") == ("fid", *POINT_COLUMNS)
    assert "sessions" not in checksum.TABLES and "meta" not in checksum.TABLES
    created = expected_columns()
    for table in schema.TABLES.values():
        assert set(table.names) <= set(created[table.name]), table.name
    assert set(created) >= {"gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys", "users", "sessions"}


def test_restore_drops_the_checksum_from_the_live_store_and_the_next_backup_seals_again(store, store_path, tmp_path):
    snapshot = backup(store_path, tmp_path / "snap.gpkg")
    restore(snapshot, store_path)
    assert meta(store_path, "checksum") is None  # a later hand copy says "no checksum", not "damaged"
    point_id = store.points()["id"].iloc[0]
    store.update_point(point_id, {"name": "恢复之后的修改"}, store.point(point_id)["version"], "小王")
    again = backup(store_path, tmp_path / "again.gpkg")
    check_store_file(again)
    assert checksum.loads(meta(again, "checksum")) == checksums_of(store_path) != checksums_of(snapshot)


def test_a_snapshot_from_before_the_users_table_restores(store, store_path, tmp_path):
    with dbfile.connect(store_path) as connection:
        connection.execute("DROP TABLE users")
        connection.execute("DROP TABLE sessions")
        connection.execute("DELETE FROM gpkg_contents WHERE table_name IN ('users', 'sessions')")
    snapshot = backup(store_path, tmp_path / "snap.gpkg")
    check_store_file(snapshot)
    restore(snapshot, store_path)
    assert auth.list_users(store).empty


@pytest.mark.parametrize("command", [["backup"], ["restore", "snap.gpkg"]])
def test_backup_and_restore_of_an_unreachable_database_say_so(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XZMAP_BACKUP_DIR", str(tmp_path / "backups"))
    assert cli.main(["--store", "postgresql://xzmap@127.0.0.1:1/xzmap", *command]) == 1
    err = capsys.readouterr().err
    assert ("无法连接数据库" in err or "找不到要恢复的文件" in err) and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == []  # no "postgresql:" folder made of the URL, no backup