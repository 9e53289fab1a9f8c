"""The many-viewers benchmark in miniature (benchmarks/load.py): today's revision, this tree and two workers behind
nginx, each served on one synthetic store and driven over Streamlit's websocket -- every session answered, nothing
failed, the 大屏 refreshed beside them, and the numbers the README's table is made of are there."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from benchmarks import load


@pytest.fixture
def nginx():
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        if os.environ.get("CI"):
            pytest.fail("the load benchmark's workers need nginx under CI", pytrace=False)
        pytest.skip("nginx is not installed")


def test_today_ours_and_two_workers_are_measured_side_by_side(nginx, tmp_path, capsys):
    runs = load.ROOT / "var" / "run"
    before = set(runs.glob("serve-*"))
    result = load.matrix([3], 6, workers=2, points=600, saturation_sessions=4, saturation_seconds=4, warm_up=3,
                         log=lambda line: None)
    setups = [row["setup"] for row in result["rows"]]
    # A clone without the revision (shallow) runs without 'today' and says so (the other test).
    in_history = subprocess.run(["git", "-C", str(load.ROOT), "cat-file", "-e", f"{load.BASELINE}^{{commit}}"],
                                check=False, capture_output=True).returncode == 0
    today = [f"today ({load.BASELINE[:7]})"] if in_history else []
    assert [s.split(",")[0] for s in dict.fromkeys(setups)] == [*today, "ours", "ours"]
    assert "2 processes + nginx" in setups[-1]
    assert set(runs.glob("serve-*")) == before  # the workers' run folders were temporary
    for row in result["rows"]:
        assert row["errors"] == 0, row["error_samples"]
        assert row["every_session_answered"] and row["reruns"] > 0
        assert row["opens"] == row["sessions"]  # each viewer's first run is timed apart from its filter changes
        assert row["server_cpu_ms_per_rerun"] > 0 and len(row["core_busy"]) == os.cpu_count()
        if not row.get("saturation"):
            assert row["screen_refreshes"] >= 1  # the 大屏's own timer ran beside the viewers
    summary = result["summary"]
    if today:
        assert summary[setups[0]]["throughput_vs_today"] == 1.0
    assert all(goal["saturation_reruns_per_s"] > 0 for goal in summary.values())
    out = tmp_path / "load.json"
    load.write(result, out)
    assert json.loads(out.read_text(encoding="utf-8"))["rows"][0]["setup"] == setups[0]
    printed = load.table(result)
    assert "ours, 2 processes + nginx" in printed and "reruns/s" in printed


def test_a_revision_that_is_not_in_the_clone_leaves_today_out(tmp_path, capsys):
    chosen = load.setups(1, "0" * 40, tmp_path)
    assert [s.label for s in chosen] == ["ours, 1 process"]
    assert "not in this clone's history" in capsys.readouterr().out
