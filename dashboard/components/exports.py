"""Export the filtered view: CSV (UTF-8 with BOM, for Excel), XLSX and GeoJSON, with Chinese, dated file names."""
from __future__ import annotations

import datetime as dt
import functools

import streamlit as st

from loaders import clock, export, model
from loaders.filters import Filter

from .. import data

FORMATS = (("csv", "CSV", "text/csv"),
           ("xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           ("geojson", "GeoJSON", "application/geo+json"))


def file_name(fmt: str, kind: str | None = None, today: dt.date | None = None) -> str:
    today = today or clock.today()
    subject = f"{model.kind_label(kind)}" if kind else "点位"
    return f"襄州一线协商{subject}_{today.isoformat()}{export.FORMATS[fmt]}"


def export_data(where: Filter, fmt: str) -> bytes:
    """Runs only when a button is clicked: every column of the filtered points."""
    return export.export_bytes(data.export_points(where), fmt, data.units())


def buttons(where: Filter, kind: str | None, total: int) -> None:
    columns = st.columns(len(FORMATS))
    for column, (fmt, label, mime) in zip(columns, FORMATS):
        column.download_button(f"导出 {label}", data=functools.partial(export_data, where, fmt),
                               file_name=file_name(fmt, kind), mime=mime, on_click="ignore", disabled=total == 0,
                               width="stretch", icon=":material/download:", key=f"xz_export_{fmt}",
                               help=f"导出当前筛选的 {total} 个点位")
