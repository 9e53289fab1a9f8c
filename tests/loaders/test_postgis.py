"""What only the PostGIS engine has to prove (the rest is the shared contract suite): versioned migrations, a newer
schema refused, a database without our tables or out of reach explained, real column types and a GiST index, and
no lost update when two servers save the same point at the same moment."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy

from loaders import config
from loaders.store import StaleEditError, StoreUnavailable, initialise, open_store, postgis
from loaders.store.schema import SCHEMA_VERSION


def sql(url: str, statement: str):
    engine = sqlalchemy.create_engine(postgis.sqlalchemy_url(url), poolclass=sqlalchemy.pool.NullPool)
    with engine.begin() as connection:
        result = connection.exec_driver_sql(statement)
        return result.fetchall() if result.returns_rows else None


def test_the_schema_is_versioned_with_real_types_and_a_spatial_index(postgis_url):
    open_store(postgis_url)
    applied = sql(postgis_url, "SELECT version FROM schema_version ORDER BY version")
    assert applied == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    types = dict(sql(postgis_url, "SELECT column_name, udt_name FROM information_schema.columns "
                                  "WHERE table_name = 'points'"))
    assert types["geom"] == "geometry" and types["opened_on"] == "date" and types["sample"] == "bool"
    assert sql(postgis_url, "SELECT Find_SRID('public', 'points', 'geom')") == [(4326,)]
    indexes = " ".join(r[0] for r in sql(postgis_url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'points'"))
    assert "USING gist (geom)" in indexes and "(unit_code, status)" in indexes
    # the geometry is the point's position
    assert sql(postgis_url, "SELECT COUNT(*) FROM points WHERE NOT ST_Equals(geom, "
                            "ST_SetSRID(ST_MakePoint(lon, lat), 4326))") == [(0,)]


def test_a_schema_newer_than_the_code_is_refused(postgis_url):
    sql(postgis_url, f"INSERT INTO schema_version (version, description) VALUES ({SCHEMA_VERSION + 1}, '以后的版本')")
    postgis.dispose(postgis_url)
    with pytest.raises(StoreUnavailable, match=f"数据结构版本为 {SCHEMA_VERSION + 1}.*请先升级程序"):
        open_store(postgis_url)


def test_a_database_without_our_tables_asks_for_init_and_changes_nothing(postgres_server):
    url = postgres_server.url(postgres_server.create_database("empty_db"))
    with pytest.raises(StoreUnavailable, match="还没有本系统的数据表.*init"):
        open_store(url)
    assert sql(url, "SELECT to_regclass('points') IS NULL") == [(True,)]


def test_a_database_out_of_reach_is_explained():
    with pytest.raises(StoreUnavailable, match="无法连接数据库"):
        open_store("postgresql://xzmap@127.0.0.1:1/xzmap")


@pytest.mark.parametrize("url", ["postgresql://xzmap:secret-words@db:port/xzmap", "postgresql://xzmap:secret-words@[::1/x"])
def test_a_malformed_database_url_is_explained_without_its_password(url):
    with pytest.raises(StoreUnavailable, match="数据库地址格式不对.*postgresql://用户名:密码@主机:端口/数据库名") as refused:
        open_store(url)
    assert "secret-words" not in str(refused.value)


def test_a_password_given_as_a_url_parameter_is_not_shown_either():
    with pytest.raises(StoreUnavailable) as refused:
        open_store("postgresql://xzmap@127.0.0.1:1/xzmap?password=secret-words&sslmode=disable")
    assert "secret-words" not in str(refused.value) and "无法连接数据库" in str(refused.value)


@pytest.mark.parametrize("address", ["postgresq://postgres@127.0.0.1:5490/xiangzhou", "mysql://a@b/c"])
def test_an_unsupported_address_is_refused_and_no_file_is_made(address, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for attempt in (lambda: open_store(address), lambda: initialise(address, config.geodata_dir())):
        with pytest.raises(StoreUnavailable, match="不支持的数据地址"):
            attempt()
    assert list(tmp_path.iterdir()) == []


def test_the_location_shown_never_carries_the_password(postgis_url):
    with_password = postgis_url.replace("postgres@", "postgres:secret-words@")
    store = open_store(with_password)  # trust authentication: the password is not even needed
    assert "secret-words" not in store.location and store.location.startswith("postgresql://postgres:***@")


def test_two_servers_saving_one_point_at_once_lose_nothing(postgis_url):
    """Server A's save holds the point's row lock; B's save of the same version waits, then is refused as stale."""
    first, second = open_store(postgis_url), open_store(postgis_url)  # as two processes would
    point = first.point(first.points()["id"].iloc[0])
    a_inside, a_may_commit, outcome = threading.Event(), threading.Event(), {}

    def server_a():
        with first.transaction():
            first.update_point(point["id"], {"description": "A 的修改"}, point["version"], "甲")
            a_inside.set()
            a_may_commit.wait(10)

    def server_b():
        a_inside.wait(10)
        try:
            second.update_point(point["id"], {"description": "B 的修改"}, point["version"], "乙")
            outcome["b"] = "saved"
        except StaleEditError as error:
            outcome["b"] = error.current["description"]

    threads = [threading.Thread(target=server_a), threading.Thread(target=server_b)]
    for thread in threads:
        thread.start()
    a_inside.wait(10)
    threads[1].join(0.5)
    assert threads[1].is_alive()  # B waits for A's lock instead of reading the old version
    a_may_commit.set()
    for thread in threads:
        thread.join(10)
    assert outcome["b"] == "A 的修改"  # refused, shown A's saved value
    assert first.point(point["id"])["description"] == "A 的修改"
