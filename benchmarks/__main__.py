"""`python -m benchmarks` (make bench): the full run; prints a table and writes benchmarks/results.json.

Options: --sizes 1000,10000,100000  --repeats 5  --naive-max 10000  --no-browser  --load (also the many-viewers
run, short; see benchmarks/load.py)  --out PATH. `--quick` is the tiny configuration the smoke test uses.

The store engines side by side (benchmarks/engines.py; PostGIS on a throw-away server it starts and stops):
--engines gpkg,postgis (empty: none)  --engine-sizes 100000,1000000  --engine-repeats 5  --import-rows 10000
--engines-only (just that section; with the default --out it replaces only the "engines" part of results.json).

First load, bare Streamlit page vs the overview's map (benchmarks/firstload.py): --first-load-visits 5 (0: none)
--first-load-only (just that section; replaces only the "first_load" part of results.json).

Dense data, the overview map at 10,000 / 100,000 / 1,000,000 points vs a bare page (benchmarks/dense.py; 1,000,000 on
PostGIS): --dense-sizes 10000,100000,1000000 (empty: none)  --dense-visits 5  --dense-only (just that section;
replaces only the "dense" part of results.json). --quick: 2,000 and 5,000 points, one round.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from loaders.store import Filter

from . import browser, dense, engines, firstload, mapbuild, pagerun, storeq, synthetic

RESULTS = Path(__file__).resolve().parent / "results.json"
TARGETS = {
    "rerun_s_at_10000": 0.3, "speedup_at_10000": 50, "bytes_per_point_at_10000": 60, "rerun_s_at_100000": 2.0,
    "store_filtered_ms_at_100000": 100, "first_load_s": 3.0, "first_load_ratio": firstload.TARGET_RATIO,
}


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine()}


def one_size(n: int, repeats: int, naive_max: int, reruns: int, folder: Path, log) -> dict:
    started = time.perf_counter()
    store, frame = synthetic.build_store(folder / f"bench-{n}.gpkg", n)
    log(f"[{n}] store with {n} synthetic points written in {time.perf_counter() - started:.1f} s")
    points = store.points(Filter(), columns=storeq.MAP_COLUMNS)
    row: dict = {"points": n, "store_build_s": round(time.perf_counter() - started, 2)}
    row["ours"] = mapbuild.timed(mapbuild.ours, points, repeats)
    log(f"[{n}] ours: {row['ours']}")
    if n <= naive_max:
        naive_repeats = 1 if n >= 10_000 else min(repeats, 3)
        row["naive"] = mapbuild.timed(mapbuild.naive, points, naive_repeats)
        row["speedup_build"] = round(row["naive"]["seconds"] / row["ours"]["seconds"], 1)
        row["bytes_ratio"] = round(row["naive"]["bytes"] / row["ours"]["bytes"], 1)
        log(f"[{n}] naive: {row['naive']}")
    row["store_query"] = storeq.time_queries(store, repeats)
    log(f"[{n}] store: {row['store_query']}")
    row["page"] = pagerun.time_reruns(store.path, reruns)
    if "naive" in row and row["page"]["rerun_s"]:
        # The naive page's rerun is at least its map build; ours is the whole measured rerun.
        row["speedup_rerun"] = round(row["naive"]["seconds"] / row["page"]["rerun_s"], 1)
    log(f"[{n}] page: {row['page']}")
    row["_store_path"] = str(store.path)
    row["_frame_counts"] = frame["unit_code"].value_counts().to_dict()
    return row


def browser_part(row: dict, changes: int, log) -> dict:
    reason = browser.available()
    if reason:
        return {"skipped": reason}
    from loaders.store import GeoPackageStore

    store = GeoPackageStore(row["_store_path"])
    units = store.units().frame()
    first = units[units["in_network"]].iloc[0]
    app, label = pagerun.page_under_test()
    result = browser.measure(app, store.path, row["points"], first["name"],
                             int(row["_frame_counts"].get(first["code"], 0)), changes=changes,
                             town_short=first["short_name"])
    result["page"] = label
    log(f"[{row['points']}] browser: {result}")
    return result


def bundled_first_load(log) -> dict:
    """First load of the bundled data (the store `make run` creates) to a drawn map."""
    reason = browser.available()
    if reason:
        return {"skipped": reason}
    app, label = pagerun.page_under_test()
    from loaders import config
    from loaders.store import initialise, open_store

    path = Path(tempfile.mkdtemp(prefix="xz-bench-bundled-")) / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    total = len(open_store(path).points(Filter(), columns=("id",)))
    blocked: list[str] = []
    with browser.serve(app, env={"XZMAP_STORE": str(path)}) as (url, _), browser.chromium() as b:
        context, page = browser.offline_page(b, blocked)  # warm-up visit
        page.goto(url)
        browser.wait_drawn(page, total)
        context.close()
        context, page = browser.offline_page(b, blocked)
        start = time.perf_counter()
        page.goto(url)
        browser.wait_drawn(page, total)
        seconds = time.perf_counter() - start
        context.close()
    result = {"first_load_s": round(seconds, 3), "points": total, "blocked_requests": len(blocked), "page": label}
    log(f"bundled dashboard first load: {result}")
    return result


def fmt(value, unit="", digits=3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def table(results: dict) -> str:
    rows = results["sizes"]
    head = ["", *[f"{r['points']:,} pts" for r in rows]]
    lines = []

    def line(label, values):
        lines.append([label, *values])

    line("map build, ours (s)", [fmt(r["ours"]["seconds"], digits=4) for r in rows])
    line("map build, naive (s)", [fmt(r.get("naive", {}).get("seconds"), digits=2) for r in rows])
    line("  naive / ours (build)", [fmt(r.get("speedup_build"), "×", 0) for r in rows])
    line("bytes per point, ours", [fmt(r["ours"]["bytes_per_point"], digits=1) for r in rows])
    line("bytes per point, naive", [fmt(r.get("naive", {}).get("bytes_per_point"), digits=0) for r in rows])
    for key, label in (("map_columns_typical_filter", "store: 1 town, open (ms)"),
                       ("page_columns_typical_filter", "store: 1 town, page cols (ms)"),
                       ("map_columns_no_filter", "store: all rows, map cols (ms)"),
                       ("page_columns_no_filter", "store: all rows, page cols (ms)"),
                       ("all_columns_no_filter", "store: all rows, all cols (ms)"),
                       ("keyword_search", "store: keyword 抗旱井 (ms)")):
        line(label, [fmt(r["store_query"][key]["ms"], digits=1) for r in rows])
    line("page rerun, filter change (s)", [fmt(r["page"]["rerun_s"], digits=3) for r in rows])
    line("  to one town / to 全部 (s)",
         [f"{fmt(r['page']['rerun_to_town_s'])} / {fmt(r['page']['rerun_to_all_s'])}" for r in rows])
    line("  naive build / our rerun", [fmt(r.get("speedup_rerun"), "×", 0) for r in rows])
    line("browser: filter→drawn, town (s)", [fmt(r.get("browser", {}).get("filter_to_town_s")) for r in rows])
    line("browser: filter→drawn, 全部 (s)", [fmt(r.get("browser", {}).get("filter_to_all_s")) for r in rows])
    line("browser: first load→drawn (s)", [fmt(r.get("browser", {}).get("first_load_s")) for r in rows])
    widths = [max(_width(str(c)) for c in col) for col in zip(head, *lines)]
    out = [" | ".join(_pad(str(c), w) for c, w in zip(head, widths))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(_pad(str(c), w) for c, w in zip(row, widths)) for row in lines]
    page = rows[0]["page"]["page"] if rows else ""
    out.append(f"page timed: {page}; machine: {results['machine']['cores']} cores, Python {results['machine']['python']}")
    bundled = results.get("bundled_first_load", {})
    out.append(f"bundled data, first load to a drawn map: "
               f"{fmt(bundled.get('first_load_s'), ' s') if 'first_load_s' in bundled else bundled.get('skipped')}"
               f" ({bundled.get('points', '?')} points, {bundled.get('page', '')})")
    return "\n".join(out)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="speed and scale benchmarks")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reruns", type=int, default=8)
    parser.add_argument("--naive-max", type=int, default=10_000)
    parser.add_argument("--browser-size", type=int, default=10_000, help="size timed in Chromium (0: none)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--load", action="store_true",
                        help="also the many-viewers run, short (10 s cells; the full one: python -m benchmarks.load)")
    parser.add_argument("--engines", default=",".join(engines.ENGINES),
                        help="store engines timed side by side (gpkg,postgis; empty: skip that section)")
    parser.add_argument("--engine-sizes", default="100000,1000000")
    parser.add_argument("--engine-repeats", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=10_000, help="rows of the timed import (0: none)")
    parser.add_argument("--engines-only", action="store_true", help="only the store engines section")
    parser.add_argument("--first-load-visits", type=int, default=5,
                        help="timed visits of the bare page and of the overview, alternating (0: none)")
    parser.add_argument("--first-load-only", action="store_true", help="only the first-load section")
    parser.add_argument("--dense-sizes", default=",".join(str(n) for n in dense.SIZES),
                        help="sizes of the dense-data section, map vs bare page (empty: skip that section)")
    parser.add_argument("--dense-visits", type=int, default=5, help="timed rounds per size in the dense section")
    parser.add_argument("--dense-only", action="store_true", help="only the dense-data section")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="200 points, 1 repeat, no browser (smoke test)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.reruns, args.naive_max, args.no_browser = "200", 1, 2, 200, True
        args.engine_sizes, args.engine_repeats, args.import_rows = "300", 1, 50
        args.dense_sizes, args.dense_visits = "2000,5000", 1
    log = (lambda *a: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    sizes = [] if args.engines_only else [int(s) for s in args.sizes.split(",") if s.strip()]
    engine_names = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engine_names) - set(engines.ENGINES)
    if unknown:
        parser.error(f"unknown engines {sorted(unknown)}: choose from {','.join(engines.ENGINES)}")

    folder = Path(tempfile.mkdtemp(prefix="xz-bench-"))
    results: dict = {"when": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
                     "command": "make bench  (python -m benchmarks " + " ".join(argv or sys.argv[1:]) + ")",
                     "targets": TARGETS, "sizes": []}
    if args.engines_only:
        return engines_only(args, engine_names, results, log)
    if args.first_load_only:
        part = firstload.run(args.first_load_visits, log=log)
        print(firstload.table(part))
        return _write_part(args.out, "first_load", part, results, log)
    if args.dense_only:
        part = dense.run(_ints(args.dense_sizes), args.dense_visits, log=log)
        print(dense.table(part))
        return _write_part(args.out, "dense", part, results, log)
    for n in sizes:
        row = one_size(n, args.repeats, args.naive_max, args.reruns, folder, log)
        if not args.no_browser and n == args.browser_size:
            row["browser"] = browser_part(row, 6, log)
        results["sizes"].append(row)
    if not args.no_browser:
        results["bundled_first_load"] = bundled_first_load(log)
    else:
        results["bundled_first_load"] = {"skipped": "--no-browser"}
    if args.first_load_visits and not args.no_browser:
        results["first_load"] = firstload.run(args.first_load_visits, log=log)
    if _ints(args.dense_sizes) and args.dense_visits and not args.no_browser:
        results["dense"] = dense.run(_ints(args.dense_sizes), args.dense_visits, log=log)
    if engine_names:
        results["engines"] = engines.run(_ints(args.engine_sizes), engine_names, args.engine_repeats,
                                         args.import_rows, log, folder / "engines")
    if args.load:
        from . import load

        results["load"] = load.matrix([5, 20, 50], 10, log=log)
        print(load.table(results["load"]))
    for row in results["sizes"]:
        row.pop("_store_path", None)
        row.pop("_frame_counts", None)
    print(table(results))
    if "engines" in results:
        print()
        print(engines.table(results["engines"]))
    if "first_load" in results:
        print()
        print(firstload.table(results["first_load"]))
    if "dense" in results:
        print()
        print(dense.table(results["dense"]))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"written {args.out}")
    return 0


def engines_only(args, engine_names: list[str], results: dict, log) -> int:
    """`--engines-only`: the engines section alone; written into an existing results file, only its "engines"
    part is replaced (with this run's date and machine alongside)."""
    part = engines.run(_ints(args.engine_sizes), engine_names, args.engine_repeats, args.import_rows, log)
    print(engines.table(part))
    return _write_part(args.out, "engines", part, results, log)


def _write_part(out: Path | None, key: str, part: dict, results: dict, log) -> int:
    """Write one section into an existing results file, replacing only that section (this run's date and machine
    travel with it); a new file gets this run's header."""
    part.update(when=results["when"], machine=results["machine"], command=results["command"])
    if out:
        earlier = {}
        if out.exists():
            try:
                earlier = json.loads(out.read_text(encoding="utf-8"))
            except ValueError:
                earlier = {}
        whole = {**(earlier or {k: v for k, v in results.items() if k != "sizes"}), key: part}
        out.write_text(json.dumps(whole, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"written {out}")
    return 0


def _ints(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


if __name__ == "__main__":
    raise SystemExit(main())
