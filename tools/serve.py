"""Several dashboard servers on one machine behind nginx, in one command (issue 14: use every core).

    .venv/bin/python -m tools.serve --workers 2 [--host 127.0.0.1] [--port 8501]      # make run WORKERS=2

One Streamlit process uses about one core (a script run holds the GIL), so a machine with N cores serves more viewers
with N processes. Each worker is `python -m streamlit run dashboard/app.py` on a free loopback port with the same
environment (XZMAP_STORE …); nginx listens on HOST:PORT and spreads browsers over them. A browser must stay on one
worker -- its websocket, session state, uploads (PUT /_stcore/upload_file/…) and sign-in codes (/_xz/session) live in
that process's memory -- so the first answer pins it with a cookie, `xz_route`, whose value the upstream is hashed
on. Not ip_hash: every browser behind one office NAT (and every benchmark client on 127.0.0.1) would share a worker.

Everything of a run lives in one folder (var/run/serve-PORT/ from the command line): nginx.conf, nginx's pid, temp
folders and logs (error.log, and access.log with the upstream and route of each request), and worker-N.log. A worker
that dies is started again on its port; Ctrl-C or SIGTERM stops nginx and every worker (their whole process groups),
and so does the death of this process, even by SIGKILL (the kernel signals the children).

From Python (the tests, benchmarks/load.py): `with cluster(2, env={"XZMAP_STORE": path}) as c:` -- `c.url`, `c.pids`
(the workers'), `c.upstreams`, `c.access_log`; a thread restarts dead workers meanwhile. The children are tied to the
thread that starts them: call it from the main thread, or one that lives as long as the cluster.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboard" / "app.py"
SBIN = ("/usr/sbin", "/usr/local/sbin")  # where Debian puts nginx: not on a normal user's PATH
INSTALL = "apt-get install nginx-light"
START_SECONDS = 90  # a worker's first start imports GeoPandas and friends: slow on a busy machine


class ServeError(RuntimeError):
    """A problem to show to the person who ran the command, in Chinese."""


def find_nginx() -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    return shutil.which("nginx", path=path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    """Whether nginx could listen there (it binds with SO_REUSEADDR too)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def upload_mb(env: dict[str, str] | None = None) -> int:
    """Streamlit's hard cap on uploads as the workers see it: STREAMLIT_SERVER_MAX_UPLOAD_SIZE in their environment
    (Streamlit lets it override the file), else .streamlit/config.toml's server.maxUploadSize (200 is Streamlit's
    default)."""
    raw = (os.environ if env is None else env).get("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", "").strip()
    if raw.isdigit():
        return int(raw)
    config = REPO / ".streamlit" / "config.toml"
    settings = tomllib.loads(config.read_text(encoding="utf-8")) if config.exists() else {}
    return int(settings.get("server", {}).get("maxUploadSize", 200))


def nginx_config(directory: Path, host: str, port: int, upstreams: list[int], upload: int | None = None) -> str:
    """The whole nginx.conf of a run: every path inside `directory`, nginx in the foreground."""
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # max_fails=0: a worker is never taken out of the hash, so a browser is never moved to another worker that would
    # then hold its websocket while its uploads and sign-in follow the cookie back to the restarted one.
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in upstreams)
    temp = "\n".join(f"    {kind}_temp_path {directory}/temp/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""# Written by tools/serve.py for this run; changes are lost at the next start.
daemon off;
master_process on;
worker_processes 1;
pid {directory}/nginx.pid;
error_log stderr warn;  # tools/serve.py sends nginx's stderr to error.log

events {{ worker_connections 1024; }}  # a viewer's websocket takes two: ~500 viewers

http {{
{temp}
    # The route cookie a browser got at its first request, or a new random one (a value we did not make is replaced).
    map $cookie_xz_route $xz_route {{
        "~^[0-9a-f]{{32}}$" $cookie_xz_route;
        default $request_id;
    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
    log_format xz '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                  'upstream=$upstream_addr route=$xz_route time=$request_time';
    access_log {directory}/access.log xz;

    upstream xzmap {{
        hash $xz_route consistent;  # one browser, one worker -- by its cookie, not its address
{servers}
    }}

    server {{
        listen {listen};
        client_max_body_size {(upload or upload_mb()) + 1}m;  # Streamlit's server.maxUploadSize, plus the multipart envelope
        add_header Set-Cookie "xz_route=$xz_route; Path=/; HttpOnly; SameSite=Lax" always;
        location / {{
            proxy_pass http://xzmap;
            # While its worker restarts (a few seconds), a browser's requests fail and Streamlit's page shows that it
            # is reconnecting, rather than being answered by a worker that does not know its session.
            proxy_next_upstream off;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;  # Streamlit talks over a websocket
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;  # with the port: the sign-in route compares Origin with Host
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 86400;  # the 大屏 keeps its websocket open all day
            proxy_send_timeout 86400;
            # Stream both ways: no temp files (nginx's workers run as nobody when started by root, and may not be
            # able to enter a private run folder), and an upload reaches Streamlit as it arrives.
            proxy_buffering off;
            proxy_request_buffering off;
        }}
    }}
}}
"""


def _spawn(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    """Starts `command` in a process group of its own, output appended to `log`. util-linux's setpriv (Essential in
    Debian) makes the kernel send it SIGTERM if the thread that started it ends, however it ends: no orphans."""
    setpriv = shutil.which("setpriv")
    if setpriv:
        command = [setpriv, "--pdeathsig", "TERM", "--", *command]
    with open(log, "a", encoding="utf-8") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen | None) -> None:
    """Stops the process's whole group: TERM, then KILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _tail(path: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    return ""


def _wait_healthy(proc: subprocess.Popen, url: str, log: Path, what: str, seconds: float = START_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServeError(f"{what}启动失败（退出码 {proc.returncode}），日志 {log}：\n{_tail(log)}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.25)
    raise ServeError(f"{what}在 {seconds:.0f} 秒内没有就绪，日志 {log}：\n{_tail(log)}")


def say(message: str) -> None:
    print(time.strftime("%H:%M:%S ") + message, flush=True)


@dataclass
class Cluster:
    directory: Path
    host: str
    port: int
    upstreams: list[int]  # the workers' ports, in order
    env: dict[str, str]
    app: Path = APP
    workers: list[subprocess.Popen] = field(default_factory=list)
    started: list[float] = field(default_factory=list)  # when each worker was (re)started, time.monotonic()
    nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self.workers]

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    def _start_worker(self, index: int) -> subprocess.Popen:
        command = [sys.executable, "-m", "streamlit", "run", str(self.app), "--server.address", "127.0.0.1",
                   "--server.port", str(self.upstreams[index]), "--server.headless", "true"]
        self.started[index] = time.monotonic()
        return _spawn(command, self.directory / f"worker-{index + 1}.log", self.env)

    def start(self) -> None:
        nginx = find_nginx()
        if nginx is None:
            raise ServeError(f"没有找到 nginx：多进程运行需要它。请执行 {INSTALL}"
                             "（make run WORKERS=… 以 root 运行时会自动安装）")
        if not port_is_free(self.host, self.port):
            raise ServeError(f"端口 {self.port} 已被占用（{self.host}），可能已有看板在运行：请换一个端口，"
                             f"例如 make run WORKERS={len(self.upstreams)} PORT={self.port + 1}")
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):  # also makes the run folder
            (self.directory / "temp" / kind).mkdir(parents=True, exist_ok=True)
        config = self.directory / "nginx.conf"
        config.write_text(nginx_config(self.directory, self.host, self.port, self.upstreams,
                                       upload_mb(self.env)), encoding="utf-8")
        check = subprocess.run([nginx, "-t", "-q", "-p", str(self.directory), "-c", str(config)],
                               capture_output=True, text=True, check=False)
        if check.returncode:
            raise ServeError(f"nginx 配置有误（{config}）：\n{check.stderr.strip()}")
        self.started = [0.0] * len(self.upstreams)
        self.workers = [self._start_worker(i) for i in range(len(self.upstreams))]
        for i, worker in enumerate(self.workers):
            _wait_healthy(worker, f"http://127.0.0.1:{self.upstreams[i]}", self.directory / f"worker-{i + 1}.log",
                          f"工作进程 {i + 1}")
        self.nginx = _spawn([nginx, "-p", str(self.directory), "-c", str(config)], self.directory / "error.log",
                            self.env)
        _wait_healthy(self.nginx, self.url, self.directory / "error.log", "nginx", seconds=20)

    def restart_dead(self) -> None:
        """Starts again, on its port, each worker that has exited (at most once every 5 s each: a worker that
        cannot start must not spin)."""
        for i, worker in enumerate(self.workers):
            if worker.poll() is not None and time.monotonic() - self.started[i] > 5:
                say(f"工作进程 {i + 1}（端口 {self.upstreams[i]}）已退出（退出码 {worker.returncode}），正在重启；"
                    f"日志 {self.directory / f'worker-{i + 1}.log'}")
                self.workers[i] = self._start_worker(i)

    def stop(self) -> None:
        _stop(self.nginx)
        for worker in self.workers:
            _stop(worker)


def prepare(workers: int, host: str = "127.0.0.1", port: int | None = None, env: dict[str, str] | None = None,
            directory: Path | None = None, app: Path = APP) -> Cluster:
    """A cluster ready to start: the environment is ours plus `env`, with the repository on PYTHONPATH."""
    port = port or free_port()
    directory = Path(directory or REPO / "var" / "run" / f"serve-{port}").resolve()
    full = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full.get("PYTHONPATH")]))
    return Cluster(directory, host, port, [free_port() for _ in range(workers)], full, Path(app))


@contextmanager
def cluster(workers: int, port: int | None = None, env: dict[str, str] | None = None, *, host: str = "127.0.0.1",
            directory: Path | None = None, app: Path = APP):
    """Starts `workers` workers behind nginx (on a free port unless told); yields the Cluster, stops it all at exit."""
    running = prepare(workers, host, port, env, directory, app)
    done = threading.Event()

    def supervise() -> None:
        while not done.wait(0.5):
            running.restart_dead()

    watcher = threading.Thread(target=supervise, name="xz-serve-supervisor", daemon=True)
    try:
        running.start()
        watcher.start()
        yield running
    finally:
        done.set()
        if watcher.is_alive():
            watcher.join()
        running.stop()


WORKERS_PER_CORE = 4  # more workers than cores serve no faster; this many is surely a typo (WORKERS=200)


def max_workers() -> int:
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"工作进程数应为整数，而不是 {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.serve", description="多个看板进程，前面一个 nginx")
    parser.add_argument("--workers", type=_count, default=os.cpu_count() or 1, help="工作进程数（默认：CPU 核数）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers 至少为 1")
    if args.workers > max_workers():
        parser.error(f"--workers 最多为 {max_workers()}（CPU 核数的 {WORKERS_PER_CORE} 倍）：每个工作进程占用约 150 MB "
                     "以上内存、启动时占满一个核，多于核数并不更快")

    def stop_on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)
    running = prepare(args.workers, args.host, args.port)
    try:
        running.start()
        say(f"看板已启动（{args.workers} 个工作进程，nginx 负载均衡），请打开 {running.url} ；"
            f"日志在 {running.directory}/ ；按 Ctrl-C 停止")
        while running.nginx.poll() is None:
            running.restart_dead()
            time.sleep(0.5)
        say(f"nginx 已退出（退出码 {running.nginx.returncode}），日志 {running.directory / 'error.log'}：\n"
            + _tail(running.directory / "error.log"))
        return 1
    except ServeError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        say("正在停止 nginx 和全部工作进程……")
        return 0
    finally:
        running.stop()


if __name__ == "__main__":
    sys.exit(main())
