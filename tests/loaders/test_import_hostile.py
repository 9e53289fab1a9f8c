"""Hostile and broken files (tests/loaders/hostile_files.py) through every loader path: `read()` and
`python -m loaders import FILE`. Each is refused calmly: ImportFileError / exit code 1, one Chinese message naming the
file as the user has it (never the temporary copy), the row and column where there is one, no traceback, and the
store exactly as it was."""
from __future__ import annotations

import hashlib
import os
import random
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from loaders import cli, config, export
from loaders.auth import User
from loaders.editing import Editor
from loaders.importing import ImportFileError, archive, build_plan, commit, read
from loaders.store import Filter

sys.path.insert(0, str(Path(__file__).parent))
import hostile_files  # builders beside this file; tests/ is not a package
import import_files
from hostile_files import HOSTILE_FILES
from test_import import snapshot

pytestmark = pytest.mark.filterwarnings("ignore:.*xzmap-import-:RuntimeWarning")  # pytest would record them

ADMIN = User("管理员", "admin")
TEMPORARY = re.compile(r"xzmap-import-|/tmp/|upload\.(gpkg|geojson|json)")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """Every hostile file, built once for this module (the zip bomb takes a moment)."""
    folder = tmp_path_factory.mktemp("hostile")
    return {case.name: case.build(folder) for case in HOSTILE_FILES}


def store_bytes(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=[c.name for c in HOSTILE_FILES])
def test_read_refuses_each_hostile_file_in_chinese_naming_it(corpus, case):
    with pytest.raises(ImportFileError) as refused:
        read(corpus[case.name])
    message = str(refused.value)
    assert f"「{case.name}」" in message
    assert re.search(case.says, message.replace(case.name, "")), message
    assert not TEMPORARY.search(message), message
    assert re.search(r"[\u4e00-\u9fff]", message.split("（详情")[0])


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=[c.name for c in HOSTILE_FILES])
def test_the_cli_refuses_each_hostile_file_and_changes_nothing(corpus, case, store_path, capsys):
    before, raw = snapshot(store_path), store_bytes(store_path)
    code = cli.main(["import", str(corpus[case.name])])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("错误：") and f"「{case.name}」" in err and re.search(case.says, err.replace(case.name, "")), err
    assert "Traceback" not in out + err and not TEMPORARY.search(out + err), out + err
    assert snapshot(store_path) == before and store_bytes(store_path) == raw


def test_a_bomb_written_with_writestr_is_refused_as_a_bomb_not_as_a_link(corpus):
    with zipfile.ZipFile(corpus[hostile_files.WRITESTR_BOMB]) as zf:
        assert zf.getinfo("points.shp").external_attr == 0o600 << 16  # no file-type bits, as writestr leaves it
    with pytest.raises(ImportFileError) as refused:
        read(corpus[hostile_files.WRITESTR_BOMB])
    assert "疑似压缩炸弹" in str(refused.value) and "符号链接" not in str(refused.value)


@pytest.mark.parametrize("mode, refused", [
    (0, False),  # DOS/Windows zips record no mode
    (0o600, False),  # ZipFile.writestr(name, …): permissions only
    (stat.S_IFREG | 0o644, False),
    (stat.S_IFDIR | 0o755, False),
    (stat.S_IFLNK | 0o777, True),
    (stat.S_IFCHR | 0o600, True),
    (stat.S_IFIFO | 0o600, True),
    (stat.S_IFSOCK | 0o600, True),
])
def test_only_members_typed_as_links_or_special_files_are_refused_as_such(mode, refused):
    info = zipfile.ZipInfo("data/points.dbf")
    info.external_attr = mode << 16
    if refused:
        with pytest.raises(ImportFileError, match="「坏.zip」中的「data/points.dbf」是符号链接或特殊文件"):
            archive._member_path(info.filename, info, "坏.zip")
    else:
        assert str(archive._member_path(info.filename, info, "坏.zip")) == "data/points.dbf"


def test_an_entity_bomb_is_refused_before_any_xml_parser_sees_it(corpus, monkeypatch):
    import openpyxl

    def parse(*args, **kwargs):
        raise AssertionError("the workbook was handed to openpyxl")

    monkeypatch.setattr(openpyxl, "load_workbook", parse)
    for name in (hostile_files.ENTITY_BOMB_SHEET, hostile_files.ENTITY_BOMB_STRINGS):
        with pytest.raises(ImportFileError, match="DOCTYPE"):
            read(corpus[name])


def _workbook_with(tmp_path: Path, member: str, content: bytes) -> bytes:
    path = import_files.xlsx(tmp_path / "台账.xlsx")
    return hostile_files._rewrite_member(path, member, lambda _: content).read_bytes()


def _across_a_chunk() -> bytes:
    """`<!DocType` split between the first and second chunk the scan reads, after a comment that compresses
    like real data (random hex)."""
    head, tail = b'<?xml version="1.0"?><!-- ', b" -->"
    pad = archive._CHUNK - 3 - len(head) - len(tail)
    body = head + random.Random(0).randbytes(pad // 2 + 1).hex().encode()[:pad] + tail + b"<!DocType x><worksheet/>"
    assert body[archive._CHUNK - 3: archive._CHUNK] == b"<!D"
    return body


@pytest.mark.parametrize("content, says", [
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'.encode("utf-16"),
     "DOCTYPE"),
    (_across_a_chunk(), "DOCTYPE"),
    (b'<?xml version="1.0" encoding="cp037"?><worksheet/>', "不支持的文字编码「cp037」"),
], ids=["utf-16", "across-chunks", "ebcdic"])
def test_declarations_are_found_in_utf16_across_chunks_and_odd_encodings_refused(tmp_path, content, says):
    data = _workbook_with(tmp_path, "xl/worksheets/sheet1.xml", content)
    with pytest.raises(ImportFileError, match=says) as refused:
        read(data, "台账.xlsx")
    assert "「台账.xlsx」" in str(refused.value) and "sheet1.xml" in str(refused.value)


def test_valid_workbooks_pass_the_checks(tmp_path):
    excel_style = read(hostile_files.shared_strings_xlsx(tmp_path / "共享字符串.xlsx"))
    assert excel_style.sheet == "台账" and list(excel_style.frame["名称"])[:2] == ["太山村1号井", "太山村2号井"]
    escaped = import_files.rows()[:1]
    escaped[0]["说明"] = "<!DOCTYPE html> 与 <!ENTITY> 只是文字"  # written escaped (&lt;!DOCTYPE) in the XML
    table = read(import_files.xlsx(tmp_path / "文字.xlsx", escaped))
    assert table.frame["说明"].iloc[0] == escaped[0]["说明"]


def test_a_long_cell_is_refused_with_its_line_and_column_but_a_long_text_within_the_limit_is_a_row_problem(store):
    with pytest.raises(ImportFileError, match=r"「长.csv」第 3 行「说明」列（第 11 列）的内容有 32,768 个字符"):
        read(import_files.csv_bytes([import_files.rows()[0], {**import_files.rows()[1], "说明": "长" * 32_768}]),
             "长.csv")
    data = import_files.rows()
    data[1]["说明"] = "长" * 32_767
    plan = build_plan(read(import_files.csv_bytes(data), "长.csv"), store, ADMIN)  # read, then checked per row
    assert list(plan.problems["行号"]) == [3] and plan.problems.iloc[0]["列"] == "说明"
    assert "太长" in plan.problems.iloc[0]["原因"]


def test_a_long_cell_in_an_xlsx_names_the_excel_column(tmp_path):
    path = import_files.xlsx(tmp_path / "长.xlsx")  # openpyxl cuts cells to Excel's limit: lengthen one in the XML
    # (openpyxl writes the text as it is, or as character references when lxml is installed).
    spelled = ("岗地缺水", "".join(f"&#{ord(c)};" for c in "岗地缺水"))

    def lengthen(xml: bytes) -> bytes:
        for text in spelled:
            xml = xml.replace(f"<t>{text}</t>".encode(), f"<t>{'长' * 40_000}</t>".encode())
        return xml

    hostile_files._rewrite_member(path, "xl/worksheets/sheet1.xml", lengthen)
    with pytest.raises(ImportFileError, match=r"「长.xlsx」第 4 行「说明」列（K 列）的内容有 40,000 个字符"):
        read(path)


def test_gdal_messages_name_the_real_file_and_never_the_temporary_copy(corpus, capfd):
    for name in (hostile_files.GARBAGE_GPKG, hostile_files.NOT_A_GEOPACKAGE, hostile_files.GARBAGE_GEOJSON):
        with pytest.raises(ImportFileError) as refused:
            read(corpus[name].read_bytes(), name)
        assert str(refused.value).startswith(f"文件「{name}」不是有效的 ")
    out, err = capfd.readouterr()  # GDAL's own warnings name the temporary copy: none reach the terminal
    assert "xzmap-import-" not in out + err


def test_gdal_warnings_about_a_damaged_file_do_not_reach_the_terminal(corpus, store_path):
    done = subprocess.run([sys.executable, "-m", "loaders", "import", str(corpus[hostile_files.NOT_A_GEOPACKAGE])],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, "XZMAP_STORE": str(store_path)}, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]  # one line: the refusal, no warning, no trace
    assert f"「{hostile_files.NOT_A_GEOPACKAGE}」不是有效的 GeoPackage" in done.stderr
    assert "xzmap-import-" not in done.stderr + done.stdout


def test_empty_cells_of_a_geopackage_are_empty_not_the_text_nan(tmp_path, store):
    data = import_files.rows()
    data[0]["编号"], data[1]["编号"], data[2]["乡镇（街道）"], data[3]["村/社区"] = None, None, None, None
    table = read(import_files.gpkg(tmp_path / "有空格.gpkg", data))
    assert table.frame["编号"].iloc[0] is None and table.frame["乡镇（街道）"].iloc[2] is None
    plan = build_plan(table, store, ADMIN)
    assert plan.ok, plan.report_lines()  # was: 编号「nan」duplicated on rows 1 and 2, 乡镇「nan」not a unit
    assert list(plan.good["unit_code"]) == [import_files.HUANGJI] * 3 + [import_files.ZHANGWAN]


def test_an_unexpected_library_error_still_becomes_a_chinese_refusal(monkeypatch):
    from loaders.importing import tables

    def broken(data, name):
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(tables, "read_csv", broken)
    with pytest.raises(ImportFileError, match=r"文件「怪.csv」已损坏或格式不对，无法读取（详情：TypeError"):
        read(import_files.csv_bytes(), "怪.csv")


def test_a_file_just_over_the_upload_limit_is_refused_with_its_name_and_size(tmp_path, monkeypatch, store_path,
                                                                              capsys):
    monkeypatch.setenv("XZMAP_UPLOAD_MB", "0.05")
    path = hostile_files.just_over_limit_csv(tmp_path, config.upload_limit_bytes())
    assert 0 < path.stat().st_size - config.upload_limit_bytes() < 8192
    with pytest.raises(ImportFileError, match=r"文件「刚超上限.csv」大小为 5[5-9] KB，超过上传上限 51 KB"):
        read(path)
    before = snapshot(store_path)
    assert cli.main(["import", str(path)]) == 1
    assert "「刚超上限.csv」大小为" in capsys.readouterr().err and snapshot(store_path) == before


def test_formula_cells_exported_with_an_apostrophe_import_as_typed(tmp_path, store):
    table = read(hostile_files.formula_csv(tmp_path))
    assert list(table.frame["名称"]) == list(hostile_files.FORMULAS)
    assert list(table.frame["说明"]) == list(hostile_files.FORMULAS)
    plan = build_plan(table, store, ADMIN)
    assert plan.ok, plan.report_lines()
    commit(Editor(store, ADMIN), plan)
    assert [store.point_by_external_id(f"F-{i}")["name"] for i in range(5)] == list(hostile_files.FORMULAS)
    # the project's own CSV export of those points re-imports with nothing to change
    points = store.points(Filter())
    exported = export.export_bytes(points[points["external_id"].str.startswith("F-", na=False)], "csv")
    assert b"'=HYPERLINK" in exported and b"'+1+1" in exported  # neutralised for Excel
    again = build_plan(read(exported, "导出.csv"), store, ADMIN)
    assert again.ok, again.report_lines()
    assert list(again.good["action"]) == ["unchanged"] * 5
    assert sorted(again.good["name"]) == sorted(hostile_files.FORMULAS)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_projects_own_export_reimports_with_nothing_to_change(store, fmt):
    exported = export.export_bytes(store.points(Filter()), fmt)
    plan = build_plan(read(exported, f"襄州一线协商点位.{fmt}"), store, ADMIN)
    assert plan.mapping["external_id"] == "外部编号"  # not 编号, the point id the export also carries
    assert plan.ok, plan.report_lines()[:5]
    assert plan.counts()["unchanged"] == len(plan.table) > 100


def test_a_plain_apostrophe_is_kept():
    text = "编号,名称,类型,状态,经度,纬度\nA,'太山村,水井,规划,112.1,32.34\nB,'=1+1,水井,规划,112.1,32.34\n"
    table = read(text.encode(), "撇号.csv")
    assert list(table.frame["名称"]) == ["'太山村", "=1+1"]


def test_a_large_valid_file_is_read_and_planned_in_full(tmp_path, store):
    table = read(hostile_files.many_rows_csv(tmp_path, 3_000))
    plan = build_plan(table, store, ADMIN)
    assert plan.counts()["good"] == 3_000 and len(plan.rows) == 3_000
    row = plan.rows[2_999]
    assert row.row == 3_001 and row.record["external_id"] == "W-2999" and row.action == "new"
