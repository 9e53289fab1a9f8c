"""No figure is printed without its thousands separated: the overview, a kind page, 进展 and the 大屏 on a store of
12,000 points (benchmarks/synthetic.py), through AppTest."""
from __future__ import annotations

import json
import re

import pytest
from pagehelpers import open_page
from streamlit.testing.v1 import AppTest

from benchmarks import synthetic

POINTS = 12_000
# A run of five or more digits that is not part of a date (2026-05-01), a decimal, an already separated number or a
# synthetic point's name (问题点：… #01223: text, not a figure).
BARE = re.compile(r"(?<![\d,.\-:/#])\d{5,}(?![\d,.\-:])")


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("numbers") / "big.gpkg"
    synthetic.build_store(path, POINTS)
    return path


def _run(monkeypatch, path, page: str | None = None) -> AppTest:
    monkeypatch.setenv("XZMAP_STORE", str(path))
    return open_page(page, timeout=120)


def _texts(at: AppTest) -> list[str]:
    """What the page writes as text: markdown, captions, headings, notices, the KPI cards and their notes."""
    texts = [str(e.value) for kind in ("markdown", "caption", "title", "header", "subheader", "info", "success",
                                       "warning") for e in at.get(kind)]
    texts += [f"{m.label} {m.value} {m.delta or ''}" for m in at.metric]
    return texts


def _no_bare_numbers(texts: list[str]) -> None:
    bare = {match for text in texts for match in BARE.findall(text)}
    assert not bare, f"printed without separators: {sorted(bare)[:10]}"


def _count_columns_localized(at: AppTest) -> int:
    """Every data grid's integer columns are shown localized (44,861), not as the grid's plain 44861; returns how
    many such columns there were."""
    checked = 0
    for grid in at.get("dataframe"):
        config = json.loads(grid.proto.columns or "{}")
        for name in grid.value.select_dtypes("integer").columns:
            assert (config.get(str(name), {}).get("type_config") or {}).get("format") == "localized", name
            checked += 1
    return checked


def test_the_overview_separates_thousands_in_every_figure(monkeypatch, big_store):
    at = _run(monkeypatch, big_store)
    texts = _texts(at)
    assert any("12,000" in t for t in texts)  # 共 12,000 个点位, 点位总数
    _no_bare_numbers(texts)
    assert _count_columns_localized(at) >= 5  # the per-town table: four stages and 合计
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert charts and all(json.dumps(spec).count('",d"') >= 2 for spec in charts)  # the axis and the tooltip


@pytest.mark.parametrize("page", ["views/issues.py", "views/progress.py"])
def test_other_pages_separate_thousands_too(monkeypatch, big_store, page):
    at = _run(monkeypatch, big_store, page)
    _no_bare_numbers(_texts(at))
    _count_columns_localized(at)


def test_the_big_screen_writes_big_figures_in_wan(monkeypatch, big_store):
    at = _run(monkeypatch, big_store, "views/screen.py")
    html = " ".join(str(e.value) for e in at.markdown)
    assert "点位 <b>1.2万</b>" in html  # 12,000 points: 1.2万, read from the back of the room
    cards = re.findall(r'class="xz-num">([^<]*)<', html)
    assert any(re.fullmatch(r"\d,\d{3}", card) for card in cards), cards  # below 10,000: exact, separated
    _no_bare_numbers(_texts(at))
