"""The benchmark code runs at a tiny size, and its synthetic data is deterministic and valid (no timing asserted)."""
from __future__ import annotations

import json
import os
from collections import Counter

import numpy as np
import pytest

from benchmarks import __main__ as bench
from benchmarks import synthetic
from loaders import model
from loaders.store import Filter


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    store = synthetic.empty_store(tmp_path_factory.mktemp("bench") / "empty.gpkg")
    return store, synthetic.network_areas(store)


def test_synthetic_points_are_deterministic(network):
    _, (codes, names, areas) = network
    a = synthetic.generate(300, codes, names, areas, seed=7)
    b = synthetic.generate(300, codes, names, areas, seed=7)
    c = synthetic.generate(300, codes, names, areas, seed=8)
    assert a.equals(b)
    assert not a.equals(c)


def test_synthetic_points_are_valid_and_cover_units_kinds_and_statuses(network):
    store, (codes, names, areas) = network
    assert len(codes) == 17
    frame = synthetic.generate(2000, codes, names, areas)
    assert frame["id"].is_unique
    geography = store.geography()
    # Every point lies inside the district and inside the area of the unit it is filed under.
    assert geography.inside(frame["lon"].to_numpy(), frame["lat"].to_numpy()).all()
    assert (geography.unit_at(frame["lon"].to_numpy(), frame["lat"].to_numpy()) == frame["unit_code"].to_numpy()).all()
    assert set(frame["unit_code"]) == set(codes)
    pairs = set(zip(frame["kind"], frame["status"]))
    assert pairs == {(k.key, s.label) for k in model.KINDS.values() for s in k.statuses}
    assert (frame["stage"] == [model.stage_of(k, s) for k, s in zip(frame["kind"], frame["status"])]).all()
    assert frame["name"].str.len().between(8, 40).all()
    for record in frame.sample(200, random_state=1).to_dict("records"):
        clean = model.validate_point({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()},
                                     unit_codes=set(codes))
        assert clean["kind"] == record["kind"] and clean["status"] == record["status"]


def test_bulk_loaded_store_reads_back(tmp_path):
    store, frame = synthetic.build_store(tmp_path / "s.gpkg", 200)
    read = store.points(Filter())
    assert len(read) == 200 and set(read["id"]) == set(frame["id"])
    counts = Counter(store.counts()["kind"].repeat(store.counts()["n"]))
    assert sum(counts.values()) == 200
    one = store.point(frame["id"][0])
    assert one["name"] == frame["name"][0] and one["site_format"] in (None, frame["site_format"][0])
    assert store.data_version() >= 1


def test_the_whole_run_works_at_a_tiny_size(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert bench.main(["--quick", "--quiet", "--engines", "gpkg", "--out", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    (row,) = results["sizes"]
    assert row["points"] == 200
    assert row["ours"]["bytes"] > 0 and row["naive"]["bytes"] > row["ours"]["bytes"]
    assert row["store_query"]["map_columns_no_filter"]["rows"] == 200
    assert row["page"]["reruns"] == 2 and row["page"]["rerun_s"] is not None
    assert results["machine"]["cores"] >= 1
    (engine_row,) = results["engines"]["sizes"]
    assert engine_row["gpkg"]["map_columns_no_filter"]["rows"] == 300 and engine_row["gpkg"]["import"]["rows"] == 50
    printed = capsys.readouterr().out
    assert "map build, ours" in printed and "GeoPackage 300" in printed


@pytest.fixture(scope="module")
def postgis_available():
    """Like tests/conftest.py's postgres_server: under CI a missing PostgreSQL/PostGIS fails, elsewhere it skips (the
    benchmark starts its own server)."""
    from tools import pgserver

    problem = pgserver.missing()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostGIS benchmark cannot run under CI: {problem}", pytrace=False)
        pytest.skip(f"PostGIS benchmark skipped: {problem}")


def test_both_engines_hold_the_same_synthetic_data_and_are_timed_side_by_side(postgis_available, tmp_path, capsys):
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"sizes": ["kept"]}), encoding="utf-8")
    assert bench.main(["--quick", "--quiet", "--engines-only", "--engines", "gpkg,postgis", "--out", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["sizes"] == ["kept"]  # --engines-only replaces only its own part of an existing results file
    part = results["engines"]
    assert part["engines"] == ["gpkg", "postgis"] and not part["skipped"]
    (row,) = part["sizes"]
    assert row["points"] == 300 and row["same_data"] is True
    for engine in ("gpkg", "postgis"):
        timings = row[engine]
        assert timings["map_columns_no_filter"]["rows"] == 300
        assert timings["import"]["rows"] == 50 and timings["import"]["total_s"] >= 0
        assert timings["data_version"]["rows"] >= 1
    for case in ("map_columns_town_status", "page_columns_town_status", "map_columns_bbox", "keyword_many",
                 "keyword_few", "counts"):  # the same answers from both engines
        assert row["gpkg"][case]["rows"] == row["postgis"][case]["rows"], case
    assert row["gpkg"]["map_columns_bbox"]["rows"] > row["gpkg"]["map_columns_town_status"]["rows"]
    printed = capsys.readouterr().out
    assert "GeoPackage 300" in printed and "PostGIS 300" in printed


def test_synthetic_postgis_store_is_the_geopackage_one(postgis_available, tmp_path):
    from benchmarks import engines
    from loaders.store import postgis

    with engines.postgis_server(tmp_path / "pg") as server:
        url = server.url(server.create_database("same"))
        try:
            pg, frame = synthetic.build_postgis(url, 500)
            gpkg, _ = synthetic.build_store(tmp_path / "same.gpkg", 500)
            assert pg.checksums() == gpkg.checksums()
            assert pg.points(Filter())["id"].tolist() == gpkg.points(Filter())["id"].tolist() == frame["id"][::-1].tolist()
            assert pg.data_version() >= 1
        finally:
            postgis.dispose(url)


def test_first_load_compares_a_bare_page_with_the_overview_map(tmp_path, capsys):
    """One visit each (the real run takes the median of five or more): both pages drawn offline, the ratio written
    into an existing results file beside what it already held."""
    from benchmarks import browser

    reason = browser.available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"first-load benchmark cannot run under CI: {reason}", pytrace=False)
        pytest.skip(f"first-load benchmark skipped: {reason}")
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"sizes": ["kept"]}), encoding="utf-8")
    assert bench.main(["--first-load-only", "--first-load-visits", "1", "--quiet", "--out", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["sizes"] == ["kept"]
    part = results["first_load"]
    assert part["visits"] == 1 and part["points"] > 100 and part["blocked_requests"] == 0
    for prefix in ("", "new_visitor_"):
        assert 0 < part[prefix + "bare_s"] and 0 < part[prefix + "overview_frame_s"] < part[prefix + "overview_map_s"]
    assert part["ratio"] == pytest.approx(part["overview_map_s"] / part["bare_s"], abs=0.01)
    assert "ratio map / bare" in capsys.readouterr().out
