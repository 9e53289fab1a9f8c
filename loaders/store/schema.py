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
    kind: str  # text | int | float | bool | date | json | geometry | blob
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

# The consultation work (schema version 2): groups and their pairing, members, activities, who took part, and which
# issue points an activity raised or discussed again. Activities and members carry versions and soft deletion like
# points; list-valued fields (organising groups, departments) are JSON lists.
_RECORD = (("version", "int", True), ("created_at", "text", True), ("updated_at", "text", True), "updated_by",
           "deleted_at")

MEMBER_GROUPS = Table("member_groups", _columns(
    ("code", "text", True), ("name", "text", True), ("level", "text", True), "unit_code", ("sample", "bool", True),
), order=("code",))

GROUP_PAIRINGS = Table("group_pairings", _columns(
    ("district_group", "text", True), ("town_group", "text", True),
), order=("district_group", "town_group"))

MEMBERS = Table("members", _columns(
    ("id", "text", True), ("name", "text", True), ("level", "text", True), ("sector", "text", True),
    ("group_code", "text", True), "unit_code", ("contacts", "int"), ("sample", "bool", True), *_RECORD,
), order=("id",))

ACTIVITIES = Table("activities", _columns(
    ("id", "text", True), ("date", "date", True), ("topic", "text", True), ("form", "text", True),
    ("channel", "text", True), "place", ("lon", "float", True), ("lat", "float", True), "unit_code", "demo_site_id",
    ("groups", "json", True), ("departments", "json", True), ("department_count", "int"), ("expert_count", "int"),
    ("public_count", "int"), "summary", "outcome", "source_note", ("sample", "bool", True), *_RECORD,
), order=("id",), geometry="POINT")

ACTIVITY_MEMBERS = Table("activity_members", _columns(
    ("activity_id", "text", True), ("member_id", "text", True),
), order=("activity_id", "member_id"))

ISSUE_ACTIVITIES = Table("issue_activities", _columns(
    ("point_id", "text", True), ("activity_id", "text", True), ("role", "text", True),
), order=("point_id", "activity_id"))

CONSULTATION_TABLES = (MEMBER_GROUPS, GROUP_PAIRINGS, MEMBERS, ACTIVITIES, ACTIVITY_MEMBERS, ISSUE_ACTIVITIES)

# Photos of points and of their follow-ups (schema version 3): the stored JPEG and its thumbnail as bytes in the
# store itself, so the GeoPackage stays one file (QGIS shows the table) and backups carry them. Soft-deleted with
# their point; `follow_up_fid` is the follow-up a photo belongs to (none: a photo of the point itself).
PHOTOS = Table("photos", _columns(
    ("id", "text", True), ("point_id", "text", True), ("follow_up_fid", "int"), ("name", "text", True),
    ("content_type", "text", True), ("width", "int", True), ("height", "int", True), ("size", "int", True),
    "taken_at", ("lon", "float"), ("lat", "float"), ("data", "blob", True), ("thumb", "blob", True),
    ("created_at", "text", True), "created_by", "deleted_at",
), order=("id",))

# Settings an admin changes on the admin page (schema version 4), one JSON value per key -- e.g. `deadlines`, the time
# limits per kind and status. A table, not `meta`: copies, backups and checksums carry it like any other data.
SETTINGS = Table("settings", _columns(
    ("key", "text", True), ("value", "json", True), ("updated_at", "text", True), "updated_by",
), order=("key",))

META = Table("meta", _columns(("key", "text", True), "value"), order=("key",))

# In the order they are written (a follow-up refers to its point, an area to its unit).
TABLES: dict[str, Table] = {t.name: t for t in (
    META, UNITS, DISTRICT_OUTLINE, UNIT_AREAS, POINTS, FOLLOW_UPS, PHOTOS, *CONSULTATION_TABLES, SETTINGS, AUDIT, USERS,
    SESSIONS)}

# The schema version this code writes and understands; a store with a newer one is refused (see migrations).
SCHEMA_VERSION = 4

# What each version added, for reading an older snapshot as it was written (its checksum covers only its own columns)
# and for migrating it: version -> (new tables, {table: new columns}).
ADDED: dict[int, tuple[tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    2: (tuple(t.name for t in CONSULTATION_TABLES), {"points": ("opinion_no", "proposal_no")}),
    3: (("photos",), {}),
    4: (("settings",), {}),
}


def tables_of(version: int) -> tuple[str, ...]:
    """The tables a store of schema `version` has."""
    later = {t for v, (tables, _) in ADDED.items() if v > version for t in tables}
    return tuple(t for t in TABLES if t not in later)


def columns_of(table: str, version: int) -> tuple[str, ...]:
    """The columns of `table` in a store of schema `version`, in canonical order."""
    later = {c for v, (_, columns) in ADDED.items() if v > version for c in columns.get(table, ())}
    return tuple(c for c in TABLES[table].names if c not in later)
