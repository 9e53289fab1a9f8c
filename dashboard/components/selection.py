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
        self._left = f"_xz_left_{name}"

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

    def leave_if_filtered_out(self, shown_ids, filter_changed: bool) -> bool:
        """After a filter change that leaves the open record out, close it and remember which it was (`left_out`
        tells the panel, once); True when it did, so the page moves the map back to the results. A record opened in
        this very run (a link from another page, waiting to be centred on) stays open."""
        ss = st.session_state
        selected = self.current()
        if not (selected and filter_changed) or ss.get(self._center) == selected or (shown_ids == selected).any():
            return False
        self.clear()
        ss[self._left] = selected
        return True

    def left_out(self) -> str | None:
        """The record `leave_if_filtered_out` closed in this run, once."""
        return st.session_state.pop(self._left, None)

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
leave_if_filtered_out = POINT.leave_if_filtered_out
take_center_request, sync_url = POINT.take_center_request, POINT.sync_url
