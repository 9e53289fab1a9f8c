"""The shared engine: PostgreSQL with PostGIS, for several dashboard servers (a city or a province).

The same tables and columns as the GeoPackage (`schema.py`), with `geometry(Point, 4326)` / `geometry(MultiPolygon,
4326)` columns under GiST indexes, dates as `date`, JSON as `jsonb`; the rules are `SQLStore`'s, written once.
SQLAlchemy 2 gives the connection pool and psycopg 3 the driver; the SQL is plain (no ORM, no GeoAlchemy2): the
store writes the same statements for both engines, and a GeoAlchemy2 column type would only re-spell two PostGIS
functions.

Consistency across servers: every write transaction moves `meta.data_version` on (only when it changed a row), and
pages key their caches on it, so an edit made through one server shows on
every other at its next rerun. Writers lock the point row they change (`SELECT … FOR UPDATE`), so two servers saving
the same point one after another get the stale-write refusal, never a lost update.

The schema is versioned: `schema_version` lists the migrations applied; opening a store applies the missing ones
in order (under an advisory lock, so two servers starting together do not both migrate), and refuses a database
whose schema is newer than this code.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass

import shapely

from ..filters import Filter
from . import schema
from .base import StoreError, StoreUnavailable
from .sqlstore import SQLStore, quote
from .users import SQLUsers
from .where import where_sql

_TYPES = {"text": "text", "int": "bigint", "float": "double precision", "bool": "boolean", "date": "date",
          "json": "jsonb", "blob": "bytea"}
DATE_COLUMNS = frozenset(c.name for t in schema.TABLES.values() for c in t.columns if c.kind == "date")
MIGRATION_LOCK = 7_207_607  # an arbitrary advisory-lock number: "this app migrates"


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` (what people write) as the URL SQLAlchemy needs to pick psycopg 3."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ValueError(f"not a PostgreSQL URL: {url}")


# The schema, as migrations ------------------------------------------------------------------------------------------
def _column_sql(table: schema.Table, column: schema.Column) -> str:
    if column.name == "fid":
        return "fid bigserial PRIMARY KEY"
    if column.kind == "geometry":
        kind = "MultiPolygon" if table.geometry == "MULTIPOLYGON" else "Point"
        return f"geom geometry({kind}, 4326)" + (" NOT NULL" if column.required else "")
    return f"{quote(column.name)} {_TYPES[column.kind]}" + (" NOT NULL" if column.required else "")


def _table_sql(table: schema.Table, extra: tuple[str, ...] = (), version: int = schema.SCHEMA_VERSION) -> str:
    """CREATE TABLE with the columns `table` had at schema `version` (a migration creates what its version had)."""
    present = schema.columns_of(table.name, version)
    columns = [_column_sql(table, c) for c in table.columns if c.name in present]
    if "fid" not in table.names:
        columns.insert(0, "fid bigserial PRIMARY KEY")
    if table.geometry == "POINT":
        columns.insert(1, "geom geometry(Point, 4326) NOT NULL")
    return f"CREATE TABLE {table.name} ({', '.join([*columns, *extra])})"


V1 = ";\n".join([
    _table_sql(schema.META, ("UNIQUE (key)",)),
    _table_sql(schema.UNITS, ("UNIQUE (code)",)),
    _table_sql(schema.DISTRICT_OUTLINE),
    _table_sql(schema.UNIT_AREAS, ("UNIQUE (code)",)),
    _table_sql(schema.POINTS, ("UNIQUE (id)", "UNIQUE (external_id)"), version=1),
    "CREATE INDEX points_geom ON points USING gist (geom)",
    "CREATE INDEX points_unit_status ON points (unit_code, status)",
    "CREATE INDEX points_kind_stage ON points (kind, stage)",
    "CREATE INDEX points_status ON points (status)",
    "CREATE INDEX points_opened ON points (opened_on)",
    "CREATE INDEX points_lon_lat ON points (lon, lat)",
    _table_sql(schema.FOLLOW_UPS, ("FOREIGN KEY (point_id) REFERENCES points (id)",)),
    "CREATE INDEX follow_ups_point ON follow_ups (point_id, date)",
    _table_sql(schema.AUDIT),
    "CREATE INDEX audit_point ON audit (point_id, fid)",
    _table_sql(schema.USERS, ("UNIQUE (name)",)),
    _table_sql(schema.SESSIONS, ("UNIQUE (token_hash)",)),
    'CREATE INDEX sessions_user ON sessions ("user")',
    "INSERT INTO meta (key, value) VALUES ('data_version', '0'), ('areas_version', '0')",
])


V2 = ";\n".join([
    *(f"ALTER TABLE points ADD COLUMN {c} text" for c in schema.ADDED[2][1]["points"]),
    _table_sql(schema.MEMBER_GROUPS, ("UNIQUE (code)",)),
    _table_sql(schema.GROUP_PAIRINGS, ("UNIQUE (district_group, town_group)",)),
    _table_sql(schema.MEMBERS, ("UNIQUE (id)",)),
    _table_sql(schema.ACTIVITIES, ("UNIQUE (id)",)),
    "CREATE INDEX activities_geom ON activities USING gist (geom)",
    "CREATE INDEX activities_date ON activities (date)",
    _table_sql(schema.ACTIVITY_MEMBERS, ("UNIQUE (activity_id, member_id)",)),
    "CREATE INDEX activity_members_member ON activity_members (member_id)",
    _table_sql(schema.ISSUE_ACTIVITIES, ("UNIQUE (point_id, activity_id)",)),
    "CREATE INDEX issue_activities_activity ON issue_activities (activity_id)",
])


V3 = ";\n".join([
    _table_sql(schema.PHOTOS, ("UNIQUE (id)",)),
    "CREATE INDEX photos_point ON photos (point_id)",
])


V4 = _table_sql(schema.SETTINGS, ("UNIQUE (key)",))


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "点位、跟踪督办、修改记录、乡镇与范围、用户与会话", V1),
    Migration(2, "协商活动、委员、委员活动组与对口联系；问题点的社情民意编号和提案号", V2),
    Migration(3, "点位和跟踪督办的照片", V3),
    Migration(4, "设置（办理时限）", V4),
)
assert MIGRATIONS[-1].version == schema.SCHEMA_VERSION


# Connections ------------------------------------------------------------------------------------------------------
_CHANGES = ("INSERT", "UPDATE", "DELETE")


class Connection:
    """A pooled SQLAlchemy connection that speaks the shared SQL: `?` parameters, rows as tuples. It notes whether it
    changed any row (`wrote`): a transaction that only locked rows must not move data_version.

    Statements run on psycopg's own cursor of the pooled connection (so in the transaction SQLAlchemy began, and
    returned to the pool the same way): SQLAlchemy's result objects cost more than the query. Its Row objects made
    reading 100,000 points' map columns into a frame take 1.1 s instead of 0.24 s from psycopg's tuples (pandas
    takes a tuple apart in C, a Row one value at a time), and its result set-up was a third of an import's commit."""

    def __init__(self, connection):
        self.raw = connection
        self.wrote = False

    def execute(self, sql: str, params=()):
        """The psycopg cursor, executed: `fetchone()`, `fetchall()`, iteration, `rowcount`."""
        _refuse_nul(params)
        cursor = self.raw.connection.cursor()
        cursor.execute(_driver_sql(sql), tuple(params))
        if cursor.rowcount and sql.lstrip().upper().startswith(_CHANGES):
            self.wrote = True
        return cursor

    def executemany(self, sql: str, rows: list):
        for row in rows:
            _refuse_nul(row)
        self.wrote = self.wrote or bool(rows)
        with self.raw.connection.cursor() as cursor:
            cursor.executemany(_driver_sql(sql), [tuple(r) for r in rows])

    def scalar(self, sql: str, params=()):
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]


def _refuse_nul(params) -> None:
    """PostgreSQL text cannot hold NUL (the driver fails with a DataError). Input is cleaned before it gets here;
    this names the value if something older (a store written before that, a hand-made URL) still carries one."""
    for value in params:
        if isinstance(value, str) and "\x00" in value:
            shown = value.replace("\x00", "\\0")[:30]
            raise StoreError(f"数据中的「{shown}」含有空字符（\\0），PostgreSQL 不能保存或查找；请先删去这个字符，未做任何改动")


def _driver_sql(sql: str) -> str:
    """The shared SQL (`?` parameters) as psycopg's (`%s`; a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


_engines: dict[str, object] = {}
_engines_lock = threading.Lock()


def engine_for(url: str):
    """One connection pool per database per process: every store object and session thread shares it."""
    import sqlalchemy

    key = sqlalchemy_url(url)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = sqlalchemy.create_engine(key, pool_size=8, max_overflow=8, pool_pre_ping=True,
                                                     pool_recycle=1800)
        return _engines[key]


def dispose(url: str) -> None:
    """Close the pool's connections to a database (before it is dropped, in tests and tools)."""
    with _engines_lock:
        engine = _engines.pop(sqlalchemy_url(url), None)
    if engine is not None:
        engine.dispose()


class Connections:
    """Like `sqlite.Connections`: a connection per read, and per thread one open transaction that reads and writes
    on that thread join. `on_commit(connection)` runs last inside each transaction that wrote something."""

    def __init__(self, url: str, location: str, on_commit=None):
        self.url, self.location = url, location
        self._on_commit = on_commit
        self._local = threading.local()

    @property
    def current(self) -> Connection | None:
        return getattr(self._local, "connection", None)

    @contextmanager
    def reading(self):
        if self.current is not None:
            yield self.current
            return
        with translated(self.location), engine_for(self.url).connect() as raw:
            yield Connection(raw)

    @contextmanager
    def snapshot(self):
        """Reads on this thread inside the block see one consistent state (a REPEATABLE READ transaction)."""
        if self.current is not None:
            yield
            return
        with translated(self.location), engine_for(self.url).connect() as raw:
            raw = raw.execution_options(isolation_level="REPEATABLE READ")
            with raw.begin():
                self._local.connection = Connection(raw)
                try:
                    yield
                finally:
                    self._local.connection = None

    @contextmanager
    def writing(self):
        if self.current is not None:
            yield self.current
            return
        with translated(self.location), engine_for(self.url).begin() as raw:
            connection = Connection(raw)
            self._local.connection = connection
            try:
                yield connection
                if self._on_commit is not None and connection.wrote:
                    self._on_commit(connection)
            finally:
                self._local.connection = None


@contextmanager
def translated(location: str):
    """The database's complaints about itself (unreachable, no tables, no rights, read-only) as StoreUnavailable."""
    import psycopg
    import sqlalchemy.exc

    try:
        yield
    except (sqlalchemy.exc.DBAPIError, psycopg.Error) as error:  # psycopg's own: see Connection
        message = unavailable_message(location, error)
        if message is None:
            raise
        raise StoreUnavailable(message) from error


def unavailable_message(location: str, error) -> str | None:
    import psycopg.errors as pg

    original = getattr(error, "orig", error)
    if isinstance(original, pg.UndefinedTable | pg.UndefinedColumn):
        return (f"数据库 {location} 中没有本系统的数据表（{original.diag.message_primary}）。请管理员运行 "
                f"python -m loaders init --store 数据库地址 创建")
    if isinstance(original, pg.InsufficientPrivilege):
        return f"数据库账号没有读写本系统数据表的权限（{location}）。请数据库管理员授权"
    if isinstance(original, pg.ReadOnlySqlTransaction):
        return f"数据库 {location} 当前只读（可能是只读副本），无法保存；请检查数据库地址"
    if isinstance(original, pg.InvalidCatalogName):
        return f"数据库不存在：{location}。请数据库管理员先创建数据库，再运行 python -m loaders init --store 数据库地址"
    if isinstance(original, pg.OperationalError) or getattr(error, "connection_invalidated", False):
        return f"无法连接数据库 {location}：{str(original).splitlines()[0] if str(original) else '连接失败'}"
    return None


# The store ------------------------------------------------------------------------------------------------------
class PostGISStore(SQLStore):
    LIKE = "ILIKE"
    JSON_IN = "CAST(? AS jsonb)"
    GEOMETRY_OUT = "ST_AsBinary(geom)"
    FOR_UPDATE = " FOR UPDATE"

    def __init__(self, url: str, create: bool = False):
        """`create`: make the tables when the database has none (init); otherwise such a database is refused."""
        super().__init__()
        self.url = url
        self._location = _without_password(url)
        self._connections = Connections(url, self._location, on_commit=_mark_changed)
        self._users: PostGISUsers | None = None
        if create:
            ensure_postgis(url, self._location)
        migrate(self, create=create)

    @property
    def location(self) -> str:
        return self._location

    @property
    def users(self) -> PostGISUsers:
        if self._users is None:
            self._users = PostGISUsers(Connections(self.url, self._location))
        return self._users

    # Engine primitives ---------------------------------------------------------------------------------------
    def _read(self):
        return self._connections.reading()

    def _write(self):
        return self._connections.writing()

    def _point_geometry(self, lon: float, lat: float) -> tuple[str, list]:
        return "ST_SetSRID(ST_MakePoint(?, ?), 4326)", [float(lon), float(lat)]

    def _area_geometry(self, geometry: shapely.Geometry) -> tuple[str, list]:
        return "ST_Multi(ST_GeomFromWKB(?, 4326))", [shapely.to_wkb(geometry, byte_order=1)]

    def _geometry(self, value) -> shapely.Geometry:
        return shapely.from_wkb(bytes(value))

    def _select(self, column: str) -> str:
        return f"{quote(column)}::text" if column in DATE_COLUMNS else quote(column)

    def _where(self, where: Filter) -> tuple[str, list]:
        # ILIKE lowercases every value it looks at: 7x slower than LIKE on 100,000 points. A keyword without cased
        # letters (Chinese, digits) matches the same rows either way, so it is looked for with LIKE.
        keyword = where.keyword.strip()
        like = self.LIKE if keyword.lower() != keyword or keyword.upper() != keyword else "LIKE"
        return where_sql(where, lambda i: "?", like=like)

    def _areas_stamp(self, connection) -> str:
        return connection.scalar("SELECT value FROM meta WHERE key = 'areas_version'")

    def _areas_changed(self, connection) -> None:
        connection.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'areas_version'")

    def _stream(self, connection, sql: str):
        return connection.raw.exec_driver_sql(sql.replace("%", "%%"),
                                              execution_options={"stream_results": True, "yield_per": 5000})

    def _after_load(self, connection) -> None:
        for table in ("points", "follow_ups", "audit", "units", "unit_areas", "district_outline", "users",
                      "sessions", "meta"):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'fid'), "
                               f"COALESCE((SELECT MAX(fid) FROM {table}), 0) + 1, false)")


class PostGISUsers(SQLUsers):
    JSON_IN = "CAST(? AS jsonb)"

    def __init__(self, connections: Connections):
        self._connections = connections  # no data_version bump: signing in must not invalidate the pages' caches

    def _read(self):
        return self._connections.reading()

    def _write(self):
        return self._connections.writing()


def _mark_changed(connection: Connection) -> None:
    connection.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'data_version'")


def _without_password(url: str) -> str:
    """The URL to show (password masked); a URL that does not parse is refused here, before any connection, with
    the expected form -- and without echoing the text, which may hold the password."""
    import sqlalchemy
    import sqlalchemy.exc

    try:
        parsed = sqlalchemy.make_url(sqlalchemy_url(url))
        _ = parsed.port  # "host:port" with a non-number port fails only here
    except (ValueError, sqlalchemy.exc.ArgumentError):
        raise StoreUnavailable("数据库地址格式不对（如端口不是数字、主机名括号不完整）；应为 "
                               "postgresql://用户名:密码@主机:端口/数据库名，例如 postgresql://xzmap:密码@10.0.0.5:5432/xzmap") \
            from None
    if "password" in parsed.query:  # libpq also takes it as ?password=…
        parsed = parsed.update_query_dict({"password": "***"})
    return parsed.render_as_string(hide_password=True).replace("postgresql+psycopg://", "postgresql://")


# Schema versions ----------------------------------------------------------------------------------------------------
def schema_version(store: PostGISStore) -> int | None:
    """The version recorded in the database; None when it has none of our tables yet."""
    with store._read() as c:
        present = c.scalar("SELECT to_regclass('schema_version') IS NOT NULL")
        if not present:
            return None
        return c.scalar("SELECT MAX(version) FROM schema_version")


def migrate(store: PostGISStore, create: bool = False) -> list[int]:
    """Apply the migrations the database lacks, in order, each in its own transaction; returns those applied.
    Without `create`, a database with none of our tables is refused (that is `init`'s job)."""
    current = schema_version(store)
    newest = MIGRATIONS[-1].version
    if current is not None and current > newest:
        raise StoreUnavailable(f"数据库 {store.location} 的数据结构版本为 {current}，比本程序能处理的版本 {newest} "
                               "新：请先升级程序，再打开这个数据库")
    if current is None and not create:
        raise StoreUnavailable(f"数据库 {store.location} 中还没有本系统的数据表。请管理员运行 "
                               f"python -m loaders init --store 数据库地址 创建")
    if current == newest:
        return []
    applied = []
    with store._connections.writing() as c:
        c.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        c.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, description text NOT NULL, "
                  "applied_at timestamptz NOT NULL DEFAULT now())")
        done = c.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version")  # another server may have won
        for migration in MIGRATIONS:
            if migration.version > done:
                for statement in migration.sql.split(";\n"):
                    c.execute(statement)
                c.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)",
                          (migration.version, migration.description))
                applied.append(migration.version)
    return applied


def ensure_postgis(url: str, location: str) -> None:
    connections = Connections(url, location)
    with connections.writing() as c:
        if c.scalar("SELECT COUNT(*) FROM pg_extension WHERE extname = 'postgis'"):
            return
        try:
            c.execute("CREATE EXTENSION postgis")
        except Exception as error:  # noqa: BLE001 - any refusal means the same thing to the admin
            raise StoreUnavailable(f"数据库 {location} 没有 PostGIS 扩展，且当前账号无权安装：请数据库管理员执行 "
                                   f"CREATE EXTENSION postgis;（{str(error).splitlines()[0]}）") from None


def initialise(url: str, geodata, force: bool = False) -> tuple[str, str | None]:
    """Create the tables (idempotent, versioned) and fill them from the bundled data -- built as a GeoPackage in a
    temporary folder, then copied in and verified -- unless the database already holds data: then nothing changes,
    or, with `force`, it is first backed up to a GeoPackage snapshot (returned) and replaced."""
    import tempfile
    from pathlib import Path

    from .. import backup
    from . import copying, gpkg

    store = PostGISStore(url, create=True)
    kept = None
    if not store.is_empty():
        if not force:
            return "exists", None
        kept = str(backup.backup(store))
    with tempfile.TemporaryDirectory(prefix="xzmap-seed-") as folder:
        seed = gpkg.create(Path(folder) / "seed.gpkg", Path(geodata))
        copying.copy(seed, store, replace=kept is not None)
    return ("replaced" if kept else "created"), kept
