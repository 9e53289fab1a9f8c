"""The 「下载简报」 buttons: offered on a page without building anything, built once per store, data version and filter
when clicked, disabled with the Chinese reason when the fonts are missing; the map's colours are the dashboard's."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import mapview, pointlayer
from dashboard.components import briefing as buttons_module
from loaders import briefing
from loaders.briefing import fonts, style
from loaders.filters import Filter

WHERE = Filter(unit_codes=("420607104000",))  # 古驿


def page():
    from dashboard.components import briefing as component
    from loaders.filters import Filter

    component.buttons(Filter(unit_codes=("420607104000",)), "issue")


@pytest.fixture
def builds(monkeypatch):
    """The briefings built, as (filter, format, kind); each build returns its own bytes."""
    made = []

    def build(store, where, fmt, kind=None, today=None):
        made.append((where, fmt, kind))
        return f"{fmt} #{len(made)}".encode()

    monkeypatch.setattr(briefing, "build", build)
    buttons_module._briefing.clear()
    buttons_module._fonts_problem.clear()
    return made


def test_two_buttons_are_offered_and_nothing_is_built_until_one_is_clicked(store_path, builds):
    at = AppTest.from_function(page, default_timeout=60)
    at.run()
    assert not at.exception
    shown = at.get("download_button")
    assert [b.label for b in shown] == ["简报 PDF", "简报 Word"]
    assert not any(b.proto.disabled for b in shown)
    assert builds == []


def test_a_briefing_is_built_once_per_data_version_and_filter(store_path, builds):
    from loaders.store import open_store

    assert buttons_module.briefing_data(WHERE, "issue", "pdf") == b"pdf #1"
    assert buttons_module.briefing_data(WHERE, "issue", "pdf") == b"pdf #1"  # the second click: from the cache
    assert buttons_module.briefing_data(WHERE.but(keyword="排水"), "issue", "pdf") == b"pdf #2"
    store = open_store(store_path)
    point = store.point(store.points(WHERE)["id"].iloc[0])
    store.update_point(point["id"], {"name": "改过的名称"}, point["version"], "test")
    assert buttons_module.briefing_data(WHERE, "issue", "pdf") == b"pdf #3"  # the data changed
    assert builds[0] == (WHERE, "pdf", "issue")


def test_without_fonts_the_buttons_are_disabled_and_say_why(store_path, builds, monkeypatch):
    monkeypatch.setattr(fonts, "_candidates", lambda directories: [])
    at = AppTest.from_function(page, default_timeout=60)
    at.run()
    assert all(b.proto.disabled for b in at.get("download_button"))
    assert any("缺少中文字体" in c.value and "fonts-noto-cjk" in c.value for c in at.caption)


def test_the_briefing_map_uses_the_dashboard_map_colours():
    assert style.STAGE_COLORS == pointlayer.STAGE_COLORS
    assert (style.AREA_PALETTE, style.OUTSIDE_FILL) == (mapview.AREA_PALETTE, mapview.OUTSIDE_FILL)
    shapes = {"star": "*", "triangle": "^", "square": "s", "circle": "o"}
    assert style.KIND_MARKERS == {kind: shapes[shape] for kind, shape in pointlayer.KIND_SHAPES.items()}
