"""Stores and snapshots written by earlier schema versions (1: before the consultation tables; 2: before photos) keep
working: opening migrates them, in both engines, and an old snapshot restores (its checksum still verifies) into
either engine as a current store with every point as it was."""
import contextlib
import sqlite3

import pytest

from loaders import backup
from loaders.store import open_store, schema

V2_TABLES = schema.ADDED[2][0]
V3_TABLES = schema.ADDED[3][0]


def downgrade(path, version: int) -> None:
    """Turn a current store file into what code of schema `version` wrote: without the tables and columns later
    versions added (2: consultation tables and outcome columns; 3: photos)."""
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        for later, (tables, columns) in schema.ADDED.items():
            if later <= version:
                continue
            for table in tables:
                connection.execute(f"DROP TABLE {table}")
                connection.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (table,))
                connection.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
            for column in columns.get("points", ()):
                connection.execute(f"ALTER TABLE points DROP COLUMN {column}")
        if version < 2:
            connection.execute("DELETE FROM audit WHERE action LIKE 'activity%' OR action LIKE 'member%' "
                               "OR action LIKE 'issue%' OR action = 'groups'")
        connection.execute("DELETE FROM audit WHERE action LIKE 'photo%'")
        connection.execute("DELETE FROM meta WHERE key = 'checksum'")
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(version),))


def downgrade_to_v1(path) -> None:
    downgrade(path, 1)


def tables_in(path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def points_of(store) -> list[tuple]:
    frame = store.points(columns=("id", "name", "status", "lon", "lat"))
    return sorted(frame.itertuples(index=False, name=None))


@pytest.fixture
def v1_file(store_path):
    before = points_of(open_store(str(store_path)))
    downgrade_to_v1(store_path)
    return store_path, before


def test_opening_a_version_1_file_migrates_it(v1_file):
    path, before = v1_file
    assert not set(V2_TABLES) & tables_in(path)
    store = open_store(str(path))
    assert set(V2_TABLES) <= tables_in(path)
    assert points_of(store) == before
    assert store.member_groups().empty and store.activities().empty
    point_id = before[0][0]
    point = store.point(point_id)
    assert point["opinion_no"] is None
    store.update_point(point_id, {"name": "迁移后可以修改"}, point["version"], "admin")
    assert store.point(point_id)["name"] == "迁移后可以修改"


def test_a_sealed_version_1_snapshot_verifies_and_restores_as_the_current_version(v1_file, tmp_path):
    path, before = v1_file
    backup.seal(path)  # as version-1 code sealed it: over the tables and columns it had
    backup.check_store_file(path)
    target = tmp_path / "restored.gpkg"
    backup.restore(path, target)
    restored = open_store(str(target))
    assert points_of(restored) == before
    assert set(V2_TABLES) | set(V3_TABLES) <= tables_in(target)


def test_a_version_2_file_gains_photos_on_opening_and_takes_one(store_path):
    from photo_files import sideways_jpeg

    from loaders import photos

    downgrade(store_path, 2)
    assert not set(V3_TABLES) & tables_in(store_path)
    store = open_store(str(store_path))
    assert set(V3_TABLES) <= tables_in(store_path)
    point_id = points_of(store)[0][0]
    store.add_photo(point_id, photos.prepare(sideways_jpeg(), "a.jpg"), "admin")
    assert len(store.photos(point_id)) == 1


def test_a_sealed_version_2_snapshot_restores_with_a_photos_table(store_path, tmp_path):
    before = points_of(open_store(str(store_path)))
    downgrade(store_path, 2)
    backup.seal(store_path)  # as version-2 code sealed it, without photos
    backup.check_store_file(store_path)
    target = tmp_path / "restored.gpkg"
    backup.restore(store_path, target)
    restored = open_store(str(target))
    assert points_of(restored) == before and restored.photos(before[0][0]) == []


def test_a_version_1_snapshot_restores_into_postgis(v1_file, postgis_url):
    path, before = v1_file
    backup.seal(path)
    backup.restore(path, postgis_url)
    restored = open_store(postgis_url)
    assert points_of(restored) == before
    assert restored.activities().empty


def test_a_snapshot_missing_a_version_2_table_is_refused(store_path, tmp_path):
    with contextlib.closing(sqlite3.connect(store_path)) as connection, connection:
        connection.execute("DROP TABLE activities")  # claims version 2 but lacks one of its tables
    with pytest.raises(backup.BackupError, match="activities"):
        backup.check_store_file(store_path, verify_checksum=False)


def test_a_version_1_postgis_database_is_migrated_on_opening(postgres_server):
    from loaders.store import postgis

    url = postgres_server.url(postgres_server.create_database("v1_only"))
    postgis.ensure_postgis(url, url)
    connections = postgis.Connections(url, url)
    with connections.writing() as c:
        c.execute("CREATE TABLE schema_version (version integer PRIMARY KEY, description text NOT NULL, "
                  "applied_at timestamptz NOT NULL DEFAULT now())")
        for statement in postgis.MIGRATIONS[0].sql.split(";\n"):
            c.execute(statement)
        c.execute("INSERT INTO schema_version (version, description) VALUES (1, 'v1')")
    store = open_store(url)
    assert postgis.schema_version(store) == schema.SCHEMA_VERSION
    assert store.member_groups().empty
    assert "opinion_no" in store.points().columns
    postgis.dispose(url)
