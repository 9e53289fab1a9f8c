"""The 用户管理 page through AppTest: only admins; add, change, reset, disable users with Chinese refusals; replacing
the schematic town areas from a boundary file; the backup snapshot."""
from __future__ import annotations

import json

import dbfile
import pytest
import shapely
from pagehelpers import PASSWORD, open_signed_in, units_of
from streamlit.testing.v1 import AppTest

from dashboard.components import admin_areas, admin_backup
from dashboard.components.safe import md_text
from loaders import auth

PAGE = "views/admin.py"


def open_page(store, role: str | None = "admin", units=(), name: str = "boss") -> AppTest:
    return open_signed_in(store, PAGE, role, units, name)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def frame_with(at: AppTest, column: str):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) == 1, f"expected one table with a {column} column"
    return frames[0]


def users_table(at: AppTest):
    return frame_with(at, "用户名")


@pytest.mark.parametrize("role,units", [(None, ()), ("viewer", ()), ("editor", ("黄集镇",))])
def test_only_admins_may_open_the_page(store, role, units):
    at = open_page(store, role, units)
    assert not any("用户名" in d.value.columns for d in at.dataframe)
    if role == "editor":
        assert "仅限管理员" in texts(at.error)
    elif role == "viewer":
        assert "查看权限" in texts(at.error) or "仅限管理员" in texts(at.error)
    else:
        assert "需要工作人员登录" in texts(at.info)


def test_admin_adds_an_editor_and_the_list_shows_it(store):
    at = open_page(store)
    assert list(users_table(at)["用户名"]) == ["boss"]
    huangji = units_of(store).code_of("黄集")
    at.text_input(key="adm_new_name").set_value("hj_staff")
    at.selectbox(key="adm_new_role").set_value("editor")
    at.multiselect(key="adm_new_units").set_value([huangji])
    at.text_input(key="adm_new_password").set_value(PASSWORD)
    at.text_input(key="adm_new_password2").set_value(PASSWORD)
    at.button(key="FormSubmitter:adm_add_user-添加用户").click().run()
    assert not at.exception
    assert "已添加用户「hj\\_staff」" in texts(at.success)
    table = users_table(at).set_index("用户名")
    assert table.loc["hj_staff", "角色"] == "编辑" and table.loc["hj_staff", "可修改的乡镇（街道）"] == "黄集镇"
    user = auth.authenticate(store, "hj_staff", PASSWORD)
    assert user.role == "editor" and user.units == (huangji,)


def test_refusals_are_shown_in_chinese_and_change_nothing(store):
    at = open_page(store)
    at.text_input(key="adm_new_name").set_value("nobody")
    at.selectbox(key="adm_new_role").set_value("editor")
    at.text_input(key="adm_new_password").set_value(PASSWORD)
    at.text_input(key="adm_new_password2").set_value(PASSWORD)
    at.button(key="FormSubmitter:adm_add_user-添加用户").click().run()
    assert "至少要指定一个乡镇" in texts(at.error)
    at.text_input(key="adm_new_name").set_value("nobody")
    at.selectbox(key="adm_new_role").set_value("viewer")
    at.text_input(key="adm_new_password").set_value(PASSWORD)
    at.text_input(key="adm_new_password2").set_value("different-1")
    at.button(key="FormSubmitter:adm_add_user-添加用户").click().run()
    assert "不一致" in texts(at.error)
    at.text_input(key="adm_new_name").set_value("nobody")
    at.selectbox(key="adm_new_role").set_value("viewer")
    at.text_input(key="adm_new_password").set_value("short")
    at.text_input(key="adm_new_password2").set_value("short")
    at.button(key="FormSubmitter:adm_add_user-添加用户").click().run()
    assert "密码太短" in texts(at.error)
    assert list(users_table(at)["用户名"]) == ["boss"]
    # the only admin cannot be disabled or demoted
    at.button(key="adm_toggle_boss").click().run()
    assert "唯一可用的管理员" in texts(at.error)
    assert auth.get_user(store, "boss").role == "admin"


def test_change_role_reset_password_disable_and_enable(store):
    auth.add_user(store, "wang", PASSWORD, "viewer")
    at = open_page(store)
    at.selectbox(key="adm_pick").set_value("wang").run()
    zhangwan = units_of(store).code_of("张湾")
    at.selectbox(key="adm_role_wang").set_value("editor")
    at.multiselect(key="adm_units_wang").set_value([zhangwan])
    at.button(key="FormSubmitter:adm_role_form_wang-保存角色").click().run()
    assert "已把「wang」改为编辑（张湾街道）" in texts(at.success)
    assert auth.get_user(store, "wang").units == (zhangwan,)

    at.text_input(key="adm_pw_wang").set_value("new-password-9")
    at.text_input(key="adm_pw2_wang").set_value("new-password-9")
    at.button(key="FormSubmitter:adm_password_form_wang-重设密码").click().run()
    assert "已重设「wang」的密码" in texts(at.success)
    assert auth.authenticate(store, "wang", "new-password-9").name == "wang"

    at.button(key="adm_toggle_wang").click().run()
    assert "已停用「wang」" in texts(at.success)
    assert users_table(at).set_index("用户名").loc["wang", "状态"] == "已停用"
    with pytest.raises(auth.DisabledError):
        auth.authenticate(store, "wang", "new-password-9")
    at.button(key="adm_toggle_wang").click().run()
    assert "已启用「wang」" in texts(at.success)


def test_a_hostile_user_name_is_shown_literally(store):
    at = open_page(store)
    at.text_input(key="adm_new_name").set_value("<b>x</b>$1")
    at.selectbox(key="adm_new_role").set_value("viewer")
    at.text_input(key="adm_new_password").set_value(PASSWORD)
    at.text_input(key="adm_new_password2").set_value(PASSWORD)
    at.button(key="FormSubmitter:adm_add_user-添加用户").click().run()
    assert md_text("<b>x</b>$1") in texts(at.success)
    assert "<b>x</b>$1" in set(users_table(at)["用户名"])


def test_areas_show_their_basis_and_can_be_replaced_from_a_boundary_file(store, tmp_path):
    at = open_page(store)
    assert "示意范围" in texts(at.info)
    # a boundary file: the current areas with a 名称 field, plus one feature that matches nothing
    features = [{"type": "Feature", "properties": {"NAME": a["name"], "名称": a["name"]},
                 "geometry": shapely.geometry.mapping(a["geometry"])} for a in store.areas()]
    features.append({"type": "Feature", "properties": {"NAME": "火星镇", "名称": "火星镇"},
                     "geometry": {"type": "Polygon", "coordinates": [[[120, 30], [120.1, 30], [120.1, 30.1], [120, 30]]]}})
    content = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    at.file_uploader(key=admin_areas.UPLOAD_KEY).set_value(("official.geojson", content, "application/geo+json"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    matched = frame_with(at, "对应乡镇（街道）")
    assert (matched["对应乡镇（街道）"] == "未匹配").sum() == 1
    assert "火星镇" in texts(at.warning)
    version = store.data_version()
    at.button(key="adm_area_confirm").click().run()
    assert "已用「official.geojson」替换" in texts(at.success).replace("\\", "")
    assert store.data_version() > version
    assert all(not a["schematic"] and a["basis"] == "official.geojson" for a in store.areas())


def test_a_boundary_file_missing_towns_cannot_be_confirmed(store):
    at = open_page(store)
    first = store.areas()[0]
    content = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": first["name"]},
         "geometry": shapely.geometry.mapping(first["geometry"])}]}, ensure_ascii=False).encode()
    at.file_uploader(key=admin_areas.UPLOAD_KEY).set_value(("part.geojson", content, "application/geo+json"))
    at.run()
    assert "缺少这些乡镇" in texts(at.error)
    assert at.button(key="adm_area_confirm").disabled
    assert all(a["schematic"] for a in store.areas())


def test_backup_snapshot_is_a_consistent_store(store, tmp_path):
    at = open_page(store)
    assert "命令行" in texts(at.info)
    assert any(b.proto.label == "生成并下载备份" for b in at.get("download_button"))
    content = admin_backup.snapshot_bytes()
    path = tmp_path / "snap.gpkg"
    path.write_bytes(content)
    with dbfile.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM points").fetchone()[0] == len(store.points())
    assert admin_backup.snapshot_name().endswith(".bak.gpkg")
