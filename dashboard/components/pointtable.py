"""The point table: newest first; selecting a row opens the point's details and centres the map on it.

A phone gets its own table of the columns that matter there (`PHONE_COLUMNS`; the rest is in the detail panel):
both tables are on the page and CSS shows one of them by the screen's width (≤ 640 px: the phone table)."""
from __future__ import annotations

import functools

import pandas as pd
import pyarrow as pa
import streamlit as st

from loaders import model
from loaders.readable import count

from ..data import View
from . import selection

TABLE_LIMIT = 500
KEY = "xz_point_table"
PHONE_KEY = "xz_point_table_phone"
PHONE_COLUMNS = ["名称", "状态", "乡镇"]
_IDS = "_xz_table_ids"
PHONE_CSS = """<style>
.st-key-xz_point_table_phone { display: none; }
@media (max-width: 640px) {
  .st-key-xz_point_table { display: none; }
  .st-key-xz_point_table_phone { display: block; }
}
</style>"""


def display_frame(points: pd.DataFrame, unit_names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({
        "名称": points["name"].astype(str),
        "类型": points["kind"].map(model.kind_label),
        "状态": points["status"],
        "阶段": points["stage"],
        "乡镇": points["unit_code"].map(lambda c: unit_names.get(c, c or "—")),
        "村/社区": points["village"].fillna(""),
        "登记日期": points["opened_on"].fillna(""),
    })


def _on_select(key: str = KEY) -> None:
    state = st.session_state.get(key)
    rows = state.selection.rows if state is not None else []
    ids = st.session_state.get(_IDS, [])
    if rows and rows[0] < len(ids):
        selection.select(ids[rows[0]], center=True)


@st.cache_resource(show_spinner=False, max_entries=64)
def _tables(view_key: tuple, _view: View, _unit_names: dict[str, str]) -> tuple[list[str], pa.Table, pa.Table]:
    """The ids and both tables (as Arrow, what Streamlit sends) of one view, made once for all sessions."""
    shown = _view.points.head(TABLE_LIMIT)
    frame = display_frame(shown, _unit_names)
    return (shown["id"].tolist(), pa.Table.from_pandas(frame, preserve_index=False),
            pa.Table.from_pandas(frame[PHONE_COLUMNS], preserve_index=False))


def table(view: View, unit_names: dict[str, str]) -> None:
    ids, frame, phone = _tables(view.key, view, unit_names)
    st.session_state[_IDS] = ids
    height = min(400, 35 * (len(ids) + 1) + 3)
    st.html(PHONE_CSS)
    st.dataframe(frame, hide_index=True, width="stretch", height=height,
                 on_select=_on_select, selection_mode="single-row", key=KEY)
    st.dataframe(phone, hide_index=True, width="stretch", height=height,
                 on_select=functools.partial(_on_select, PHONE_KEY), selection_mode="single-row", key=PHONE_KEY,
                 column_config={"名称": st.column_config.TextColumn(width=160),
                                "状态": st.column_config.TextColumn(width=76),
                                "乡镇": st.column_config.TextColumn(width=64)})
    if view.total > TABLE_LIMIT:
        st.caption(f"共 {count(view.total)} 个点位，表格显示最近更新的 {count(TABLE_LIMIT)} 个；全部数据请用上方的导出按钮。")
