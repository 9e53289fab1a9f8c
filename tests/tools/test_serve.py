"""tools/serve.py without a browser: the nginx config it writes passes `nginx -t`, a missing nginx or a taken port
is said in Chinese, and a worker that dies is started again -- and nothing outlives the cluster."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tools import serve
from tools.pgserver import _alive  # running, not a zombie


@pytest.fixture
def nginx() -> str:
    found = serve.find_nginx()
    if found is None:
        if os.environ.get("CI"):  # under CI a missing nginx is a failure, never a silent skip
            pytest.fail("the launcher tests cannot run under CI: nginx is missing (apt-get install nginx-light)",
                        pytrace=False)
        pytest.skip("nginx is missing (apt-get install nginx-light)")
    return found


def test_the_config_passes_nginx_t_and_pins_by_cookie(nginx, tmp_path):
    upstreams = [serve.free_port(), serve.free_port()]
    text = serve.nginx_config(tmp_path, "127.0.0.1", serve.free_port(), upstreams)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "temp" / kind).mkdir(parents=True)
    (tmp_path / "nginx.conf").write_text(text)
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    assert "hash $xz_route consistent;" in text and "ip_hash" not in text
    assert all(f"server 127.0.0.1:{p} max_fails=0;" in text for p in upstreams)
    assert 'add_header Set-Cookie "xz_route=$xz_route; Path=/; HttpOnly; SameSite=Lax" always;' in text
    assert "proxy_set_header Host $http_host;" in text  # with the port: the sign-in route compares it with Origin
    assert "$upstream_addr" in text and "route=$xz_route" in text
    body_mb = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    assert serve.upload_mb() == 50 and body_mb >= 50  # .streamlit/config.toml's server.maxUploadSize
    paths = re.findall(r"\s(/[^\s;]+)[\s;]", text)  # pid, access log, temp folders: all in the run's folder
    assert len(paths) == 7 and all(path.startswith(str(tmp_path)) for path in paths)


def test_nginx_lets_through_what_the_workers_accept_when_the_environment_raises_the_cap(monkeypatch, tmp_path):
    """STREAMLIT_SERVER_MAX_UPLOAD_SIZE overrides config.toml for the workers (and the import page's limit follows
    it); nginx must not answer a file they would take with its own 413."""
    monkeypatch.delenv("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", raising=False)
    running = serve.prepare(2, env={"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "120"}, directory=tmp_path)
    assert serve.upload_mb(running.env) == 120 and serve.upload_mb() == 50
    text = serve.nginx_config(tmp_path, "127.0.0.1", running.port, running.upstreams, serve.upload_mb(running.env))
    assert "client_max_body_size 121m;" in text


def test_without_nginx_it_says_what_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without nginx, and no look in /usr/sbin either
    monkeypatch.setattr(serve, "SBIN", ())
    port = serve.free_port()
    assert serve.main(["--workers", "2", "--port", str(port)]) == 1
    error = capsys.readouterr().err
    assert "没有找到 nginx" in error and "apt-get install nginx-light" in error
    assert not (serve.REPO / "var" / "run" / f"serve-{port}").exists()  # nothing started, nothing written


@pytest.mark.parametrize("workers", ["abc", "0", "-1", "100000"])
def test_a_worker_count_that_cannot_be_meant_is_refused_in_chinese_before_anything_starts(workers, monkeypatch,
                                                                                             capsys):
    monkeypatch.setattr(serve, "prepare", lambda *a, **k: pytest.fail("nothing may start"))
    with pytest.raises(SystemExit) as stop:
        serve.main(["--workers", workers, "--port", str(serve.free_port())])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "--workers" in error and ("整数" in error or "至少为 1" in error or "最多为" in error)


def test_a_taken_port_is_said_in_chinese(nginx, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve.main(["--workers", "2", "--port", str(port)]) == 1
    assert f"端口 {port} 已被占用" in capsys.readouterr().err
    assert not (serve.REPO / "var" / "run" / f"serve-{port}").exists()


def test_a_dead_worker_is_restarted_and_nothing_outlives_the_cluster(nginx, tmp_path, capsys):
    app = tmp_path / "tiny.py"
    app.write_text("import streamlit as st\n\nst.write('hello')\n")
    with serve.cluster(1, app=app, directory=tmp_path / "run") as running:
        first = running.pids[0]
        nginx_pid = running.nginx.pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while running.pids[0] == first or not _healthy(running.url):
            assert time.monotonic() < deadline, "the worker was not restarted"
            time.sleep(0.3)
        pids = [nginx_pid, *running.pids]
    said = capsys.readouterr().out
    assert "工作进程 1" in said and "正在重启" in said
    time.sleep(0.5)
    assert [p for p in pids if _alive(p)] == []
    assert "GET /_stcore/health" in running.access_log.read_text()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _get(url: str, route: str) -> int:
    request = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": f"xz_route={route}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _last_upstream(access_log, route: str) -> str:
    time.sleep(0.2)  # nginx writes the line when the request ends
    lines = [line for line in access_log.read_text().splitlines() if f"route={route}" in line]
    return re.search(r"upstream=(\S+)", lines[-1]).group(1)


def test_a_browser_waits_for_its_own_worker_to_come_back_and_is_never_moved_to_another(nginx, tmp_path):
    """Moved to another worker, a browser's websocket would live there while its uploads and sign-in followed the
    cookie back to the restarted worker, which does not know its session (found by the attack review)."""
    app = tmp_path / "tiny.py"
    app.write_text("import streamlit as st\n\nst.write('hello')\n")
    route = "0123456789abcdef0123456789abcdef"
    with serve.cluster(2, app=app, directory=tmp_path / "run") as running:
        assert _get(running.url, route) == 200
        home = _last_upstream(running.access_log, route)
        index = running.upstreams.index(int(home.rsplit(":", 1)[1]))
        os.kill(running.pids[index], signal.SIGKILL)
        answers = []
        deadline = time.monotonic() + 60
        while not answers or answers[-1] != 200:
            assert time.monotonic() < deadline, "the worker did not come back"
            answers.append(_get(running.url, route))
            time.sleep(0.2)
        served_by = {m.group(1) for m in re.finditer(rf"upstream=(\S+) route={route}", running.access_log.read_text())
                     if m.group(1) != "-"}
    assert 502 in answers  # while it restarted, the other worker did not answer for it
    assert served_by == {home}
