"""Export the filtered view: CSV (UTF-8 with BOM, for Excel), XLSX and GeoJSON, with Chinese, dated file names."""
from __future__ import annotations

import datetime as dt
import functools

import streamlit as st

from loaders import clock, export, model
from loaders.filters import Filter
from loaders.readable import count

from .. import data

FORMATS = (("csv", "CSV", "text/csv"),
           ("xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           ("geojson", "GeoJSON", "application/geo+json"))
# What each file is for (see loaders/export.to_csv: Excel turns a CSV's 12-digit codes into 4.20607E+11).
USES = {"csv": "纯文本表格，供其他软件读取；在 Excel 中查看请用「导出 Excel」，日期和乡镇代码保持原样",
        "xlsx": "Excel 表格：日期为日期格式，乡镇代码为文本", "geojson": "供 GIS 软件使用"}


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
                               help=f"导出当前筛选的 {count(total)} 个点位（{USES[fmt]}）")
