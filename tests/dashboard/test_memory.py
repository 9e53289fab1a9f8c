"""The server collects garbage at most once per interval, whichever session's run comes first."""
import gc

from dashboard import memory


def test_full_collection_runs_at_most_once_per_interval(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: calls.append(generation))
    monkeypatch.setattr(memory, "_last", 1000.0)
    assert memory.collect_now_and_then(now=1000.0 + memory.INTERVAL_S / 2) is False
    assert memory.collect_now_and_then(now=1000.0 + memory.INTERVAL_S + 1) is True
    assert memory.collect_now_and_then(now=1000.0 + memory.INTERVAL_S + 2) is False
    assert calls == [2]
