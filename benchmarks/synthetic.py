"""Deterministic synthetic points for the benchmarks, written into a fresh store in one transaction.

`generate(n, geography, units, seed)` spreads n points over the 17 network units, uniformly inside each unit's
area (vectorised rejection sampling), with every kind and status, realistic Chinese names and dates. The same
(n, seed) always gives the same frame. `build_store(path, n)` creates a store from the bundled geodata, removes
its sample points and bulk-inserts the synthetic ones with executemany (seconds for 100,000, instead of minutes
through add_point). `build_postgis(url, n)` puts the same frame into a PostGIS database: the tables by the store's
own migration, the geography copied from the emptied GeoPackage (`copying.copy`, verified), the points with one
`COPY … FROM STDIN`, then VACUUM ANALYZE (about 25 s for 1,000,000 points, where `copying.copy` of the same store
takes over two minutes). These loaders live here, not in loaders/: they skip per-record validation on purpose, and
the smoke test checks a sample of their records against the model instead.
"""
from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from loaders import config, model
from loaders.store import GeoPackageStore, initialise
from loaders.store.gpkg import POINT_COLUMNS, point_blob

if TYPE_CHECKING:
    from loaders.store.postgis import PostGISStore

SEED = 20230417
KIND_SHARE = {"issue": 0.45, "well": 0.30, "bridge": 0.15, "demo_site": 0.10}
VILLAGES = ("太山村", "二房村", "朱庄社区", "前王村", "闫营村", "双沟村", "杨庙村", "赵湾村", "新集村", "程河村",
            "张家集村", "黄渠河村", "峪山村", "龙王村", "石桥社区", "伙牌村", "古驿村", "东岗村", "西岗村", "白庙村")
ISSUE_TOPICS = ("饮水困难", "道路破损", "路口信号灯缺失", "小区物业纠纷", "农机调度", "灌溉渠堵塞", "危房改造",
                "垃圾清运", "停车难", "排水不畅", "产业基地用地", "文旅设施建设")
CATEGORIES = ("民生", "交通", "水利", "农业", "产业", "文旅", "城建")
RESPONSIBLE = ("区水利和湖泊局", "区交通运输局", "区住建局", "区农业农村局", "区文旅局", "镇人民政府", "街道办事处")
CANALS = ("引丹干渠", "引丹一支渠", "引丹二支渠", "清河干渠", "唐白河堤渠")
FORMATS = ("乡村月月谈", "社区协商议事厅", "企业发展恳谈会", "田间协商会", "院落议事会")
EPOCH = dt.date(2020, 1, 1)
DAYS = (dt.date(2025, 12, 31) - EPOCH).days


def network_areas(store: GeoPackageStore) -> tuple[list[str], list[str], list[shapely.Geometry]]:
    """Codes, short names and areas of the units in the consultation network (17 on the bundled data)."""
    units = store.units().frame()
    units = units[units["in_network"]]
    areas = {a["code"]: a["geometry"] for a in store.areas()}
    codes = [c for c in units["code"] if c in areas]
    short = dict(zip(units["code"], units["short_name"].fillna(units["name"])))
    return codes, [short[c] for c in codes], [areas[c] for c in codes]


def sample_in(area: shapely.Geometry, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k points uniformly inside area: draw in its bounding box, keep those inside, repeat (vectorised)."""
    shapely.prepare(area)
    x0, y0, x1, y1 = area.bounds
    fill = max(area.area / ((x1 - x0) * (y1 - y0)), 0.05)
    xs: list[np.ndarray] = [np.empty(0)]  # k may be 0 (a tiny frame leaves a unit without points)
    ys: list[np.ndarray] = [np.empty(0)]
    have = 0
    while have < k:
        m = int((k - have) / fill * 1.2) + 16
        x = rng.uniform(x0, x1, m)
        y = rng.uniform(y0, y1, m)
        inside = shapely.contains_xy(area, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:k], np.concatenate(ys)[:k]


def generate(n: int, codes: list[str], names: list[str], areas: list[shapely.Geometry], seed: int = SEED) -> pd.DataFrame:
    """n synthetic point records (all columns of the points table but geom), the same for the same inputs."""
    rng = np.random.default_rng(seed)
    weights = np.array([a.area for a in areas])
    weights = 0.5 * weights / weights.sum() + 0.5 / len(areas)  # every unit gets a fair share, big ones more
    unit = rng.choice(len(areas), size=n, p=weights)
    lon = np.empty(n)
    lat = np.empty(n)
    for u, area in enumerate(areas):
        rows = np.flatnonzero(unit == u)
        lon[rows], lat[rows] = sample_in(area, len(rows), rng)
    lon, lat = np.round(lon, 6), np.round(lat, 6)

    kinds = np.array(list(KIND_SHARE))
    kind = kinds[rng.choice(len(kinds), size=n, p=list(KIND_SHARE.values()))]
    status = np.empty(n, dtype=object)
    stage = np.empty(n, dtype=object)
    for key in kinds:
        rows = np.flatnonzero(kind == key)
        labels = model.KINDS[key].status_labels
        pick = rng.integers(0, len(labels), size=len(rows))
        status[rows] = np.array(labels, dtype=object)[pick]
        stage[rows] = np.array([model.stage_of(key, s) for s in labels], dtype=object)[pick]
    opened = rng.integers(0, DAYS - 200, size=n)
    resolved = opened + rng.integers(5, 200, size=n)
    village = np.array(VILLAGES, dtype=object)[rng.integers(0, len(VILLAGES), size=n)]
    topic = rng.integers(0, len(ISSUE_TOPICS), size=n)
    extra = rng.integers(0, 5, size=(n, 6))
    depth = np.round(rng.uniform(80, 300, size=n), 1)
    ids = rng.integers(0, 2**48, size=n, dtype=np.int64)
    seconds = rng.integers(0, 86_400, size=n)

    records = []
    for i in range(n):
        k = kind[i]
        town = names[unit[i]]
        v = village[i]
        day = EPOCH + dt.timedelta(days=int(opened[i]))
        closed = stage[i] in ("已完成", "已关闭")
        record = {
            "id": f"p-{int(ids[i]):012x}", "kind": k, "status": status[i], "stage": stage[i],
            "unit_code": codes[unit[i]], "lon": float(lon[i]), "lat": float(lat[i]),
            **{f: None for f in model.FIELDS},
            "village": v, "opened_on": day.isoformat(),
            "resolved_on": (EPOCH + dt.timedelta(days=int(resolved[i]))).isoformat() if closed else None,
            "source_note": "基准测试合成数据（benchmarks/synthetic.py）",
            "sample": 0, "external_id": None, "version": 1,
        }
        if k == "issue":
            record["name"] = f"问题点：{town}{v}{ISSUE_TOPICS[topic[i]]} #{i:05d}"
            record["description"] = f"群众反映{v}{ISSUE_TOPICS[topic[i]]}，经一线协商形成意见，交责任单位办理。"
            record["category"] = CATEGORIES[extra[i, 0]]
            record["responsible_unit"] = RESPONSIBLE[extra[i, 1]]
        elif k == "well":
            record["name"] = f"{town}镇{v}抗旱井 #{i:05d}"
            record["description"] = f"鄂北岗地抗旱机井，设计井深 {depth[i]:g} 米。"
            record["depth_m"] = float(depth[i])
        elif k == "bridge":
            canal = CANALS[extra[i, 2]]
            record["name"] = f"{canal}{v}段桥梁 #{i:05d}"
            record["description"] = f"{canal}上的生产桥，{status[i]}。"
            record["canal"] = canal
        else:
            record["name"] = f"{town}{v}{FORMATS[extra[i, 3]]}示范点 #{i:05d}"
            record["description"] = f"{FORMATS[extra[i, 3]]}，一线协商·共同缔造示范点。"
            record["site_format"] = FORMATS[extra[i, 3]]
            record["batch"] = ("首批", "2022年")[int(extra[i, 4] > 0)]
        stamp = (dt.datetime.combine(EPOCH + dt.timedelta(days=int(resolved[i] if closed else opened[i])), dt.time())
                 + dt.timedelta(seconds=int(seconds[i])))
        record["created_at"] = day.isoformat() + "T09:00:00+08:00"
        record["updated_at"] = stamp.isoformat() + "+08:00"
        record["updated_by"] = "bench"
        record["deleted_at"] = None
        records.append(record)
    return pd.DataFrame.from_records(records, columns=list(POINT_COLUMNS))


_template: dict[str, Path] = {}


def empty_store(path: Path) -> GeoPackageStore:
    """A store with the bundled geography and no points (the bundled one, emptied; built once per process)."""
    if "path" not in _template:
        folder = Path(tempfile.mkdtemp(prefix="xz-bench-template-"))
        template = folder / "template.gpkg"
        initialise(template, config.geodata_dir())
        connection = sqlite3.connect(template, isolation_level=None)
        with connection:
            connection.execute("BEGIN")
            for table in ("follow_ups", "audit", "points"):
                connection.execute(f"DELETE FROM {table}")
                # row numbers start at 1 again, as in a new PostGIS table: both engines then hold identical rows
                connection.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
            connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        _template["path"] = template
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_template["path"], path)
    return GeoPackageStore(path)


def bulk_insert(path: Path, frame: pd.DataFrame) -> None:
    """All rows in one transaction with executemany, geometry blobs included; then extent and data_version."""
    columns = ["geom", *POINT_COLUMNS]
    table = frame[list(POINT_COLUMNS)].astype(object)
    table = table.where(table.notna(), None)  # missing values go in as NULL, not NaN
    rows = [(point_blob(r[5], r[6]), *r) for r in table.itertuples(index=False, name=None)]
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(f"INSERT INTO points ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               rows)
        connection.execute("UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) = "
                           "(SELECT MIN(lon), MIN(lat), MAX(lon), MAX(lat) FROM points) WHERE table_name = 'points'")
        connection.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'")
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()


_frames: dict[tuple[int, int], pd.DataFrame] = {}


def frame_of(n: int, seed: int = SEED) -> pd.DataFrame:
    """`generate(n)` over the bundled network, kept per process: both engines get the very same frame (generating
    1,000,000 points takes a while)."""
    if (n, seed) not in _frames:
        template = empty_store(Path(tempfile.mkdtemp(prefix="xz-bench-net-")) / "network.gpkg")
        _frames.clear()  # one size at a time: a million rows hold about a gigabyte
        _frames[n, seed] = generate(n, *network_areas(template), seed)
        shutil.rmtree(template.path.parent, ignore_errors=True)
    return _frames[n, seed]


def build_store(path: Path, n: int, seed: int = SEED) -> tuple[GeoPackageStore, pd.DataFrame]:
    """A fresh store at path holding exactly n synthetic points; returns it and the generated frame."""
    store = empty_store(Path(path))
    frame = frame_of(n, seed)
    bulk_insert(store.path, frame)
    return store, frame


def build_postgis(url: str, n: int, seed: int = SEED) -> tuple[PostGISStore, pd.DataFrame]:
    """The same synthetic store in the (new, empty) PostGIS database at `url`: the same geography, the same points
    in the same order (row numbers rise with the frame's rows), the points in one transaction; then VACUUM ANALYZE, as autovacuum would
    have left a real store."""
    import psycopg

    from loaders.store import copying
    from loaders.store.postgis import PostGISStore

    frame = frame_of(n, seed)
    store = PostGISStore(url, create=True)
    geography = empty_store(Path(tempfile.mkdtemp(prefix="xz-bench-geo-")) / "geography.gpkg")
    copying.copy(geography, store)  # units, areas, outline (verified); no points
    shutil.rmtree(geography.path.parent, ignore_errors=True)
    with psycopg.connect(url) as connection:
        # The secondary indexes are built after the rows (a third faster than kept up row by row), from their own
        # definitions; the keys stay, so a duplicate id still fails the load.
        indexes = connection.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'points' "
                                     "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
                                     ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        copy_points(connection, frame)
        for _, definition in indexes:
            connection.execute(definition)
        connection.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'data_version'")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) points")
    return store, frame


def copy_points(connection, frame: pd.DataFrame, chunk: int = 100_000) -> None:
    """`COPY points FROM STDIN` in CSV, written by pandas a chunk at a time (an empty field is NULL; the synthetic
    data has no empty strings). Row numbers rise with the frame's order, as in the GeoPackage."""
    columns = ["geom", *POINT_COLUMNS]
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor().copy(f"COPY points ({names}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(frame), chunk):
            part = frame.iloc[start:start + chunk][list(POINT_COLUMNS)].copy()
            points = shapely.set_srid(shapely.points(part["lon"].to_numpy(), part["lat"].to_numpy()), 4326)
            part.insert(0, "geom", shapely.to_wkb(points, hex=True, include_srid=True))
            part["sample"] = part["sample"].astype(bool)
            copy.write(part.to_csv(header=False, index=False, na_rep="", lineterminator="\n").encode("utf-8"))
