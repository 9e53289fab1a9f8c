"""A filter-change rerun of a real page, headless, with streamlit.testing.v1.AppTest.

The first run is a warm-up (imports, caches); then the 乡镇 filter is switched between one town and 全部 and
each `at.run()` is timed. The dashboard pages are used when `dashboard/app.py` exists, else benchmarks/apps.
"""
from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from streamlit.testing.v1 import AppTest

from loaders.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_APP = ROOT / "dashboard" / "app.py"
BENCH_APP = ROOT / "benchmarks" / "apps" / "points_page.py"
UNIT_LABEL = "乡镇"


def _landed(path: Path) -> bool:
    """The file exists and, in a git checkout, is committed (a half-written page in a working tree does not count)."""
    if not path.is_file():
        return False
    try:
        done = subprocess.run(["git", "ls-files", "--error-unmatch", str(path.relative_to(ROOT))], check=False, cwd=ROOT,
                              capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return True
    return done.returncode == 0 or not (ROOT / ".git").exists()


def page_under_test() -> tuple[Path, str]:
    """dashboard/app.py once it has landed, else the benchmark page; XZMAP_BENCH_PAGE overrides."""
    chosen = os.environ.get("XZMAP_BENCH_PAGE")
    if chosen:
        return Path(chosen), chosen
    if _landed(DASHBOARD_APP):
        return DASHBOARD_APP, "dashboard/app.py"
    return BENCH_APP, "benchmarks/apps/points_page.py (dashboard pages not yet landed)"


@contextmanager
def store_env(path: Path):
    old = os.environ.get("XZMAP_STORE")
    os.environ["XZMAP_STORE"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("XZMAP_STORE", None)
        else:
            os.environ["XZMAP_STORE"] = old


def _unit_widget(at: AppTest):
    for kind in ("multiselect", "selectbox"):
        for widget in getattr(at.sidebar, kind):
            if widget.label.strip().startswith(UNIT_LABEL):
                return kind, widget
    raise LookupError(f"no sidebar widget labelled {UNIT_LABEL!r} on the page")


def _set_unit(at: AppTest, name: str | None) -> None:
    kind, widget = _unit_widget(at)
    if kind == "multiselect":
        # The dashboard's town filter holds unit codes and shows their names.
        units = open_store().units().frame()
        code = dict(zip(units["name"], units["code"])).get(name, name) if name else None
        widget.set_value([code] if code else [])
    else:
        widget.set_value(name or widget.options[0])


def time_reruns(store_path: Path, reruns: int, app: Path | None = None, town: str | None = None) -> dict:
    """Median seconds of filter-change reruns (alternating one town / all); also the warm-up first run."""
    app, label = (app, str(app)) if app else page_under_test()
    with store_env(store_path):
        at = AppTest.from_file(str(app), default_timeout=120)
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        if at.exception:
            raise RuntimeError(f"{app} raised: {at.exception[0].message}")
        _, widget = _unit_widget(at)
        options = [o for o in widget.options if o != "全部"]
        town = town or options[0]
        times, to_town, to_all = [], [], []
        for k in range(reruns):
            _set_unit(at, town if k % 2 == 0 else None)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            (to_town if k % 2 == 0 else to_all).append(times[-1])
            if at.exception:
                raise RuntimeError(f"{app} raised: {at.exception[0].message}")
    return {"page": label, "first_run_s": round(first, 3), "rerun_s": _median(times),
            "rerun_to_town_s": _median(to_town), "rerun_to_all_s": _median(to_all), "reruns": len(times), "town": town}


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(value, 4)
