"""XLSX and CSV: encoding detection, the header row found below titles and notes, row numbers as the user sees them."""
from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd

from . import headers
from .core import HEADER_SEARCH_ROWS, ROW_LIMIT, ImportFileError, Table, clean_value, too_many_rows

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
    try:
        for cells in reader:
            if any(clean_value(c) is not None for c in cells):
                numbered.append((start, cells))  # the line the record starts on, as a text editor counts
                if len(numbered) > ROW_LIMIT + HEADER_SEARCH_ROWS:
                    raise too_many_rows(name)
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(f"文件「{name}」第 {reader.line_num} 行不是有效的 CSV：{error}") from None
    table = build_table(name, "csv", numbered)
    table.encoding = encoding
    return table


def read_xlsx(data: bytes, name: str, sheet: str | None = None) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportFileError(f"文件「{name}」不是有效的 Excel（.xlsx）文件，可能已损坏或是旧版 .xls：{error}") from None
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise ImportFileError(f"文件「{name}」中没有名为「{sheet}」的工作表（有：{'、'.join(book.sheetnames)}）")
            sheets = [book[sheet]]
        else:
            sheets = [book[n] for n in book.sheetnames]
        for candidate in sheets:
            numbered = []
            data_rows = 0
            for number, cells in enumerate(candidate.iter_rows(values_only=True), start=1):
                if all(clean_value(c) is None for c in cells):
                    continue
                numbered.append((number, list(cells)))
                data_rows += 1
                if data_rows > ROW_LIMIT + HEADER_SEARCH_ROWS:
                    raise too_many_rows(name)
            if numbered or sheet is not None:
                table = build_table(name, "xlsx", numbered)
                table.sheet = candidate.title
                if sheet is None and len(book.sheetnames) > 1:
                    table.warnings.append(f"文件有 {len(book.sheetnames)} 个工作表，读取的是「{candidate.title}」")
                return table
        raise ImportFileError(f"文件「{name}」的工作表都是空的")
    finally:
        book.close()


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


def build_table(name: str, fmt: str, numbered: list[tuple[int, list]]) -> Table:
    """A Table from (row number, cells) pairs: finds the header, drops empty rows and empty trailing columns."""
    numbered = [(n, cells) for n, cells in numbered if any(clean_value(c) is not None for c in cells)]
    if not numbered:
        raise ImportFileError(f"文件「{name}」没有任何内容")
    at = find_header(numbered)
    header_number, header_cells = numbered[at]
    body = numbered[at + 1:]
    if not body:
        raise ImportFileError(f"文件「{name}」只有表头（第 {header_number} 行），没有数据行")
    if len(body) > ROW_LIMIT:
        raise too_many_rows(name)
    width = max(len(header_cells), *(len(cells) for _, cells in body))
    # Columns with neither a header nor any value are dropped (Excel's formatted-but-empty columns).
    used = [i for i in range(width)
            if clean_value(header_cells[i] if i < len(header_cells) else None) is not None
            or any(i < len(cells) and clean_value(cells[i]) is not None for _, cells in body)]
    columns = _header_names([header_cells[i] if i < len(header_cells) else None for i in used])
    records = [[clean_value(cells[i]) if i < len(cells) else None for i in used] for _, cells in body]
    frame = pd.DataFrame.from_records(records, columns=columns).astype(object)
    frame = frame.where(frame.notna(), None)
    table = Table(name=name, format=fmt, frame=frame, rows=[n for n, _ in body], header_row=header_number)
    if at > 0:
        table.warnings.append(f"表头在第 {header_number} 行（上面 {at} 行标题或说明已跳过）")
    return table
