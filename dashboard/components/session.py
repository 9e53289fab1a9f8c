"""Who is signed in, for every page: a sidebar account box and gates for pages that write.

The sign-in token lives in this browser tab's session state only (never in the URL, which people share); the store
keeps its hash, its expiry and the lock-out count, so the rules are the same for the pages and the CLI.
"""
from __future__ import annotations

import streamlit as st

from loaders import auth, config
from loaders.auth import User
from loaders.editing import Editor
from loaders.store import StoreError

from .. import data
from . import safe

TOKEN = "auth_token"


def current_user() -> User | None:
    token = st.session_state.get(TOKEN)
    if not token:
        return None
    user = auth.user_for_session(data.store(), token)
    if user is None:
        st.session_state.pop(TOKEN, None)
        st.session_state["auth_notice"] = ("登录已失效（已退出、超时、账号被停用或密码已更改），请重新登录；"
                                           "失效后提交的修改没有保存。")
    return user


def editor() -> Editor:
    """The writer for this tab's sign-in: every write it makes re-checks the session and the user's rights."""
    return Editor.for_session(data.store(), st.session_state.get(TOKEN))


def _sign_in(name: str, password: str) -> None:
    try:
        user = auth.authenticate(data.store(), name, password)
        token = auth.start_session(data.store(), user)
    except StoreError as error:  # wrong password, locked, disabled -- or a store that cannot be written
        st.session_state["auth_notice"] = str(error)
        return
    st.session_state[TOKEN] = token
    st.session_state.pop("auth_notice", None)


def _sign_out() -> None:
    auth.end_session(data.store(), st.session_state.pop(TOKEN, None))


def sign_in_form(key: str) -> None:
    notice = st.session_state.get("auth_notice")
    if notice:
        st.warning(safe.md_text(notice))
    with st.form(key, clear_on_submit=False, border=False):
        name = st.text_input("用户名", key=f"{key}_name")
        password = st.text_input("密码", type="password", key=f"{key}_password")
        if st.form_submit_button("登录", type="primary", use_container_width=True):
            _sign_in(name, password)
            st.rerun()


def account_box() -> User | None:
    """The sidebar's account corner: who is signed in and a sign-out button, or a sign-in form."""
    user = current_user()
    with st.sidebar:
        if user:
            st.caption(f"已登录：{safe.md_text(user.name)}（{user.role_label}）")
            st.button("退出登录", on_click=_sign_out, key="sign_out")
        else:
            with st.expander("工作人员登录", expanded=bool(st.session_state.get("auth_notice"))):
                sign_in_form("sidebar_sign_in")
    return user


def gate_viewing() -> None:
    """When anonymous viewing is off (XZMAP_ANONYMOUS_READ=0), every page asks for a sign-in first."""
    if config.anonymous_read() or current_user():
        return
    st.title("襄州一线协商地图")
    st.info("本系统需要登录后查看。")
    sign_in_form("page_sign_in")
    st.stop()


def require(role: str = "editor") -> User:
    """The signed-in user if they may use a writing page (`editor` or `admin`); otherwise explain and stop."""
    user = current_user()
    if user is None:
        st.info("此页面需要工作人员登录。")
        sign_in_form("page_sign_in")
        st.stop()
    if role == "admin" and not user.is_admin:
        st.error("此页面仅限管理员使用。")
        st.stop()
    if not user.may_write:
        st.error("您的账号为查看权限，不能修改数据。如需编辑，请联系管理员。")
        st.stop()
    return user
