"""A point's history: the audit rows as a readable table (who, when, what, which fields, before → after), and for
an admin a way to revert one field change."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from loaders import model
from loaders.editing import Editor
from loaders.readable import person, when
from loaders.store import StoreError

from .. import data
from .safe import md_text

ACTIONS = {"create": "新增", "update": "修改", "delete": "删除", "restore": "恢复", "follow_up": "跟踪督办",
           "revert": "撤销修改", "import": "导入", "activity_create": "新增协商活动", "activity_update": "修改协商活动",
           "activity_delete": "删除协商活动", "member_create": "新增委员", "member_update": "修改委员",
           "member_delete": "删除委员", "issue_link": "关联协商活动", "issue_unlink": "取消关联协商活动",
           "groups": "修改委员活动组", "areas": "替换乡镇范围", "photo_add": "上传照片", "photo_delete": "删除照片",
           "setting": "修改设置"}
LABELS = {**model.COLUMN_LABELS, "deleted_at": "删除时间", "date": "督办日期", "text": "督办内容", "geom": "位置",
          "photo": "照片编号", "follow_up_fid": "督办记录", "photos": "照片数"}
# stage follows status; the rest are internal numbers (a photo's and a follow-up's), its file name says which
HIDDEN_FIELDS = {"stage", "sample", "id", "photo", "follow_up_fid"}
STAMPS = {"created_at", "updated_at", "deleted_at", "taken_at"}
MAX_VALUE = 80


def value_text(key: str, value, unit_names: dict[str, str] | None = None) -> str:
    if model.is_missing(value):
        return "（空）"
    if key == "kind":
        return model.kind_label(str(value))
    if key in STAMPS:
        return when(value)
    if key == "unit_code" and unit_names:
        return unit_names.get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if key in ("lon", "lat") else f"{value:g}"
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def rows(history: pd.DataFrame, unit_names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per changed field of each audit row, newest first; plain text (dataframes show text literally);
    towns by name when `unit_names` is given."""
    out = []
    for change in history.itertuples(index=False):
        before, after = change.before or {}, change.after or {}
        keys = [k for k in sorted(set(before) | set(after), key=_order) if k not in HIDDEN_FIELDS]
        if change.action == "create":
            keys = [k for k in ("kind", "status", "name") if k in after]
        if change.action in ("delete", "restore"):
            keys = []
        base = {"时间": when(change.at), "操作人": person(change.user), "操作": ACTIONS.get(change.action, change.action)}
        if not keys:
            out.append({**base, "字段": "—", "修改前": "", "修改后": ""})
        for key in keys:
            out.append({**base, "字段": LABELS.get(key, key), "修改前": "" if change.action == "create" else
                        value_text(key, before.get(key), unit_names),
                        "修改后": value_text(key, after.get(key), unit_names)})
    return pd.DataFrame(out, columns=["时间", "操作人", "操作", "字段", "修改前", "修改后"])


def _order(key: str) -> int:
    order = ["name", "kind", "status", "lon", "lat", "unit_code", *model.FIELDS]
    return order.index(key) if key in order else len(order)


def summary(change, unit_names: dict[str, str] | None = None) -> str:
    before, after = change.before or {}, change.after or {}
    parts = [f"{LABELS.get(k, k)}：{value_text(k, before.get(k), unit_names)} → {value_text(k, after.get(k), unit_names)}"
             for k in sorted(set(after), key=_order) if k not in HIDDEN_FIELDS]
    return f"{when(change.at)} {person(change.user)}：" + "；".join(parts)


def _revert(editor: Editor, change_id: int, key: str) -> None:
    try:
        after = editor.revert(change_id)
    except StoreError as error:
        st.session_state[f"{key}_result"] = ("error", str(error))
        return
    st.session_state[f"{key}_result"] = ("ok", f"已撤销这次修改；「{after['name']}」现为版本 {after['version']}")


def section(editor: Editor, point_id: str, key: str = "hist") -> None:
    history = editor.store.history(point_id)
    result = st.session_state.pop(f"{key}_result", None)
    if result:
        (st.success if result[0] == "ok" else st.error)(md_text(result[1]))
    if history.empty:
        st.caption("还没有修改记录。")
        return
    unit_names = data.units().names(short=True)
    table = rows(history, unit_names)
    st.dataframe(table, hide_index=True, width="stretch", height=min(420, 35 * (len(table) + 1) + 3))
    if editor.user is None or not editor.user.is_admin:
        st.caption("撤销修改需要管理员权限。")
        return
    updates = [c for c in history.itertuples(index=False) if c.action == "update"]
    if not updates:
        return
    with st.expander("撤销一次修改（管理员）", icon=":material/undo:"):
        labels = {int(c.fid): summary(c, unit_names) for c in updates}
        chosen = st.selectbox("要撤销的修改", list(labels), format_func=labels.get, key=f"{key}_pick")
        st.caption("撤销会把这次修改涉及的字段改回修改前的值，并作为一条新的修改记录保存。"
                   "如果这些字段之后又被改过，系统会拒绝撤销。")
        st.button("撤销这次修改", key=f"{key}_revert", on_click=_revert, args=(editor, chosen, key),
                  icon=":material/undo:")
