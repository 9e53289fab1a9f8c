"""Drafts that survive a reload: what staff typed into a form, kept in the browser's own storage until it is saved.

A phone reloads a background tab (after switching to WeChat to copy coordinates) and Streamlit loses what was typed
but not yet submitted: a form's values live only in the page until its button is pressed. This component, mounted
beside a form, reads the form's fields from the page every second and keeps those that differ from what the server
sent in `localStorage` under the form's draft id. After a reload the stored draft comes back to Python, which offers
to put it back (never silently). A saved form clears its draft. Only this browser keeps it: nothing leaves the phone.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from loaders import clock

from .safe import md_text

JS = """
export default function (component) {
  const { data, setStateValue } = component;
  if (!data || !data.id) return;
  const store = window.localStorage;
  const name = 'xz-draft:' + data.id;
  const read = () => {
    const values = {};
    for (const key of data.keys) {
      const box = document.querySelector('.st-key-' + CSS.escape(key));
      if (!box) continue;
      const field = box.querySelector('textarea, input:not([type=checkbox])');  // a selectbox is a combobox input
      if (field) values[key] = field.value;
    }
    return values;
  };
  const differs = (values) => Object.keys(values).some((k) => (values[k] || '') !== (data.base[k] || ''));
  if (data.clear) { store.removeItem(name); }
  if (!data.clear && !window['xzDraftOffered:' + name]) {
    window['xzDraftOffered:' + name] = true;
    const kept = store.getItem(name);
    if (kept) { try { setStateValue('stored', JSON.parse(kept)); } catch (e) { store.removeItem(name); } }
  }
  clearInterval(window['xzDraftTimer:' + name]);
  window['xzDraftTimer:' + name] = setInterval(() => {
    const values = read();
    if (Object.keys(values).length === 0) return;
    if (differs(values)) store.setItem(name, JSON.stringify({ values: values, saved: Date.now() }));
  }, 1000);
}
"""

_component = st.components.v2.component("xz_draft", js=JS, isolate_styles=False)
_CLEAR = "_xz_draft_clear"
_DISMISSED = "_xz_draft_dismissed"


def clear(draft_id: str) -> None:
    """Forget the stored draft of a form that was just saved (from the save's callback)."""
    st.session_state.setdefault(_CLEAR, set()).add(draft_id)


def keep(draft_id: str, base: dict[str, str], restore) -> None:
    """Keep the fields `base` names (widget key -> the text the server shows) of one form as a draft in this
    browser; when a stored draft differs from `base`, offer `restore(values)` (a callback that puts them back)."""
    ss = st.session_state
    cleared = draft_id in ss.get(_CLEAR, set())
    ss.get(_CLEAR, set()).discard(draft_id)
    result = _component(key=f"draft_{draft_id}", data={"id": draft_id, "keys": list(base), "base": base,
                                                       "clear": cleared}, on_stored_change=lambda: None, height=0)
    stored = getattr(result, "stored", None)
    if cleared or not isinstance(stored, dict) or not isinstance(stored.get("values"), dict):
        return
    values = {k: str(v) for k, v in stored["values"].items() if k in base and isinstance(v, (str, int, float))}
    changed = {k: v for k, v in values.items() if v != (base.get(k) or "")}
    if not changed or ss.get(_DISMISSED, {}).get(draft_id) == stored.get("saved"):
        return
    with st.container(border=True, key=f"draft_offer_{draft_id}"):
        st.info(md_text(f"这台设备上有一份 {saved_at(stored.get('saved'))} 未保存的草稿（{len(changed)} 项）。"),
                icon=":material/draft:")
        left, right = st.columns(2)
        left.button("恢复草稿", key=f"draft_restore_{draft_id}", type="primary", width="stretch",
                    on_click=_restore, args=(draft_id, restore, changed, stored.get("saved")))
        right.button("丢弃草稿", key=f"draft_drop_{draft_id}", width="stretch",
                     on_click=_dismiss, args=(draft_id, stored.get("saved")))


def saved_at(millis) -> str:
    try:
        return dt.datetime.fromtimestamp(float(millis) / 1000, clock.TZ).strftime("%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return "早先"


def _restore(draft_id: str, restore, values: dict[str, str], saved) -> None:
    restore(values)
    _dismiss(draft_id, saved)


def _dismiss(draft_id: str, saved) -> None:
    st.session_state.setdefault(_DISMISSED, {})[draft_id] = saved
    clear(draft_id)
