"""The throw-away PostGIS server the PostGIS tests run on (tools/pgserver.py, `postgres_server` in conftest.py): it
gives each test a database with PostGIS, keeps test databases apart, runs as `postgres` (never root) on 127.0.0.1
only, stops when the test run ends however it ends, and never touches a process or port that is not its own."""
from __future__ import annotations

import itertools
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy

from loaders.store.postgis import sqlalchemy_url
from tools import pgserver

REPO = Path(__file__).resolve().parents[2]
_names = itertools.count()


def query(url: str, statement: str):
    engine = sqlalchemy.create_engine(sqlalchemy_url(url), poolclass=sqlalchemy.pool.NullPool)
    with engine.begin() as connection:
        result = connection.exec_driver_sql(statement)
        return result.fetchall() if result.returns_rows else None


@pytest.fixture
def fresh_url(postgres_server):
    """An empty database made from the PostGIS template, dropped after the test."""
    name = postgres_server.create_database(f"harness_{os.getpid()}_{next(_names)}")
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


def test_a_fresh_database_has_postgis_through_sqlalchemy_and_psycopg(fresh_url):
    assert fresh_url.startswith("postgresql://postgres@127.0.0.1:")
    assert sqlalchemy_url(fresh_url).startswith("postgresql+psycopg://")
    (version,), = query(fresh_url, "SELECT postgis_full_version()")
    assert version.startswith('POSTGIS="3.')
    assert query(fresh_url, "SELECT ST_AsText(ST_SetSRID(ST_MakePoint(112.2, 32.1), 4326))") == [("POINT(112.2 32.1)",)]
    # Empty: nothing but PostGIS's own table.
    assert query(fresh_url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                 " AND table_type = 'BASE TABLE'") == [("spatial_ref_sys",)]


def test_two_test_databases_are_isolated(postgres_server):
    first, second = (postgres_server.url(postgres_server.create_database(f"isolated_{os.getpid()}_{n}"))
                     for n in (next(_names), next(_names)))
    try:
        query(first, "CREATE TABLE points (id text PRIMARY KEY, geom geometry(Point, 4326))")
        query(first, "INSERT INTO points VALUES ('a', ST_SetSRID(ST_MakePoint(112, 32), 4326))")
        assert query(first, "SELECT count(*) FROM points") == [(1,)]
        assert query(second, "SELECT to_regclass('public.points')") == [(None,)]
    finally:
        for url in (first, second):
            postgres_server.drop_database(url.rsplit("/", 1)[1])


def _listening(port: int, table: str) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets listening on `port`."""
    found = set()
    for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
        fields = line.split()
        address, hex_port = fields[1].split(":")
        if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
            found.add(address)
    return found


def test_the_server_runs_as_postgres_not_root_and_listens_on_loopback_only(postgres_server):
    pid = postgres_server.pid()
    assert pid is not None
    uid = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("Uid:"))
    expected = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    assert pwd.getpwuid(uid).pw_name == expected
    assert uid != 0
    url = postgres_server.url()
    assert query(url, "SHOW listen_addresses") == [("127.0.0.1",)]
    assert query(url, "SHOW unix_socket_directories") == [(str(postgres_server.directory),)]
    assert _listening(postgres_server.port, "tcp") == {"0100007F"}  # 127.0.0.1, nothing else
    assert _listening(postgres_server.port, "tcp6") == set()


def test_a_killed_test_run_leaves_no_server_and_a_crashed_server_is_restarted(tmp_path):
    directory = tmp_path / "pg"
    script = f"import time\nfrom tools import pgserver\nprint(pgserver.start({str(directory)!r}).port, flush=True)\n" \
             "time.sleep(300)"
    starter = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        port = int(starter.stdout.readline())
    finally:
        starter.kill()  # as a timeout or an out-of-memory kill would: no teardown, no atexit
        starter.wait()
    server = pgserver.Server(directory, port, pgserver._owner())
    deadline = time.monotonic() + 10
    while server.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not server.running(), "the server outlived the process that started it"

    server = pgserver.start(directory)  # the same folder again: no initdb, a new port
    try:
        os.kill(server.pid(), signal.SIGKILL)  # the server crashes, leaving its pid and socket lock files
        time.sleep(0.3)
        assert (server.data / "postmaster.pid").exists() and not server.running()
        server = pgserver.start(directory)
        assert server.sql("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'", database="xz_postgis") == "1"
    finally:
        server.stop()
    assert not server.running()


def test_a_port_in_use_is_refused_before_anything_is_created(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(RuntimeError, match=f"port {taken.getsockname()[1]} on 127.0.0.1 is in use"):
            pgserver.start(tmp_path / "pg", taken.getsockname()[1])
    assert not (tmp_path / "pg" / "data").exists()


def test_stop_never_signals_a_process_named_by_a_stale_pid_file(tmp_path):
    bystander = subprocess.Popen(["sleep", "60"])  # stands for a process that now has the crashed server's number
    try:
        server = pgserver.Server(tmp_path, 0, pgserver._owner())
        server.data.mkdir()
        (server.data / "postmaster.pid").write_text(f"{bystander.pid}\n{server.data}\n")
        assert not server.running()
        server.stop()
        assert bystander.poll() is None
        assert not (server.data / "postmaster.pid").exists()  # the stale lock is cleared instead
    finally:
        bystander.kill()
        bystander.wait()


def test_what_is_missing_is_said_in_words(monkeypatch, tmp_path):
    monkeypatch.setattr(pgserver, "BIN", tmp_path)
    assert "apt-get install postgresql-15" in pgserver.missing()
    monkeypatch.setattr(pgserver, "BIN", Path("/usr/lib/postgresql/15/bin"))
    monkeypatch.setattr(pgserver, "POSTGIS_CONTROL", tmp_path / "postgis.control")
    assert "apt-get install postgresql-15-postgis-3" in pgserver.missing()
    with pytest.raises(RuntimeError, match="postgresql-15-postgis-3"):
        pgserver.start(tmp_path / "pg")
