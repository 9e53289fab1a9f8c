"""Editor: role and unit scoping on every write path, one audit row per action, and admin revert."""
import datetime as dt

import dbfile
import pytest

from loaders import model
from loaders.auth import User
from loaders.editing import Editor, PermissionDenied
from loaders.store import Filter, NotFoundError, StaleEditError, StoreError

ZHANGWAN = "420607001000"
HUANGJI = "420607102000"
ADMIN = User("管理员甲", "admin")
ZW_EDITOR = User("小王", "editor", (ZHANGWAN,))
VIEWER = User("只看", "viewer")
TODAY = dt.date.today().isoformat()


def position(store, code):
    """A spot inside a unit's (schematic) area: its reference point."""
    unit = store.units().get(code)
    lon, lat = unit.lon, unit.lat
    assert store.geography().unit_at(lon, lat) == code
    return lon, lat


def point_in(store, code, **where):
    return store.point(store.points(Filter(unit_codes=(code,), **where))["id"].iloc[0])


def audit_rows(store_path):
    with dbfile.connect(store_path) as c:
        return c.execute("SELECT COUNT(*) FROM audit").fetchone()[0]


@pytest.fixture
def unchanged(store, store_path):
    """Asserts, after the block, that nothing at all was written."""
    class Check:
        def __enter__(self):
            self.version, self.audit = store.data_version(), audit_rows(store_path)
            self.points = store.points(Filter(include_deleted=True))
            return self

        def __exit__(self, *exc):
            assert store.data_version() == self.version
            assert audit_rows(store_path) == self.audit
            assert store.points(Filter(include_deleted=True)).equals(self.points)
    return Check()


def well(store, code, name="新井", **extra):
    lon, lat = position(store, code)
    return {"kind": "well", "status": "规划", "name": name, "lon": lon, "lat": lat, **extra}


# Another unit's points, by every path ----------------------------------------------------------------------
WRITES = {
    "update": lambda e, p: e.update(p["id"], {"description": "越权修改"}, p["version"]),
    "delete": lambda e, p: e.delete(p["id"], p["version"]),
    "restore": lambda e, p: e.restore(p["id"]),
    "follow_up": lambda e, p: e.add_follow_up(p["id"], {"date": TODAY, "text": "越权督办"}, p["version"]),
    "move_in": lambda e, p: e.update(p["id"], {"unit_code": ZHANGWAN}, p["version"]),
}


@pytest.mark.parametrize("path", WRITES)
def test_editor_cannot_touch_another_units_point(store, unchanged, path):
    point = point_in(store, HUANGJI)
    with unchanged, pytest.raises(PermissionDenied) as caught:
        WRITES[path](Editor(store, ZW_EDITOR), point)
    message = str(caught.value)
    assert point["name"] in message and "黄集镇" in message and "张湾街道" in message


@pytest.mark.parametrize("path", [p for p in WRITES if p != "move_in"])
def test_editor_can_change_their_own_units_point(store, path):
    point = point_in(store, ZHANGWAN)
    WRITES[path](Editor(store, ZW_EDITOR), point)
    assert store.history(point["id"])["user"].iloc[0] == "小王"


@pytest.mark.parametrize("user", [VIEWER, None, User("无乡镇", "editor", ())])
@pytest.mark.parametrize("path", WRITES)
def test_viewers_and_anonymous_write_nothing(store, unchanged, user, path):
    point = point_in(store, ZHANGWAN)
    with unchanged, pytest.raises(PermissionDenied) as caught:
        WRITES[path](Editor(store, user), point)
    assert "登录" in str(caught.value) or "只读" in str(caught.value) or "没有可编辑" in str(caught.value)


@pytest.mark.parametrize("user", [VIEWER, None])
def test_viewers_cannot_add_or_revert(store, unchanged, user):
    with unchanged:
        with pytest.raises(PermissionDenied):
            Editor(store, user).add(well(store, ZHANGWAN))
        with pytest.raises(PermissionDenied):
            Editor(store, user).revert(1)


def test_moving_a_point_out_of_the_unit_is_refused_and_rolled_back(store, unchanged):
    point = point_in(store, ZHANGWAN)
    lon, lat = position(store, HUANGJI)
    editor = Editor(store, ZW_EDITOR)
    with unchanged:
        with pytest.raises(PermissionDenied) as caught:
            editor.update(point["id"], {"lon": lon, "lat": lat}, point["version"])  # unit follows the position
        assert f"不能把「{point['name']}」移到黄集镇" in str(caught.value)
        with pytest.raises(PermissionDenied):
            editor.update(point["id"], {"unit_code": HUANGJI}, point["version"])
    # Moving within the unit is fine.
    lon, lat = position(store, ZHANGWAN)
    assert editor.update(point["id"], {"lon": lon, "lat": lat}, point["version"])["unit_code"] == ZHANGWAN


def test_adding_a_point_in_another_unit_is_refused(store, unchanged):
    editor = Editor(store, ZW_EDITOR)
    with unchanged:
        with pytest.raises(PermissionDenied) as caught:
            editor.add(well(store, HUANGJI, name="黄集的井"))
        assert "「黄集的井」" in str(caught.value) and "黄集镇" in str(caught.value)
        with pytest.raises(PermissionDenied):
            editor.add(well(store, ZHANGWAN, unit_code=HUANGJI))
        with pytest.raises(PermissionDenied, match="已被其他点位使用"):
            editor.add(well(store, ZHANGWAN, id=point_in(store, ZHANGWAN)["id"]))
        # Validation still speaks first for bad coordinates, with its own message.
        with pytest.raises(model.ValidationError, match="不在襄州区范围内"):
            editor.add({"kind": "well", "status": "规划", "name": "武汉的井", "lon": 114.30, "lat": 30.59})
    point_id = editor.add(well(store, ZHANGWAN))
    assert store.point(point_id)["unit_code"] == ZHANGWAN and store.point(point_id)["updated_by"] == "小王"


def test_admin_may_change_any_unit(store):
    editor = Editor(store, ADMIN)
    point = point_in(store, HUANGJI)
    lon, lat = position(store, ZHANGWAN)
    assert editor.update(point["id"], {"lon": lon, "lat": lat}, point["version"])["unit_code"] == ZHANGWAN
    assert store.point(editor.add(well(store, HUANGJI)))["unit_code"] == HUANGJI
    assert set(editor.editable_unit_codes()) == set(store.units().codes)


def test_what_pages_ask_before_showing_controls(store):
    mine, theirs = point_in(store, ZHANGWAN), point_in(store, HUANGJI)
    editor = Editor(store, ZW_EDITOR)
    assert editor.may_write and editor.may_edit_point(mine) and editor.may_edit_point(mine["id"])
    assert not editor.may_edit_point(theirs) and not editor.may_edit_point("p-missing")
    assert editor.editable_unit_codes() == (ZHANGWAN,)
    assert not Editor(store, VIEWER).may_write and Editor(store, None).editable_unit_codes() == ()


def test_store_errors_pass_through_unchanged(store):
    editor = Editor(store, ZW_EDITOR)
    point = point_in(store, ZHANGWAN)
    editor.update(point["id"], {"description": "甲的修改"}, point["version"])
    with pytest.raises(StaleEditError):
        editor.update(point["id"], {"description": "乙的修改"}, point["version"])
    with pytest.raises(NotFoundError):
        editor.delete("p-missing", 1)


# Audit ------------------------------------------------------------------------------------------------------
ACTIONS = {
    "create": lambda e, s, p: e.add(well(s, ZHANGWAN)),
    "update": lambda e, s, p: e.update(p["id"], {"description": "新说明"}, p["version"]),
    "delete": lambda e, s, p: e.delete(p["id"], p["version"]),
    "restore": lambda e, s, p: e.restore(p["id"]),
    "follow_up": lambda e, s, p: e.add_follow_up(p["id"], {"date": TODAY, "text": "现场查看"}, p["version"]),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_leaves_exactly_one_audit_row(store, store_path, action):
    point = point_in(store, ZHANGWAN)
    before = audit_rows(store_path)
    started = dt.datetime.now().astimezone().replace(microsecond=0)
    ACTIONS[action](Editor(store, ZW_EDITOR), store, point)
    assert audit_rows(store_path) == before + 1
    row = store.history(limit=1).iloc[0]
    assert row["action"] == action and row["user"] == "小王"
    assert dt.datetime.fromisoformat(row["at"]) >= started
    assert row["fields"] and set(row["fields"]) == set(row["before"]) | set(row["after"])
    if action == "update":
        assert row["before"] == {"description": point["description"]} and row["after"] == {"description": "新说明"}


def test_follow_up_that_sets_a_status_logs_the_entry_and_the_status_change(store, store_path):
    # One transaction, two facts: the follow-up entry and the status update it causes.
    point = store.point(store.points(Filter(kinds=("issue",), stages=("待办", "进行中")))["id"].iloc[0])
    before = audit_rows(store_path)
    Editor(store, ADMIN).add_follow_up(point["id"], {"date": TODAY, "text": "已解决", "status": "已解决"},
                                           point["version"])
    assert list(store.history(point["id"], limit=2)["action"]) == ["update", "follow_up"]
    assert audit_rows(store_path) == before + 2


# Revert -----------------------------------------------------------------------------------------------------
def last_change(store, point_id):
    return int(store.history(point_id, limit=1)["fid"].iloc[0])


def test_admin_reverts_an_update_as_a_new_audited_change(store, store_path):
    point = point_in(store, HUANGJI, kinds=("well",), statuses=("规划", "钻井中", "干井"))
    Editor(store, ADMIN).update(point["id"], {"status": "已出水", "description": "出水了"}, point["version"])
    change = last_change(store, point["id"])
    reverted = Editor(store, ADMIN).revert(change)
    assert reverted["status"] == point["status"] and reverted["description"] == point["description"]
    assert reverted["stage"] == point["stage"] and reverted["version"] == point["version"] + 2
    row = store.history(point["id"], limit=1).iloc[0]
    assert row["action"] == "revert" and row["user"] == ADMIN.name
    assert row["after"]["status"] == point["status"] and row["before"]["status"] == "已出水"


def test_revert_of_a_move_puts_the_point_and_its_unit_back(store):
    point = point_in(store, HUANGJI)
    lon, lat = position(store, ZHANGWAN)
    Editor(store, ADMIN).update(point["id"], {"lon": lon, "lat": lat}, point["version"])
    reverted = Editor(store, ADMIN).revert(last_change(store, point["id"]))
    assert (reverted["lon"], reverted["lat"], reverted["unit_code"]) == (point["lon"], point["lat"], HUANGJI)


def test_revert_is_refused_when_the_fields_changed_again(store, unchanged):
    point = point_in(store, ZHANGWAN)
    editor = Editor(store, ADMIN)
    first = editor.update(point["id"], {"description": "第一次"}, point["version"])
    change = last_change(store, point["id"])
    editor.update(point["id"], {"description": "第二次"}, first["version"])
    with unchanged, pytest.raises(StoreError) as caught:
        editor.revert(change)
    assert "此后又被修改过" in str(caught.value) and "情况说明" in str(caught.value) and "第二次" in str(caught.value)


def test_revert_ignores_later_changes_to_other_fields(store):
    point = point_in(store, ZHANGWAN)
    editor = Editor(store, ADMIN)
    first = editor.update(point["id"], {"description": "改说明"}, point["version"])
    change = last_change(store, point["id"])
    editor.update(point["id"], {"village": "新村"}, first["version"])
    reverted = editor.revert(change)
    assert reverted["description"] == point["description"] and reverted["village"] == "新村"


def test_only_updates_can_be_reverted(store, unchanged):
    point_id = Editor(store, ADMIN).add(well(store, ZHANGWAN))
    point = store.point(point_id)
    Editor(store, ADMIN).delete(point_id, point["version"])
    for action in ("create", "delete"):
        fid = int(store.history(point_id).set_index("action").loc[action, "fid"])
        with unchanged, pytest.raises(StoreError, match="只能撤销字段修改"):
            Editor(store, ADMIN).revert(fid)
    with pytest.raises(NotFoundError, match="修改记录"):
        Editor(store, ADMIN).revert(999999)


def test_only_admins_revert(store, unchanged):
    point = point_in(store, ZHANGWAN)
    Editor(store, ZW_EDITOR).update(point["id"], {"description": "小王改的"}, point["version"])
    change = last_change(store, point["id"])
    with unchanged, pytest.raises(PermissionDenied, match="只有管理员可以撤销"):
        Editor(store, ZW_EDITOR).revert(change)
