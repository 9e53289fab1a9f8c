"""Many viewers: `python -m benchmarks.load [--sessions 20] [--minutes 5] [--points 10000] [--servers 1]
[--engine gpkg|postgis | --store PATH-OR-URL]`.

Starts the page (dashboard/app.py when it exists, else benchmarks/apps/points_page.py) on 127.0.0.1 over a
synthetic store -- a GeoPackage file (`--engine gpkg`, the default) or a PostGIS database on a throw-away server
started for the run (`--engine postgis`) -- or over an existing store (`--store`), as `--servers` Streamlit servers
sharing that store, then runs `--sessions` clients spread over the servers round-robin (as sticky sessions behind a
proxy would be). Clients speak Streamlit's own websocket protocol (what the browser sends: a BackMsg `rerun_script`
with the page's query string; what it receives: ForwardMsg deltas until `script_finished`). Each session changes the
乡镇 filter in its URL every few seconds and times each rerun until the run's `script_finished`. It stops by itself
after `--minutes` and reports errors (exceptions on the page, failed or unanswered reruns), whether every session was
answered, the servers' RSS over time (/proc, summed; and the largest single server) and rerun percentiles, overall
and per server. Loopback only; not part of `make test` or of the default `python -m benchmarks` run.

    .venv/bin/python -m benchmarks.load --sessions 20 --minutes 2 --servers 2 --engine postgis --points 10000
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from . import browser, pagerun, synthetic

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


def rerun_message(query: dict[str, str]) -> bytes:
    message = BackMsg()
    state = message.rerun_script
    state.query_string = urlencode(query)
    state.page_script_hash = ""
    return message.SerializeToString()


async def one_rerun(ws, query: dict[str, str]) -> tuple[float, list[str], bool]:
    """Send a rerun and read until its script_finished. Returns (seconds, errors, saw the map component)."""
    start = time.perf_counter()
    await ws.send(rerun_message(query))
    errors: list[str] = []
    saw_map = False
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=ANSWER_TIMEOUT_S)
        if isinstance(raw, str):
            continue
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
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
            if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
                return time.perf_counter() - start, errors, saw_map


async def session(index: int, url: str, units: list[str], deadline: float, interval: tuple[float, float],
                  stats: dict) -> None:
    import websockets

    rng = random.Random(index)
    mine = stats["sessions"][index] = {"reruns": 0, "answered": 0, "errors": [], "url": url}
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
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
                stats["reruns"].append(seconds)
                stats["by_url"].setdefault(url, []).append(seconds)
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(rng.uniform(*interval))
                if time.monotonic() >= deadline:
                    break
                query = {"unit": rng.choice(units)}
    except Exception as error:  # noqa: BLE001 -- every failure is reported, none stops the other sessions
        mine["errors"].append(f"{type(error).__name__}: {error}")


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
                interval: tuple[float, float]) -> dict:
    """Run the sessions, session i on server i mod len(urls), until `seconds` have passed."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    pids = [pids] if isinstance(pids, int) else list(pids)
    stats: dict = {"sessions": {}, "reruns": [], "by_url": {}}
    memory: list = []
    deadline = time.monotonic() + seconds
    sampler = asyncio.create_task(sample_memory(pids, deadline, max(1.0, min(10.0, seconds / 30)), memory))
    await asyncio.gather(*(session(i, urls[i % len(urls)], units, deadline, interval, stats)
                           for i in range(sessions)))
    sampler.cancel()
    memory.append([memory[-1][0] if memory else 0, _rss_sum(pids), [rss_mb(p) for p in pids]])
    per = stats["sessions"].values()
    errors = [e for s in per for e in s["errors"]]
    return {
        "sessions": sessions,
        "servers": len(urls),
        "seconds": seconds,
        "reruns": len(stats["reruns"]),
        "errors": len(errors),
        "error_samples": errors[:10],
        "every_session_answered": all(s["answered"] > 0 and s["answered"] == s["reruns"] for s in per),
        "rerun_p50_s": percentile(stats["reruns"], 0.50),
        "rerun_p95_s": percentile(stats["reruns"], 0.95),
        "rerun_max_s": percentile(stats["reruns"], 1.0),
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


def run(sessions: int = 20, minutes: float = 5, points: int = 10_000, interval=(2.0, 5.0),
        app: Path | None = None, *, servers: int = 1, engine: str = "gpkg", store: str | None = None) -> dict:
    """The load run. `store`: an existing store (file path or postgresql:// URL) instead of a synthetic one of
    `points` points in `engine` (gpkg: a file; postgis: a database on a throw-away server, stopped afterwards)."""
    from loaders.store import is_database_url, open_store

    app, label = (app, str(app)) if app else pagerun.page_under_test()
    folder = Path(tempfile.mkdtemp(prefix="xz-bench-load-"))
    with ExitStack() as stack:
        if store:
            location, engine, points = str(store), ("postgis" if is_database_url(store) else "gpkg"), None
            opened = open_store(location)
        elif engine == "postgis":
            from .engines import postgis_server

            pg = stack.enter_context(postgis_server(folder / "pg"))
            location = pg.url(pg.create_database("load"))
            opened, _ = synthetic.build_postgis(location, points)
        else:
            opened, _ = synthetic.build_store(folder / "load.gpkg", points)
            location = str(opened.path)
        units = [u.name for u in opened.units().network] + ["全部"]
        served = [stack.enter_context(browser.serve(app, env={"XZMAP_STORE": location})) for _ in range(servers)]
        result = asyncio.run(drive([u for u, _ in served], [p for _, p in served], units, sessions, minutes * 60,
                                   interval))
    return {"page": label, "points": points, "engine": engine, "store": opened.location,
            "transport": "Streamlit websocket protocol (BackMsg rerun_script with ?unit=…, timed to script_finished)",
            "change_interval_s": list(interval), **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=1, help="Streamlit servers sharing the store")
    parser.add_argument("--engine", choices=("gpkg", "postgis"), default="gpkg",
                        help="engine of the synthetic store (postgis: a throw-away server is started)")
    parser.add_argument("--store", help="an existing store (file path or postgresql:// URL) instead of a synthetic one")
    parser.add_argument("--out", type=Path, help="write the result as JSON here")
    args = parser.parse_args(argv)
    if args.servers < 1:
        parser.error("--servers must be at least 1")
    result = run(args.sessions, args.minutes, args.points, servers=args.servers, engine=args.engine, store=args.store)
    report(result)
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if result["errors"] == 0 and result["every_session_answered"] else 1


def report(result: dict) -> None:
    servers = result.get("servers", 1)
    print(f"load: {result['sessions']} sessions × {result['seconds'] / 60:g} min on {result['page']}, "
          f"{servers} server{'s' if servers > 1 else ''} on {result.get('engine', 'gpkg')} "
          f"({result.get('store', '')}), {result['points'] or 'its'} points")
    print(f"  reruns {result['reruns']}, errors {result['errors']}, every session answered: "
          f"{'yes' if result['every_session_answered'] else 'NO'}")
    print(f"  rerun p50 {result['rerun_p50_s']} s, p95 {result['rerun_p95_s']} s, max {result['rerun_max_s']} s")
    print(f"  server RSS{' (all servers)' if servers > 1 else ''} {result['rss_mb_start']} MB at start, "
          f"max {result['rss_mb_max']} MB, {result['rss_mb_end']} MB at end")
    if servers > 1:
        for i, one in enumerate(result["per_server"], start=1):
            print(f"  server {i}: {one['sessions']} sessions, {one['reruns']} reruns, p50 {one['rerun_p50_s']} s, "
                  f"p95 {one['rerun_p95_s']} s, RSS max {one['rss_mb_max']} MB")
    for error in result["error_samples"]:
        print(f"  error: {error}")


if __name__ == "__main__":
    raise SystemExit(main())
