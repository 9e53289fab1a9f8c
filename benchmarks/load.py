"""Many viewers: `python -m benchmarks.load [--sessions 20] [--minutes 5] [--points 10000]`.

Starts the page (dashboard/app.py when it exists, else benchmarks/apps/points_page.py) on 127.0.0.1 over a
synthetic store, then runs `--sessions` clients that speak Streamlit's own websocket protocol (what the browser
sends: a BackMsg `rerun_script` with the page's query string; what it receives: ForwardMsg deltas until
`script_finished`). Each session changes the 乡镇 filter in its URL every few seconds and times each rerun until
the run's `script_finished`. It stops by itself after `--minutes` and reports errors (exceptions on the page,
failed or unanswered reruns), whether every session was answered, the server's RSS over time (/proc) and
rerun percentiles. Loopback only; not part of `make test` or of the default `python -m benchmarks` run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
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
    mine = stats["sessions"][index] = {"reruns": 0, "answered": 0, "errors": []}
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
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(rng.uniform(*interval))
                if time.monotonic() >= deadline:
                    break
                query = {"unit": rng.choice(units)}
    except Exception as error:  # noqa: BLE001 -- every failure is reported, none stops the other sessions
        mine["errors"].append(f"{type(error).__name__}: {error}")


async def sample_memory(pid: int, deadline: float, every: float, series: list) -> None:
    start = time.monotonic()
    while time.monotonic() < deadline + every:
        series.append([round(time.monotonic() - start, 1), rss_mb(pid)])
        await asyncio.sleep(every)


async def drive(url: str, pid: int, units: list[str], sessions: int, seconds: float,
                interval: tuple[float, float]) -> dict:
    stats: dict = {"sessions": {}, "reruns": []}
    memory: list = []
    deadline = time.monotonic() + seconds
    sampler = asyncio.create_task(sample_memory(pid, deadline, max(1.0, min(10.0, seconds / 30)), memory))
    await asyncio.gather(*(session(i, url, units, deadline, interval, stats) for i in range(sessions)))
    sampler.cancel()
    memory.append([memory[-1][0] if memory else 0, rss_mb(pid)])
    per = stats["sessions"].values()
    errors = [e for s in per for e in s["errors"]]
    return {
        "sessions": sessions,
        "seconds": seconds,
        "reruns": len(stats["reruns"]),
        "errors": len(errors),
        "error_samples": errors[:10],
        "every_session_answered": all(s["answered"] > 0 and s["answered"] == s["reruns"] for s in per),
        "rerun_p50_s": percentile(stats["reruns"], 0.50),
        "rerun_p95_s": percentile(stats["reruns"], 0.95),
        "rerun_max_s": percentile(stats["reruns"], 1.0),
        "rss_mb_start": memory[0][1] if memory else None,
        "rss_mb_max": max((m for _, m in memory if m is not None), default=None),
        "rss_mb_end": memory[-1][1] if memory else None,
        "rss_mb_series": memory,
    }


def run(sessions: int = 20, minutes: float = 5, points: int = 10_000, interval=(2.0, 5.0),
        app: Path | None = None) -> dict:
    app, label = (app, str(app)) if app else pagerun.page_under_test()
    folder = Path(tempfile.mkdtemp(prefix="xz-bench-load-"))
    store, _ = synthetic.build_store(folder / "load.gpkg", points)
    units = store.units().frame()
    units = list(units[units["in_network"]]["name"]) + ["全部"]
    with browser.serve(app, env={"XZMAP_STORE": str(store.path)}) as (url, pid):
        result = asyncio.run(drive(url, pid, units, sessions, minutes * 60, interval))
    return {"page": label, "points": points, "transport": "Streamlit websocket protocol (BackMsg rerun_script "
            "with ?unit=…, timed to script_finished)", "change_interval_s": list(interval), **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--out", type=Path, help="write the result as JSON here")
    args = parser.parse_args(argv)
    result = run(args.sessions, args.minutes, args.points)
    report(result)
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if result["errors"] == 0 and result["every_session_answered"] else 1


def report(result: dict) -> None:
    print(f"load: {result['sessions']} sessions × {result['seconds'] / 60:g} min on {result['page']}, "
          f"{result['points']} points")
    print(f"  reruns {result['reruns']}, errors {result['errors']}, every session answered: "
          f"{'yes' if result['every_session_answered'] else 'NO'}")
    print(f"  rerun p50 {result['rerun_p50_s']} s, p95 {result['rerun_p95_s']} s, max {result['rerun_max_s']} s")
    print(f"  server RSS {result['rss_mb_start']} MB at start, max {result['rss_mb_max']} MB, "
          f"{result['rss_mb_end']} MB at end")
    for error in result["error_samples"]:
        print(f"  error: {error}")


if __name__ == "__main__":
    raise SystemExit(main())
