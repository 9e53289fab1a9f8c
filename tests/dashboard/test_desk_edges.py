"""Desk-side rough edges of the map pages (issue 13): a point closed by a filter that leaves it out, values shown as
people read them (no ISO stamps, no program accounts, no internal ids), filters carried between pages."""
from __future__ import annotations

import re

from pagehelpers import map_args, units_of

from dashboard.components import detail, filters, history
from loaders import model
from loaders.filters import Filter

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\+08:00")


def _texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info])


def test_the_detail_panel_shows_times_people_and_names_not_stored_values(run_page, store):
    point = store.points(Filter(kinds=("issue",))).iloc[0]
    at = run_page("issue", query={"point": point["id"]})
    shown = _texts(at)
    assert md_name(point["name"]) in shown
    assert "**更新时间**：" + md_name(point["updated_at"][:10] + " " + point["updated_at"][11:16]) in shown
    assert "**更新人**：系统导入" in shown
    assert not STAMP.search(shown.replace("\\", "")) and "init" not in shown
    assert point["id"] not in shown.replace(f"point={point['id']}", "")  # the internal id is not a thing to read


def md_name(name: str) -> str:
    from dashboard.components.safe import md_text
    return md_text(name)


def test_detail_rows_keep_the_sources_own_number_and_drop_the_internal_id(store):
    record = dict(store.points().iloc[0]) | {"external_id": "HJ-9", "sample": True}
    rows = dict(detail.rows(record, store.units().names()))
    assert rows["外部编号"] == "HJ-9" and "编号" not in rows
    assert rows["更新人"] == "系统导入" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows["更新时间"])


def test_the_history_table_names_people_towns_and_times(store):
    point = store.points().iloc[0]
    other = next(c for c in store.units().codes if c != point["unit_code"])
    store.update_point(point["id"], {"unit_code": other}, int(point["version"]), "hj")
    names = store.units().names(short=True)
    table = history.rows(store.history(point["id"]), names)
    assert "记录号" not in table.columns
    assert set(table["操作人"]) == {"hj", "系统导入"}
    moved = table[table["字段"] == model.COLUMN_LABELS["unit_code"]].iloc[0]
    assert (moved["修改前"], moved["修改后"]) == (names[point["unit_code"]], names[other])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", t) for t in table["时间"])


def test_a_filter_that_leaves_the_open_point_out_closes_it_and_says_so(run_page, store):
    units = units_of(store)
    point = store.points(Filter(kinds=("issue",), unit_codes=(units.code_of("张湾"),))).iloc[0]
    other_stage = next(s for s in model.STAGES if s != point["stage"])
    at = run_page(query={"unit": "张湾", "point": point["id"]})
    centred = map_args(at)
    assert at.session_state["_xz_selected_point"] == point["id"]
    at.multiselect(key="f_stage").set_value([other_stage]).run()  # same town: only the stage leaves it out
    assert not at.exception
    assert at.session_state["_xz_selected_point"] is None and "point" not in dict(at.query_params)
    notice = " ".join(i.value for i in at.info)
    assert md_name(point["name"]) in notice and "不符合新的筛选条件" in notice
    # moved off the point, to where the same filter without an open point shows the results
    fresh = map_args(run_page(query={"unit": "张湾", "stage": other_stage}))
    moved = map_args(at)
    assert (moved["center"], moved["zoom"]) == (fresh["center"], fresh["zoom"]) != (centred["center"], centred["zoom"])
    # the notice is said once: the next rerun shows the empty panel
    at.run()
    assert "不符合新的筛选条件" not in " ".join(i.value for i in at.info)


def test_a_filter_that_keeps_the_open_point_keeps_it_open(run_page, store):
    units = units_of(store)
    point = store.points(Filter(kinds=("issue",), unit_codes=(units.code_of("张湾"),))).iloc[0]
    at = run_page(query={"point": point["id"]})
    at.multiselect(key="f_unit").set_value([units.code_of("张湾")]).run()
    assert at.session_state["_xz_selected_point"] == point["id"]
    assert "不符合新的筛选条件" not in _texts(at)


def test_carrying_a_filter_keeps_what_the_page_has_and_names_what_it_drops():
    last = Filter(kinds=("issue",), unit_codes=("420607101000",), stages=("已完成",), statuses=("已解决",),
                  keyword="井")
    kept, notice = filters.carry(last, "issue")
    assert kept == Filter(unit_codes=("420607101000",), stages=("已完成",), statuses=("已解决",), keyword="井")
    assert notice is None
    kept, notice = filters.carry(last, "well")
    assert kept.statuses == () and kept.stages == ("已完成",) and kept.keyword == "井"
    assert notice == "已切换到水井：状态筛选“已解决”不适用，已取消"
    assert filters.carry(last, None) == (kept.but(statuses=("已解决",)), None)
