"""XLSX and CSV: encoding detection, the header row found below titles and notes, row numbers as the user sees them."""
from __future__ import annotations

import csv
import io
import re
from itertools import zip_longest

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from ..cells import restore
from . import archive, headers
from .core import (
    HEADER_SEARCH_ROWS,
    MAX_CELL_CHARS,
    ROW_LIMIT,
    ImportFileError,
    Table,
    clean_value,
    long_cell,
    share_repeats,
    too_many_rows,
)

# Tried in this order; GB18030 is a superset of GBK and GB2312 (what Excel on Chinese Windows writes).
ENCODINGS = ("utf-8", "gb18030")


def decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding label) of a text file: UTF-8 with or without BOM, UTF-16 with BOM, or GBK/GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8（带 BOM）"
        except UnicodeDecodeError as error:
            raise _undecodable(name, data, error) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as error:
            raise _undecodable(name, data, error) from None
    if b"\x00" in data[:4096]:
        raise ImportFileError(f"文件「{name}」不是文本表格（含有二进制内容），请另存为 CSV 或 XLSX")
    first_error = None
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), ("UTF-8" if encoding == "utf-8" else "GBK/GB18030")
        except UnicodeDecodeError as error:
            first_error = first_error or error
    raise _undecodable(name, data, first_error)


def _undecodable(name: str, data: bytes, error: UnicodeDecodeError) -> ImportFileError:
    line = data[: error.start].count(b"\n") + 1
    return ImportFileError(f"文件「{name}」无法识别文字编码（第 {line} 行附近有无法解码的字节）："
                           f"支持 UTF-8、UTF-8 带 BOM 和 GBK/GB18030，请在 Excel 中另存为“CSV UTF-8”后重试")


def read_csv(data: bytes, name: str) -> Table:
    text, encoding = decode(data, name)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbered: list[tuple[int, list]] = []
    start = 1
    apostrophes = "'" in text  # only then can a cell need `restore`
    try:
        for cells in reader:
            # cleaned as clean_value does (text stripped, empty → None), and text that our CSV exports neutralised
            # ('=…, '+…) gets its apostrophe taken off again (loaders/cells.py)
            if apostrophes:
                cells = [restore(c) if c[:1] == "'" else c for c in cells]
            row = [c.strip() or None for c in cells]
            if row.count(None) != len(row):
                numbered.append((start, row))  # the line the record starts on, as a text editor counts
                if sum(map(len, cells)) > MAX_CELL_CHARS:
                    _check_cells(name, "csv", numbered)
                if len(numbered) > ROW_LIMIT + HEADER_SEARCH_ROWS:
                    raise too_many_rows(name)
            start = reader.line_num + 1
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _csv_long_field(name, text, start, delimiter, numbered) from None
        raise ImportFileError(f"文件「{name}」第 {reader.line_num} 行不是有效的 CSV（{_csv_reason(error)}），"
                              f"请用 Excel 打开后另存为 CSV 再导入") from None
    del text
    table = build_table(name, "csv", numbered, cleaned=True)
    table.encoding = encoding
    return table


def _csv_reason(error: csv.Error) -> str:
    text = str(error)
    if "NUL" in text:
        return "含有空字符 NUL，文件可能已损坏或不是文本文件"
    if "new-line character" in text or "unexpected end of data" in text or "EOF" in text:
        return "引号没有配对"
    return f"格式有误：{text[:100]}"


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _csv_long_field(name: str, text: str, line: int, delimiter: str, numbered: list) -> ImportFileError:
    """The record starting on `line` holds a field longer than the csv module reads: find which column."""
    offset = 0
    for _ in range(line - 1):
        found = _NEWLINE.search(text, offset)
        if found is None:
            break
        offset = found.end()
    column, length, quoted, i, end = 0, 0, False, offset, len(text)
    while i < end:
        ch = text[i]
        if quoted:
            if ch == '"':
                if text.startswith('"', i + 1):
                    i += 1
                else:
                    quoted = False
                    i += 1
                    continue
            length += 1
        elif ch == '"':
            quoted = True
        elif ch == delimiter:
            column, length = column + 1, 0
        elif ch in "\r\n":
            break
        else:
            length += 1
        if length > MAX_CELL_CHARS:
            break
        i += 1
    return long_cell(name, line, _column_label(numbered, column, "csv"))


def _column_label(numbered: list[tuple[int, list]], column: int, fmt: str) -> str:
    """The header text of a column when the header row is among the rows read, else its number or letter."""
    position = f"第 {column + 1} 列" if fmt == "csv" else f"{get_column_letter(column + 1)} 列"
    if numbered:
        header = numbered[find_header(numbered)][1]
        if column < len(header):
            text = str(clean_value(header[column]) or "").replace("\n", "").strip()
            if text and len(text) <= 50:
                return f"「{text}」列（{position}）"
    return position


def read_xlsx(data: bytes, name: str, sheet: str | None = None) -> Table:
    book = open_workbook(data, name)
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise ImportFileError(f"文件「{name}」中没有名为「{sheet}」的工作表（有：{'、'.join(book.sheetnames)}）")
            sheets = [book[sheet]]
        else:
            sheets = [book[n] for n in book.sheetnames]
        for candidate in sheets:
            numbered = _sheet_rows(candidate, name)
            if numbered or sheet is not None:
                table = build_table(name, "xlsx", numbered)
                table.sheet = candidate.title
                if sheet is None and len(book.sheetnames) > 1:
                    table.warnings.append(f"文件有 {len(book.sheetnames)} 个工作表，读取的是「{candidate.title}」")
                return table
        raise ImportFileError(f"文件「{name}」的工作表都是空的")
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds from damaged parts
        raise ImportFileError(f"文件「{name}」已损坏，无法读取其中的工作表{_note(error)}；"
                              f"请在 Excel 中打开后重新保存再导入") from None
    finally:
        book.close()


def open_workbook(data: bytes, name: str):
    """The workbook, read-only, after `archive.check_xlsx` has looked at every part (ImportFileError otherwise)."""
    import openpyxl

    archive.check_xlsx(data, name)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - zipfile, XML, KeyError for missing parts, ValueError …
        if isinstance(error, SyntaxError):  # xml.etree ParseError
            reason = "工作簿的结构部分不是有效的 XML"
        elif isinstance(error, KeyError):
            reason = "缺少必需的部分"
        else:
            reason = "不是有效的 Excel（.xlsx）文件，可能是旧版 .xls 改了扩展名"
        raise ImportFileError(f"文件「{name}」已损坏：{reason}{_note(error)}；请在 Excel 中打开后重新保存再导入") from None


def sheet_names(data: bytes, name: str) -> list[str]:
    """The workbook's sheet names (the same checks as read_xlsx before anything is parsed)."""
    book = open_workbook(data, name)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _sheet_rows(sheet, name: str) -> list[tuple[int, list]]:
    """(Excel row number, cells) of the sheet's non-empty rows; a damaged sheet is an ImportFileError naming it and
    the last row read."""
    numbered: list[tuple[int, list]] = []
    number = 0
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(clean_value(c) is None for c in cells):
                continue
            numbered.append((number, list(cells)))
            if len(numbered) > ROW_LIMIT + HEADER_SEARCH_ROWS:
                raise too_many_rows(name)
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - ParseError, KeyError, ValueError, zipfile errors, TypeError …
        where = f"读到第 {number} 行之后" if number else "开头"
        if isinstance(error, SyntaxError):  # xml.etree ParseError
            reason = f"的内容不是有效的 XML（{where}出错，文件不完整或已损坏）"
        else:
            reason = f"的内容无法读取（{where}出错）{_note(error)}"
        raise ImportFileError(f"文件「{name}」已损坏：工作表「{sheet.title}」{reason}；"
                              f"请在 Excel 中打开后重新保存再导入") from None
    return numbered


def _note(error: Exception) -> str:
    """A short technical note for whoever debugs the file: the error's class and the start of its text."""
    text = " ".join(str(error).split())[:80]
    return f"（详情：{type(error).__name__}{'：' + text if text else ''}）"


def find_header(numbered: list[tuple[int, list]]) -> int:
    """Position in `numbered` of the header row: the row among the first few with the most recognised headers;
    when none is recognised, the first row as wide as the widest (a merged title cell has one value only)."""
    candidates = numbered[:HEADER_SEARCH_ROWS]
    scores = [headers.header_score(cells) for _, cells in candidates]
    best = max(range(len(candidates)), key=lambda i: (scores[i][0], -i))
    if scores[best][0] >= 2 or (scores[best][0] >= 1 and scores[best][1] >= 2):
        return best
    widths = [sum(1 for c in cells if clean_value(c) is not None) for _, cells in candidates]
    widest = max(widths)
    return next(i for i, w in enumerate(widths) if w == widest)


def _header_names(cells: list) -> list[str]:
    names: list[str] = []
    for i, cell in enumerate(cells, start=1):
        text = str(clean_value(cell) or "").replace("\n", "").strip()
        text = text or f"第{i}列"
        base, n = text, 2
        while text in names:
            text = f"{base}（{n}）"
            n += 1
        names.append(text)
    return names


def _check_cells(name: str, fmt: str, numbered: list[tuple[int, list]]) -> None:
    """Refuse the file when the last row read has a cell longer than MAX_CELL_CHARS (naming row and column)."""
    number, cells = numbered[-1]
    for i, cell in enumerate(cells):
        if type(cell) is str and len(cell) > MAX_CELL_CHARS:
            raise long_cell(name, number, _column_label(numbered, i, fmt), len(cell))


def build_table(name: str, fmt: str, numbered: list[tuple[int, list]], cleaned: bool = False) -> Table:
    """A Table from (row number, cells) pairs: finds the header, drops empty rows and empty trailing columns.
    Cells are cleaned here (`clean_value`) unless `cleaned`; a text cell longer than MAX_CELL_CHARS refuses the file,
    naming its row and column."""
    if not cleaned:
        rows: list[tuple[int, list]] = []
        for n, cells in numbered:
            row = [clean_value(c) for c in cells]
            if row.count(None) != len(row):
                rows.append((n, row))
                _check_cells(name, fmt, rows)
        numbered = rows
    if not numbered:
        raise ImportFileError(f"文件「{name}」没有任何内容")
    at = find_header(numbered)
    header_number, header_cells = numbered[at]
    body = numbered[at + 1:]
    if not body:
        raise ImportFileError(f"文件「{name}」只有表头（第 {header_number} 行），没有数据行")
    if len(body) > ROW_LIMIT:
        raise too_many_rows(name)
    row_numbers = [n for n, _ in body]
    by_column = list(zip_longest(*(cells for _, cells in body)))  # one tuple per column, None where a row is short
    del body
    width = max(len(header_cells), len(by_column))
    # Columns with neither a header nor any value are dropped (Excel's formatted-but-empty columns).
    used = [i for i in range(width)
            if (i < len(header_cells) and header_cells[i] is not None)
            or (i < len(by_column) and by_column[i].count(None) != len(row_numbers))]
    columns = _header_names([header_cells[i] if i < len(header_cells) else None for i in used])
    data = {}
    for column, i in zip(columns, used):
        values = np.full(len(row_numbers), None, dtype=object)  # cells exactly as read: None stays None, 260 an int
        if i < len(by_column):
            values[:] = share_repeats(by_column[i])
        data[column] = values
    del by_column
    frame = pd.DataFrame(data, columns=columns, dtype=object, copy=False)
    table = Table(name=name, format=fmt, frame=frame, rows=row_numbers, header_row=header_number)
    if at > 0:
        table.warnings.append(f"表头在第 {header_number} 行（上面 {at} 行标题或说明已跳过）")
    return table
