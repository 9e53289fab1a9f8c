"""Measure the server's memory while the 大屏 refreshes itself: does its resident set stay flat?

    .venv/bin/python tools/screen_memory.py [--refreshes 300] [--refresh 1] [--tour 1] [--edit-every 10]

Starts the dashboard on a fresh copy of the bundled store, opens /screen in headless Chromium (1920x1080) with a
short refresh interval, counts the screen's own refreshes (the footer's data-runs) and samples the server's VmRSS
from /proc/PID/status. Every --edit-every refreshes a point's status changes in the store, so refreshes really
re-read data and the map really receives new points; --tour 1 also moves the map on every refresh. The baseline is
taken after --warmup refreshes (imports, first caches); prints the samples and the growth from that baseline.
Exit code 1 if the growth is 10 % or more.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=300)
    parser.add_argument("--refresh", type=int, default=1, help="the screen's refresh interval, seconds")
    parser.add_argument("--tour", type=int, default=1, help="tour interval, seconds (0: tour off)")
    parser.add_argument("--edit-every", type=int, default=10, help="change a point every N refreshes (0: never)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--sample-every", type=int, default=25)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from loaders import config
    from loaders.store import Filter, GeoPackageStore, initialise

    work = Path(tempfile.mkdtemp(prefix="screen-memory-"))
    store_path = work / "xiangzhou.gpkg"
    initialise(store_path, config.geodata_dir())
    store = GeoPackageStore(store_path)
    issues = store.points(Filter(kinds=("issue",), statuses=("协商中",)))
    target = str(issues["id"].iloc[0])

    port = free_port()
    env = {**os.environ, "XZMAP_STORE": str(store_path), "PYTHONPATH": str(ROOT)}
    log = open(work / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        tour = f"&tour={args.tour}" if args.tour else "&tour=off"
        url = f"{base}/screen?refresh={args.refresh}{tour}"
        print(f"server pid {server.pid}, RSS at start {rss_kib(server.pid) / 1024:.1f} MiB; opening {url}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url
                       else route.abort())
            page.goto(url)
            page.wait_for_selector(".xz-footer", timeout=120_000)

            def runs() -> int:
                value = page.get_attribute(".xz-footer", "data-runs", timeout=30_000)
                return int(value or 0)

            started = time.monotonic()
            first = runs()
            last, baseline, samples, edits = first, None, [], 0
            deadline = started + (args.refreshes + args.warmup) * args.refresh * 3 + 120
            while True:
                page.wait_for_timeout(200)
                now_runs = runs() - first
                if now_runs == last - first:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"only {now_runs} refreshes")
                    continue
                last = now_runs + first
                if args.edit_every and now_runs % args.edit_every == 0:
                    record = store.point(target)
                    status = "跟踪督办" if record["status"] == "协商中" else "协商中"
                    store.update_point(target, {"status": status}, record["version"], "memory-test")
                    edits += 1
                if now_runs >= args.warmup and baseline is None:
                    baseline = rss_kib(server.pid)
                    samples.append((0, baseline))
                    print(f"baseline after {args.warmup} warm-up refreshes: {baseline / 1024:.1f} MiB")
                if baseline is not None:
                    counted = now_runs - args.warmup
                    if counted and counted % args.sample_every == 0 and samples[-1][0] != counted:
                        value = rss_kib(server.pid)
                        samples.append((counted, value))
                        print(f"  refresh {counted:4d}: {value / 1024:7.1f} MiB  ({(value / baseline - 1) * 100:+5.1f} %)",
                              flush=True)
                    if counted >= args.refreshes:
                        break
            browser.close()
        elapsed = time.monotonic() - started
        final = samples[-1][1]
        peak = max(v for _, v in samples)
        growth = (final / baseline - 1) * 100
        print(f"{args.refreshes} refreshes in {elapsed:.0f} s ({edits} store edits): "
              f"RSS {baseline / 1024:.1f} -> {final / 1024:.1f} MiB ({growth:+.1f} %), peak {peak / 1024:.1f} MiB "
              f"({(peak / baseline - 1) * 100:+.1f} %)")
        return 0 if growth < 10 else 1
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
