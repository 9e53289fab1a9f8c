"""The benchmark code runs at a tiny size, and its synthetic data is deterministic and valid (no timing asserted)."""
from __future__ import annotations

import json
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
    assert bench.main(["--quick", "--quiet", "--out", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    (row,) = results["sizes"]
    assert row["points"] == 200
    assert row["ours"]["bytes"] > 0 and row["naive"]["bytes"] > row["ours"]["bytes"]
    assert row["store_query"]["map_columns_no_filter"]["rows"] == 200
    assert row["page"]["reruns"] == 2 and row["page"]["rerun_s"] is not None
    assert results["machine"]["cores"] >= 1
    assert "map build, ours" in capsys.readouterr().out
