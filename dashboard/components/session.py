"""Who is signed in, for every page: a sidebar account box and gates for pages that write.

The sign-in token lives in this browser tab's session state and, so that a reload (a phone reloads a background tab)
keeps the sign-in, in an HttpOnly, SameSite=Strict cookie (`dashboard/server.py` sets and clears it: a script run
cannot). Never in the URL, which people share. The store keeps only the token's hash, its expiry and the lock-out
count, so the rules are the same for the pages and the CLI; every run checks the token against the store again, so a
sign-out, an ended or expired session, a disabled user or a changed password ends the cookie too.

A tab signed in by its cookie adopts the token into its session state; a cookie whose session has ended is ignored
for the rest of the tab's life (the cookie a tab was opened with cannot change until a reload) and cleared. Under
AppTest there is no cookie and no route: session state alone works as before.
"""
from __future__ import annotations

import hashlib
import json

import streamlit as st
import streamlit.components.v1 as components

from loaders import auth, config
from loaders.auth import User
from loaders.editing import Editor
from loaders.store import StoreError

from .. import data, server
from . import safe

TOKEN = "auth_token"
PENDING = "auth_cookie_code"  # a one-time code the page has still to post to the cookie route
IGNORED = "auth_cookie_ignored"  # hash of the cookie this tab signed out of or found ended
ENDED = ("登录已失效（已退出、超时、账号被停用或密码已更改），请重新登录；"
         "失效后提交的修改没有保存。")

# Posts the code from the page itself (the component's iframe may be gone before the answer comes).
_POST = """<script>
(function (job) {
  window.parent.fetch(job.url, {method: "POST", credentials: "same-origin", cache: "no-store",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({code: job.code})}).catch(function () {});
})(%s);
</script>"""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _cookie() -> str | None:
    """The cookie this tab was opened with (read from the websocket's handshake)."""
    value = st.context.cookies.get(server.COOKIE)
    return value if isinstance(value, str) and value else None  # AppTest has no browser: no cookie, or a mock


def _cookie_token() -> str | None:
    """The token of the cookie this tab was opened with, unless the tab has already let go of it."""
    value = _cookie()
    if not value or st.session_state.get(IGNORED) == _digest(value):
        return None
    return value


def _send_cookie(token: str | None) -> None:
    """Have the page set the cookie to `token` (None: clear it) at its next draw; replaces a code not yet posted."""
    if not server.serving():
        return
    server.withdraw(st.session_state.pop(PENDING, None))
    expires = auth.session_expires(data.store(), token) if token else None
    if token and expires is None:
        return
    st.session_state[PENDING] = server.handoff(token, expires)


def _let_go_of_cookie() -> None:
    cookie = _cookie()
    if cookie:
        st.session_state[IGNORED] = _digest(cookie)
    _send_cookie(None)


def current_user() -> User | None:
    token = st.session_state.get(TOKEN)
    from_cookie = False
    if not token:
        token = _cookie_token()
        from_cookie = token is not None
    if not token:
        return None
    user = auth.user_for_session(data.store(), token)
    if user is None:
        st.session_state.pop(TOKEN, None)
        st.session_state["auth_notice"] = ENDED
        _let_go_of_cookie()
    elif from_cookie:
        st.session_state[TOKEN] = token
    return user


def cookie_bridge() -> None:
    """Run first on every page: notices an ended cookie, and has the page post a pending cookie code (an invisible
    component in the sidebar) until the route has taken it."""
    current_user()
    code = st.session_state.get(PENDING)
    if not code:
        return
    if server.finished(code):
        st.session_state.pop(PENDING, None)
        return
    job = json.dumps({"url": server.route_path(), "code": code}).replace("</", "<\\/")
    with st.sidebar:
        components.html(_POST % job, height=0)  # as localise does; st.iframe would leave a 150 px gap


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
    _send_cookie(token)


def _sign_out() -> None:
    auth.end_session(data.store(), st.session_state.pop(TOKEN, None))
    _let_go_of_cookie()


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
