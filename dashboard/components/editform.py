"""The point form: fields and status choices follow the point's kind; saves go through `Editor` with the version
the form started from.

Form values live in session state (widget keys `ef_<field>`, plus a shadow copy that survives the page switching
the form out of view), so nothing typed is lost: a refused save keeps the input; a stale save (someone else saved
first) shows their change beside the user's own and offers to load the latest version while keeping the user's edits.
"""
from __future__ import annotations

import datetime as dt
import time

import streamlit as st

from loaders import clock, model
from loaders.editing import Editor
from loaders.model import ValidationError
from loaders.store import StaleEditError, StoreError

from . import drafts
from .history import value_text, when
from .safe import md_text

EDIT, ADD = "ef", "af"  # widget key prefixes of the edit form and the add form
_FOR = "_ef_for"  # point id whose values are in the edit widgets
_BASE = "_ef_base"  # the record the edit form started from (its version is sent with the save)
_SHADOW = "_ef_shadow"
_CONFLICT = "_ef_conflict"
_RESULT = "_ef_result"
_RECENT = "_xz_recent_saves"  # form -> (what was saved, when): a repeated submit is not saved twice
MIN_DATE, MAX_DATE = dt.date(1980, 1, 1), dt.date(2100, 12, 31)
LONG_TEXT = {"description"}


# Values between the record and the widgets --------------------------------------------------------------------
def form_keys(kind: str) -> tuple[str, ...]:
    return ("status", *model.fields_for(kind))


def to_widget(key: str, value):
    if value is None or (isinstance(value, float) and model.is_missing(value)):
        return None if key == "status" or _type(key) == "date" else ""
    if _type(key) == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def from_widget(key: str, value):
    """A widget value as the store expects it: text stripped (empty means none), dates as ISO strings."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def normalised(key: str, value):
    return from_widget(key, to_widget(key, value))


def _type(key: str) -> str:
    return model.FIELDS[key].type if key in model.FIELDS else "text"


def label(key: str) -> str:
    return model.COLUMN_LABELS.get(key, key)


def values(prefix: str, kind: str) -> dict:
    ss = st.session_state
    return {key: from_widget(key, ss.get(f"{prefix}_{key}")) for key in form_keys(kind)}


def changes(base: dict, current_values: dict) -> dict:
    """Fields whose form value differs from the record the form started from."""
    return {k: v for k, v in current_values.items() if v != normalised(k, base.get(k))}


def load(prefix: str, record: dict) -> None:
    """Put a record's values into the widgets (only from a callback or before the widgets are drawn)."""
    ss = st.session_state
    for key in form_keys(record["kind"]):
        ss[f"{prefix}_{key}"] = to_widget(key, record.get(key))
    if prefix == EDIT:
        ss[_FOR], ss[_BASE] = record["id"], dict(record)
        ss[_SHADOW] = {}
        ss.pop(_CONFLICT, None)


def clear_add_form(kind: str) -> None:
    ss = st.session_state
    for key in form_keys(kind):
        ss.pop(f"{ADD}_{key}", None)


# Widgets ------------------------------------------------------------------------------------------------------
def _status_label(kind: str):
    return lambda status: f"{status}（{model.stage_of(kind, status)}）" if status else "请选择"


def widgets(prefix: str, kind: str) -> None:
    """The form's widgets; values come from session state (`<prefix>_<field>`)."""
    ss = st.session_state
    statuses = list(model.KINDS[kind].status_labels)
    status_key = f"{prefix}_status"
    current = ss.get(status_key)
    if current is None or (current not in statuses and prefix == ADD):
        ss[status_key] = statuses[0]
    elif current not in statuses:
        statuses.append(current)  # a status the kind no longer lists: keep it visible rather than lose it
    _field(prefix, "name")
    middle = ["status", "opened_on", "resolved_on"] + [
        k for k in model.fields_for(kind) if k not in ("name", "opened_on", "resolved_on", "description", "source_note")]
    for start in range(0, len(middle), 2):
        for column, key in zip(st.columns(2), middle[start:start + 2]):
            with column:
                if key == "status":
                    st.selectbox(label("status") + " *", statuses, key=status_key, format_func=_status_label(kind))
                else:
                    _field(prefix, key)
    _field(prefix, "description")
    _field(prefix, "source_note")


def _field(prefix: str, key: str) -> None:
    f = model.FIELDS[key]
    widget_label = f.label + (" *" if f.required else "")
    widget_key = f"{prefix}_{key}"
    if f.type == "date":
        st.date_input(widget_label, key=widget_key, min_value=MIN_DATE, max_value=MAX_DATE, format="YYYY-MM-DD")
    elif key in LONG_TEXT:
        st.text_area(widget_label, key=widget_key, height=110, max_chars=f.max_length)
    elif f.type in ("int", "float"):
        hint = f"{f.minimum:g}–{f.maximum:g}" if f.minimum is not None and f.maximum is not None else None
        st.text_input(widget_label, key=widget_key, placeholder=hint)
    else:
        st.text_input(widget_label, key=widget_key)


# Drafts kept in the browser (see drafts.py): the form's values as the page shows them, and back -----------------
def shown(prefix: str, kind: str) -> dict[str, str]:
    """Each field's value as its widget shows it in the page (what the draft component reads back)."""
    ss = st.session_state
    out = {}
    for key in form_keys(kind):
        value = ss.get(f"{prefix}_{key}")
        if key == "status":
            value = _status_label(kind)(value) if value else ""
        out[f"{prefix}_{key}"] = "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
    return out


def restorer(prefix: str, kind: str):
    """A callback putting a draft's values (as shown in the page) back into the widgets; a value that no longer
    fits (a status the kind lost, a date that does not parse) is left as it is."""
    labels = {_status_label(kind)(s): s for s in model.KINDS[kind].status_labels}

    def restore(values: dict[str, str]) -> None:
        ss = st.session_state
        for widget_key, text in values.items():
            key = widget_key.removeprefix(f"{prefix}_")
            if key == "status":
                if text in labels:
                    ss[widget_key] = labels[text]
            elif _type(key) == "date":
                try:
                    ss[widget_key] = dt.date.fromisoformat(text) if text else None
                except ValueError:
                    continue
            elif key in form_keys(kind):  # a draft is the browser's: never longer than the field takes
                ss[widget_key] = text[:model.FIELDS[key].max_length] if key in model.FIELDS else text
    return restore


def repeated(form: str, signature) -> tuple[bool, object]:
    """Whether this submit repeats the one just saved -- the same values within 30 s: a double tap, or a phone
    resending on a slow connection -- and what the first save left to say. It is that save, not a second one, nor a
    clash with it; and since the second submit cut short the run that would have shown the first's message, the
    caller shows it again."""
    last = st.session_state.get(_RECENT, {}).get(form)
    if last is not None and last[0] == signature and time.monotonic() - last[1] < 30:
        return True, last[2]
    return False, None


def saving(form: str, signature) -> None:
    """Mark a save as made *before* writing: a second submit can interrupt this callback after the write and
    before anything later in it (Streamlit reruns at once), and must still find the mark. `failed` takes it back;
    `saved` adds what the save has to say."""
    _mark(form, (signature, time.monotonic(), None))


def saved(form: str, said) -> None:
    last = st.session_state.get(_RECENT, {}).get(form)
    if last is not None:
        _mark(form, (last[0], last[1], said))


def failed(form: str) -> None:
    _mark(form, None)


def _mark(form: str, value) -> None:
    recent = dict(st.session_state.get(_RECENT, {}))
    recent[form] = value
    st.session_state[_RECENT] = {k: v for k, v in recent.items() if v is not None}


def rebase(after: dict) -> None:
    """The user's own write elsewhere on the page (a follow-up) moved the point to a new version: the form follows
    it, keeping whatever the user had changed in it, so their next save is not taken for a clash with themself."""
    ss = st.session_state
    if ss.get(_FOR) != after["id"] or _BASE not in ss:
        return
    _load_keeping(after, changes(ss[_BASE], values(EDIT, ss[_BASE]["kind"])))


def _load_keeping(record: dict, edited: dict) -> None:
    load(EDIT, record)
    for key, value in edited.items():
        st.session_state[f"{EDIT}_{key}"] = to_widget(key, value)


def save_refusal(error: Exception) -> tuple[str, list[str]]:
    """A refused save as the message the forms show: the fields and values at fault, or the store's reason."""
    if isinstance(error, ValidationError):
        return "error", ["没有保存，请修改后重试："] + list(error.messages)
    return "error", [f"没有保存：{error}"]


def messages(result) -> None:
    if not result:
        return
    kind, lines = result
    show = {"ok": st.success, "info": st.info, "error": st.error}[kind]
    head, rest = (lines[0], lines[1:]) if lines[0].endswith("：") or len(lines) == 1 else ("", lines)
    show("\n".join([md_text(head)] * bool(head) + [f"- {md_text(line)}" for line in rest]))


# The edit form ------------------------------------------------------------------------------------------------
def _save(editor: Editor, point_id: str) -> None:
    ss = st.session_state
    base = ss[_BASE]
    mine = values(EDIT, base["kind"])
    diff = changes(base, mine)
    if not diff:
        ss[_RESULT] = ("info", ["没有需要保存的修改。"])
        return
    note = None
    if "status" in diff and "resolved_on" not in diff:  # a date the user did not touch follows the new status
        resolved_on, note = model.resolved_on_for(base["kind"], diff["status"], mine.get("resolved_on"),
                                                  clock.today().isoformat())
        if note:
            diff["resolved_on"] = resolved_on
    try:
        after = editor.update(point_id, diff, int(base["version"]))
    except StaleEditError as error:
        ss[_CONFLICT] = {"current": error.current, "mine": mine, "message": str(error)}
        ss.pop(_RESULT, None)
        return
    except (ValidationError, StoreError) as error:
        ss[_RESULT] = save_refusal(error)
        return
    load(EDIT, after)
    drafts.clear(f"edit-{point_id}")
    names = "、".join(label(k) for k in diff)
    ss[_RESULT] = ("ok", [f"已保存「{after['name']}」：修改了{names}（版本 {after['version']}）"
                          + (f"；{note}" if note else "") + "。"])


def _keep_mine(point_id: str) -> None:
    """Load the other person's version as the new base and put the user's own changes back on top of it."""
    ss = st.session_state
    conflict = ss.get(_CONFLICT)
    if not conflict:
        return
    base, current, mine = ss[_BASE], conflict["current"], conflict["mine"]
    edited = changes(base, mine)
    _load_keeping(current, edited)
    ss[_RESULT] = ("info", ["已载入最新版本，并保留了您的修改（" + ("、".join(label(k) for k in edited) or "无") +
                            "）。请核对后再次保存。"])


def _take_theirs(point_id: str) -> None:
    ss = st.session_state
    conflict = ss.get(_CONFLICT)
    if conflict:
        load(EDIT, conflict["current"])
        ss[_RESULT] = ("info", ["已放弃您的修改并载入最新版本。"])


def conflict_rows(base: dict, current: dict, mine: dict) -> list[dict]:
    keys = list(form_keys(current["kind"]))
    rows = []
    for key in keys:
        theirs_changed = normalised(key, current.get(key)) != normalised(key, base.get(key))
        mine_changed = mine.get(key) != normalised(key, base.get(key))
        if not (theirs_changed or mine_changed):
            continue
        note = "两人都改了" if theirs_changed and mine_changed else ("对方修改" if theirs_changed else "您的修改")
        rows.append({"字段": label(key), "开始编辑时": value_text(key, base.get(key)),
                     "对方保存的": value_text(key, current.get(key)), "您填写的": value_text(key, mine.get(key)),
                     "说明": note})
    for key in ("lon", "lat"):
        if current.get(key) != base.get(key):
            rows.append({"字段": label(key), "开始编辑时": value_text(key, base.get(key)),
                         "对方保存的": value_text(key, current.get(key)), "您填写的": "（未改）", "说明": "对方移动了点位"})
    return rows


def _conflict(point_id: str) -> None:
    ss = st.session_state
    conflict = ss[_CONFLICT]
    current = conflict["current"]
    who, saved_at = current.get("updated_by") or "他人", when(current.get("updated_at"))
    with st.container(border=True):
        st.error(md_text(f"没有保存：在您编辑期间，{who} 于 {saved_at} 保存了这个点位（版本 {ss[_BASE]['version']} → "
                         f"{current['version']}）。您填写的内容仍在下面的表单中，没有丢失。"),
                 icon=":material/sync_problem:")
        if current.get("deleted_at"):
            st.warning("对方已删除这个点位；如需保留，请先在「已删除点位」中恢复。")
        rows = conflict_rows(ss[_BASE], current, conflict["mine"])
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        left, right = st.columns(2)
        left.button("载入最新版本并保留我的修改", key="ef_keep_mine", type="primary", on_click=_keep_mine,
                    args=(point_id,), icon=":material/merge:", width="stretch")
        right.button("放弃我的修改，载入最新版本", key="ef_take_theirs", on_click=_take_theirs, args=(point_id,),
                     icon=":material/restart_alt:", width="stretch")


def edit_form(editor: Editor, record: dict) -> None:
    """The edit form of one point the user may edit."""
    ss = st.session_state
    point_id = record["id"]
    if ss.get(_FOR) != point_id:
        load(EDIT, record)
    else:  # widgets not drawn in the last run lose their state: put the user's values back
        for key in form_keys(ss[_BASE]["kind"]):
            widget_key = f"{EDIT}_{key}"
            if widget_key not in ss and widget_key in ss.get(_SHADOW, {}):
                ss[widget_key] = ss[_SHADOW][widget_key]
            elif widget_key not in ss:
                ss[widget_key] = to_widget(key, ss[_BASE].get(key))
    base = ss[_BASE]
    if ss.get(_CONFLICT):
        _conflict(point_id)
    elif int(record["version"]) != int(base["version"]):
        st.info(md_text(f"提示：{record.get('updated_by') or '他人'} 刚保存了这个点位的新版本（{record['version']}），"
                        "表单仍是您开始编辑时的版本；保存时会核对。"))
    messages(ss.pop(_RESULT, None))
    drafts.keep(f"edit-{point_id}", shown(EDIT, base["kind"]), restorer(EDIT, base["kind"]))
    with st.form("ef_form", border=False, enter_to_submit=False):
        widgets(EDIT, base["kind"])
        st.form_submit_button("保存修改", type="primary", icon=":material/save:", on_click=_save,
                              args=(editor, point_id))
    ss[_SHADOW] = {f"{EDIT}_{k}": ss.get(f"{EDIT}_{k}") for k in form_keys(base["kind"])}
    st.caption(f"版本 {base['version']}　最近修改：{md_text(base.get('updated_by') or '—')}　"
               f"{when(base.get('updated_at'))}")


# The add form -------------------------------------------------------------------------------------------------
def add_defaults(kind: str) -> None:
    """A new point's starting values: registered today (Beijing time), its kind's first status, the rest empty."""
    ss = st.session_state
    if ss.get(f"{ADD}_opened_on") is None and f"{ADD}_opened_on" not in ss:
        ss[f"{ADD}_opened_on"] = clock.today()
    for key in form_keys(kind):
        ss.setdefault(f"{ADD}_{key}", None if key == "status" or _type(key) == "date" else "")
    if ss.get(f"{ADD}_status") not in model.KINDS[kind].status_labels:
        ss[f"{ADD}_status"] = model.KINDS[kind].status_labels[0]


def add_widgets(kind: str) -> None:
    add_defaults(kind)
    widgets(ADD, kind)


def add_record(kind: str, lon: float, lat: float) -> dict:
    return {"kind": kind, "lon": lon, "lat": lat, **values(ADD, kind)}
