"""跟踪督办: a point's follow-up timeline and the form that adds a dated entry (optionally setting a new status)."""
from __future__ import annotations

import streamlit as st

from loaders import clock, model
from loaders.editing import Editor
from loaders.model import ValidationError
from loaders.store import StaleEditError, StoreError

from . import drafts, editform, photos
from .editform import MAX_DATE, MIN_DATE, messages, save_refusal
from .safe import md_text

KEEP = "（不改变状态）"
MAX_TEXT = 2000
_RESULT = "_fu_result"
_ROUND = "_fu_photo_round"


def timeline(entries: list[dict], point_id: str) -> None:
    if not entries:
        st.caption("还没有跟踪督办记录。")
        return
    _, pictures = photos.of_point(point_id)
    for entry in reversed(entries):  # newest first
        head = " · ".join(md_text(v) for v in (entry.get("date"), entry.get("author")) if v)
        status = f"　→ **{md_text(entry['status'])}**" if entry.get("status") else ""
        st.markdown(f":material/event_note: **{head}**{status}  \n{md_text(entry.get('text'))}")
        photos.gallery(pictures.get(int(entry["fid"]), []), key=f"fu_photo_{entry['fid']}")


def _add(editor: Editor, record: dict) -> None:
    ss = st.session_state
    status = ss.get("fu_status")
    entry = {"date": ss.get("fu_date"), "text": ss.get("fu_text") or "",
             "status": None if status in (None, KEEP) else status}
    ready, refused = photos.prepared(_files_key())
    # Not the photos: the first save gave the form a fresh, empty photo picker, which the repeat then reads.
    signature = (record["id"], str(entry["date"]), entry["text"], entry["status"])
    again, said = editform.repeated("follow_up", signature)
    if again:  # the same entry, sent twice: saved once; say so again
        ss[_RESULT] = said or ("ok", ["这条督办记录已经保存。"])
        return
    if refused:  # all or nothing: a follow-up is not saved without the photos the user meant to send with it
        ss[_RESULT] = ("error", ["没有保存，以下照片有问题（请去掉或换一张后再提交，督办内容仍在表单中）："] + refused)
        return
    editform.saving("follow_up", signature)
    try:
        after = editor.add_follow_up(record["id"], entry, int(record["version"]), photos=ready)
    except StaleEditError as error:
        editform.failed("follow_up")
        ss[_RESULT] = ("error", [f"没有保存：{error}。您填写的督办内容仍在表单中，可直接再次提交。"])
        return
    except (ValidationError, StoreError) as error:
        editform.failed("follow_up")
        ss[_RESULT] = save_refusal(error)
        return
    editform.rebase(after)  # the follow-up moved the point's version: the point's form follows
    ss["fu_text"], ss["fu_status"] = "", KEEP
    ss[_ROUND] = ss.get(_ROUND, 0) + 1  # a fresh, empty photo picker
    drafts.clear(f"fu-{record['id']}")
    changed = f"，状态改为「{after['status']}」" if entry["status"] and entry["status"] == after["status"] else ""
    with_photos = f"（附照片 {len(ready)} 张）" if ready else ""
    ss[_RESULT] = ("ok", [f"已添加 {entry['date']} 的督办记录{with_photos}{changed}。"])
    editform.saved("follow_up", ss[_RESULT])


def _restore_text(values: dict[str, str]) -> None:
    st.session_state["fu_text"] = values.get("fu_text", "")[:MAX_TEXT]


def _files_key() -> str:
    return f"fu_photos_{st.session_state.get(_ROUND, 0)}"


def section(editor: Editor, record: dict, editable: bool) -> None:
    timeline(editor.store.follow_ups(record["id"]), record["id"])
    if not editable:
        return
    messages(st.session_state.pop(_RESULT, None))
    st.session_state.setdefault("fu_date", clock.today())
    drafts.keep(f"fu-{record['id']}", {"fu_text": st.session_state.get("fu_text") or ""}, _restore_text)
    with st.form("fu_form", border=True, enter_to_submit=False):
        st.markdown("**添加督办记录**")
        date_col, status_col = st.columns(2)
        date_col.date_input("日期", key="fu_date", min_value=MIN_DATE, max_value=MAX_DATE, format="YYYY-MM-DD")
        statuses = [KEEP, *model.KINDS[record["kind"]].status_labels]
        if st.session_state.get("fu_status") not in statuses:
            st.session_state["fu_status"] = KEEP
        status_col.selectbox("同时把状态改为", statuses, key="fu_status",
                             help=f"当前状态：{record['status']}。选择已完成或已关闭的状态时，若没有完成日期，会以本条日期填入。")
        st.text_area("督办内容 *", key="fu_text", height=90, max_chars=MAX_TEXT,
                     placeholder="如：已协调水利局现场查看，计划下月开工")
        photos.chooser("照片（可选，如整改前后对比）", _files_key())
        st.form_submit_button("添加记录", type="primary", icon=":material/add_comment:", on_click=_add,
                              args=(editor, record))
