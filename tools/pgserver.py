"""A throw-away PostgreSQL + PostGIS server on loopback, for the tests and for trying the PostGIS engine.

    .venv/bin/python -m tools.pgserver start var/pg [--port 5433]   # prints the URL to put in XZMAP_STORE
    .venv/bin/python -m tools.pgserver stop var/pg                  # (`make pg`, `make pg-stop`)

It uses Debian's PostgreSQL 15 binaries (`make test` and `make pg` install them, with PostGIS, when missing).
PostgreSQL refuses to run as root, so when run as root the cluster belongs to the `postgres` user; it listens on
127.0.0.1 only, with its socket inside its own folder, trusts local connections (a test server, never a real one) and
runs with fsync off. A template database with PostGIS (`xz_postgis`) lets a test get a fresh database in a few tens of
milliseconds. Only the server of the given folder is ever stopped: its process is recognised by its working directory,
so another PostgreSQL on the machine (or a stale pid file whose number now belongs to someone else) is never signalled.

`start()` from a test run (the default) also stops the server when the calling process ends, however it ends: a
small watcher process waits for it, so a killed or timed-out test run leaves no server behind. The command line
(`start`) keeps the server running until `stop`.

URLs: `Server.url()` gives `postgresql://postgres@127.0.0.1:PORT/DB`, the form people write and the engine accepts;
SQLAlchemy needs `postgresql+psycopg://` to pick psycopg 3 (`loaders.store.postgis.sqlalchemy_url` converts).
"""
from __future__ import annotations

import argparse
import atexit
import os
import pwd
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
TEMPLATE = "xz_postgis"
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with the final NUL


def missing() -> str | None:
    """What is missing to run a server here, in words; None when nothing is."""
    if not (BIN / "initdb").exists():
        return f"PostgreSQL 15 is not installed ({BIN}/initdb): apt-get install postgresql-15"
    if not POSTGIS_CONTROL.exists():
        return f"PostGIS is not installed ({POSTGIS_CONTROL}): apt-get install postgresql-15-postgis-3"
    return None


def available() -> bool:
    return missing() is None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port (with SO_REUSEADDR, as PostgreSQL binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _owner() -> str | None:
    """The system user the server runs as: postgres when we are root (PostgreSQL refuses root), else ourselves."""
    return "postgres" if os.geteuid() == 0 else None


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


def _run(command: list[str], owner: str | None, what: str, log: Path | None = None, timeout: int = 120) -> None:
    done = subprocess.run(_as_owner(command, owner), check=False, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        detail = (done.stderr or done.stdout).strip()
        if log and log.exists():
            detail += "\n--- " + str(log) + " (last lines) ---\n" + "\n".join(log.read_text(errors="replace")
                                                                               .splitlines()[-15:])
        raise RuntimeError(f"{what} failed: {detail}")


@dataclass
class Server:
    directory: Path
    port: int
    owner: str | None  # the system user the server runs as (postgres when we are root)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def url(self, database: str = "postgres") -> str:
        """`postgresql://postgres@127.0.0.1:PORT/DATABASE` (no password: the server trusts loopback)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = subprocess.run([str(BIN / "psql"), "-X", "-q", "-At", "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", statement],
                              check=False, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_database(self, name: str, template: str | None = TEMPLATE) -> str:
        """A new database, a copy of `template` (the empty PostGIS one by default; None: a plain database without
        PostGIS); returns its name."""
        self.sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def pid(self) -> int | None:
        """The process id of this folder's running server; None when it is not running (a pid file left by a crash,
        whose number may since have been reused by another process, is not a running server)."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            # The postmaster works in its data directory: that tells our server from any other process.
            if Path(os.readlink(f"/proc/{pid}/cwd")) == self.data.resolve():
                return pid
        except (OSError, ValueError, IndexError):
            pass
        return None

    def listening_port(self) -> int | None:
        """The port this folder's running server listens on (from its pid file); None when it is not running."""
        if self.pid() is None:
            return None
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        return self.pid() is not None

    def stop(self) -> None:
        """Stops this folder's server if it runs (immediately: the data is throw-away) and clears the lock files a
        crashed one left behind. Never signals any other process."""
        if self.pid() is not None:
            subprocess.run(_as_owner([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                                     self.owner), check=False, capture_output=True, timeout=60)
        if self.pid() is None:
            for lock in (self.data / "postmaster.pid", *self.directory.glob(".s.PGSQL.*.lock")):
                lock.unlink(missing_ok=True)


def _prepare(directory: Path, owner: str | None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (directory, *directory.rglob("*")):
            if path.stat().st_uid != entry.pw_uid:
                os.chown(path, entry.pw_uid, entry.pw_gid)
        # Each folder on the way must let the owner through (a pytest tmp folder is 0700 and root's).
        for parent in directory.parents:
            if parent.stat().st_mode & 0o001 == 0 and parent != Path("/"):
                parent.chmod(parent.stat().st_mode | 0o001)


def _initdb_and_start(server: Server, retry_ports: bool) -> None:
    if not (server.data / "PG_VERSION").exists():
        _run([str(BIN / "initdb"), "-D", str(server.data), "-A", "trust", "-U", "postgres", "--encoding=UTF8",
              "--locale=C.UTF-8"], server.owner, "initdb")
    for attempt in range(3):
        options = (f"-p {server.port} -k {server.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        try:
            _run([str(BIN / "pg_ctl"), "-D", str(server.data), "-o", options, "-l", str(server.log), "-w", "-t", "60",
                  "start"], server.owner, f"starting PostgreSQL on 127.0.0.1:{server.port}", log=server.log,
                 timeout=90)
            return
        except RuntimeError:
            server.stop()
            if not retry_ports or attempt == 2:
                raise
            server.port = free_port()  # the free port we picked was taken meanwhile


def start(directory: Path | str, port: int | None = None, *, keep: bool = False) -> Server:
    """Start (creating if needed) the cluster in `directory` on 127.0.0.1:`port` (a free one by default), with the
    PostGIS template database. A server of the same folder already running on that port is kept, one on another
    port restarted; one that crashed leaves nothing in the way. Unless `keep`, the server is stopped when the calling
    process ends, even when it is killed."""
    problem = missing()
    if problem:
        raise RuntimeError(problem)
    directory = Path(directory).resolve()
    owner = _owner()
    if len(str(directory / ".s.PGSQL.65535")) > SOCKET_PATH_MAX:
        raise RuntimeError(f"the folder path is too long for PostgreSQL's socket: {directory}")
    _prepare(directory, owner)
    earlier = Server(directory, 0, owner)  # a server left running (or crashed) by an earlier run of the same folder
    running_on = earlier.listening_port()
    if running_on is not None and port in (None, running_on):
        server = Server(directory, running_on, owner)  # already running as asked: keep it (and its connections)
    else:
        if port is not None and not port_is_free(port):
            raise RuntimeError(f"port {port} on 127.0.0.1 is in use by another program (another PostgreSQL?); "
                               "choose another one (make pg PGPORT=…, or --port)")
        earlier.stop()
        server = Server(directory, port or free_port(), owner)
        _initdb_and_start(server, retry_ports=port is None)
    if not keep:
        _stop_when_gone(server, os.getpid())
    deadline = time.monotonic() + 30
    while True:  # pg_ctl -w has waited for the server to accept connections; this is a safety net
        try:
            server.sql("SELECT 1")
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    if not server.sql(f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE}'"):
        server.sql(f'CREATE DATABASE "{TEMPLATE}"')
    server.sql("CREATE EXTENSION IF NOT EXISTS postgis", database=TEMPLATE)
    return server


# Stopping the server with the process that started it ---------------------------------------------------------------
_watchers: list[subprocess.Popen] = []  # kept, so that Python does not warn about them while they wait


def _stop_when_gone(server: Server, pid: int) -> None:
    """At the exit of this process (atexit), and, should it be killed, from a detached watcher process."""
    atexit.register(server.stop)
    command = [sys.executable, str(Path(__file__).resolve()), "_watch", str(pid), str(server.directory)]
    _watchers.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))


def _wait_for_exit(pids: list[int]) -> None:
    """Returns when any of `pids` has ended."""
    try:
        fds = [os.pidfd_open(p) for p in pids]
    except (AttributeError, OSError):  # no pidfd (old kernel), or one has already gone
        while all(_alive(p) for p in pids):
            time.sleep(0.5)
        return
    poll = select.poll()
    for fd in fds:
        poll.register(fd, select.POLLIN)
    poll.poll()


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for its parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _watch(pid: int, directory: Path) -> None:
    """The watcher: once `pid` (the test run) has ended, stop the server of `directory`; it also ends when the
    server stops first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the terminal of the test run is not for us
    server = Server(directory, 0, _owner())
    postmaster = server.pid()
    if postmaster is None:
        return
    _wait_for_exit([pid, postmaster])
    # Woken by one of the two ending. A server still running means it was the test run -- which may not be reaped
    # yet (a zombie still answers kill(pid, 0), so asking whether it is alive would race its parent's wait()).
    if server.running():
        server.stop()


# Command line -------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_watch"]:
        _watch(int(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m tools.pgserver", description="A throw-away PostGIS server")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("directory", nargs="?", default="var/pg")
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--database", default="xiangzhou")
    args = parser.parse_args(argv)
    server = Server(Path(args.directory).resolve(), args.port, _owner())
    if args.action == "stop":
        message = "stopped the server" if server.running() else "no server was running"
        server.stop()  # also clears the lock files of a crashed one
        print(f"{message} in {args.directory}")
        return 0
    if args.action == "status":
        print(f"a server is running in {args.directory} (pid {server.pid()})" if server.running()
              else f"no server is running in {args.directory}")
        return 0
    try:
        server = start(args.directory, args.port, keep=True)
        if not server.sql(f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'"):
            server.create_database(args.database)
    except RuntimeError as error:
        print(f"could not start PostGIS: {error}", file=sys.stderr)
        return 1
    print(f"PostGIS is running on 127.0.0.1:{server.port} (data in {args.directory}, log in {server.log}).")
    print(f"Try the dashboard on it (the first run fills the database '{args.database}' with the bundled data):")
    print(f"  XZMAP_STORE={server.url(args.database)} make run")
    print("Stop it with: make pg-stop   (the data stays in the folder; delete it for a fresh start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
