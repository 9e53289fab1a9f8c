"""数据维护 through AppTest: sign-in gate, unit scope, forms that follow the kind, coordinates (typed, DMS, GCJ-02,
clicked, outside the district), stale edits between two sessions, soft delete and restore, follow-ups, history, revert."""
from __future__ import annotations

import re

import pytest
from pagehelpers import APP, map_args, units_of
from streamlit.testing.v1 import AppTest

from dashboard.components import coordinput, edit_map, edit_page, editform
from loaders import auth, coords, model
from loaders.filters import Filter

EDIT_PAGE = "views/edit.py"
HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}\\1"


def unit_code(store, short: str) -> str:
    return units_of(store).code_of(short)


def point_of(store, short: str, kind: str) -> dict:
    frame = store.points(Filter(unit_codes=(unit_code(store, short),), kinds=(kind,)))
    return store.point(str(frame["id"].iloc[0]))


@pytest.fixture
def open_edit(store):
    """open_edit(name, role, units, point_id=None) -> AppTest signed in as that user, on the editing page."""
    made: dict[str, auth.User] = {}

    def run(name="hj", role="editor", units=("黄集镇",), point_id=None) -> AppTest:
        if name not in made:
            made[name] = auth.add_user(store, name, "password-123", role, units)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["auth_token"] = auth.start_session(store, made[name])
        if point_id:
            at.session_state[edit_page.SELECTED] = point_id
        at.switch_page(EDIT_PAGE)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


def texts(elements) -> str:
    """Element texts with markdown escapes removed (pages escape every user string)."""
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in elements))


def save(at: AppTest) -> AppTest:
    at.button(key="FormSubmitter:ef_form-保存修改").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_page_needs_a_sign_in_and_a_writing_role(store):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(EDIT_PAGE)
    at.run()
    assert "需要工作人员登录" in texts(at.info)
    assert at.text_input(key="page_sign_in_name") is not None
    viewer = auth.add_user(store, "guest", "password-123", "viewer")
    at.session_state["auth_token"] = auth.start_session(store, viewer)
    at.run()
    assert "查看权限" in texts(at.error)
    assert not at.get("component_instance")


def test_editor_edits_a_point_of_their_unit(open_edit, store):
    record = point_of(store, "黄集", "issue")
    at = open_edit(point_id=record["id"])
    assert at.text_input(key="ef_name").value == record["name"]
    new_status = next(s for s in model.KINDS["issue"].status_labels if s != record["status"])
    at.selectbox(key="ef_status").set_value(new_status)
    at.text_input(key="ef_village").set_value("太山村")
    save(at)
    assert "已保存" in texts(at.success)
    after = store.point(record["id"])
    assert after["status"] == new_status and after["village"] == "太山村"
    assert after["version"] == record["version"] + 1 and after["updated_by"] == "hj"
    audit = store.history(record["id"]).iloc[0]
    assert audit["user"] == "hj" and audit["action"] == "update" and set(audit["after"]) >= {"status", "village"}
    # the history tab shows it with Chinese labels, before and after
    table = at.dataframe[-1].value if at.dataframe else None
    frames = [d.value for d in at.dataframe if "操作人" in d.value.columns]
    assert frames and {"状态", "村/社区"} <= set(frames[0]["字段"])
    assert table is not None


def test_editor_cannot_edit_another_units_point(open_edit, store):
    other = point_of(store, "张湾", "issue")
    at = open_edit(point_id=other["id"])
    assert "只能修改黄集镇的点位" in texts(at.info)
    assert not [b for b in at.button if "保存" in str(b.label)]
    assert not [t for t in at.text_input if t.key == "ef_name"]
    assert store.point(other["id"])["version"] == other["version"]
    # and the editing list starts with the editor's own points
    listed = at.session_state[edit_page._TABLE_IDS]
    mine = unit_code(store, "黄集")
    assert listed and all(store.point(pid)["unit_code"] == mine for pid, _, _ in listed)


def test_form_fields_and_statuses_follow_the_kind(open_edit, store):
    well = point_of(store, "黄集", "well")
    at = open_edit(point_id=well["id"])
    labels = {t.label.rstrip(" *") for t in at.text_input} | {t.label for t in at.text_area}
    assert "井深(米)" in labels and "问题类别" not in labels and "所在渠道" not in labels
    assert at.selectbox(key="ef_status").options == [f"{s}（{model.stage_of('well', s)}）"
                                                     for s in model.KINDS["well"].status_labels]
    issue = point_of(store, "黄集", "issue")
    at.session_state[edit_page.SELECTED] = issue["id"]
    at.run()
    labels = {t.label.rstrip(" *") for t in at.text_input}
    assert {"问题类别", "责任单位"} <= labels and "井深(米)" not in labels


def test_a_bad_value_is_refused_with_field_and_value_and_nothing_is_stored(open_edit, store):
    well = point_of(store, "黄集", "well")
    at = open_edit(point_id=well["id"])
    at.text_input(key="ef_depth_m").set_value("深约两百")
    at.text_input(key="ef_name").set_value("")
    save(at)
    errors = texts(at.error)
    assert "井深(米)" in errors and "深约两百" in errors and "名称" in errors
    assert store.point(well["id"])["version"] == well["version"]
    assert at.text_input(key="ef_depth_m").value == "深约两百"  # the input stays


def test_typed_coordinates_bad_outside_dms_and_gcj02(open_edit, store):
    at = open_edit()
    at.radio(key=edit_page.MODE).set_value("新增点位").run()
    before = len(store.points())
    # unreadable
    at.text_input(key="add_text").set_value("东经一百一十二度").run()
    at.button(key="add_show").click().run()
    assert "坐标无法识别" in texts(at.error) and "东经一百一十二度" in texts(at.error)
    # outside the district: refused with the distance to the border, before and at saving
    at.text_input(key="add_text").set_value("112.9, 32.3").run()
    at.button(key="add_show").click().run()
    assert "不在襄州区范围内" in texts(at.error) and "公里" in texts(at.error)
    at.text_input(key="af_name").set_value("区外的点")
    at.button(key="FormSubmitter:af_form-保存新点位").click().run()
    assert "没有保存" in texts(at.error)
    assert len(store.points()) == before
    # degrees-minutes-seconds
    at.text_input(key="add_text").set_value("32°05′12″N 112°12′28″E").run()
    at.button(key="add_show").click().run()
    position = at.session_state["add_candidate"]
    parsed = coords.parse_lonlat("32°05′12″N 112°12′28″E")
    assert position.inside and abs(position.lon - parsed.lon) < 1e-6 and abs(position.lat - parsed.lat) < 1e-6
    assert "xz-crosshair" in map_args(at)["feature_group"]
    # GCJ-02 picked in Gaode: converted to WGS-84 (about 600 m away)
    at.selectbox(key="add_crs").set_value("gcj02")
    at.text_input(key="add_text").set_value("112.2, 32.15").run()
    at.button(key="add_show").click().run()
    position = at.session_state["add_candidate"]
    lon, lat = coords.to_wgs84(112.2, 32.15, "gcj02")
    assert abs(position.lon - lon) < 1e-6 and abs(position.lat - lat) < 1e-6
    assert 300 < coords.haversine_m(112.2, 32.15, position.lon, position.lat) < 900
    assert "GCJ-02" in texts(at.success)


def test_add_a_point_by_clicking_the_map(open_edit, store):
    at = open_edit()
    at.radio(key=edit_page.MODE).set_value("新增点位").run()
    key = map_args(at)["key"]
    home = units_of(store).get(unit_code(store, "黄集"))
    lon, lat = home.lon, home.lat
    assert store.geography().unit_at(lon, lat) == unit_code(store, "黄集")
    at.session_state[key] = {"last_clicked": {"lat": lat, "lng": lon}, "last_active_drawing": None,
                             "last_object_clicked": None}
    at.run()
    assert at.session_state["add_candidate"].unit_code == unit_code(store, "黄集")
    assert "黄集镇" in texts(at.success)
    at.selectbox(key="add_kind").set_value("well").run()
    at.text_input(key="af_name").set_value(HOSTILE)
    at.text_input(key="af_depth_m").set_value("260")
    at.button(key="FormSubmitter:af_form-保存新点位").click().run()
    assert not at.exception
    added = store.points(Filter(keyword="onerror"))
    assert len(added) == 1 and added.iloc[0]["kind"] == "well" and added.iloc[0]["depth_m"] == 260
    assert added.iloc[0]["unit_code"] == unit_code(store, "黄集")
    assert at.session_state[edit_page.SELECTED] == added.iloc[0]["id"]  # opened for editing
    assert at.radio(key=edit_page.MODE).value == "修改点位"
    # the hostile name is shown escaped, never as HTML
    assert any("\\<img" in m.value for m in at.markdown)


def test_an_editor_cannot_add_a_point_in_another_unit(open_edit, store):
    at = open_edit()
    at.radio(key=edit_page.MODE).set_value("新增点位").run()
    home = units_of(store).get(unit_code(store, "张湾"))
    at.text_input(key="add_text").set_value(f"{home.lon}, {home.lat}").run()
    at.button(key="add_show").click().run()
    assert "不在您可编辑的范围内" in texts(at.warning)
    before = len(store.points())
    at.text_input(key="af_name").set_value("越界")
    at.button(key="FormSubmitter:af_form-保存新点位").click().run()
    assert "没有保存" in texts(at.error) and len(store.points()) == before


def test_moving_a_point_by_typed_coordinates(open_edit, store):
    record = point_of(store, "黄集", "bridge")
    at = open_edit(point_id=record["id"])
    target = (round(record["lon"] + 0.005, 6), round(record["lat"] + 0.004, 6))
    at.text_input(key="mv_text").set_value(f"{target[0]}, {target[1]}").run()
    at.button(key="mv_show").click().run()
    assert "xz-crosshair" in map_args(at)["feature_group"]
    assert store.point(record["id"])["lon"] == record["lon"]  # nothing moves before confirmation
    at.button(key="mv_save").click().run()
    after = store.point(record["id"])
    assert (round(after["lon"], 6), round(after["lat"], 6)) == target
    assert "已把" in texts(at.success)


def test_a_stale_save_shows_the_other_change_and_keeps_the_input(open_edit, store):
    record = point_of(store, "黄集", "issue")
    first = open_edit("hj", point_id=record["id"])
    second = open_edit("hj2", units=("黄集镇",), point_id=record["id"])
    new_status = next(s for s in model.KINDS["issue"].status_labels if s != record["status"])
    first.selectbox(key="ef_status").set_value(new_status)
    save(first)
    second.text_input(key="ef_responsible_unit").set_value("区水利局")
    save(second)
    errors = texts(second.error)
    assert "没有保存" in errors and "hj" in errors and "没有丢失" in errors
    conflict = next(d.value for d in second.dataframe if "对方保存的" in d.value.columns)
    rows = conflict.set_index("字段")
    assert rows.loc["状态", "对方保存的"] == new_status and rows.loc["责任单位", "您填写的"] == "区水利局"
    assert second.text_input(key="ef_responsible_unit").value == "区水利局"
    assert store.point(record["id"])["responsible_unit"] != "区水利局"
    # load the latest version, keep my change, save: both changes land
    second.button(key="ef_keep_mine").click().run()
    assert second.text_input(key="ef_responsible_unit").value == "区水利局"
    assert second.selectbox(key="ef_status").value == new_status
    save(second)
    after = store.point(record["id"])
    assert after["status"] == new_status and after["responsible_unit"] == "区水利局"
    assert after["version"] == record["version"] + 2


def test_soft_delete_and_restore(open_edit, store):
    record = point_of(store, "黄集", "demo_site")
    at = open_edit(point_id=record["id"])
    assert at.button(key="del_point").disabled
    at.checkbox(key="del_confirm").check().run()
    at.button(key="del_point").click().run()
    assert "已删除" in texts(at.success)
    assert store.point(record["id"])["deleted_at"] and record["id"] not in set(store.points()["id"])
    assert at.session_state[edit_page.SELECTED] is None
    at.radio(key=edit_page.MODE).set_value("已删除点位").run()
    assert record["name"] in set(at.dataframe[0].value["名称"])
    at.selectbox(key="restore_pick").set_value(record["id"])
    at.button(key="restore_point").click().run()
    assert "已恢复" in texts(at.success)
    assert store.point(record["id"])["deleted_at"] is None
    assert [h for h in store.history(record["id"])["action"]][:2] == ["restore", "delete"]


def test_a_follow_up_is_added_to_the_timeline_and_can_set_the_status(open_edit, store):
    record = point_of(store, "黄集", "issue")
    at = open_edit(point_id=record["id"])
    at.text_area(key="fu_text").set_value("已协调区水利局现场查看")
    at.selectbox(key="fu_status").set_value("跟踪督办")
    at.button(key="FormSubmitter:fu_form-添加记录").click().run()
    assert not at.exception
    assert "已添加" in texts(at.success)
    assert any("已协调区水利局现场查看" in m.value for m in at.markdown)
    entries = store.follow_ups(record["id"])
    assert entries[-1]["text"] == "已协调区水利局现场查看" and entries[-1]["author"] == "hj"
    assert store.point(record["id"])["status"] == "跟踪督办"
    # an empty entry is refused with the field named
    at.button(key="FormSubmitter:fu_form-添加记录").click().run()
    assert "督办内容" in texts(at.error) and len(store.follow_ups(record["id"])) == len(entries)


def test_admin_reverts_a_change_and_a_conflicting_revert_is_explained(open_edit, store):
    record = point_of(store, "张湾", "issue")
    store.update_point(record["id"], {"village": "甲村"}, record["version"], "someone")
    at = open_edit("boss", role="admin", units=(), point_id=record["id"])
    assert at.text_input(key="ef_name") is not None  # an admin edits every unit
    at.button(key="hist_revert").click().run()
    assert "已撤销" in texts(at.success)
    assert store.point(record["id"])["village"] == record["village"]
    assert store.history(record["id"]).iloc[0]["action"] == "revert"
    # a change whose field was changed again since cannot be reverted
    current = store.point(record["id"])
    store.update_point(record["id"], {"village": "乙村"}, current["version"], "someone")
    current = store.point(record["id"])
    store.update_point(record["id"], {"village": "丙村"}, current["version"], "other")
    at.run()
    updates = store.history(record["id"])
    older = int(updates[updates["action"] == "update"].iloc[1]["fid"])
    at.selectbox(key="hist_pick").set_value(older)
    at.button(key="hist_revert").click().run()
    assert "不能撤销" in texts(at.error) and store.point(record["id"])["village"] == "丙村"


def test_editors_see_no_revert(open_edit, store):
    record = point_of(store, "黄集", "issue")
    store.update_point(record["id"], {"village": "甲村"}, record["version"], "someone")
    at = open_edit(point_id=record["id"])
    assert not [b for b in at.button if b.key == "hist_revert"]
    assert "需要管理员权限" in texts(at.caption)


def test_clicking_a_point_on_the_map_opens_it(open_edit, store):
    from pagehelpers import payloads

    at = open_edit()
    args = map_args(at)
    layer = payloads(args)[0]
    view_points = store.points(Filter())
    kind = list(model.KINDS)[layer["code_kind"][layer["c"][0]]]
    frame = view_points[view_points["kind"] == kind].reset_index(drop=True)
    row = layer["order"][0]
    at.session_state[args["key"]] = {"last_active_drawing": {"type": "Feature", "properties": {"i": row,
                                                                                              "t": layer["t"]}},
                                     "last_clicked": {"lat": 32.1, "lng": 112.1}, "last_object_clicked": None}
    at.run()
    assert at.session_state[edit_page.SELECTED] == frame["id"].iloc[row]
    highlighted = [p for p in payloads(map_args(at)) if p["highlight"] is not None]
    assert len(highlighted) == 1 and highlighted[0]["highlight"] == row


def test_resolve_plain_logic(store):
    geography = store.geography()
    bd = coordinput.resolve("112.21, 32.16", "bd09", geography)
    lon, lat = coords.bd09_to_wgs84(112.21, 32.16)
    assert abs(bd.lon - lon) < 1e-6 and abs(bd.lat - lat) < 1e-6 and "BD-09" in bd.note
    swapped = coordinput.resolve("32.1, 112.2", "wgs84", geography)
    assert (swapped.lon, swapped.lat) == (112.2, 32.1) and "纬度, 经度" in swapped.note
    with pytest.raises(coords.CoordinateError):
        coordinput.resolve("", "wgs84", geography)
    assert editform.changes({"name": "a", "depth_m": 250.0}, {"name": "a", "depth_m": "250"}) == {}
    assert edit_map.RETURNED[-1] == "last_clicked"
