"""The tables every engine keeps, engine-neutral: their columns, types and order.

The GeoPackage engine writes them as SQLite tables with GeoPackage metadata, the PostGIS engine as PostgreSQL
tables with `geometry` columns; `copy`, `backup`/`restore` across engines and the per-table checksums move rows in
this canonical form: one tuple per row, in `Table.columns` order, ordered by `Table.order`, with Python values of
the column's `kind` (text, int, float, bool, date as an ISO string, json as parsed objects, geometry as shapely).

Row numbers (`fid`) of points, follow-ups and audit rows are part of the data: they order the points (newest
first), the follow-ups of a point, and an audit row's number is what `revert` is given.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import model
from ..units import COLUMNS as UNIT_COLUMNS

_FIELD_KINDS = {"text": "text", "int": "int", "float": "float", "date": "date", "bool": "bool"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | int | float | bool | date | json | geometry
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    order: tuple[str, ...]  # a total order: the key, or every column that makes one
    geometry: str | None = None  # POINT | MULTIPOLYGON: the column `geom`, in EPSG:4326

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _columns(*spec) -> tuple[Column, ...]:
    return tuple(Column(*item) if isinstance(item, tuple) else Column(item, "text") for item in spec)


POINTS = Table("points", _columns(
    ("fid", "int", True), ("id", "text", True), ("kind", "text", True), ("status", "text", True),
    ("stage", "text", True), "unit_code", ("lon", "float", True), ("lat", "float", True),
    *((key, _FIELD_KINDS[f.type]) for key, f in model.FIELDS.items()),
    ("sample", "bool", True), "external_id", ("version", "int", True), ("created_at", "text", True),
    ("updated_at", "text", True), "updated_by", "deleted_at",
), order=("fid",), geometry="POINT")

FOLLOW_UPS = Table("follow_ups", _columns(
    ("fid", "int", True), ("point_id", "text", True), ("date", "date", True), ("text", "text", True), "author",
    "status", ("created_at", "text", True), "created_by",
), order=("fid",))

AUDIT = Table("audit", _columns(
    ("fid", "int", True), ("at", "text", True), ("user", "text", True), ("action", "text", True), "point_id",
    ("fields", "json"), ("before", "json"), ("after", "json"),
), order=("fid",))

UNITS = Table("units", tuple(
    Column(name, {"lon": "float", "lat": "float", "uncertainty_km": "float", "in_network": "bool",
                  "order": "int"}.get(name, "text"), name in ("code", "name", "in_network"))
    for name in UNIT_COLUMNS), order=("code",))

UNIT_AREAS = Table("unit_areas", _columns(
    ("code", "text", True), ("name", "text", True), "short_name", ("in_network", "bool", True),
    ("schematic", "bool", True), "basis", ("geom", "geometry", True),
), order=("code",), geometry="MULTIPOLYGON")

DISTRICT_OUTLINE = Table("district_outline", _columns(
    "name", "adcode", "source", ("geom", "geometry", True),
), order=("name", "adcode"), geometry="MULTIPOLYGON")

USERS = Table("users", _columns(
    ("name", "text", True), ("role", "text", True), ("units", "json", True), ("password_hash", "text", True),
    ("disabled", "bool", True), ("failed_count", "int", True), "locked_until", "last_sign_in",
    ("created_at", "text", True), ("updated_at", "text", True),
), order=("name",))

SESSIONS = Table("sessions", _columns(
    ("token_hash", "text", True), ("user", "text", True), ("created_at", "text", True), ("expires_at", "text", True),
), order=("token_hash",))

META = Table("meta", _columns(("key", "text", True), "value"), order=("key",))

# In the order they are written (a follow-up refers to its point, an area to its unit).
TABLES: dict[str, Table] = {t.name: t for t in (
    META, UNITS, DISTRICT_OUTLINE, UNIT_AREAS, POINTS, FOLLOW_UPS, AUDIT, USERS, SESSIONS)}

# The schema version this code writes and understands; a store with a newer one is refused (see migrations).
SCHEMA_VERSION = 1
