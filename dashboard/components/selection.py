"""Which point is open in the detail panel: set by a map click or a table row, kept in the URL as `point=`."""
from __future__ import annotations

import streamlit as st

from .filters import set_query

SELECTED = "_xz_selected"
CENTER_ON = "_xz_center_on"
_LOADED = "_xz_selected_loaded"
MAX_ID = 64


def select(point_id: str | None, center: bool = False) -> None:
    st.session_state[SELECTED] = point_id
    if center and point_id:
        st.session_state[CENTER_ON] = point_id


def clear() -> None:
    select(None)


def current() -> str | None:
    ss = st.session_state
    if not ss.get(_LOADED):
        ss[_LOADED] = True
        value = st.query_params.get("point")
        if value and len(value) <= MAX_ID and SELECTED not in ss:
            ss[SELECTED] = value
            ss[CENTER_ON] = value
    return ss.get(SELECTED)


def take_center_request() -> str | None:
    """The point to centre on in this run (after a table selection or a shared link), once."""
    return st.session_state.pop(CENTER_ON, None)


def sync_url() -> None:
    selected = st.session_state.get(SELECTED)
    set_query({"point": selected} if selected else {}, ("point",))
