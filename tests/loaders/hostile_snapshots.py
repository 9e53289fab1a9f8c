"""The hostile-snapshot corpus: files `restore` must refuse, changing nothing, each built at test time from a fresh
store (no broken databases in git).

    for case in HOSTILE_SNAPSHOTS:                    # HostileSnapshot(name, build, says)
        snapshot = case.build(store_path, folder)     # the file, named `case.name`, in `folder`
        ...                                           # refused: BackupError naming `case.name`, matching `case.says`

Most cases start from a real `backup()` and then damage it the way an accident or an edit by hand would. When the
damage is in the rows (a bad status, a follow-up for a missing point, …) the snapshot is sealed again afterwards
(`backup.seal`), as a program that wrote bad data would have sealed it: its checksum is then right, so the test
shows that the row check itself catches the problem, not the checksum. `flipped_record` is the opposite: the
checksum is the one made at backup time and only the checksum can tell, because the flipped bytes sit inside a
record, where SQLite's quick_check does not look (the builder verifies that quick_check still passes).
"""
from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loaders.backup import backup, seal
from loaders.store.gpkg import point_blob
from loaders.store.schema import SCHEMA_VERSION

MARKER = "翻转校验标记"  # a name no other record holds, so its bytes occur once in the file


def _snapshot(store_path: Path, folder: Path, name: str) -> Path:
    return backup(store_path, folder / name)


def _execute(path: Path, *statements: str, params: tuple = ()) -> None:
    connection = sqlite3.connect(path)
    try:
        with connection:
            for statement in statements:
                connection.execute(statement, params if "?" in statement else ())
    finally:
        connection.close()


def _one(path: Path, sql: str, params: tuple = ()):
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchone()
    finally:
        connection.close()


def _check(path: Path, pragma: str) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute(f"PRAGMA {pragma}").fetchone()[0]
    finally:
        connection.close()


def _rebuild_points(path: Path, change_ddl: Callable[[str], str], keep: Callable[[str], bool] = lambda c: True) -> None:
    """Rebuild the points table as SQLite's documented ALTER TABLE recipe does: a new table from the (changed)
    CREATE statement, the kept columns copied over, the old table dropped, the new one renamed, the indexes that
    still apply created again."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        ddl = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'points'").fetchone()[0]
        indexes = [sql for (sql,) in connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'points' AND sql IS NOT NULL")]
        columns = [r[1] for r in connection.execute("PRAGMA table_info(points)") if keep(r[1])]
        new_ddl = change_ddl(ddl).replace("CREATE TABLE points", "CREATE TABLE points_rebuilt", 1)
        listed = ", ".join(columns)
        connection.execute("BEGIN")
        connection.execute(new_ddl)
        connection.execute(f"INSERT INTO points_rebuilt ({listed}) SELECT {listed} FROM points")
        connection.execute("DROP TABLE points")
        connection.execute("ALTER TABLE points_rebuilt RENAME TO points")
        for sql in indexes:
            if all(c in columns for c in _named_columns(sql)):
                connection.execute(sql)
        connection.execute("COMMIT")
        connection.execute("VACUUM")
    finally:
        connection.close()


def _named_columns(index_sql: str) -> list[str]:
    """The columns of a CREATE INDEX statement (its only parenthesis holds them)."""
    return re.findall(r"\w+", index_sql.split("(", 1)[1])


def _columns(path: Path, table: str = "points") -> list[str]:
    return [r[1] for r in _all(path, f"PRAGMA table_info({table})")]


def _all(path: Path, sql: str) -> list:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# The corpus -----------------------------------------------------------------------------------------------------
def points_without_columns(store_path: Path, folder: Path, columns: tuple[str, ...] = ("village",),
                           name: str = "缺列的快照.gpkg") -> Path:
    """A snapshot whose points table was rebuilt without `columns` (the old restore took it; info, export and
    import then failed on the restored store)."""
    path = _snapshot(store_path, folder, name)

    def drop(ddl: str) -> str:
        for column in columns:
            ddl, n = re.subn(rf",\s*{column} [A-Z]+[^,)]*", "", ddl)
            assert n == 1, f"column {column} not found once in {ddl}"
        return ddl

    _rebuild_points(path, drop, keep=lambda c: c not in columns)
    present = set(_columns(path))
    assert not present & set(columns) and "name" in present
    return path


def points_without_two_columns(store_path: Path, folder: Path) -> Path:
    return points_without_columns(store_path, folder, ("village", "updated_by"), name="缺两列的快照.gpkg")


def flipped_record(store_path: Path, folder: Path) -> Path:
    """A sealed snapshot in which one bit of one point's name was then flipped inside the file. The name stays
    valid UTF-8 (a continuation byte keeps its 10xxxxxx form), so the row is readable and valid: only the checksum
    can tell. Verifies that SQLite's quick_check and integrity_check still pass (otherwise this proves nothing)."""
    path = _snapshot(store_path, folder, "位翻转的快照.gpkg")
    point_id = _one(path, "SELECT id FROM points ORDER BY fid LIMIT 1")[0]
    _execute(path, "UPDATE points SET name = ? WHERE id = ?", params=(MARKER, point_id))
    seal(path)  # the checksum of the file as it is before the flip: a genuine snapshot holding MARKER
    _execute(path, "VACUUM")  # no stale copy of the page elsewhere in the file
    data = bytearray(path.read_bytes())
    needle = MARKER.encode("utf-8")
    assert data.count(needle) == 1, "the marker must occur exactly once in the file"
    at = data.index(needle) + 2  # the last byte of the first character
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    assert _check(path, "quick_check") == "ok" and _check(path, "integrity_check") == "ok"
    flipped = _one(path, "SELECT name FROM points WHERE id = ?", (point_id,))[0]
    assert flipped != MARKER and len(flipped) == len(MARKER)
    return path


def newer_schema(store_path: Path, folder: Path) -> Path:
    path = _snapshot(store_path, folder, "新版本的快照.gpkg")
    _execute(path, f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema'")
    seal(path)
    return path


def without_schema_version(store_path: Path, folder: Path) -> Path:
    path = _snapshot(store_path, folder, "无版本的快照.gpkg")
    _execute(path, "DELETE FROM meta WHERE key = 'schema'")
    seal(path)
    return path


def missing_table(store_path: Path, folder: Path) -> Path:
    """The follow-ups table dropped (its GeoPackage registration left behind, as a careless edit would)."""
    path = _snapshot(store_path, folder, "缺表的快照.gpkg")
    _execute(path, "DROP TABLE follow_ups")
    return path


def _first_point(path: Path, kind: str) -> tuple[str, str]:
    return _one(path, "SELECT id, name FROM points WHERE kind = ? ORDER BY fid LIMIT 1", (kind,))


def status_of_another_kind(store_path: Path, folder: Path) -> Path:
    """A well with the issue status 已解决 (its stage, 已完成, is one a well can have)."""
    path = _snapshot(store_path, folder, "状态无效的快照.gpkg")
    point_id, _ = _first_point(path, "well")
    _execute(path, "UPDATE points SET status = '已解决', stage = '已完成' WHERE id = ?", params=(point_id,))
    seal(path)
    return path


def lon_outside_china(store_path: Path, folder: Path) -> Path:
    """A point at longitude 10.5 (in Europe), its geometry moved with it."""
    path = _snapshot(store_path, folder, "经度越界的快照.gpkg")
    point_id, _ = _first_point(path, "issue")
    lat = _one(path, "SELECT lat FROM points WHERE id = ?", (point_id,))[0]
    _execute(path, "UPDATE points SET lon = 10.5, geom = ? WHERE id = ?", params=(point_blob(10.5, lat), point_id))
    seal(path)
    return path


def stage_not_of_status(store_path: Path, folder: Path) -> Path:
    path = _snapshot(store_path, folder, "阶段不符的快照.gpkg")
    point_id, _ = _first_point(path, "demo_site")
    _execute(path, "UPDATE points SET stage = '待办' WHERE id = ? AND stage != '待办'", params=(point_id,))
    seal(path)
    return path


def version_zero(store_path: Path, folder: Path) -> Path:
    path = _snapshot(store_path, folder, "版本为零的快照.gpkg")
    point_id, _ = _first_point(path, "bridge")
    _execute(path, "UPDATE points SET version = 0 WHERE id = ?", params=(point_id,))
    seal(path)
    return path


def duplicate_id(store_path: Path, folder: Path) -> Path:
    """The points table rebuilt without its UNIQUE constraint on id, and one point copied under the same id."""
    path = _snapshot(store_path, folder, "编号重复的快照.gpkg")
    _rebuild_points(path, lambda ddl: ddl.replace("id TEXT NOT NULL UNIQUE", "id TEXT NOT NULL", 1))
    columns = [c for c in _columns(path) if c != "fid"]
    listed = ", ".join(columns)
    _execute(path, f"INSERT INTO points ({listed}) SELECT {listed} FROM points ORDER BY fid LIMIT 1")
    seal(path)
    return path


def follow_up_for_missing_point(store_path: Path, folder: Path) -> Path:
    path = _snapshot(store_path, folder, "督办记录无主的快照.gpkg")
    _execute(path, "INSERT INTO follow_ups (point_id, date, text, created_at) "
                   "VALUES ('p-不存在的点位', '2024-05-01', '无主的督办记录', '2024-05-01T09:30:00+08:00')")
    seal(path)
    return path


def audit_with_broken_json(store_path: Path, folder: Path) -> Path:
    path = _snapshot(store_path, folder, "修改记录损坏的快照.gpkg")
    _execute(path, "UPDATE audit SET before = '{\"name\": 未闭合' WHERE fid = (SELECT MIN(fid) FROM audit)")
    seal(path)
    return path


def point_removed_after_backup(store_path: Path, folder: Path) -> Path:
    """One point deleted from a sealed snapshot, not sealed again: the count no longer matches."""
    path = _snapshot(store_path, folder, "少了点位的快照.gpkg")
    _execute(path, "DELETE FROM points WHERE fid = (SELECT MAX(fid) FROM points)")
    return path


def without_checksum(store_path: Path, folder: Path) -> Path:
    """A valid snapshot as an older version made it: no checksum row."""
    path = _snapshot(store_path, folder, "无校验的快照.gpkg")
    _execute(path, "DELETE FROM meta WHERE key = 'checksum'")
    return path


def hand_copied_store(store_path: Path, folder: Path) -> Path:
    """The live store copied with `cp` (WAL mode, no checksum): valid, but nothing vouches for its content."""
    path = folder / "手工复制的数据文件.gpkg"
    shutil.copy(store_path, path)
    return path


def garbage(store_path: Path, folder: Path) -> Path:
    path = folder / "乱码文件.gpkg"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    return path


def empty_file(store_path: Path, folder: Path) -> Path:
    path = folder / "空文件.gpkg"
    path.write_bytes(b"")
    return path


def plain_sqlite(store_path: Path, folder: Path) -> Path:
    path = folder / "普通数据库.gpkg"
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE points (id TEXT, name TEXT)")
        connection.execute("INSERT INTO points VALUES ('p-1', '某点')")
    connection.close()
    return path


@dataclass(frozen=True)
class HostileSnapshot:
    name: str
    build: Callable[[Path, Path], Path]  # (store_path, folder) -> the snapshot, named `name`, in folder
    says: str  # a regular expression the Chinese refusal must match
    restorable_without_checksum: bool = False  # valid apart from lacking a checksum: --no-checksum brings it back


HOSTILE_SNAPSHOTS: tuple[HostileSnapshot, ...] = (
    HostileSnapshot("缺列的快照.gpkg", points_without_columns, r"points 表缺少列 village"),
    HostileSnapshot("缺两列的快照.gpkg", points_without_two_columns, r"points 表缺少列 village、updated_by"),
    HostileSnapshot("位翻转的快照.gpkg", flipped_record,
                    r"快照内容校验失败：points 表（备份时 113 行，现在 113 行）与备份时不一致，文件可能已损坏或被改动"),
    HostileSnapshot("新版本的快照.gpkg", newer_schema, rf"快照来自更新版本的程序（数据结构版本 {SCHEMA_VERSION + 1}.*请先升级"),
    HostileSnapshot("无版本的快照.gpkg", without_schema_version, r"没有数据结构版本"),
    HostileSnapshot("缺表的快照.gpkg", missing_table, r"缺少数据表 follow_ups"),
    HostileSnapshot("状态无效的快照.gpkg", status_of_another_kind, r"点位的数据无效：「.+」（编号 [\w-]+）：.*「已解决」不是水井的状态"),
    HostileSnapshot("经度越界的快照.gpkg", lon_outside_china, r"点位的数据无效：.*字段「经度」的值「10.5」超出中国范围"),
    HostileSnapshot("阶段不符的快照.gpkg", stage_not_of_status, r"字段「阶段」的值「待办」与状态「.+」不符"),
    HostileSnapshot("版本为零的快照.gpkg", version_zero, r"字段「版本」的值「0」应为不小于 1 的整数"),
    HostileSnapshot("编号重复的快照.gpkg", duplicate_id, r"编号「[\w-]+」重复"),
    HostileSnapshot("督办记录无主的快照.gpkg", follow_up_for_missing_point,
                    r"跟踪督办记录（follow_ups）指向不存在的点位：第 \d+ 条：点位编号「p-不存在的点位」"),
    HostileSnapshot("修改记录损坏的快照.gpkg", audit_with_broken_json, r"修改记录（audit）有误：第 1 条：before 列不是有效的 JSON 对象"),
    HostileSnapshot("少了点位的快照.gpkg", point_removed_after_backup, r"points 表（备份时 113 行，现在 112 行）"),
    HostileSnapshot("无校验的快照.gpkg", without_checksum, r"没有内容校验信息.*--no-checksum", True),
    HostileSnapshot("手工复制的数据文件.gpkg", hand_copied_store, r"没有内容校验信息.*--no-checksum", True),
    HostileSnapshot("乱码文件.gpkg", garbage, r"不是 GeoPackage/SQLite 文件"),
    HostileSnapshot("空文件.gpkg", empty_file, r"0 字节"),
    HostileSnapshot("普通数据库.gpkg", plain_sqlite, r"不是 GeoPackage 文件"),
)


def by_name(name: str) -> HostileSnapshot:
    return next(case for case in HOSTILE_SNAPSHOTS if case.name == name)
