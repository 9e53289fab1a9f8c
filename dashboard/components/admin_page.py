"""用户管理 (admins only): the storyboard of the page -- accounts and roles, the basis of the town areas, and backups."""
from __future__ import annotations

import streamlit as st

from .. import data
from . import admin_areas, admin_backup, admin_deadlines, admin_users, safe, session


def render() -> None:
    admin = session.require("admin")
    store = data.store()

    st.title("用户管理")
    st.caption(f"当前管理员：{safe.md_text(admin.name)}。用户、办理时限、乡镇范围和备份的管理；所有修改立即生效。")

    users_tab, deadlines_tab, areas_tab, backup_tab = st.tabs(["用户", "办理时限", "乡镇范围", "备份"])
    with users_tab:
        admin_users.show_flash()
        users = admin_users.users_table(store)
        left, right = st.columns(2, gap="large")
        with left:
            admin_users.add_user_form(store, admin)
        with right:
            st.markdown("**修改用户**")
            admin_users.manage_user(store, admin, users)
    with deadlines_tab:
        admin_deadlines.section()
    with areas_tab:
        admin_areas.current_basis(store)
        admin_areas.replace_step(store)
    with backup_tab:
        admin_backup.backup_step()
