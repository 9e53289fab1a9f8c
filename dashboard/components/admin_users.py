"""用户管理 for admins: the users table, adding a user, changing role and units, resetting a password, disabling and
enabling an account. Every change goes through `loaders.auth` with the signed-in admin as `actor`; its Chinese
AuthError messages are shown as they are (escaped)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from loaders import auth
from loaders.auth import User

from .. import data
from . import safe
from .history import when

_FLASH = "_adm_flash"
ROLE_HELP = "查看：只能看；编辑：只能修改所选乡镇（街道）的点位；管理员：全部数据和用户管理。"


def flash(kind: str, text: str) -> None:
    """A message that survives the rerun after a change."""
    st.session_state[_FLASH] = (kind, text)


def attempt(change, success) -> None:
    """Run one account change; flash its Chinese refusal, or `success(result)` when it went through."""
    try:
        result = change()
    except auth.AuthError as error:
        flash("error", str(error))
    else:
        flash("ok", success(result))


def show_flash() -> None:
    stored = st.session_state.pop(_FLASH, None)
    if stored:
        kind, text = stored
        (st.success if kind == "ok" else st.error)(safe.md_text(text))


def unit_options() -> tuple[list[str], dict[str, str]]:
    """Every unit's code, and its full name."""
    units = data.units()
    return list(units.codes), units.names()


def users_frame(store) -> pd.DataFrame:
    users = auth.list_users(store)

    def state(row) -> str:
        if row["disabled"]:
            return "已停用"
        if row["locked_until"]:
            return f"已锁定至 {when(row['locked_until'])}"
        return "正常"

    return pd.DataFrame({
        "用户名": users["name"],
        "角色": users["role_label"],
        "可修改的乡镇（街道）": [("、".join(n) if n else ("全部" if r == "admin" else "—"))
                          for n, r in zip(users["unit_names"], users["role"])],
        "状态": [state(r) for _, r in users.iterrows()] if len(users) else [],
        "最近登录": [when(t) if t else "从未登录" for t in users["last_sign_in"]],
    })


def users_table(store) -> pd.DataFrame:
    frame = users_frame(store)
    st.dataframe(frame, hide_index=True, width="stretch", key="adm_users_table")
    return frame


def _units_for(role: str, codes: list[str]) -> tuple[str, ...]:
    return tuple(codes) if role == "editor" else ()


def add_user_form(store, actor: User) -> None:
    codes, names = unit_options()
    roles = list(auth.ROLES)
    with st.form("adm_add_user", clear_on_submit=True, border=True):
        st.markdown("**添加用户**")
        left, right = st.columns(2)
        name = left.text_input("用户名", max_chars=auth.MAX_NAME_LENGTH, key="adm_new_name",
                               help="不能有空格；建议用姓名拼音或工号")
        role = right.selectbox("角色", roles, index=roles.index("editor"), format_func=auth.ROLES.get,
                               key="adm_new_role", help=ROLE_HELP)
        units = st.multiselect("可修改的乡镇（街道）（仅编辑角色需要）", codes, format_func=names.get,
                               key="adm_new_units", placeholder="选择一个或多个乡镇（街道）")
        left, right = st.columns(2)
        password = left.text_input("初始密码", type="password", key="adm_new_password",
                                   help=f"至少 {auth.MIN_PASSWORD_LENGTH} 个字符；请用户登录后自行修改")
        again = right.text_input("再次输入密码", type="password", key="adm_new_password2")
        if st.form_submit_button("添加用户", type="primary", icon=":material/person_add:"):
            if password != again:
                flash("error", "两次输入的密码不一致，未添加用户")
            else:
                attempt(lambda: auth.add_user(store, name, password, role, _units_for(role, units), actor=actor),
                        lambda user: f"已添加用户「{user.name}」（{user.role_label}）")
            st.rerun()


def manage_user(store, actor: User, users: pd.DataFrame) -> None:
    """Change role and units, reset the password, disable or enable: for one chosen user."""
    if users.empty:
        return
    listing = auth.list_users(store)
    names = list(listing["name"])
    chosen = st.selectbox("选择要修改的用户", names, format_func=safe.plain, key="adm_pick")
    record = listing.set_index("name").loc[chosen]
    codes, unit_names = unit_options()
    roles = list(auth.ROLES)
    tag = safe.md_text(chosen)
    role_tab, password_tab, state_tab = st.tabs(["角色与乡镇", "重设密码", "停用 / 启用"])
    with role_tab, st.form(f"adm_role_form_{chosen}", border=False):
        role = st.selectbox("角色", roles, index=roles.index(record["role"]), format_func=auth.ROLES.get,
                            key=f"adm_role_{chosen}", help=ROLE_HELP)
        units = st.multiselect("可修改的乡镇（街道）（仅编辑角色需要）", codes,
                               default=[c for c in record["units"] if c in codes], format_func=unit_names.get,
                               key=f"adm_units_{chosen}", placeholder="选择一个或多个乡镇（街道）")
        if st.form_submit_button("保存角色", type="primary"):
            def changed(user) -> str:
                scope = "、".join(unit_names.get(c, c) for c in user.units)
                return f"已把「{chosen}」改为{user.role_label}" + (f"（{scope}）" if scope else "") + "，下次打开页面时生效"

            attempt(lambda: auth.set_role(store, chosen, role, _units_for(role, units), actor=actor), changed)
            st.rerun()
    with password_tab, st.form(f"adm_password_form_{chosen}", clear_on_submit=True, border=False):
        st.caption(f"为 {tag} 设置新密码；同时解除锁定，并让其在所有设备上退出登录。")
        password = st.text_input("新密码", type="password", key=f"adm_pw_{chosen}")
        again = st.text_input("再次输入新密码", type="password", key=f"adm_pw2_{chosen}")
        if st.form_submit_button("重设密码"):
            if password != again:
                flash("error", "两次输入的密码不一致，密码未修改")
            else:
                attempt(lambda: auth.set_password(store, chosen, password, actor=actor),
                        lambda _: f"已重设「{chosen}」的密码")
            st.rerun()
    with state_tab:
        if record["disabled"]:
            st.caption(f"{tag} 已停用，不能登录。启用后可用原密码登录（同时解除锁定）。")
            label, disable = "启用账号", False
        else:
            st.caption(f"停用后 {tag} 立即在所有设备上退出，不能再登录；数据和修改记录都保留。")
            label, disable = "停用账号", True
        if st.button(label, key=f"adm_toggle_{chosen}", type="secondary",
                     icon=":material/block:" if disable else ":material/check_circle:"):
            attempt(lambda: auth.set_disabled(store, chosen, disable, actor=actor),
                    lambda _: f"已{'停用' if disable else '启用'}「{chosen}」")
            st.rerun()
