"""Exports read as people expect in Excel (issue 13, "technical values shown to people"): dates are date cells,
the 12-digit 乡镇代码 is text, 演示数据 is 是/否, the account that loaded the bundled data is 「系统导入」, time
stamps are to the minute. Each file is read back the way Excel would see it (openpyxl's cell types)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from loaders import export


def _sheet(data: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)]


def test_xlsx_points_have_date_cells_and_text_codes(store):
    points = store.points()
    rows = _sheet(export.export_bytes(points, "xlsx", store.units()))
    first = rows[0]
    opened = [r["登记日期"] for r in rows if r["登记日期"].value is not None]
    resolved = [r["完成日期"] for r in rows if r["完成日期"].value is not None]
    assert opened and resolved
    for cell in opened + resolved:
        assert cell.is_date and cell.number_format == "yyyy-mm-dd"  # a real date: sorts and filters as one
    by_id = points.set_index("id")
    assert first["登记日期"].value.date() == dt.date.fromisoformat(by_id.at[first["编号"].value, "opened_on"])
    stamp = first["更新时间"]
    assert stamp.is_date and stamp.number_format == "yyyy-mm-dd hh:mm" and stamp.value.second == 0
    for row in rows:
        code = row["乡镇代码"]
        assert code.data_type == "s" and code.number_format == "@" and len(code.value) == 12
    assert {r["演示数据"].value for r in rows} <= {"是", "否"}
    assert {r["更新人"].value for r in rows} == {"系统导入"}  # `init` loaded the bundled data


def test_csv_points_read_as_people_write_them(store):
    text = export.export_bytes(store.points(), "csv", store.units()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(len(r["乡镇代码"]) == 12 and r["乡镇代码"].isdigit() for r in rows)  # plain: no ="…"
    assert all(r["乡镇"] for r in rows)  # the town's name beside it: what Excel users and the import read
    assert {r["演示数据"] for r in rows} <= {"是", "否"} and {r["更新人"] for r in rows} == {"系统导入"}
    stamp = rows[0]["更新时间"]
    assert dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M") and "T" not in stamp and "+08" not in stamp


def test_an_unreadable_stored_date_is_kept_as_text_not_lost(store):
    points = store.points().head(2).copy()
    points.loc[points.index[0], "opened_on"] = "2023-02-30"  # written by an older version; not a date
    rows = _sheet(export.export_bytes(points, "xlsx", store.units()))
    assert rows[0]["登记日期"].value == "2023-02-30" and rows[0]["登记日期"].data_type == "s"
    assert rows[1]["登记日期"].is_date


@pytest.mark.parametrize("what", ["activities", "members"])
def test_xlsx_records_dates_and_codes(store, what):
    rows = _sheet(export.records_bytes(store, what, "xlsx"))
    assert rows
    if what == "activities":
        assert all(r["日期"].is_date and r["日期"].number_format == "yyyy-mm-dd" for r in rows)
    codes = [r["乡镇代码"] for r in rows if r["乡镇代码"].value]
    assert codes and all(c.data_type == "s" and c.number_format == "@" for c in codes)
    assert {r["演示数据"].value for r in rows} <= {"是", "否"}
