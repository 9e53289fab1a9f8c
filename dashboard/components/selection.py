"""What is open in a detail panel: set by a map click, a table row or a link from another page, kept in the URL.

One `Selection` per kind of record: points (`point=`, the module functions below keep their old names) and
consultation activities (`activity=`). The URL is read once per session; a selection asked for by another page
(`Selection.open`) wins over it.
"""
from __future__ import annotations

import streamlit as st

from loaders import model

from .filters import set_query


class Selection:
    def __init__(self, name: str, param: str):
        self.key, self.param = f"_xz_selected_{name}", param
        self._center, self._loaded = f"_xz_center_{name}", f"_xz_selected_{name}_loaded"

    def select(self, record_id: str | None, center: bool = False) -> None:
        st.session_state[self.key] = record_id
        st.session_state[self._loaded] = True  # a selection made here wins over what the URL said
        if center and record_id:
            st.session_state[self._center] = record_id

    def clear(self) -> None:
        self.select(None)

    def current(self) -> str | None:
        ss = st.session_state
        if not ss.get(self._loaded):
            ss[self._loaded] = True
            value = st.query_params.get(self.param)
            # A hand-made URL's NUL, control character or 10,000 letters is no record's id.
            if value and model.check_id(value, "")[0] == value and self.key not in ss:
                ss[self.key] = value
                ss[self._center] = value
        return ss.get(self.key)

    def take_center_request(self) -> str | None:
        """The record to centre on in this run (after a table selection or a shared link), once."""
        return st.session_state.pop(self._center, None)

    def sync_url(self) -> None:
        selected = st.session_state.get(self.key)
        set_query({self.param: selected} if selected else {}, (self.param,))

    def open(self, record_id: str, page) -> None:
        """Go to `page` (a path under dashboard/views/) with this record open and centred."""
        self.select(record_id, center=True)
        st.switch_page(page)


POINT = Selection("point", "point")
ACTIVITY = Selection("activity", "activity")
SELECTED = POINT.key
select, clear, current = POINT.select, POINT.clear, POINT.current
take_center_request, sync_url = POINT.take_center_request, POINT.sync_url
