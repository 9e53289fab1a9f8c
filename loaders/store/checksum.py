"""A content checksum per table that does not depend on the engine: the same data gives the same checksums in the
GeoPackage file and in a PostgreSQL/PostGIS database.

    checksums = table_checksums(read_rows)       # {"points": (113, "9f2c…"), "follow_ups": (…), …}

`read_rows(table, columns, order_by)` is supplied by the engine: it yields the rows of `table` as sequences of the
values of `columns`, in that order, in the canonical form of `schema.py` (geometry as shapely; dates, JSON and
booleans may come as the engine gives them, see below). `order_by` is the table's `schema` order; an engine may
ignore it, because the checksum does not depend on the order rows arrive in. The GeoPackage reader is
`gpkg_reader(connection)`. A table the database lacks reads as empty (older files get `users` on first use).

What is covered: every table of `schema.TABLES` but `sessions` (restore ends every session, a copy need not carry
them) and `meta` (engine bookkeeping that differs by engine: the GeoPackage keeps its schema version there,
PostgreSQL its areas_version; the data_version moves on restore; the checksum itself lives there), with the columns
`schema` lists, in its order. So `fid` counts where `schema` makes it data (points, follow-ups, audit: the order of
points and follow-ups, the number `revert` is given) and not where it is an engine's row id (units, areas, users).
Not covered: the points' `geom` (lon and lat hold the position; `backup.check_store_file` checks that geom agrees
with them) and the GeoPackage bookkeeping tables (`gpkg_*`).

Definition (version 1). Each value is encoded by its column's `schema` kind, self-delimiting:

    NULL                 N
    int, bool            I<decimal>;       booleans as 0/1 (SQLite keeps them so, PostgreSQL returns True/False)
    float                F<float.hex()>;   exact: no rounding, no repr differences
    text, date           T<bytes>:<UTF-8>  a date as YYYY-MM-DD (SQLite keeps that text; PostgreSQL has a date type)
    json                 J<bytes>:<JSON>   the value parsed (SQLite gives text, jsonb the parsed object) and written
                                           with sorted keys, no spaces, UTF-8; text that does not parse stays text
    geometry             G<bytes>:<WKB>    shapely WKB, little-endian, 2D, no SRID

A value that does not fit its column's kind (hostile or damaged data: text in a number column) is encoded by its
Python type with the same tags, so the checksum can still be computed and tells the difference. A datetime has no
canonical form and raises TypeError: timestamps are text in the store, and an engine must return them as that text.

A row's digest is SHA-256 of its encoded values in column order. A table's checksum is SHA-256 of a header
(definition version, table name, column names) followed by the row digests *sorted*, and its count is the number of
rows. Sorting the digests rather than the rows makes the result independent of each engine's ORDER BY (SQLite and
PostgreSQL disagree on where NULLs go and how text collates) without holding the rows in memory: 32 bytes a row.

Why WKB for the polygons: PostGIS keeps coordinates as the same IEEE doubles it was given and returns them unchanged
(ST_AsBinary), with rings and vertices in the order they were written, so WKB survives a round trip through
geometry(MultiPolygon,4326) bit for bit, and any change to any coordinate changes the checksum. Normalised WKT
rounded to 7 decimals would hide changes below a centimetre and ring rotations, and its text depends on the GEOS
version's number formatting, so the same data could give different checksums after a library upgrade.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence

import shapely

from . import schema

VERSION = 1
ReadRows = Callable[[str, tuple[str, ...], tuple[str, ...]], Iterable[Sequence]]
EXCLUDED_TABLES = ("sessions", "meta")
TABLES: tuple[str, ...] = tuple(name for name in schema.TABLES if name not in EXCLUDED_TABLES)


def columns_of(table: str) -> tuple[str, ...]:
    """The checksummed columns of `table`, in `schema` order."""
    return schema.TABLES[table].names


# Encoding -----------------------------------------------------------------------------------------------------------
def _tagged(tag: bytes, data: bytes) -> bytes:
    return tag + b"%d:" % len(data) + data


def encode(value) -> bytes:
    """A value by its Python type (used where a value does not fit its column's kind)."""
    if value is None:
        return b"N"
    if isinstance(value, (bool, int)):
        return b"I%d;" % int(value)
    if isinstance(value, float):
        return b"F" + value.hex().encode("ascii") + b";"
    if isinstance(value, decimal.Decimal):
        return encode(int(value) if value == value.to_integral_value() else float(value))
    if isinstance(value, str):
        return _tagged(b"T", value.encode("utf-8"))
    if isinstance(value, dt.datetime):
        raise TypeError("a datetime has no canonical form: read timestamps as the text the store keeps")
    if isinstance(value, dt.date):
        return encode(value.isoformat())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _tagged(b"B", bytes(value))
    if isinstance(value, shapely.Geometry):
        return _tagged(b"G", shapely.to_wkb(value, byte_order=1, output_dimension=2, include_srid=False))
    if isinstance(value, (list, dict)):
        return encode_json(value)
    raise TypeError(f"no canonical form for a value of type {type(value).__name__}")


def encode_text(value) -> bytes:
    return _tagged(b"T", value.encode("utf-8")) if type(value) is str else encode(value)


def encode_int(value) -> bytes:
    return b"I%d;" % value if type(value) is int else encode(value)


def encode_float(value) -> bytes:
    if type(value) is float:
        return b"F" + value.hex().encode("ascii") + b";"
    if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
        return encode(float(value))
    return encode(value)


def encode_json(value) -> bytes:
    """A JSON column's value, as text (SQLite) or parsed (PostgreSQL jsonb), in one canonical encoding."""
    if value is None:
        return b"N"
    if isinstance(value, (str, bytes, bytearray)):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return encode(value if isinstance(value, str) else bytes(value))
    try:
        data = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as error:
        raise TypeError(f"no canonical JSON for {type(value).__name__}: {error}") from error
    return _tagged(b"J", data.encode("utf-8"))


ENCODERS: dict[str, Callable[[object], bytes]] = {
    "text": encode_text, "int": encode_int, "bool": encode, "float": encode_float, "date": encode,
    "json": encode_json, "geometry": encode,
}


def _encoders(table: str, columns: Sequence[str]) -> list[Callable[[object], bytes]]:
    kinds = {c.name: c.kind for c in schema.TABLES[table].columns} if table in schema.TABLES else {}
    return [ENCODERS.get(kinds.get(c, ""), encode) for c in columns]


# Checksums ----------------------------------------------------------------------------------------------------------
def table_checksum(rows: Iterable[Sequence], table: str, columns: Sequence[str]) -> tuple[int, str]:
    """(number of rows, SHA-256 hex) of `rows`, each holding the values of `columns` in that order."""
    encoders = _encoders(table, columns)
    digests = []
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"{table}: a row has {len(row)} values for {len(columns)} columns")
        digests.append(hashlib.sha256(b"".join(f(v) for f, v in zip(encoders, row))).digest())
    digests.sort()
    total = hashlib.sha256(f"xzmap-checksum {VERSION}\x00{table}\x00{chr(31).join(columns)}\x00".encode())
    for digest in digests:
        total.update(digest)
    return len(digests), total.hexdigest()


def table_checksums(read_rows: ReadRows, tables: Iterable[str] = TABLES) -> dict[str, tuple[int, str]]:
    """{table: (count, SHA-256 hex)} for the covered tables, reading each through the engine's `read_rows`."""
    result = {}
    for table in tables:
        columns = columns_of(table)
        result[table] = table_checksum(read_rows(table, columns, schema.TABLES[table].order), table, columns)
    return result


def gpkg_reader(connection: sqlite3.Connection) -> ReadRows:
    """`read_rows` for a GeoPackage store opened with sqlite3: polygon blobs come back as shapely geometries."""
    from .gpkg import read_blob  # here: gpkg imports sqlstore, which imports this module

    present = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def read_rows(table: str, columns: tuple[str, ...], order_by: tuple[str, ...]):
        if table not in present:
            return
        kinds = {c.name: c.kind for c in schema.TABLES[table].columns} if table in schema.TABLES else {}
        geometry = [i for i, c in enumerate(columns) if kinds.get(c) == "geometry"]
        quoted = ", ".join(f'"{c}"' for c in columns)
        order = ", ".join(f'"{c}"' for c in order_by) or "rowid"
        for row in connection.execute(f'SELECT {quoted} FROM "{table}" ORDER BY {order}'):
            if geometry:
                row = list(row)
                for i in geometry:
                    row[i] = None if row[i] is None else read_blob(row[i])
            yield row

    return read_rows


def gpkg_checksums(connection: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """The checksums of a GeoPackage store file as the code that wrote it computed them: a file of an older schema
    version is summed over the tables and columns it has (a later version's tables and columns, see
    `schema.ADDED`, are left out rather than read as empty), so its sealed checksum still verifies."""
    read_rows = gpkg_reader(connection)
    present = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    added = {t for tables, _ in schema.ADDED.values() for t in tables}
    result = {}
    for table in TABLES:
        if table in added and table not in present:
            continue
        have = {r[1] for r in connection.execute(f'PRAGMA table_info("{table}")')} if table in present else set()
        columns = tuple(c for c in columns_of(table) if c in have or table not in present
                        or not any(c in cols.get(table, ()) for _, cols in schema.ADDED.values()))
        result[table] = table_checksum(read_rows(table, columns, schema.TABLES[table].order), table, columns)
    return result


# As kept in a snapshot ----------------------------------------------------------------------------------------------
def dumps(checksums: dict[str, tuple[int, str]]) -> str:
    """As kept in meta (key `checksum`): JSON {table: [count, sha256]}."""
    return json.dumps({t: [n, h] for t, (n, h) in checksums.items()}, sort_keys=True)


def loads(text: str) -> dict[str, tuple[int, str]]:
    """The meta `checksum` value back; ValueError when it is not what `dumps` writes."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - callers treat any malformed value as ValueError
    result = {}
    for table, value in data.items():
        if (not isinstance(value, list) or len(value) != 2 or type(value[0]) is not int
                or not isinstance(value[1], str)):
            raise ValueError(f"bad entry for {table}")
        result[table] = (value[0], value[1])
    return result


def differences(expected: dict[str, tuple[int, str]], actual: dict[str, tuple[int, str]]) -> list[str]:
    """Tables whose count or checksum differ, or that one side lacks (in TABLES order, then any others)."""
    names = [t for t in TABLES if t in expected or t in actual]
    names += sorted((set(expected) | set(actual)) - set(names))
    return [t for t in names if expected.get(t) != actual.get(t)]
