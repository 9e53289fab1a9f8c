"""What both SQL engines share: the store contract written once, over a few engine primitives.

`SQLStore` holds every rule -- validation against the model and the district, versions and stale-write refusal, the
audit row of each write, follow-ups that move a status, revert, area replacement, copying rows -- in SQL that
SQLite and PostgreSQL both accept (parameters as `?`; the PostGIS engine's connection turns them into its own). An
engine supplies how to connect (`_read`, `_write`), how geometry is written and read, and a few spellings.
"""
from __future__ import annotations

import abc
import json
import secrets

import pandas as pd
import shapely

from .. import clock, model
from .. import geography as geo
from ..filters import Filter
from ..units import COLUMNS as UNIT_COLUMNS
from ..units import Unit, Units
from . import checksum, schema
from .base import Change, NotFoundError, StaleEditError, Store, StoreError
from .consultation import ConsultationStore
from .photos import PhotoStore
from .settings import SettingsStore
from .where import where_sql

# Columns of the points table that the contract reads and writes (besides fid and geom).
POINT_COLUMNS: tuple[str, ...] = tuple(c for c in schema.POINTS.names if c != "fid")
# Fields a user may change through update_point (everything else is managed by the store).
EDITABLE = ("kind", "status", "lon", "lat", "unit_code", "external_id", *model.FIELDS)
HISTORY_COLUMNS = ("fid", "at", "user", "action", "point_id", "fields", "before", "after")
AREA_COLUMNS = ("code", "name", "short_name", "in_network", "schematic", "basis")
FOLLOW_UP_COLUMNS = ("fid", "date", "text", "author", "status", "created_at", "created_by")


def now() -> str:
    return clock.stamp()


def new_point_id() -> str:
    return "p-" + secrets.token_hex(6)


def multi(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.MultiPolygon([geometry]) if geometry.geom_type == "Polygon" else geometry


def parse_json(value, empty):
    """A JSON column's value: SQLite gives text, PostgreSQL (jsonb) the parsed object."""
    if value is None or value == "":
        return empty
    return json.loads(value) if isinstance(value, str) else value


def quote(column: str) -> str:
    return f'"{column}"'


class SQLStore(ConsultationStore, PhotoStore, SettingsStore, Store):
    LIKE = "LIKE"  # how a keyword is matched (PostgreSQL: ILIKE, to match SQLite's case-insensitive LIKE)
    JSON_IN = "?"  # how a JSON text parameter is written into a JSON column
    FOR_UPDATE = ""  # how a writer locks the row it is about to change (SQLite: the whole file is locked already)

    def __init__(self):
        self._reference_cache: tuple[str, geo.Geography, frozenset[str]] | None = None

    # Engine primitives --------------------------------------------------------------------------------------
    @abc.abstractmethod
    def _read(self):
        """Context manager: a connection (`execute(sql, params)` → rows) to read with -- this thread's open
        transaction when there is one, so a batch sees its own writes."""

    @abc.abstractmethod
    def _write(self):
        """Context manager: this thread's transaction, or a new one that commits when the block ends and then moves
        data_version on (only if something was written)."""

    @abc.abstractmethod
    def _point_geometry(self, lon: float, lat: float) -> tuple[str, list]:
        """SQL and parameters for the geometry of a point."""

    @abc.abstractmethod
    def _area_geometry(self, geometry: shapely.Geometry) -> tuple[str, list]:
        """SQL and parameters for a (multi)polygon."""

    GEOMETRY_OUT = "geom"  # what to select to read a geometry back (`_geometry` turns it into shapely)

    @abc.abstractmethod
    def _geometry(self, value) -> shapely.Geometry: ...

    def _select(self, column: str) -> str:
        """A column as selected: the engine may cast it (PostgreSQL dates come back as ISO text)."""
        return quote(column)

    @abc.abstractmethod
    def _areas_stamp(self, connection) -> str:
        """Something that changes whenever the unit areas do (the geography cache is kept until then)."""

    @abc.abstractmethod
    def _areas_changed(self, connection) -> None: ...

    def transaction(self):
        return self._write()

    def snapshot(self):
        return self._connections.snapshot()

    # Reads ------------------------------------------------------------------------------------------------------
    def data_version(self) -> int:
        with self._read() as c:
            return int(c.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])

    def _where(self, where: Filter) -> tuple[str, list]:
        return where_sql(where, lambda i: "?", like=self.LIKE)

    def points(self, where: Filter = Filter(), columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        chosen = columns or POINT_COLUMNS
        unknown = set(chosen) - set(POINT_COLUMNS)
        if unknown:
            raise ValueError(f"unknown columns {sorted(unknown)}")
        condition, params = self._where(where)
        # Row-number order reads the table straight through; ordering by a timestamp costs 2x at 100,000 points.
        sql = f"SELECT {', '.join(self._select(c) for c in chosen)} FROM points WHERE {condition} ORDER BY fid DESC"
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

    def _point(self, connection, key: str, column: str = "id", lock: bool = False) -> dict | None:
        row = connection.execute(f"SELECT {', '.join(self._select(c) for c in POINT_COLUMNS)} FROM points "
                                 f"WHERE {column} = ?{self.FOR_UPDATE if lock else ''}", (key,)).fetchone()
        if row is None:
            return None
        record = dict(zip(POINT_COLUMNS, row))
        record["sample"] = bool(record["sample"])
        return record

    def counts(self, where: Filter = Filter()) -> pd.DataFrame:
        condition, params = self._where(where)
        sql = (f"SELECT unit_code, kind, stage, status, COUNT(*) AS n FROM points WHERE {condition} "
               "GROUP BY unit_code, kind, stage, status")
        with self._read() as c:
            rows = c.execute(sql, params).fetchall()
        return pd.DataFrame.from_records(rows, columns=["unit_code", "kind", "stage", "status", "n"])

    def date_range(self) -> tuple[str, str] | None:
        with self._read() as c:
            low, high = c.execute(f"SELECT MIN({self._select('opened_on')}), MAX({self._select('opened_on')}) "
                                  "FROM points WHERE deleted_at IS NULL AND opened_on IS NOT NULL").fetchone()
        return (low, high) if low else None

    def follow_ups(self, point_id: str) -> list[dict]:
        with self._read() as c:
            rows = c.execute(f"SELECT {', '.join(self._select(c) for c in FOLLOW_UP_COLUMNS)} FROM follow_ups "
                             "WHERE point_id = ? ORDER BY date, fid", (point_id,)).fetchall()
        return [dict(zip(FOLLOW_UP_COLUMNS, r)) for r in rows]

    def status_events(self) -> pd.DataFrame:
        """Every recorded move to a status: `point_id, date, status`, from follow-ups (their own date, which staff
        may give in the past) and from audited edits (the day they were saved, Beijing time); oldest first."""
        with self._read() as c:
            logged = c.execute("SELECT point_id, date, status FROM follow_ups WHERE status IS NOT NULL").fetchall()
            edits = c.execute("SELECT point_id, at, after FROM audit WHERE action IN ('update', 'revert') "
                              "AND point_id IS NOT NULL ORDER BY fid").fetchall()
        rows = [(p, str(d)[:10], s) for p, d, s in logged]
        for point_id, at, after in edits:
            status = parse_json(after, {}).get("status")
            if status:
                rows.append((point_id, str(at)[:10], status))
        frame = pd.DataFrame.from_records(rows, columns=["point_id", "date", "status"])
        return frame.sort_values("date", kind="stable").reset_index(drop=True)

    def history(self, point_id: str | None = None, limit: int = 200) -> pd.DataFrame:
        sql = f"SELECT {', '.join(map(quote, HISTORY_COLUMNS))} FROM audit"
        params: list = []
        if point_id is not None:
            sql += " WHERE point_id = ?"
            params.append(point_id)
        sql += " ORDER BY fid DESC LIMIT ?"
        params.append(int(limit))
        with self._read() as c:
            frame = pd.DataFrame.from_records(c.execute(sql, params).fetchall(), columns=list(HISTORY_COLUMNS))
        frame["fields"] = frame["fields"].map(lambda v: parse_json(v, []))
        for column in ("before", "after"):
            frame[column] = frame[column].map(lambda v: parse_json(v, {}))
        return frame

    def units(self) -> Units:
        with self._read() as c:
            rows = c.execute(f'SELECT {", ".join(map(quote, UNIT_COLUMNS))} FROM units ORDER BY "order"').fetchall()
        units = []
        for row in rows:
            values = dict(zip(UNIT_COLUMNS, row))
            units.append(Unit(**{**values, "in_network": bool(values["in_network"])}))
        return Units(tuple(units))

    def areas(self) -> list[dict]:
        with self._read() as c:
            rows = c.execute(f"SELECT {self.GEOMETRY_OUT}, {', '.join(AREA_COLUMNS)} FROM unit_areas ORDER BY fid"
                             ).fetchall()
        areas = []
        for geometry, *values in rows:
            area = dict(zip(AREA_COLUMNS, values))
            area.update(in_network=bool(area["in_network"]), schematic=bool(area["schematic"]),
                        geometry=self._geometry(geometry))
            areas.append(area)
        return areas

    def outline(self) -> shapely.Geometry:
        with self._read() as c:
            return self._geometry(c.execute(f"SELECT {self.GEOMETRY_OUT} FROM district_outline ORDER BY fid LIMIT 1"
                                            ).fetchone()[0])

    def geography(self) -> geo.Geography:
        return self._reference()[0]

    def _reference(self) -> tuple[geo.Geography, frozenset[str]]:
        """The lookup index and the unit codes, kept until an admin changes the areas (checked on every call)."""
        with self._read() as c:
            stamp = self._areas_stamp(c)
            if self._reference_cache is None or self._reference_cache[0] != stamp:
                codes = frozenset(code for (code,) in c.execute("SELECT code FROM units").fetchall())
                self._reference_cache = (stamp, geo.Geography(self.outline(), self.areas()), codes)
        return self._reference_cache[1], self._reference_cache[2]

    # Writes -----------------------------------------------------------------------------------------------------
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
        clean["id"] = model.require_id(record.get("id")) or new_point_id()
        with self._write() as c:
            stamp = now()
            row = {k: clean.get(k) for k in POINT_COLUMNS if k in clean}
            row.update(version=1, created_at=stamp, updated_at=stamp, updated_by=user)
            geometry, geometry_params = self._point_geometry(clean["lon"], clean["lat"])
            c.execute(f"INSERT INTO points (geom, {', '.join(row)}) VALUES ({geometry}, {', '.join('?' * len(row))})",
                      [*geometry_params, *row.values()])
            self._audit(c, Change(clean["id"], "create", user, {}, _public(row)))
        return clean["id"]

    def _current(self, connection, point_id: str, expected_version: int) -> dict:
        """The point as it is now, locked until the transaction ends, if it is still at `expected_version`."""
        current = self._point(connection, point_id, lock=True)
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
        assignments = {**changed, "version": current["version"] + 1, "updated_at": now(), "updated_by": user}
        sql = f"UPDATE points SET {', '.join(f'{k} = ?' for k in assignments)}"
        values = list(assignments.values())
        if "lon" in changed or "lat" in changed:
            geometry, geometry_params = self._point_geometry(clean["lon"], clean["lat"])
            sql += f", geom = {geometry}"
            values += geometry_params
        connection.execute(sql + " WHERE id = ?", [*values, point_id])
        self._audit(connection, Change(point_id, action, user, {k: current.get(k) for k in changed}, changed))
        return self._point(connection, point_id)

    def delete_point(self, point_id: str, expected_version: int, user: str) -> None:
        with self._write() as c:
            current = self._current(c, point_id, expected_version)
            stamp = now()
            c.execute("UPDATE points SET deleted_at = ?, version = version + 1, updated_at = ?, updated_by = ? "
                      "WHERE id = ?", (stamp, stamp, user, point_id))
            self._photos_follow_point(c, point_id, stamp)
            self._audit(c, Change(point_id, "delete", user, {"deleted_at": current["deleted_at"]},
                                  {"deleted_at": stamp}))

    def restore_point(self, point_id: str, user: str) -> None:
        with self._write() as c:
            current = self._point(c, point_id, lock=True)
            if current is None:
                raise NotFoundError(f"找不到编号为「{point_id}」的点位")
            c.execute("UPDATE points SET deleted_at = NULL, version = version + 1, updated_at = ?, updated_by = ? "
                      "WHERE id = ?", (now(), user, point_id))
            self._photos_follow_point(c, point_id, None, was=current["deleted_at"])
            self._audit(c, Change(point_id, "restore", user, {"deleted_at": current["deleted_at"]},
                                  {"deleted_at": None}))

    def add_follow_up(self, point_id: str, entry: dict, expected_version: int, user: str, photos=()) -> dict:
        """Log a follow-up (with its photos: `loaders.photos.Photo`s) and, when it sets a status, move the point to
        that status in the same transaction: all of it lands, or none."""
        date, message = model.parse_date(model.Field("date", "日期", "date"), entry.get("date") or clock.today())
        text = model.clean_text(entry.get("text") or "", multiline=True)
        problems = [m for m in (message, None if text else "字段「督办内容」不能为空") if m]
        if problems:
            raise model.ValidationError(problems)
        with self._write() as c:
            current = self._current(c, point_id, expected_version)
            status = entry.get("status") or None
            fid = c.execute("INSERT INTO follow_ups (point_id, date, text, author, status, created_at, created_by) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING fid",
                            (point_id, date, text, model.clean_text(entry.get("author") or user), status, now(),
                             user)).fetchone()[0]
            self._audit(c, Change(point_id, "follow_up", user, {}, {"date": date, "text": text, "status": status,
                                                                   "photos": len(photos)}))
            for photo in photos:
                self._add_photo(c, point_id, photo, user, fid)
            if status and status != current["status"]:
                changes = {"status": status}
                resolved_on, moved = model.resolved_on_for(current["kind"], status, current["resolved_on"], date)
                if moved:
                    changes["resolved_on"] = resolved_on
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
            row = c.execute('SELECT action, point_id, before, after, "user", at FROM audit WHERE fid = ?',
                            (int(change_fid),)).fetchone()
            if row is None:
                raise NotFoundError(f"找不到编号为「{change_fid}」的修改记录")
            action, point_id, before, after, by, at = row
            if action != "update":
                raise StoreError(f"修改记录 {change_fid}（{action}）不是字段修改，只能撤销字段修改（update）")
            before, after = parse_json(before, {}), parse_json(after, {})
            current = self._point(c, point_id, lock=True)
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
        units = self.units()
        with self._write() as c:
            existing = {r[0] for r in c.execute("SELECT code FROM unit_areas").fetchall()}
            for code, geometry in areas.items():
                unit = units.get(code)
                shape, shape_params = self._area_geometry(multi(geometry))
                c.execute("DELETE FROM unit_areas WHERE code = ?", (code,))
                c.execute(f"INSERT INTO unit_areas (geom, code, name, short_name, in_network, schematic, basis) "
                          f"VALUES ({shape}, ?, ?, ?, ?, ?, ?)",
                          [*shape_params, code, unit.name, unit.short_name, bool(unit.in_network), False, basis])
            self._areas_changed(c)
            c.execute(f'INSERT INTO audit (at, "user", action, point_id, fields, before, after) '
                      f"VALUES (?, ?, 'areas', NULL, {self.JSON_IN}, {self.JSON_IN}, {self.JSON_IN})",
                      (now(), user, "[]", "{}", json.dumps({"basis": basis, "codes": sorted(areas)},
                                                          ensure_ascii=False)))
        return sorted(existing - set(areas))

    # Whole tables, for copy, backup and restore between engines ----------------------------------------------
    def _stream(self, connection, sql: str):
        """Rows of a query, fetched a batch at a time (a table may hold a million points)."""
        return connection.execute(sql)

    def _after_load(self, connection) -> None:
        """After rows were written with their own row numbers (PostgreSQL moves its sequences past them)."""

    def read_rows(self, table: str, columns: tuple[str, ...] | None = None):
        """The rows of `table` in canonical form (see schema.py): tuples of `columns` (default: all), in order."""
        spec = schema.TABLES[table]
        kinds = {c.name: c.kind for c in spec.columns}
        chosen = columns or spec.names
        select = [self.GEOMETRY_OUT if kinds[c] == "geometry" else self._select(c) for c in chosen]
        convert = [self._reader(kinds[c]) for c in chosen]
        sql = f"SELECT {', '.join(select)} FROM {table} ORDER BY {', '.join(map(quote, spec.order))}"
        with self._read() as c:
            for row in self._stream(c, sql):
                yield tuple(f(v) for f, v in zip(convert, row))

    def _reader(self, kind: str):
        if kind == "bool":
            return lambda v: None if v is None else bool(v)
        if kind == "json":
            return lambda v: parse_json(v, None)
        if kind == "geometry":
            return lambda v: None if v is None else self._geometry(v)
        if kind == "float":
            return lambda v: None if v is None else float(v)
        if kind == "blob":
            return lambda v: None if v is None else bytes(v)
        return lambda v: v

    def write_rows(self, table: str, rows, batch: int = 5000) -> int:
        """Add canonical rows (tuples in schema order) to `table`, in this thread's transaction (or a new one);
        returns how many. Points get their geometry from lon/lat."""
        spec = schema.TABLES[table]
        columns = [c for c in spec.columns if c.kind != "geometry"]
        placeholders = [self.JSON_IN if c.kind == "json" else "?" for c in columns]
        names = [quote(c.name) for c in columns]
        shape = None
        if spec.geometry == "POINT":
            shape, _ = self._point_geometry(0.0, 0.0)
        elif spec.geometry:
            shape, _ = self._area_geometry(shapely.Point(0, 0))
        if shape:
            names.append("geom")
            placeholders.append(shape)
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(placeholders)})"
        index = {c.name: i for i, c in enumerate(spec.columns)}
        count = 0
        with self._write() as c:
            pending = []
            for row in rows:
                values = [json.dumps(row[index[col.name]], ensure_ascii=False) if col.kind == "json"
                          and row[index[col.name]] is not None else row[index[col.name]] for col in columns]
                if spec.geometry == "POINT":
                    values += self._point_geometry(row[index["lon"]], row[index["lat"]])[1]
                elif spec.geometry:
                    values += self._area_geometry(multi(row[index["geom"]]))[1]
                pending.append(values)
                if len(pending) >= batch:
                    c.executemany(sql, pending)
                    count, pending = count + len(pending), []
            if pending:
                c.executemany(sql, pending)
                count += len(pending)
            self._after_load(c)
        return count

    def is_empty(self) -> bool:
        """No points, units, users or audit rows: a fresh target for a copy."""
        with self._read() as c:
            return not any(c.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                           for table in ("points", "units", "users", "audit", "follow_ups", "unit_areas",
                                         "activities", "members", "member_groups"))

    def clear(self) -> None:
        """Delete every row of every table but meta (a forced copy or restore, after its backup)."""
        with self._write() as c:
            for table in reversed([t for t in schema.TABLES if t != "meta"]):
                c.execute(f"DELETE FROM {table}")

    def checksums(self) -> dict[str, tuple[int, str]]:
        """{table: (rows, SHA-256)} over the content, the same for the same data in either engine."""
        return checksum.table_checksums(lambda table, columns, order: self.read_rows(table, columns))

    def _audit(self, connection, change: Change) -> None:
        fields = sorted(set(change.before) | set(change.after))
        connection.execute(
            f'INSERT INTO audit (at, "user", action, point_id, fields, before, after) '
            f"VALUES (?, ?, ?, ?, {self.JSON_IN}, {self.JSON_IN}, {self.JSON_IN})",
            (now(), change.user, change.action, change.point_id, json.dumps(fields, ensure_ascii=False),
             json.dumps(change.before, ensure_ascii=False, default=str),
             json.dumps(change.after, ensure_ascii=False, default=str)),
        )


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("created_at", "updated_at", "updated_by", "version")}
