"""Export buttons for activities or members (CSV for Excel, XLSX): the table the import reads back."""
from __future__ import annotations

import functools

import streamlit as st

from loaders import clock, export
from loaders.importing.records import WHAT
from loaders.readable import count

from .. import data

FORMATS = (("csv", "CSV", "text/csv"),
           ("xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def buttons(what: str, ids: list[str]) -> None:
    """The records of `what` (activities | members) whose ids are given, as they are shown."""
    noun = WHAT[what]
    today = clock.today().isoformat()
    for column, (fmt, label, mime) in zip(st.columns(len(FORMATS)), FORMATS):
        column.download_button(f"导出 {label}", data=functools.partial(export.records_bytes, data.store(), what, fmt,
                                                                       tuple(ids)),
                               file_name=f"襄州一线协商{noun}_{today}.{fmt}", mime=mime, on_click="ignore",
                               disabled=not ids, width="stretch", icon=":material/download:",
                               key=f"xz_{what}_export_{fmt}",
                               help=f"导出当前显示的 {count(len(ids))} 条{noun}（可修改后在「导入」页导回）")
