"""Snapshots of the store while the dashboard runs, and bringing one back.

`backup` uses SQLite's online backup API: it copies a consistent state even while other processes write (WAL mode
lets them carry on), into a temporary file that is renamed into place, so a half-written snapshot never exists.
The snapshot is a single self-contained GeoPackage (rollback-journal mode, no -wal file) that QGIS opens. Before
the rename it is sealed: the content checksum of every data table (`store.checksum`: points, follow-ups, audit,
units, areas, outline, users) goes into its meta table (key `checksum`, JSON {table: [count, sha256]}), beside the
schema version (key `schema`) it already carries, which restore checks on its own.

`restore` brings back only a snapshot that is complete and intact, and otherwise refuses with a Chinese message
naming the file and the problem, changing nothing (`check_store_file`):
  - a SQLite file that passes SQLite's quick_check and is a GeoPackage;
  - of a schema version this code knows (a newer one: upgrade first);
  - with every table and column the current code creates (derived from gpkg.SCHEMA and users.SCHEMA; the users and
    sessions tables may be absent, older files get them);
  - whose checksum matches its content (quick_check reads the file's structure, not what records hold, so flipped
    bytes inside a record pass it). A file without a checksum (a store copied by hand, a snapshot of an older
    version) is refused unless `verify_checksum=False` (CLI: `restore FILE --no-checksum`);
  - whose rows are valid: every point passes model.validate_point, has an id of its own, a stage that matches its
    status, a version of at least 1 and a geometry at its lon/lat; every follow-up and audit row refers to an
    existing point; JSON columns parse.
Then it backs up the current store with a timestamp and copies the snapshot into the live file in one SQLite
transaction (the backup API again), so pages reading at that moment see either the old or the restored data, and a
crash half-way leaves the old data. The restored data_version is moved past the current one so no page keeps
showing cached old numbers, every session is ended (sign in again), and the snapshot's checksum row is dropped
(the live store changes from then on; the next backup seals it afresh).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
import struct
import tempfile
from pathlib import Path
from urllib.parse import quote

import shapely

from . import config, model
from .clock import TZ
from .store import GeoPackageStore, checksum, copying, gpkg, is_database_url, open_store, schema, users
from .store.base import StoreError
from .store.gpkg import POINT_COLUMNS, read_blob
from .store.users import ensure_schema

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
OPTIONAL_TABLES = ("users", "sessions")  # users.ensure_schema adds them to a file made before they existed
NAMED = 5  # bad rows named in a message
# What reading a damaged or hostile file may raise besides sqlite3.Error (bad UTF-8, blobs, numbers).
READ_ERRORS = (sqlite3.Error, ValueError, TypeError, IndexError, OverflowError, struct.error,
               shapely.errors.ShapelyError)


class BackupError(StoreError):
    """A backup or restore was refused; the message is Chinese and the store is unchanged."""


@functools.cache
def _created_columns() -> tuple[tuple[str, tuple[str, ...]], ...]:
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(gpkg.SCHEMA)
        connection.executescript(users.SCHEMA)
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
        return tuple((t, tuple(r[1] for r in connection.execute(f'PRAGMA table_info("{t}")'))) for t in tables)
    finally:
        connection.close()


def expected_columns() -> dict[str, tuple[str, ...]]:
    """Every table of a store file as the current code creates it (gpkg.SCHEMA, then users.SCHEMA, run on an empty
    in-memory database): table name -> its columns in order."""
    return dict(_created_columns())


def _stamp(now: dt.datetime | None) -> str:
    moment = dt.datetime.now(TZ) if now is None else (now if now.tzinfo else now.replace(tzinfo=TZ))
    return f"{moment.astimezone(TZ):%Y%m%d-%H%M%S}"


def default_backup_path(location: Path | str, now: dt.datetime | None = None) -> Path:
    """The one backup naming: `xiangzhou.20240501-093000.bak.gpkg` beside a GeoPackage store, or
    `<database>.20240501-093000.bak.gpkg` in XZMAP_BACKUP_DIR for a PostGIS store (-2, -3 … if the name is taken)."""
    if is_database_url(location):
        database = str(location).rsplit("/", 1)[-1].split("?")[0] or "postgis"
        store_path = config.backup_dir() / f"{database}.gpkg"
    else:
        store_path = Path(location)
    base = f"{store_path.stem}.{_stamp(now)}.bak"
    candidate = store_path.with_name(base + ".gpkg")
    n = 2
    while candidate.exists():
        candidate = store_path.with_name(f"{base}-{n}.gpkg")
        n += 1
    return candidate


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)


@contextlib.contextmanager
def _no_new_sidecars(path: Path):
    """Remove the -wal/-shm files SQLite creates beside a WAL-mode file that is only read (if they were not there
    before and the -wal stayed empty), so reading a snapshot leaves nothing behind."""
    sidecars = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    existed = [p.exists() for p in sidecars]
    try:
        yield
    finally:
        wal, shm = sidecars
        if not existed[0] and wal.exists() and wal.stat().st_size == 0:
            wal.unlink(missing_ok=True)
        if not existed[1] and not wal.exists():
            shm.unlink(missing_ok=True)


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # one step: a consistent snapshot of the source at one moment
        target.execute("PRAGMA journal_mode = DELETE")  # self-contained: no -wal file beside the snapshot
    finally:
        target.close()


def seal(path: Path | str) -> dict[str, tuple[int, str]]:
    """Write the content checksums of the store file at `path` into its meta table (key `checksum`); return them."""
    connection = sqlite3.connect(path)
    try:
        sums = checksum.gpkg_checksums(connection)
        with connection:
            connection.execute("INSERT INTO meta (key, value) VALUES ('checksum', ?) "
                               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (checksum.dumps(sums),))
    finally:
        connection.close()
    return sums


def backup(location: Path | str, out: Path | str | None = None, now: dt.datetime | None = None) -> Path:
    """Write a consistent, sealed GeoPackage snapshot of the store at `location` (a file or a postgresql:// URL) to
    `out` (default: `default_backup_path`); return its path. A GeoPackage snapshot is the backup of either engine:
    QGIS opens it, and `restore` brings it back into either."""
    database = open_store(location) if is_database_url(location) else None  # unreachable: say so, create nothing
    out = Path(out) if out else default_backup_path(location, now)
    if not is_database_url(location) and out.resolve() == Path(location).resolve():
        raise BackupError("备份文件不能就是数据文件本身")
    if out.exists():
        raise BackupError(f"备份文件已存在，未覆盖：{out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if database is not None:
            copying.copy(database, gpkg.create_empty(partial))
            with contextlib.closing(sqlite3.connect(partial)) as connection:
                connection.execute("PRAGMA journal_mode = DELETE")  # self-contained: no -wal file beside it
        else:
            store_path = Path(location)
            if not store_path.exists():
                raise BackupError(f"数据文件不存在：{store_path}")
            source = sqlite3.connect(store_path, timeout=30)
            try:
                _copy(source, partial)
            finally:
                source.close()
        seal(partial)
    except READ_ERRORS as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份失败：{error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    return out


# Checking a snapshot -----------------------------------------------------------------------------------------
def check_store_file(path: Path | str, verify_checksum: bool = True) -> None:
    """Raise BackupError (Chinese, naming the file and the problem) unless `path` is a complete, intact store that
    this code can use: see the module docstring for every check. `verify_checksum=False` accepts a file without a
    checksum (and skips comparing it); everything else is still checked."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到要恢复的文件：{path}")
    with open(path, "rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        empty = "：文件是空的，0 字节" if path.stat().st_size == 0 else ""
        raise BackupError(f"「{path.name}」不是本系统的数据文件（不是 GeoPackage/SQLite 文件{empty}），未做任何改动")
    with _no_new_sidecars(path):
        try:
            connection = _read_only(path)
            try:
                _inspect(connection, path.name, verify_checksum)
            finally:
                connection.close()
        except READ_ERRORS as error:
            raise BackupError(f"「{path.name}」无法读取（{error}），不是完好的数据文件，未做任何改动") from error


def _inspect(connection: sqlite3.Connection, shown: str, verify_checksum: bool) -> None:
    integrity = connection.execute("PRAGMA quick_check").fetchone()[0]
    if integrity != "ok":
        raise BackupError(f"「{shown}」已损坏（完整性检查：{integrity}），未做任何改动")
    if connection.execute("PRAGMA application_id").fetchone()[0] != GPKG_APPLICATION_ID:
        raise BackupError(f"「{shown}」不是 GeoPackage 文件，未做任何改动")
    _check_structure(connection, shown)
    if verify_checksum:
        _check_checksum(connection, shown)
    _check_rows(connection, shown)


def _check_structure(connection: sqlite3.Connection, shown: str) -> None:
    """Schema version first (a newer file may differ on purpose), then every table and column the code expects."""
    expected = expected_columns()
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    present = {t: {r[1] for r in connection.execute(f'PRAGMA table_info("{t}")')} for t in expected if t in tables}
    version_text = None
    if {"key", "value"} <= present.get("meta", set()):
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version_text = None if row is None or row[0] in (None, "") else str(row[0]).strip()
    version = int(version_text) if version_text and version_text.isdigit() else None
    known = schema.SCHEMA_VERSION
    if version is not None and version > known:
        raise BackupError(f"「{shown}」快照来自更新版本的程序（数据结构版本 {version}，本程序为 {known}），"
                          "请先升级，未做任何改动")
    # A snapshot of an older schema version lacks what later versions added; restoring migrates it.
    of_version = version if version is not None and version >= 1 else known
    needed_tables = set(schema.tables_of(of_version)) | {t for t in expected if t not in schema.TABLES}
    missing_tables = [t for t in expected if t not in tables and t not in OPTIONAL_TABLES and t in needed_tables]
    missing_columns = {t: [c for c in columns if c not in present[t]
                           and (t not in schema.TABLES or c not in schema.TABLES[t].names
                                or c in schema.columns_of(t, of_version))]
                       for t, columns in expected.items() if t in present}
    parts = []
    if missing_tables:
        parts.append("缺少数据表 " + "、".join(missing_tables))
    parts += [f"{t} 表缺少列 " + "、".join(columns) for t, columns in missing_columns.items() if columns]
    if "points" in tables and "gpkg_contents" in present and {"table_name", "data_type"} <= present["gpkg_contents"]:
        layer = connection.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'points'").fetchone()
        if layer is None or layer[0] != "features":
            parts.append("points 未登记为 GeoPackage 图层")
    if parts:
        detail = "；".join(parts)
        if "points" not in tables or "meta" not in tables:
            raise BackupError(f"「{shown}」是 GeoPackage，但不是本系统的数据文件（{detail}），未做任何改动")
        raise BackupError(f"「{shown}」的数据结构不完整（{detail}；当前程序需要这些表和列），未做任何改动")
    if version_text is None:
        raise BackupError(f"「{shown}」没有数据结构版本（meta 表中缺少 schema），无法确认是本系统的数据文件，未做任何改动")
    if version is None or version < 1:
        raise BackupError(f"「{shown}」的数据结构版本「{version_text}」无法识别，未做任何改动")


def _check_checksum(connection: sqlite3.Connection, shown: str) -> None:
    row = connection.execute("SELECT value FROM meta WHERE key = 'checksum'").fetchone()
    if row is None or not row[0]:
        raise BackupError(
            f"「{shown}」没有内容校验信息（可能是手工复制的数据文件，或旧版本程序做的备份），无法确认内容完好，未做任何改动。"
            "如确认此文件可信，可加 --no-checksum 跳过内容校验后恢复（其余检查照常进行）")
    try:
        expected = checksum.loads(row[0])
    except ValueError as error:
        raise BackupError(f"「{shown}」的内容校验信息已损坏（{error}），文件可能已损坏或被改动，未做任何改动") from error
    actual = checksum.gpkg_checksums(connection)
    different = checksum.differences(expected, actual)
    if different:
        def rows(sums, table):
            return f"{sums[table][0]} 行" if table in sums else "无记录"

        detail = "、".join(f"{t} 表（备份时 {rows(expected, t)}，现在 {rows(actual, t)}）" for t in different)
        raise BackupError(f"「{shown}」快照内容校验失败：{detail}与备份时不一致，文件可能已损坏或被改动，未做任何改动")


def point_problems(record: dict, unit_codes: set[str], seen_ids: set[str]) -> list[str]:
    """What is wrong with one stored points row (a dict of POINT_COLUMNS and `geom`), in Chinese; [] when valid.
    `seen_ids` collects the ids met so far, to find repeats."""
    problems = []
    point_id = record.get("id")
    if not isinstance(point_id, str) or not point_id.strip():
        problems.append("缺少编号")
    elif point_id in seen_ids:
        problems.append(f"编号「{point_id}」重复")
    else:
        seen_ids.add(point_id)
    kind = record.get("kind")
    if kind not in model.KINDS and model.kind_by_label(str(kind)) is not None:
        problems.append(f"字段「类型」的值「{kind}」应记为类型键（{model.kind_by_label(str(kind))}）")
    try:
        model.validate_point(record, unit_codes=unit_codes)
    except model.ValidationError as error:
        problems.extend(error.messages)
    stage = model.stage_of(kind, record.get("status")) if kind in model.KINDS else None
    if stage is not None and record.get("stage") != stage:
        problems.append(f"字段「阶段」的值「{record.get('stage')}」与状态「{record.get('status')}」不符（应为「{stage}」）")
    version = record.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"字段「版本」的值「{version}」应为不小于 1 的整数")
    if record.get("sample") not in (0, 1):
        problems.append(f"字段「演示数据」的值「{record.get('sample')}」应为 0 或 1")
    lon, lat = record.get("lon"), record.get("lat")
    if isinstance(lon, float) and isinstance(lat, float) and "geom" in record:
        problems += _geom_problems(record["geom"], lon, lat)
    return problems


def _geom_problems(blob, lon: float, lat: float) -> list[str]:
    if blob is None:
        return ["缺少位置图形（geom）"]
    try:
        point = read_blob(blob)
    except (*READ_ERRORS, AttributeError):
        return ["位置图形（geom）无法读取"]
    if point.geom_type != "Point" or point.is_empty or (point.x, point.y) != (lon, lat):
        return [f"位置图形（geom）与经纬度（{lon}, {lat}）不一致"]
    return []


def _named(items: list[str], total: int) -> str:
    return "；".join(items) + (f"；……（共 {total} 处）" if total > len(items) else "")


def _check_rows(connection: sqlite3.Connection, shown: str) -> None:
    unit_codes = {r[0] for r in connection.execute("SELECT code FROM units")}
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    have = {r[1] for r in connection.execute('PRAGMA table_info("points")')}
    columns = ("fid", "geom", *(c for c in POINT_COLUMNS if c in have))  # an older snapshot lacks later columns
    ids: set[str] = set()
    bad_points, n_points = [], 0
    for row in connection.execute(f"SELECT {', '.join(columns)} FROM points ORDER BY fid"):
        record = dict(zip(columns, row))
        problems = point_problems(record, unit_codes, ids)
        if problems:
            n_points += 1
            if len(bad_points) < NAMED:
                name = str(record.get("name") or "")[:30]
                label = f"「{name}」（编号 {record.get('id')}）" if name else f"编号 {record.get('id')}（第 {record['fid']} 行）"
                bad_points.append(f"{label}：{'，'.join(problems)}")
    sections = []
    if n_points:
        sections.append(f"{n_points} 个点位的数据无效：{_named(bad_points, n_points)}")

    orphans, n_orphans = [], 0
    for fid, point_id in connection.execute("SELECT fid, point_id FROM follow_ups ORDER BY fid"):
        if point_id not in ids:
            n_orphans += 1
            if len(orphans) < NAMED:
                orphans.append(f"第 {fid} 条：点位编号「{point_id}」")
    if n_orphans:
        sections.append(f"{n_orphans} 条跟踪督办记录（follow_ups）指向不存在的点位：{_named(orphans, n_orphans)}")

    if "photos" in tables:  # the pages serve these bytes as image/jpeg: nothing else may come back in a snapshot
        photos, n_photos = [], 0
        for fid, photo_id, point_id, *kinds in connection.execute(
                "SELECT fid, id, point_id, typeof(data), typeof(thumb), hex(substr(data, 1, 3)), "
                "hex(substr(thumb, 1, 3)) FROM photos ORDER BY fid"):
            problems = [] if point_id in ids else [f"指向不存在的点位「{point_id}」"]
            if kinds != ["blob", "blob", "FFD8FF", "FFD8FF"]:
                problems.append("照片内容不是 JPEG")
            if problems:
                n_photos += 1
                if len(photos) < NAMED:
                    photos.append(f"第 {fid} 张（{photo_id}）：{'，'.join(problems)}")
        if n_photos:
            sections.append(f"{n_photos} 张照片（photos）有误：{_named(photos, n_photos)}")

    records = set(ids)  # an audit row names a point, an activity or a member
    for table in ("activities", "members"):
        if table in tables:
            records |= {r[0] for r in connection.execute(f"SELECT id FROM {table}")}
    audit, n_audit = [], 0
    shapes = {"fields": list, "before": dict, "after": dict}
    for fid, point_id, *values in connection.execute(
            "SELECT fid, point_id, fields, before, after FROM audit ORDER BY fid"):
        problems = [] if point_id is None or point_id in records else [f"指向不存在的记录编号「{point_id}」"]
        for (column, shape), value in zip(shapes.items(), values):
            if value is not None and value != "" and not _json_is(value, shape):
                problems.append(f"{column} 列不是有效的 JSON {'列表' if shape is list else '对象'}")
        if problems:
            n_audit += 1
            if len(audit) < NAMED:
                audit.append(f"第 {fid} 条：{'，'.join(problems)}")
    if n_audit:
        sections.append(f"{n_audit} 条修改记录（audit）有误：{_named(audit, n_audit)}")

    if "users" in tables:
        users = [name for name, units in connection.execute("SELECT name, units FROM users ORDER BY fid")
                 if not _json_is(units, list)]
        if users:
            sections.append(f"{len(users)} 个用户的乡镇范围（users.units）不是有效的 JSON 列表：{_named(users[:NAMED], len(users))}")
    if sections:
        raise BackupError(f"「{shown}」中的数据有误，不能恢复：{'；'.join(sections)}。未做任何改动")


def _json_is(value, shape: type) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return isinstance(json.loads(value), shape)
    except (ValueError, RecursionError):
        return False


# Restoring ---------------------------------------------------------------------------------------------------
def restore(snapshot: Path | str, location: Path | str, now: dt.datetime | None = None,
            verify_checksum: bool = True) -> Path | None:
    """Bring back a snapshot as the store at `location` (a file or a postgresql:// URL). Returns the timestamped
    backup of the store it replaced (None if there was none). Refuses, changing nothing, unless the snapshot passes
    `check_store_file`."""
    if is_database_url(location):
        return _restore_into_database(Path(snapshot), str(location), now, verify_checksum)
    snapshot, store_path = Path(snapshot), Path(location)
    if store_path.exists() and snapshot.exists() and snapshot.resolve() == store_path.resolve():
        raise BackupError("要恢复的文件就是当前数据文件本身，未做任何改动")
    check_store_file(snapshot, verify_checksum=verify_checksum)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    # 1. A private, prepared copy of the snapshot beside the store (read through SQLite, so a -wal is honoured).
    staged = store_path.with_name(store_path.name + ".restoring")
    staged.unlink(missing_ok=True)
    try:
        with _no_new_sidecars(snapshot):
            source = _read_only(snapshot)
            try:
                _copy(source, staged)
            finally:
                source.close()
        ensure_schema(staged)  # a snapshot from before users existed gets the tables
        GeoPackageStore(staged)  # opening migrates a snapshot of an older schema version to this one
        current_version = _data_version(store_path) if store_path.exists() else 0
        page_size = _page_size(store_path) if store_path.exists() else None
        staged_connection = sqlite3.connect(staged, isolation_level=None)
        try:
            staged_connection.execute("BEGIN")
            staged_connection.execute("UPDATE meta SET value = MAX(CAST(value AS INTEGER), ?) + 1 "
                                      "WHERE key = 'data_version'", (current_version,))
            staged_connection.execute("DELETE FROM meta WHERE key = 'checksum'")  # the live store moves on
            staged_connection.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')")
            staged_connection.execute("DELETE FROM sessions")
            staged_connection.execute("COMMIT")
            if page_size and staged_connection.execute("PRAGMA page_size").fetchone()[0] != page_size:
                staged_connection.execute(f"PRAGMA page_size = {int(page_size)}")
                staged_connection.execute("VACUUM")  # the backup API into a WAL file needs equal page sizes
        finally:
            staged_connection.close()
        # 2. The current store, kept with a timestamp.
        kept = backup(store_path, now=now) if store_path.exists() else None
        # 3. Into place: one transaction on the live file, or a rename when there is none.
        if store_path.exists():
            source = sqlite3.connect(staged)
            target = sqlite3.connect(store_path, timeout=30)
            try:
                source.backup(target)
            except sqlite3.Error as error:
                raise BackupError(f"恢复失败，数据文件未改动：{error}") from error
            finally:
                target.close()
                source.close()
        else:
            with contextlib.closing(sqlite3.connect(staged)) as wal:
                wal.execute("PRAGMA journal_mode = WAL")
            os.replace(staged, store_path)
        return kept
    except sqlite3.Error as error:
        raise BackupError(f"恢复失败，数据文件未改动：{error}") from error
    finally:
        staged.unlink(missing_ok=True)


def _restore_into_database(snapshot: Path, url: str, now: dt.datetime | None, verify_checksum: bool) -> Path | None:
    """Check the snapshot, back the database up, then copy the snapshot in, replacing everything, in one verified
    transaction (every session ends with it; data_version moves on)."""
    check_store_file(snapshot, verify_checksum=verify_checksum)
    target = open_store(url, create=True)
    kept = None if target.is_empty() else backup(url, now=now)
    with tempfile.TemporaryDirectory(prefix="xzmap-restore-") as folder:
        staged = Path(folder) / "snapshot.gpkg"
        with _no_new_sidecars(snapshot):
            source = _read_only(snapshot)
            try:
                _copy(source, staged)
            finally:
                source.close()
        ensure_schema(staged)  # a snapshot from before users existed gets the tables
        copying.copy(GeoPackageStore(staged), target, replace=True)
    return kept


def _data_version(path: Path) -> int:
    connection = sqlite3.connect(path, timeout=30)
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0]) if row else 0
    except sqlite3.Error:
        return 0
    finally:
        connection.close()


def _page_size(path: Path) -> int:
    connection = sqlite3.connect(path, timeout=30)
    try:
        return connection.execute("PRAGMA page_size").fetchone()[0]
    finally:
        connection.close()
