"""Many viewers: `python -m benchmarks.load [--workers 2] [--sessions 5,20,50] [--seconds 60] [--points 10000]
[--baseline REV] [--engine gpkg|postgis] [--out PATH] [--short]`.

One run, side by side, on one synthetic store (a GeoPackage file, or a PostGIS database on a throw-away server):

* **today** -- the dashboard as it was before issue 14 (`--baseline`, a git revision, unpacked with `git archive`), one
  Streamlit process;
* **ours** -- this tree, one Streamlit process (what `make run` starts);
* **ours × N** -- this tree, N Streamlit processes behind nginx with sticky sessions (`make run WORKERS=N`,
  `tools/serve.py`).

For each, after an unmeasured warm-up, `--sessions` clients (5 / 20 / 50) each change the 乡镇 filter in their URL
every 2–5 s while a 大屏 refreshes every 5 s beside them (its fragment reruns, timed too), and then a saturation pass (`--saturation-sessions` clients that never pause) gives the most reruns per
second the setup can serve. Clients speak Streamlit's own websocket protocol (what the browser sends: a BackMsg
`rerun_script` with the page's query string; what it receives: ForwardMsg deltas until `script_finished`) and time each
rerun to its `script_finished`. Viewers arrive spread over the first interval; each one's first run (opening the page)
is timed apart ("open p95") from the filter changes that follow (the rerun percentiles). Reported per cell: page runs
per second (opening ones included), rerun p50/p95/max, errors (exceptions on the page, failed or unanswered runs),
whether every session was answered, the servers' CPU per run and cores used (from /proc, nginx included), each core's
busy share (/proc/stat), the clients' own CPU, and the servers' memory (RSS summed).
Loopback only. `--short` is the quick version `make bench` runs.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from . import browser, synthetic

ANSWER_TIMEOUT_S = 60


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB, from /proc (no extra dependency)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 4)


def rerun_message(query: dict[str, str], page: str = "", fragment: str = "") -> bytes:
    message = BackMsg()
    state = message.rerun_script
    state.query_string = urlencode(query)
    state.page_script_hash = ""
    state.page_name = page
    if fragment:  # what the browser sends when a fragment's run_every timer fires
        state.fragment_id = fragment
        state.is_auto_rerun = True
    return message.SerializeToString()


async def one_rerun(ws, query: dict[str, str], page: str = "", fragment: str = "",
                    timers: dict | None = None) -> tuple[float, list[str], bool]:
    """Send a rerun and read until its script_finished. Returns (seconds, errors, saw the map component).
    `timers` collects the fragments the page asks to rerun by themselves (fragment id -> seconds)."""
    start = time.perf_counter()
    await ws.send(rerun_message(query, page, fragment))
    errors: list[str] = []
    saw_map = False
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=ANSWER_TIMEOUT_S)
        if isinstance(raw, str):
            continue
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "auto_rerun" and timers is not None:
            timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                errors.append(f"{element.exception.type}: {element.exception.message}")
            elif which == "component_instance":
                saw_map = True
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                errors.append("script compile error")
            if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
                          ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                return time.perf_counter() - start, errors, saw_map


async def session(index: int, url: str, units: list[str], deadline: float, interval: tuple[float, float],
                  stats: dict) -> None:
    import websockets

    rng = random.Random(index)
    mine = stats["sessions"][index] = {"reruns": 0, "answered": 0, "errors": [], "url": url}
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    await asyncio.sleep(rng.uniform(0, interval[1]))  # viewers arrive over the first interval, not in one instant
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
            query = {}
            while True:
                mine["reruns"] += 1
                try:
                    seconds, errors, saw_map = await one_rerun(ws, query)
                except TimeoutError:
                    mine["errors"].append(f"no answer within {ANSWER_TIMEOUT_S} s")
                    break
                mine["answered"] += 1
                mine["errors"].extend(errors)
                if not saw_map:
                    mine["errors"].append("a rerun finished without the map component")
                # The page's first run (opening it) is counted apart from the filter changes that follow.
                stats["opens" if not query else "reruns"].append(seconds)
                stats["by_url"].setdefault(url, []).append(seconds)
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(rng.uniform(*interval))
                if time.monotonic() >= deadline:
                    break
                query = {"unit": rng.choice(units)}
    except Exception as error:  # noqa: BLE001 -- every failure is reported, none stops the other sessions
        mine["errors"].append(f"{type(error).__name__}: {error}")


SCREEN_QUERY = {"refresh": "5", "tour": "10"}  # six times as often as the default refresh: a busy meeting screen


async def screen(url: str, deadline: float, stats: dict) -> None:
    """The 大屏 on its own websocket: one page run, then its fragment's refreshes as the browser's timer sends them;
    each refresh is timed like a viewer's rerun (into stats["screen"])."""
    import websockets

    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
            timers: dict = {}
            _, errors, _ = await one_rerun(ws, SCREEN_QUERY, "screen", timers=timers)
            stats["screen_errors"].extend(errors)
            if not timers:
                stats["screen_errors"].append("the 大屏 asked for no refresh")
                return
            fragment, interval = next(iter(timers.items()))
            while time.monotonic() + interval < deadline:
                await asyncio.sleep(interval)
                seconds, errors, _ = await one_rerun(ws, SCREEN_QUERY, "screen", fragment)
                stats["screen"].append(seconds)
                stats["screen_errors"].extend(errors)
    except Exception as error:  # noqa: BLE001 -- reported with the run
        stats["screen_errors"].append(f"{type(error).__name__}: {error}")


def family(pid: int) -> list[int]:
    """A process and its descendants (nginx's workers under its master), from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def server_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their descendants so far."""
    total = 0
    for pid in {p for root in pids for p in family(root)}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def core_ticks() -> list[tuple[int, int]]:
    """(busy, total) jiffies of each core, from /proc/stat."""
    ticks = []
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            numbers = [int(v) for v in values]
            idle = numbers[3] + numbers[4]  # idle + iowait
            ticks.append((sum(numbers) - idle, sum(numbers)))
    return ticks


def core_busy(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[float]:
    """Each core's busy share between two `core_ticks()` readings (every process on the machine)."""
    return [round((b1 - b0) / max(1, t1 - t0), 2) for (b0, t0), (b1, t1) in zip(before, after)]


def client_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_sum(pids: list[int]) -> float | None:
    values = [rss_mb(pid) for pid in pids]
    return None if any(v is None for v in values) else round(sum(values), 1)


async def sample_memory(pids: list[int], deadline: float, every: float, series: list) -> None:
    """[seconds, RSS of all servers summed, RSS of each server] every `every` seconds until past the deadline."""
    start = time.monotonic()
    while time.monotonic() < deadline + every:
        series.append([round(time.monotonic() - start, 1), _rss_sum(pids), [rss_mb(p) for p in pids]])
        await asyncio.sleep(every)


async def drive(urls: list[str] | str, pids: list[int] | int, units: list[str], sessions: int, seconds: float,
                interval: tuple[float, float], with_screen: bool = False) -> dict:
    """Run the sessions, session i on server i mod len(urls), until `seconds` have passed; `with_screen`: and a
    大屏 refreshing every 5 s beside them."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    pids = [pids] if isinstance(pids, int) else list(pids)
    stats: dict = {"sessions": {}, "reruns": [], "opens": [], "by_url": {}, "screen": [], "screen_errors": []}
    memory: list = []
    started, deadline = time.monotonic(), time.monotonic() + seconds
    cpu_before, cores_before, client_before = server_cpu_s(pids), core_ticks(), client_cpu_s()
    sampler = asyncio.create_task(sample_memory(pids, deadline, max(1.0, min(10.0, seconds / 30)), memory))
    screens = [screen(urls[0], deadline, stats)] if with_screen else []
    await asyncio.gather(*(session(i, urls[i % len(urls)], units, deadline, interval, stats)
                           for i in range(sessions)), *screens)
    sampler.cancel()
    wall = time.monotonic() - started
    server_cpu = server_cpu_s(pids) - cpu_before
    runs = len(stats["reruns"]) + len(stats["opens"])
    memory.append([memory[-1][0] if memory else 0, _rss_sum(pids), [rss_mb(p) for p in pids]])
    per = stats["sessions"].values()
    errors = [e for s in per for e in s["errors"]] + stats["screen_errors"]
    return {
        "sessions": sessions,
        "servers": len(urls),
        "seconds": seconds,
        "reruns": len(stats["reruns"]),
        "opens": len(stats["opens"]),
        "errors": len(errors),
        "error_samples": errors[:10],
        "every_session_answered": all(s["answered"] > 0 and s["answered"] == s["reruns"] for s in per),
        "reruns_per_s": round(runs / wall, 2),  # every page run the servers answered, opening ones included
        "screen_refreshes": len(stats["screen"]) if with_screen else None,
        "screen_refresh_p95_s": percentile(stats["screen"], 0.95),
        "screen_errors": stats["screen_errors"][:5],
        "server_cpu_ms_per_rerun": round(1000 * server_cpu / runs) if runs else None,
        "server_cores_used": round(server_cpu / wall, 2),
        "core_busy": core_busy(cores_before, core_ticks()),
        "client_cores_used": round((client_cpu_s() - client_before) / wall, 2),
        "rerun_p50_s": percentile(stats["reruns"], 0.50),
        "rerun_p95_s": percentile(stats["reruns"], 0.95),
        "rerun_max_s": percentile(stats["reruns"], 1.0),
        "open_p50_s": percentile(stats["opens"], 0.50),
        "open_p95_s": percentile(stats["opens"], 0.95),
        "per_server": [{"sessions": sum(1 for s in per if s["url"] == url),
                        "reruns": len(stats["by_url"].get(url, [])),
                        "rerun_p50_s": percentile(stats["by_url"].get(url, []), 0.50),
                        "rerun_p95_s": percentile(stats["by_url"].get(url, []), 0.95),
                        "rss_mb_max": max((m[2][i] for m in memory if m[2][i] is not None), default=None)}
                       for i, url in enumerate(urls)],
        "rss_mb_start": memory[0][1] if memory else None,
        "rss_mb_max": max((m[1] for m in memory if m[1] is not None), default=None),
        "rss_mb_end": memory[-1][1] if memory else None,
        "rss_mb_series": [m[:2] for m in memory],
    }


# The dashboard as it was when issue 14 was opened: "today" in the side-by-side run.
BASELINE = "7d81cfe4d8df1b1b0bdd0559589162b65e0208d0"
ROOT = Path(__file__).resolve().parent.parent
APP = Path("dashboard") / "app.py"
WARM_UP_S = 15


@dataclass(frozen=True)
class Setup:
    """One way of serving the dashboard: `serve(store)` yields (url, server pids)."""

    label: str
    serve: object


def _one_process(root: Path):
    @contextmanager
    def serve(location: str):
        with browser.serve(root / APP, env={"XZMAP_STORE": location}, root=root) as (url, pid):
            yield url, [pid]
    return serve


def _workers(count: int):
    @contextmanager
    def serve(location: str):
        from tools.serve import cluster

        # In a temporary folder: a run folder per cell under var/run/ (serve-<random port>) would pile up with every
        # `make test` and `make bench`.
        with tempfile.TemporaryDirectory(prefix="xz-load-serve-") as folder, \
                cluster(count, env={"XZMAP_STORE": location}, directory=Path(folder) / "run") as running:
            yield running.url, running.pids
    return serve


def baseline_tree(revision: str, folder: Path) -> Path | None:
    """The dashboard at `revision`, unpacked from git into `folder` (its front-end files are this tree's)."""
    tree = folder / f"baseline-{revision[:12]}"
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=False,
                             capture_output=True)
    if archive.returncode != 0:
        return None
    tree.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    vendor = tree / "dashboard" / "static" / "vendor"
    if not vendor.exists():
        vendor.symlink_to(ROOT / "dashboard" / "static" / "vendor", target_is_directory=True)
    return tree


def setups(workers: int, baseline: str | None, folder: Path) -> list[Setup]:
    chosen = []
    tree = baseline_tree(baseline, folder) if baseline else None
    if tree:
        chosen.append(Setup(f"today ({baseline[:7]}), 1 process", _one_process(tree)))
    elif baseline:
        print(f"load: revision {baseline} is not in this clone's history; the 'today' rows are left out")
    chosen.append(Setup("ours, 1 process", _one_process(ROOT)))
    if workers > 1:
        chosen.append(Setup(f"ours, {workers} processes + nginx", _workers(workers)))
    return chosen


@contextmanager
def synthetic_store(engine: str, points: int, folder: Path):
    """A synthetic store of `points` points; yields (location, the 乡镇 names a session picks from)."""
    with ExitStack() as stack:
        if engine == "postgis":
            from .engines import postgis_server

            pg = stack.enter_context(postgis_server(folder / "pg"))
            location = pg.url(pg.create_database("load"))
            opened, _ = synthetic.build_postgis(location, points)
        else:
            opened, _ = synthetic.build_store(folder / "load.gpkg", points)
            location = str(opened.path)
        yield location, [u.name for u in opened.units().network] + ["全部"]


def matrix(sessions: list[int], seconds: float, *, workers: int = 2, points: int = 10_000, engine: str = "gpkg",
           baseline: str | None = BASELINE, saturation_sessions: int = 20, saturation_seconds: float | None = None,
           interval=(2.0, 5.0), warm_up: float = WARM_UP_S, log=print) -> dict:
    """Every setup × every session count, plus a saturation pass per setup; one store for all."""
    folder = Path(tempfile.mkdtemp(prefix="xz-bench-load-"))
    rows = []
    try:
        with synthetic_store(engine, points, folder) as (location, units):
            for setup in setups(workers, baseline, folder):
                with setup.serve(location) as (url, pids):
                    asyncio.run(drive([url], pids, units, 20, warm_up, (0.5, 1.5)))  # every town's caches
                    for count in sessions:
                        rows.append({"setup": setup.label, **asyncio.run(drive([url], pids, units, count, seconds,
                                                                               interval, with_screen=True))})
                        log(line(rows[-1]))
                    rows.append({"setup": setup.label, "saturation": True, **asyncio.run(
                        drive([url], pids, units, saturation_sessions, saturation_seconds or seconds, (0.0, 0.0)))})
                    log(line(rows[-1]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"points": points, "engine": engine, "workers": workers, "baseline": baseline, "seconds": seconds,
            "change_interval_s": list(interval), "warm_up_s": warm_up, "cores": os.cpu_count(),
            "transport": "Streamlit websocket protocol (BackMsg rerun_script with ?unit=…, timed to script_finished)",
            "rows": [{k: v for k, v in row.items() if k not in ("rss_mb_series", "per_server")} for row in rows],
            "summary": summary(rows)}


def summary(rows: list[dict]) -> dict:
    """The issue's goals, read off the rows: 20 sessions' p50/p95 for each setup, throughput ratios at saturation."""
    out: dict = {}
    saturated = {r["setup"]: r["reruns_per_s"] for r in rows if r.get("saturation")}
    today = next((v for k, v in saturated.items() if k.startswith("today")), None)
    for label, rate in saturated.items():
        twenty = next((r for r in rows if r["setup"] == label and r["sessions"] == 20 and not r.get("saturation")),
                      None)
        out[label] = {"saturation_reruns_per_s": rate,
                      "throughput_vs_today": round(rate / today, 2) if today else None,
                      "p50_at_20_s": twenty and twenty["rerun_p50_s"], "p95_at_20_s": twenty and twenty["rerun_p95_s"]}
    return out


def line(row: dict) -> str:
    sessions = f"{row['sessions']} no pause" if row.get("saturation") else str(row["sessions"])
    return (f"{row['setup']:<34} {sessions:>12} {row['reruns_per_s']:>9} {row['rerun_p50_s']:>7} "
            f"{row['rerun_p95_s']:>7} {row['rerun_max_s']:>7} {row['errors']:>6} "
            f"{'yes' if row['every_session_answered'] else 'NO':>8} {row['server_cpu_ms_per_rerun']:>9} "
            f"{row['server_cores_used']:>6} {'/'.join(f'{b:.2f}' for b in row['core_busy']):>10} "
            f"{row['client_cores_used']:>7} {row['rss_mb_max']:>8} {row['open_p95_s']:>8} "
            f"{row['screen_refresh_p95_s'] or '':>9}")


HEADER = (f"{'setup':<34} {'sessions':>12} {'reruns/s':>9} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'errors':>6} "
          f"{'answered':>8} {'CPU ms/r':>9} {'cores':>6} {'core busy':>10} {'client':>7} {'RSS MB':>8} {'open p95':>8} "
          f"{'大屏 p95':>9}")


def table(result: dict) -> str:
    title = (f"many viewers: {result['points']} points on {result['engine']}, {result['cores']} cores, each cell "
             f"{result['seconds']:g} s after a {result['warm_up_s']} s warm-up; sessions change town every "
             f"{result['change_interval_s'][0]:g}–{result['change_interval_s'][1]:g} s")
    lines = [title, HEADER]
    lines += [line(row) for row in result["rows"]]
    for label, goal in result["summary"].items():
        lines.append(f"  {label}: saturation {goal['saturation_reruns_per_s']} reruns/s"
                     + (f" ({goal['throughput_vs_today']}× today)" if goal["throughput_vs_today"] else "")
                     + f"; 20 sessions p50 {goal['p50_at_20_s']} s, p95 {goal['p95_at_20_s']} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="processes behind nginx in the third setup")
    parser.add_argument("--sessions", default="5,20,50", help="session counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=60, help="length of each cell")
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--engine", choices=("gpkg", "postgis"), default="gpkg",
                        help="engine of the synthetic store (postgis: a throw-away server is started)")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of 'today' (empty: leave it out)")
    parser.add_argument("--saturation-sessions", type=int, default=20)
    parser.add_argument("--short", action="store_true", help="10 s cells, for make bench")
    parser.add_argument("--out", type=Path, help="write the result as JSON here (default: the 'load' part of "
                                                 "benchmarks/results.json)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    sessions = [int(n) for n in args.sessions.split(",") if n.strip()]
    seconds = 10 if args.short else args.seconds
    print(HEADER)
    result = matrix(sessions, seconds, workers=args.workers, points=args.points, engine=args.engine,
                    baseline=args.baseline or None, saturation_sessions=args.saturation_sessions)
    print(table(result))
    write(result, args.out)
    failed = [r for r in result["rows"] if r["errors"] or not r["every_session_answered"]]
    return 1 if failed else 0


def write(result: dict, out: Path | None) -> None:
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return
    results = ROOT / "benchmarks" / "results.json"
    earlier = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    earlier["load"] = result
    results.write_text(json.dumps(earlier, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
