"""Store reads at size: no filter, a typical filter (one town, open items), and the map's narrow column set."""
from __future__ import annotations

import time

from loaders import model
from loaders.store import Filter

MAP_COLUMNS = ("id", "kind", "status", "name", "lon", "lat")
try:  # the columns the dashboard pages read (dashboard/data.py), when they exist
    from dashboard.data import VIEW_COLUMNS
except Exception:  # noqa: BLE001 -- pages not there yet, or not importable outside Streamlit
    VIEW_COLUMNS = ("id", "kind", "status", "stage", "unit_code", "lon", "lat", "name", "village", "opened_on",
                    "resolved_on", "sample", "updated_at")


def typical_filter(store) -> Filter:
    """What a leader clicks: one town (the first network unit), open items only (待办 + 进行中)."""
    units = store.units().frame()
    first = units[units["in_network"]]["code"].iloc[0]
    return Filter(unit_codes=(first,), stages=model.OPEN_STAGES)


def cases(store) -> dict[str, tuple[Filter, tuple[str, ...] | None]]:
    typical = typical_filter(store)
    return {
        "all_columns_no_filter": (Filter(), None),
        "all_columns_typical_filter": (typical, None),
        "map_columns_no_filter": (Filter(), MAP_COLUMNS),
        "map_columns_typical_filter": (typical, MAP_COLUMNS),
        "page_columns_no_filter": (Filter(), VIEW_COLUMNS),
        "page_columns_typical_filter": (typical, VIEW_COLUMNS),
        "keyword_search": (Filter(keyword="抗旱井"), MAP_COLUMNS),
    }


def time_queries(store, repeats: int) -> dict:
    """Median milliseconds and row count per case (one untimed warm-up read first: the OS file cache)."""
    store.points(Filter(), columns=MAP_COLUMNS)
    out = {}
    for label, (where, columns) in cases(store).items():
        times = []
        rows = 0
        for _ in range(repeats):
            start = time.perf_counter()
            rows = len(store.points(where, columns=columns))
            times.append(time.perf_counter() - start)
        times.sort()
        out[label] = {"ms": round(1000 * times[len(times) // 2], 1), "rows": rows}
    return out
