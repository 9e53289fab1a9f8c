"""Both store engines side by side on the same synthetic data: `python -m benchmarks --engines-only`.

For each size (default 100,000 and 1,000,000 points) the same deterministic frame (`synthetic.frame_of`) is put into a
GeoPackage file and into a PostGIS database (a throw-away PostgreSQL 15 + PostGIS server started on loopback in a
temporary folder, `tools/pgserver.py`, stopped at the end); the two stores then hold identical rows (equal content
checksums, checked). Timed through the `Store` contract, as the pages call it, the median of `repeats` after one
untimed warm-up:

* every point, the map's columns (`MAP_COLUMNS`) and the pages' columns (`dashboard.data.VIEW_COLUMNS`), no filter;
* the typical filter a leader clicks, one town and one status (待协商), map columns and page columns;
* a box around that town (its area's bounds), map columns;
* a keyword search: 抗旱井 (every well, ~30 % of the points) and a village, 太山村 (~5 %);
* `counts()` (the KPIs and the chart) and `data_version()` (what every page rerun asks first);
* a 10,000-row CSV import through the real path -- `importing.read`, `build_plan` and `commit` with an admin `Editor`
  -- run once per store, last (it adds the points), timed as read, plan and commit.

Not tests: nothing here asserts a time. `table(result)` prints engine columns per size; `run()` returns a dict for
results.json with the targets of issue 10 marked met or not.
"""
from __future__ import annotations

import csv
import math
import shutil
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from loaders import model
from loaders.store import Filter

from . import synthetic
from .storeq import MAP_COLUMNS, VIEW_COLUMNS

ENGINES = ("gpkg", "postgis")
LABELS = {"gpkg": "GeoPackage", "postgis": "PostGIS"}
STATUS = "待协商"  # an open issue: the status a leader filters on most
TARGETS = {"postgis_town_status_ms_at_1000000": 100, "postgis_map_all_vs_gpkg_at_100000": 1.0}
IMPORT_ADMIN = ("基准导入", "admin")
KEYWORDS = {"keyword_many": "抗旱井", "keyword_few": "太山村"}
CHECKSUM_MAX = 100_000  # up to this size both stores are checksummed to prove they hold the same rows


def missing(engine: str) -> str | None:
    """Why an engine cannot run here (None when it can)."""
    if engine == "postgis":
        from tools import pgserver

        return pgserver.missing()
    return None


@contextmanager
def postgis_server(folder: Path):
    """A throw-away PostgreSQL + PostGIS server in `folder`, stopped when the block ends."""
    from tools import pgserver

    server = pgserver.start(folder)
    try:
        yield server
    finally:
        server.stop()


def town_of(store) -> tuple[str, tuple[float, float, float, float]]:
    """The first unit of the network (what storeq's typical filter uses) and the bounds of its area."""
    code = store.units().network[0].code
    area = next(a for a in store.areas() if a["code"] == code)
    return code, tuple(float(v) for v in area["geometry"].bounds)


def cases(store) -> dict:
    """label -> a function of the store that does one read and returns how many rows it got."""
    town, box = town_of(store)
    typical = Filter(unit_codes=(town,), statuses=(STATUS,))

    def read(where: Filter, columns):
        return lambda s: len(s.points(where, columns=columns))

    return {
        "map_columns_no_filter": read(Filter(), MAP_COLUMNS),
        "page_columns_no_filter": read(Filter(), VIEW_COLUMNS),
        "map_columns_town_status": read(typical, MAP_COLUMNS),
        "page_columns_town_status": read(typical, VIEW_COLUMNS),
        "map_columns_bbox": read(Filter(bbox=box), MAP_COLUMNS),
        **{label: read(Filter(keyword=word), MAP_COLUMNS) for label, word in KEYWORDS.items()},
        "counts": lambda s: len(s.counts()),
        "data_version": lambda s: s.data_version(),
    }


def timed(function, store, repeats: int) -> dict:
    """Median and fastest milliseconds of `repeats` calls after one untimed warm-up, and the rows of the last."""
    rows = function(store)
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        rows = function(store)
        times.append(time.perf_counter() - start)
    times.sort()
    return {"ms": round(1000 * times[len(times) // 2], 2), "min_ms": round(1000 * times[0], 2), "rows": rows}


# The 10,000-row import ------------------------------------------------------------------------------------------------
IMPORT_HEADERS = {"external_id": "外部编号", "name": "名称", "kind": "类型", "status": "状态", "unit": "乡镇",
                  "village": "村/社区", "lon": "经度", "lat": "纬度", "description": "说明", "opened_on": "登记日期",
                  "resolved_on": "完成日期", "site_format": "协商形式", "batch": "建设批次", "depth_m": "井深",
                  "canal": "所在渠道", "category": "问题类别", "responsible_unit": "责任单位"}


def import_file(folder: Path, rows: int, short_names: dict[str, str]) -> Path:
    """A CSV (UTF-8 with BOM, as Excel saves it) of `rows` new synthetic points with Chinese headers and labels,
    external ids BENCH-00001…, a different seed than the stores' points."""
    frame = synthetic.generate(rows, *synthetic.network_areas(synthetic.empty_store(folder / "net.gpkg")),
                               seed=synthetic.SEED + 1)
    path = folder / f"import-{rows}.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_HEADERS.values())
        for i, record in enumerate(frame.to_dict("records"), start=1):
            values = {**record, "external_id": f"BENCH-{i:05d}", "kind": model.KINDS[record["kind"]].label,
                      "unit": short_names[record["unit_code"]]}
            writer.writerow(["" if _missing(values.get(k)) else values[k] for k in IMPORT_HEADERS])
    return path


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def time_import(store, path: Path) -> dict:
    """One import of the file through the page's path (read, plan, commit in one transaction), as an admin."""
    from loaders.auth import User
    from loaders.editing import Editor
    from loaders.importing import build_plan, commit, read

    admin = User(*IMPORT_ADMIN)
    start = time.perf_counter()
    table = read(path)
    read_s = time.perf_counter() - start
    plan = build_plan(table, store, admin)
    plan_s = time.perf_counter() - start - read_s
    if not plan.ok:
        raise RuntimeError(f"the benchmark's import file did not plan cleanly: {plan.summary()}")
    result = commit(Editor(store, admin), plan)
    total = time.perf_counter() - start
    if len(result.created) != len(table.frame):
        raise RuntimeError(f"the import wrote {result.summary()}, not {len(table.frame)} new points")
    return {"rows": len(result.created), "read_s": round(read_s, 2), "plan_s": round(plan_s, 2),
            "commit_s": round(total - read_s - plan_s, 2), "total_s": round(total, 2)}


# One run ----------------------------------------------------------------------------------------------------------------
def run(sizes: list[int], engines: list[str], repeats: int = 5, import_rows: int = 10_000, log=print,
        folder: Path | None = None) -> dict:
    """Build, time and import for every size and engine; PostGIS runs on its own throw-away server."""
    folder = Path(folder or tempfile.mkdtemp(prefix="xz-bench-engines-"))
    out: dict = {"engines": [], "skipped": {}, "sizes": [], "status_filtered": STATUS, "keywords": KEYWORDS,
                 "repeats": repeats, "import_rows": import_rows, "targets": TARGETS}
    for engine in engines:
        reason = missing(engine)
        if reason:
            out["skipped"][engine] = reason
            log(f"[engines] {engine} skipped: {reason}")
        else:
            out["engines"].append(engine)
    with ExitStack() as stack:
        pg = None
        if "postgis" in out["engines"]:
            started = time.perf_counter()
            pg = stack.enter_context(postgis_server(folder / "pg"))
            log(f"[engines] PostGIS server on 127.0.0.1:{pg.port} started in {time.perf_counter() - started:.1f} s")
        for n in sizes:
            out["sizes"].append(one_size(n, out["engines"], repeats, import_rows, folder, log, pg))
    shutil.rmtree(folder, ignore_errors=True)
    out["checks"] = checks(out)
    return out


def one_size(n: int, engines: list[str], repeats: int, import_rows: int, folder: Path, log, pg) -> dict:
    row: dict = {"points": n}
    started = time.perf_counter()
    synthetic.frame_of(n)
    row["generate_s"] = round(time.perf_counter() - started, 1)
    stores = {}
    for engine in engines:
        started = time.perf_counter()
        if engine == "gpkg":
            store, _ = synthetic.build_store(folder / f"engines-{n}.gpkg", n)
        else:
            database = pg.create_database(f"bench_{n}")
            store, _ = synthetic.build_postgis(pg.url(database), n)
        stores[engine] = store
        row[engine] = {"build_s": round(time.perf_counter() - started, 1)}
        log(f"[engines {n:,}] {LABELS[engine]} store built in {row[engine]['build_s']} s")
    if len(stores) == 2 and n <= CHECKSUM_MAX:  # the same data in both, or the comparison means nothing
        a, b = (stores[e].checksums() for e in ENGINES)
        row["same_data"] = a == b
        if not row["same_data"]:
            raise RuntimeError(f"the two engines do not hold the same synthetic data at {n}: {a} != {b}")
    for engine, store in stores.items():
        for label, function in cases(store).items():
            row[engine][label] = timed(function, store, repeats * 10 if label == "data_version" else repeats)
        log(f"[engines {n:,}] {LABELS[engine]}: " + ", ".join(f"{k} {v['ms']} ms" for k, v in row[engine].items()
                                                              if isinstance(v, dict)))
    if import_rows:
        short = {c: s for c, s in zip(*synthetic.network_areas(next(iter(stores.values())))[:2])}
        with tempfile.TemporaryDirectory(prefix="xz-bench-import-") as scratch:
            path = import_file(Path(scratch), import_rows, short)
            for engine, store in stores.items():
                row[engine]["import"] = time_import(store, path)
                log(f"[engines {n:,}] {LABELS[engine]} import: {row[engine]['import']}")
    for engine, store in stores.items():
        if engine == "gpkg":
            store.path.unlink(missing_ok=True)
        else:
            from loaders.store import postgis

            postgis.dispose(store.url)
            pg.drop_database(f"bench_{n}")
    return row


def checks(out: dict) -> dict:
    """Issue 10's targets, where this run measured them: True met, False missed."""
    found = {}
    by_size = {r["points"]: r for r in out["sizes"]}
    big = by_size.get(1_000_000, {}).get("postgis")
    if big:
        found["postgis_town_status_ms_at_1000000"] = {
            "value": big["map_columns_town_status"]["ms"], "target": "≤ 100 ms",
            "met": big["map_columns_town_status"]["ms"] <= TARGETS["postgis_town_status_ms_at_1000000"]}
    mid = by_size.get(100_000, {})
    if "postgis" in mid and "gpkg" in mid:
        pg, gp = mid["postgis"]["map_columns_no_filter"]["ms"], mid["gpkg"]["map_columns_no_filter"]["ms"]
        found["postgis_map_all_vs_gpkg_at_100000"] = {"value": round(pg / gp, 2), "target": "≤ 1.0 (PostGIS / GeoPackage)",
                                                      "met": pg <= gp * TARGETS["postgis_map_all_vs_gpkg_at_100000"]}
    return found


# The table ------------------------------------------------------------------------------------------------------------
ROWS = (
    ("build_s", "store built (s)", 1),
    ("map_columns_no_filter", "all points, map columns (ms)", 1),
    ("page_columns_no_filter", "all points, page columns (ms)", 1),
    ("map_columns_town_status", "1 town + 1 status, map cols (ms)", 1),
    ("page_columns_town_status", "1 town + 1 status, page cols (ms)", 1),
    ("map_columns_bbox", "box around 1 town, map cols (ms)", 1),
    ("keyword_many", "keyword 抗旱井 (ms)", 1),
    ("keyword_few", "keyword 太山村 (ms)", 1),
    ("counts", "counts() (ms)", 1),
    ("data_version", "data_version() (ms)", 2),
)


def table(out: dict) -> str:
    engines = out["engines"]
    head = [""] + [f"{LABELS[e]} {r['points']:,}" for r in out["sizes"] for e in engines]
    lines = []
    for key, label, digits in ROWS:
        values = []
        for r in out["sizes"]:
            for e in engines:
                cell = r[e].get(key)
                value = cell["ms"] if isinstance(cell, dict) else cell
                values.append("n/a" if value is None else f"{value:,.{digits}f}")
        lines.append([label, *values])
    rows_line = ["  rows: town+status / box / 抗旱井 / 太山村"]
    for r in out["sizes"]:
        for e in engines:
            rows_line.append(" / ".join(f"{r[e][k]['rows']:,}" for k in
                                        ("map_columns_town_status", "map_columns_bbox", "keyword_many", "keyword_few")))
    lines.insert(6, rows_line)
    if out["import_rows"]:
        cells = [f"{r[e]['import']['total_s']:.1f} ({r[e]['import']['plan_s']:.1f} + {r[e]['import']['commit_s']:.1f})"
                 for r in out["sizes"] for e in engines]
        lines.append([f"import {out['import_rows']:,} rows: s (plan + commit)", *cells])
    widths = [max(_width(str(c)) for c in col) for col in zip(head, *lines)]
    text = [" | ".join(_pad(str(c), w) for c, w in zip(head, widths)), "-+-".join("-" * w for w in widths)]
    text += [" | ".join(_pad(str(c), w) for c, w in zip(row, widths)) for row in lines]
    text.append(f"store engines: median of {out['repeats']} after a warm-up (data_version: of {out['repeats'] * 10});"
                f" filter status {out['status_filtered']}; same data in both engines "
                f"(checksums compared up to {CHECKSUM_MAX:,} points)")
    for engine, reason in out["skipped"].items():
        text.append(f"{LABELS.get(engine, engine)} skipped: {reason}")
    for name, check in out.get("checks", {}).items():
        text.append(f"target {name}: {check['value']} ({check['target']}) {'met' if check['met'] else 'MISSED'}")
    return "\n".join(text)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
