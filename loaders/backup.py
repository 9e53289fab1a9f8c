"""Snapshots of the store while the dashboard runs, and bringing one back.

`backup` uses SQLite's online backup API: it copies a consistent state even while other processes write (WAL mode
lets them carry on), into a temporary file that is renamed into place, so a half-written snapshot never exists.
The snapshot is a single self-contained GeoPackage (rollback-journal mode, no -wal file) that QGIS opens.

`restore` first checks that the file is a store (a GeoPackage with a `points` layer that passes an integrity check),
then backs up the current store with a timestamp, then copies the snapshot into the live file in one SQLite
transaction (the backup API again), so pages reading at that moment see either the old or the restored data, and a
crash half-way leaves the old data. The restored data_version is moved past the current one so no page keeps
showing cached old numbers, and every session is ended (sign in again).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path

from .store.base import StoreError
from .store.gpkg import TZ
from .store.users import ensure_schema

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
REQUIRED_POINT_COLUMNS = {"id", "kind", "status", "lon", "lat", "unit_code", "version", "deleted_at"}
REQUIRED_TABLES = {"points", "units", "audit", "meta", "gpkg_contents"}


class BackupError(StoreError):
    """A backup or restore was refused; the message is Chinese and the store is unchanged."""


def _stamp(now: dt.datetime | None) -> str:
    moment = dt.datetime.now(TZ) if now is None else (now if now.tzinfo else now.replace(tzinfo=TZ))
    return f"{moment.astimezone(TZ):%Y%m%d-%H%M%S}"


def default_backup_path(store_path: Path | str, now: dt.datetime | None = None) -> Path:
    """`xiangzhou.20240501-093000.bak.gpkg` beside the store (with -2, -3 … if that name is taken)."""
    store_path = Path(store_path)
    base = f"{store_path.stem}.{_stamp(now)}.bak"
    candidate = store_path.with_name(base + store_path.suffix)
    n = 2
    while candidate.exists():
        candidate = store_path.with_name(f"{base}-{n}{store_path.suffix}")
        n += 1
    return candidate


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # one step: a consistent snapshot of the source at one moment
        target.execute("PRAGMA journal_mode = DELETE")  # self-contained: no -wal file beside the snapshot
    finally:
        target.close()


def backup(store_path: Path | str, out: Path | str | None = None, now: dt.datetime | None = None) -> Path:
    """Write a consistent snapshot of the store to `out` (default: timestamped beside the store); return its path."""
    store_path = Path(store_path)
    if not store_path.exists():
        raise BackupError(f"数据文件不存在：{store_path}")
    out = Path(out) if out else default_backup_path(store_path, now)
    if out.resolve() == store_path.resolve():
        raise BackupError("备份文件不能就是数据文件本身")
    if out.exists():
        raise BackupError(f"备份文件已存在，未覆盖：{out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(store_path, timeout=30)
    try:
        _copy(source, partial)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份失败：{error}") from error
    finally:
        source.close()
    os.replace(partial, out)
    return out


def check_store_file(path: Path | str) -> None:
    """Raise BackupError (Chinese) unless `path` is a readable, intact store: a GeoPackage with a points layer."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到要恢复的文件：{path}")
    with open(path, "rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise BackupError(f"「{path.name}」不是本系统的数据文件（不是 GeoPackage/SQLite 文件），未做任何改动")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = connection.execute("PRAGMA quick_check").fetchone()[0]
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            columns = {r[1] for r in connection.execute("PRAGMA table_info(points)")}
            layer = connection.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'points'").fetchone() \
                if "gpkg_contents" in tables else None
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"「{path.name}」无法读取（{error}），不是完好的数据文件，未做任何改动") from error
    if integrity != "ok":
        raise BackupError(f"「{path.name}」已损坏（完整性检查：{integrity}），未做任何改动")
    if application_id != GPKG_APPLICATION_ID:
        raise BackupError(f"「{path.name}」不是 GeoPackage 文件，未做任何改动")
    missing = (REQUIRED_TABLES - tables) | {f"points.{c}" for c in REQUIRED_POINT_COLUMNS - columns}
    if missing or layer is None or layer[0] != "features":
        detail = "、".join(sorted(missing)) or "points 图层"
        raise BackupError(f"「{path.name}」是 GeoPackage，但不是本系统的数据文件（缺少 {detail}），未做任何改动")


def restore(snapshot: Path | str, store_path: Path | str, now: dt.datetime | None = None) -> Path | None:
    """Bring back a snapshot as the store. Returns the timestamped backup of the store it replaced (None if there
    was no store). Refuses, changing nothing, when the snapshot is not an intact store."""
    snapshot, store_path = Path(snapshot), Path(store_path)
    check_store_file(snapshot)
    if store_path.exists() and snapshot.resolve() == store_path.resolve():
        raise BackupError("要恢复的文件就是当前数据文件本身，未做任何改动")
    store_path.parent.mkdir(parents=True, exist_ok=True)
    # 1. A private, prepared copy of the snapshot beside the store (read through SQLite, so a -wal is honoured).
    staged = store_path.with_name(store_path.name + ".restoring")
    staged.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
        try:
            _copy(source, staged)
        finally:
            source.close()
        ensure_schema(staged)  # a snapshot from before users existed gets the tables
        current_version = _data_version(store_path) if store_path.exists() else 0
        page_size = _page_size(store_path) if store_path.exists() else None
        staged_connection = sqlite3.connect(staged, isolation_level=None)
        try:
            staged_connection.execute("BEGIN")
            staged_connection.execute("UPDATE meta SET value = MAX(CAST(value AS INTEGER), ?) + 1 "
                                      "WHERE key = 'data_version'", (current_version,))
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
