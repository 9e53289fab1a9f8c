"""Rights are settled at the moment of each write (issue 9, items 2 and 3).

* An editor made for a sign-in session re-reads the session and the user before every write: after sign-out, expiry,
  disabling, a new password or a change of role or towns, nothing more is written -- by any write path.
* A point must land where its editor may work: its unit *and* the area of its position, for a new point, a move and
  an import row (page and CLI), so a row that names its own town but lies in another is refused.
"""
from __future__ import annotations

import datetime as dt

import dbfile
import pandas as pd
import pytest

from loaders import auth, cli
from loaders.editing import SESSION_LOST, Editor, PermissionDenied
from loaders.importing import ImportRefused, build_plan, commit, read
from loaders.store import Filter

HUANGJI, GUYI, ZHANGWAN = "420607102000", "420607104000", "420607001000"
PASSWORD = "password-123"
TODAY = dt.date.today().isoformat()


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def snapshot(store_path) -> tuple:
    with dbfile.connect(store_path) as c:
        return (c.execute("SELECT * FROM points ORDER BY id").fetchall(), c.execute("SELECT COUNT(*) FROM audit").fetchone(),
                c.execute("SELECT COUNT(*) FROM follow_ups").fetchone())


def home(store, code) -> tuple[float, float]:
    unit = store.units().get(code)
    return unit.lon, unit.lat


def huangji_point(store) -> dict:
    return store.point(store.points(Filter(unit_codes=(HUANGJI,)))["id"].iloc[0])


WRITES = {
    "保存修改": lambda e, s, p: e.update(p["id"], {"description": "失去权限后的修改"}, p["version"]),
    "删除点位": lambda e, s, p: e.delete(p["id"], p["version"]),
    "添加记录": lambda e, s, p: e.add_follow_up(p["id"], {"date": TODAY, "text": "失去权限后的督办"}, p["version"]),
    "新增点位": lambda e, s, p: e.add({"kind": "well", "status": "规划", "name": "新井",
                                      "lon": home(s, HUANGJI)[0], "lat": home(s, HUANGJI)[1]}),
    "恢复": lambda e, s, p: e.restore(p["id"]),
}
LOSSES = {
    "退出登录": lambda s, token: auth.end_session(s, token),
    "停用账号": lambda s, token: auth.set_disabled(s, "hj", True),
    "修改密码": lambda s, token: auth.set_password(s, "hj", "another-password-9"),
    "会话过期": lambda s, token: auth.user_for_session(s, token, now=dt.datetime.now() + dt.timedelta(days=30)),
}


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("write", WRITES)
def test_a_page_editor_writes_nothing_once_the_session_is_gone(store, store_path, write, loss):
    user = auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    token = auth.start_session(store, user)
    editor = Editor.for_session(store, token)  # the page drew its form with this editor ...
    assert editor.may_write and editor.user.name == "hj"
    point = huangji_point(store)
    LOSSES[loss](store, token)  # ... then access was lost while the form was open
    before = snapshot(store_path)
    with pytest.raises(PermissionDenied) as caught:
        WRITES[write](editor, store, point)
    assert str(caught.value) == SESSION_LOST
    assert snapshot(store_path) == before
    assert not editor.may_write  # the page hides its controls on the next run


def test_a_change_of_towns_applies_to_the_next_write(store, store_path):
    user = auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    editor = Editor.for_session(store, auth.start_session(store, user))
    point = huangji_point(store)
    auth.set_role(store, "hj", "editor", ["古驿镇"])
    before = snapshot(store_path)
    with pytest.raises(PermissionDenied, match="只能修改古驿镇的点位"):
        editor.update(point["id"], {"description": "已不归我管"}, point["version"])
    auth.set_role(store, "hj", "viewer", [])
    with pytest.raises(PermissionDenied, match="只读账号"):
        editor.update(point["id"], {"description": "只读了"}, point["version"])
    assert snapshot(store_path) == before


def test_a_cli_user_is_read_again_at_the_write(store, store_path):
    auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    editor = Editor.for_user(store, "hj")
    point = huangji_point(store)
    auth.set_disabled(store, "hj", True)
    before = snapshot(store_path)
    with pytest.raises(PermissionDenied, match="已停用"):
        editor.update(point["id"], {"description": "停用之后"}, point["version"])
    assert snapshot(store_path) == before


def test_a_session_still_valid_writes_as_its_user(store):
    user = auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    editor = Editor.for_session(store, auth.start_session(store, user))
    point = huangji_point(store)
    after = editor.update(point["id"], {"description": "正常修改"}, point["version"])
    assert after["updated_by"] == "hj" and after["description"] == "正常修改"


# Where a point lands ----------------------------------------------------------------------------------------------
def import_rows(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def row(store, code_at, town="黄集镇", external="HJ-900", name="越界的井") -> dict:
    lon, lat = home(store, code_at)
    return {"编号": external, "名称": name, "类型": "水井", "状态": "规划", "乡镇（街道）": town, "经度": lon, "纬度": lat}


def test_an_import_row_naming_its_own_town_but_lying_in_another_is_refused(store, store_path):
    editor = auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    plan = build_plan(read(import_rows([row(store, GUYI)]), "越界.csv"), store, editor)
    assert list(plan.problems["行号"]) == [2]
    reason = plan.problems.iloc[0]["原因"]
    assert "古驿镇" in reason and "只能修改黄集镇的点位" in reason
    before = snapshot(store_path)
    with pytest.raises(ImportRefused):
        commit(Editor(store, editor), plan)
    assert snapshot(store_path) == before


def test_an_import_update_cannot_move_a_point_into_another_town(store, store_path):
    editor = auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    first = build_plan(read(import_rows([row(store, HUANGJI)]), "a.csv"), store, editor)
    assert first.ok
    commit(Editor(store, editor), first)
    moved = build_plan(read(import_rows([row(store, GUYI)]), "a.csv"), store, editor)
    assert not moved.ok and "古驿镇" in moved.problems.iloc[0]["原因"]
    before = snapshot(store_path)
    with pytest.raises(ImportRefused):
        commit(Editor(store, editor), moved)
    assert snapshot(store_path) == before


def test_a_plan_made_before_the_user_lost_the_town_writes_nothing(store, store_path):
    user = auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    token = auth.start_session(store, user)
    plan = build_plan(read(import_rows([row(store, HUANGJI)]), "a.csv"), store, user)
    assert plan.ok
    auth.set_role(store, "hj", "editor", ["古驿镇"])  # while the preview was on screen
    before = snapshot(store_path)
    with pytest.raises(ImportRefused, match="只能修改古驿镇的点位"):
        commit(Editor.for_session(store, token), plan)
    assert snapshot(store_path) == before


def test_the_cli_import_as_a_user_refuses_a_row_in_another_town(store, store_path, tmp_path, capsys):
    auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    path = tmp_path / "越界.csv"
    path.write_bytes(import_rows([row(store, GUYI)]))
    before = snapshot(store_path)
    assert cli.main(["import", str(path), "--user", "hj"]) == 1
    out = capsys.readouterr()
    assert "第 2 行" in out.out and "古驿镇" in out.out
    assert snapshot(store_path) == before


def test_a_new_point_placed_in_another_town_is_refused_even_when_it_names_the_editors_town(store, store_path):
    user = auth.add_user(store, "hj", PASSWORD, "editor", ["黄集镇"])
    lon, lat = home(store, GUYI)
    before = snapshot(store_path)
    with pytest.raises(PermissionDenied, match="古驿镇"):
        Editor(store, user).add({"kind": "well", "status": "规划", "name": "越界", "lon": lon, "lat": lat,
                                 "unit_code": HUANGJI})
    assert snapshot(store_path) == before


def test_an_admin_may_place_a_point_anywhere(store):
    lon, lat = home(store, GUYI)
    point_id = Editor(store, auth.User("管理员", "admin")).add(
        {"kind": "well", "status": "规划", "name": "管理员放的", "lon": lon, "lat": lat, "unit_code": HUANGJI})
    assert store.point(point_id)["unit_code"] == HUANGJI  # the stated unit is kept: the areas are schematic
