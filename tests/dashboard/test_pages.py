"""Every page through AppTest: KPIs, what the map is sent, filters in the URL, clicks, escaping, exports."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from pagehelpers import map_args, metrics, payloads, points_sent, units_of

from dashboard import mapview
from dashboard.components import exports
from dashboard.components.safe import html_text, md_text
from loaders import model
from loaders.filters import Filter
from loaders.store import GeoPackageStore
from loaders.units import Units

HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}\\1"
KIND_TOTALS = {"demo_site": 17, "well": 21, "bridge": 12, "issue": 63}


def _local_only(args: dict) -> None:
    for url in args["js_links"] + args["css_links"]:
        assert url.startswith("/app/static/"), url
    for part in ("script", "header", "html", "feature_group", "layer_control"):
        assert "://" not in (args[part] or ""), part


def test_overview_shows_the_article_figures_and_every_point_offline(run_page):
    at = run_page()
    values = metrics(at)
    assert values["点位总数"] == "113"
    assert {k: values[model.kind_label(k)] for k in KIND_TOTALS} == {k: str(v) for k, v in KIND_TOTALS.items()}
    assert values["已解决问题"] == "24" and values["转社情民意"] == "25"
    assert values["问题解决率"] == f"{24 / (63 - 2) * 100:.1f}%"
    assert sum(int(values[s]) for s in model.STAGES) == 113
    args = map_args(at)
    assert points_sent(args) == 113
    assert args["returned_objects"] == ["last_active_drawing", "last_object_clicked"]
    _local_only(args)
    assert "示意范围" in args["script"] and "L.canvas" in args["script"]
    assert any("演示数据" in info.value for info in at.info)
    assert at.session_state["f_unit"] == []


@pytest.mark.parametrize("kind", list(KIND_TOTALS))
def test_each_layer_page_shows_only_its_kind(run_page, kind):
    at = run_page(kind)
    assert metrics(at)["总数"] == str(KIND_TOTALS[kind])
    args = map_args(at)
    sent = payloads(args)
    assert len(sent) == 1 and len(sent[0]["c"]) == KIND_TOTALS[kind]
    codes = {sent[0]["code_kind"][c] for c in sent[0]["c"]}
    assert codes == {list(model.KINDS).index(kind)}
    _local_only(args)
    assert not at.multiselect(key="f_unit").value
    assert all(m.key != "f_kind" for m in at.multiselect)  # no 类型 filter on a layer page


def test_filters_come_from_the_url_and_match_the_store(run_page, store):
    at = run_page(query={"unit": "黄集,古驿", "stage": "已关闭", "kind": "issue", "from": "2021-01-01"})
    units = units_of(store)
    codes = (units.code_of("黄集"), units.code_of("古驿"))
    expected = store.points(Filter(kinds=("issue",), unit_codes=codes, stages=("已关闭",),
                                        date_from=dt.date(2021, 1, 1)))
    assert 0 < len(expected) < 113
    assert points_sent(map_args(at)) == len(expected)
    assert metrics(at)["点位总数"] == str(len(expected))
    assert [units.short(c) for c in at.multiselect(key="f_unit").value] == ["黄集", "古驿"]
    assert dict(at.query_params)["unit"] in ("黄集,古驿", ["黄集,古驿"])


def test_invalid_url_values_are_ignored_with_a_notice(run_page):
    at = run_page(query={"unit": "火星,黄集", "kind": "ufo", "status": "<b>x</b>", "from": "2022-13-45", "q": "井"})
    assert any("已忽略" in w.value and "火星" in w.value for w in at.warning)
    assert len(at.multiselect(key="f_unit").value) == 1
    assert at.text_input(key="f_q").value == "井"
    assert points_sent(map_args(at)) > 0
    # a town outside the 17 is not offered by the pages: a link naming it is told so
    at = run_page(query={"unit": "东津"})
    assert any("东津" in w.value for w in at.warning) and at.multiselect(key="f_unit").value == []


def test_a_filter_change_keeps_the_base_map_and_updates_the_url(run_page):
    at = run_page()
    before = map_args(at)
    at.multiselect(key="f_stage").set_value(["进行中"]).run()
    after = map_args(at)
    for part in ("script", "header", "html", "key"):
        assert before[part] == after[part], f"{part} changed: the map would remount"
    assert points_sent(after) == int(metrics(at)["进行中"]) < 113
    assert after["center"] == before["center"] and after["zoom"] == before["zoom"]
    assert dict(at.query_params)["stage"] in ("进行中", ["进行中"])
    # one town: zoom in on it
    code = at.multiselect(key="f_unit").options[8]
    at.multiselect(key="f_unit").set_value([code]).run()
    zoomed = map_args(at)
    assert zoomed["zoom"] > before["zoom"] and zoomed["script"] == before["script"]
    # reset clears filters and URL
    reset = next(b for b in at.button if b.label == "重置筛选")
    reset.click().run()
    assert points_sent(map_args(at)) == 113
    assert "stage" not in dict(at.query_params) and "unit" not in dict(at.query_params)


def test_status_options_follow_kinds_and_stages(run_page):
    at = run_page(query={"kind": "well", "stage": "已完成"})
    assert at.multiselect(key="f_status").options == ["已出水（已完成）"]


def test_clicking_an_area_filters_to_that_town_and_a_point_opens_its_details(run_page, store):
    at = run_page()
    key = map_args(at)["key"]
    code = units_of(store).code_of("古驿")
    at.session_state[key] = {"last_active_drawing": {"type": "Feature", "properties": {"code": code}},
                             "last_object_clicked": {"lat": 32.3, "lng": 112.2}}
    at.run()
    assert not at.exception
    assert at.multiselect(key="f_unit").value == [code]
    args = map_args(at)
    expected = store.points(Filter(unit_codes=(code,)))
    assert points_sent(args) == len(expected)
    # click the first point of the first layer
    layer = payloads(args)[0]
    sent_kind = list(model.KINDS)[layer["code_kind"][layer["c"][0]]]
    frame = expected[expected["kind"] == sent_kind].reset_index(drop=True)
    row = layer["order"][0]
    at.session_state[args["key"]] = {"last_active_drawing": {"type": "Feature", "properties": {"i": row, "t": layer["t"]}},
                                     "last_object_clicked": {"lat": 32.31, "lng": 112.21}}
    at.run()
    assert not at.exception
    name = frame["name"][row]
    assert any(md_text(name) in m.value for m in at.markdown)
    assert dict(at.query_params)["point"] in (frame["id"][row], [frame["id"][row]])
    assert payloads(map_args(at))[0]["highlight"] == row or any(p["highlight"] is not None for p in payloads(map_args(at)))


def test_a_shared_link_opens_the_point_and_centres_on_it(run_page, store):
    point = store.points(Filter(kinds=("issue",))).iloc[0]
    at = run_page("issue", query={"point": point["id"]})
    assert any(md_text(point["name"]) in m.value for m in at.markdown)
    args = map_args(at)
    assert args["center"] == [round(point["lat"], 6), round(point["lon"], 6)] and args["zoom"] == 13
    follow = store.follow_ups(point["id"])
    if follow:
        assert any("跟踪督办记录" in m.value for m in at.markdown)


def test_hostile_names_reach_the_page_only_escaped(run_page, store_path):
    store = GeoPackageStore(store_path)
    point = store.points(Filter(kinds=("issue",))).iloc[0]
    store.update_point(point["id"], {"name": HOSTILE, "village": HOSTILE}, int(point["version"]), "test")
    at = run_page(query={"point": point["id"]})
    args = map_args(at)
    everything = json.dumps(args, ensure_ascii=False)
    for raw in ("<img", "${alert", "onerror=alert(1)>"):
        assert raw not in args["feature_group"], raw
        assert raw not in args["script"], raw
    assert HOSTILE in [n for p in payloads(args) for n in p["n"]]  # literal text, decoded by JSON only
    assert "\\1" not in everything.replace("\\\\1", "")
    shown = " ".join(m.value for m in at.markdown)
    assert md_text(HOSTILE) in shown and HOSTILE not in shown


def test_gaode_converts_overlays_and_tianditu_needs_a_key(run_page, monkeypatch):
    plain = map_args(run_page())
    gaode = map_args(run_page(query={"base": "gaode"}))
    assert "autonavi.com" in gaode["script"] and "autonavi" not in plain["script"]
    assert gaode["script"] != plain["script"]
    moved = payloads(gaode)[0]["x0"] + payloads(gaode)[0]["x"][0] / 1e5
    still = payloads(plain)[0]["x0"] + payloads(plain)[0]["x"][0] / 1e5
    assert 0.003 < moved - still < 0.009  # GCJ-02 is ~600 m east here
    at = run_page(query={"base": "tianditu"})
    assert "tianditu" not in map_args(at)["script"] and at.selectbox(key="xz_base").value == "offline"
    monkeypatch.setenv("XZMAP_TIANDITU_KEY", "test-key")
    at = run_page(query={"base": "tianditu"})
    assert "tianditu.gov.cn" in map_args(at)["script"] and "tk=test-key" in map_args(at)["script"]


def test_base_map_script_is_identical_between_sessions(run_page):
    first, second = map_args(run_page()), map_args(run_page())
    assert first["script"] == second["script"] and first["header"] == second["header"]


def test_exports_have_chinese_dated_names_and_excel_friendly_csv(store_path):
    import datetime as dt

    assert exports.file_name("csv", None, dt.date(2026, 11, 26)) == "襄州一线协商点位_2026-11-26.csv"
    assert exports.file_name("xlsx", "well", dt.date(2026, 11, 26)) == "襄州一线协商水井_2026-11-26.xlsx"
    where = Filter(kinds=("well",))
    csv = exports.export_data(where, "csv")
    assert csv.startswith("\ufeff".encode()) and "名称".encode() in csv
    geo = json.loads(exports.export_data(where, "geojson"))
    assert len(geo["features"]) == 21
    assert exports.export_data(where, "xlsx")[:2] == b"PK"


def test_safe_helpers():
    assert html_text(HOSTILE) == "&lt;img src=x onerror=alert(1)&gt;&#36;{alert(2)}&#92;1"
    assert "`" not in html_text("`x`")
    assert html_text("甲\n\n  乙") == "甲 乙"  # a blank line would end an HTML block in markdown
    assert md_text("[a](javascript:x) $x$ *b*") == r"\[a\]\(javascript\:x\) \$x\$ \*b\*"


def test_query_round_trip(store):
    network = Units(units_of(store).network)
    state = Filter(unit_codes=network.codes[:2], kinds=("well",), stages=("待办",), keyword="井",
                   date_from=dt.date(2022, 1, 1))
    parsed, problems = Filter.from_query(state.to_query(network), network)
    assert parsed == state and problems == []


def test_one_fit_for_every_map(store):
    """The pages fit whole zoom levels with a margin in pixels; the 大屏 quarter levels held back a little."""
    box = (32.0, 112.0, 32.2, 112.3)
    page = mapview.view_for_bounds(box, 700, 600)
    screen = mapview.view_for_bounds(box, 990, 758, padding=0, zoom_snap=0.25, zoom_margin=0.12, zoom_range=(7.0, 14.0))
    assert page.center == screen.center == (32.1, 112.15)
    assert page.zoom == 11 and isinstance(page.zoom, int) and screen.zoom == 12.0
    assert mapview.view_for_bounds((32.0, 112.0, 32.0001, 112.0001)).zoom == 15  # a point: the closest allowed
    units = units_of(store)
    geography = type("G", (), {"bounds": {"": (31.5, 111.5, 32.5, 112.5), units.code_of("东津"): (32.0, 112.1, 32.1,
                                                                                                       112.2)}})()
    hosted = units.code_of("鹿门")  # no area of its own: drawn in 东津's
    assert mapview.towns_box(geography, units, [hosted]) == (32.0, 112.1, 32.1, 112.2)
    assert mapview.towns_box(geography, units, []) == geography.bounds[""]
    assert units.areas_of([hosted, units.code_of("东津")]) == (units.code_of("东津"),)
