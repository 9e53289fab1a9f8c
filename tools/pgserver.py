"""A throw-away PostgreSQL + PostGIS server on loopback, for the tests and for trying the PostGIS engine.

    .venv/bin/python -m tools.pgserver start var/pg [--port 5433]   # prints the URL to put in XZMAP_STORE
    .venv/bin/python -m tools.pgserver stop var/pg

It uses Debian's PostgreSQL 15 binaries (`make test` installs them, with PostGIS, when missing). PostgreSQL refuses
to run as root, so when run as root the cluster belongs to the `postgres` user; it listens on 127.0.0.1 only,
with its socket inside its own folder, trusts local connections (a test server, never a real one) and runs with
fsync off. A template database with PostGIS lets a test get a fresh database in a fraction of a second.
"""
from __future__ import annotations

import argparse
import os
import pwd
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
TEMPLATE = "xz_postgis"


def missing() -> str | None:
    """What is missing to run a server here, in words; None when nothing is."""
    if not (BIN / "initdb").exists():
        return f"PostgreSQL 15 is not installed ({BIN}/initdb): apt-get install postgresql-15"
    if not POSTGIS_CONTROL.exists():
        return f"PostGIS is not installed ({POSTGIS_CONTROL}): apt-get install postgresql-15-postgis-3"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@dataclass
class Server:
    directory: Path
    port: int
    owner: str | None  # the system user the server runs as (postgres when we are root)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = subprocess.run([str(BIN / "psql"), "-X", "-q", "-At", "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", statement],
                              check=False, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_database(self, name: str, template: str = TEMPLATE) -> str:
        """A new database (from the PostGIS template by default); returns its name."""
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                                     self.owner), check=False, capture_output=True, timeout=60)


def start(directory: Path | str, port: int | None = None) -> Server:
    """Start (creating if needed) the cluster in `directory`; a stale one from a crashed run is stopped first."""
    problem = missing()
    if problem:
        raise RuntimeError(problem)
    directory = Path(directory).resolve()
    owner = "postgres" if os.geteuid() == 0 else None
    server = Server(directory, port or free_port(), owner)
    directory.mkdir(parents=True, exist_ok=True)
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (directory, *directory.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        # Each folder on the way must let the owner through (a pytest tmp folder is 0700 and root's).
        for parent in directory.parents:
            if parent.stat().st_mode & 0o001 == 0 and parent != Path("/"):
                parent.chmod(parent.stat().st_mode | 0o001)
    server.stop()  # a server left running by a crashed run of the same folder
    if not (server.data / "PG_VERSION").exists():
        subprocess.run(_as_owner([str(BIN / "initdb"), "-D", str(server.data), "-A", "trust", "-U", "postgres",
                                  "--encoding=UTF8", "--locale=C.UTF-8"], owner),
                       check=True, capture_output=True, timeout=120)
    options = (f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run(_as_owner([str(BIN / "pg_ctl"), "-D", str(server.data), "-o", options, "-l",
                              str(directory / "server.log"), "-w", "-t", "60", "start"], owner),
                   check=True, capture_output=True, timeout=90)
    deadline = time.monotonic() + 30
    while True:
        try:
            if not server.sql(f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE}'"):
                server.sql(f'CREATE DATABASE "{TEMPLATE}"')
                server.sql("CREATE EXTENSION IF NOT EXISTS postgis", database=TEMPLATE)
            return server
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pgserver", description="A throw-away PostGIS server")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory", nargs="?", default="var/pg")
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--database", default="xiangzhou")
    args = parser.parse_args(argv)
    if args.action == "stop":
        Server(Path(args.directory).resolve(), args.port, "postgres" if os.geteuid() == 0 else None).stop()
        print(f"stopped the server in {args.directory}")
        return 0
    server = start(args.directory, args.port)
    if not server.sql(f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'"):
        server.create_database(args.database)
    print(f"PostGIS is running on 127.0.0.1:{server.port} (data in {args.directory}); try it with:")
    print(f"  XZMAP_STORE={server.url(args.database)} make run")
    print(f"stop it with: .venv/bin/python -m tools.pgserver stop {args.directory} --port {server.port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
