"""What every reader returns (`Table`), the errors the import raises, and the limits it enforces."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import config
from ..readable import count
from ..store.base import StoreError

# More data rows than this in one file are refused (say so rather than hang the page).
ROW_LIMIT = 100_000
# Rows searched for the header row (title rows, blank rows and notes above the table).
HEADER_SEARCH_ROWS = 30
# Longest text one cell may hold, as in Excel (32,767 characters): a longer cell is a pasted file or a broken
# quote, and the file is refused with its row and column rather than read.
MAX_CELL_CHARS = 32_767


class ImportFileError(StoreError):
    """The file as a whole cannot be read: the Chinese message names the file and the problem."""


class ImportRefused(StoreError):
    """A commit that was refused (bad rows without valid_only, or no right to do it); nothing was written."""

    def __init__(self, message: str, plan=None):
        super().__init__(message)
        self.plan = plan


@dataclass
class Table:
    """A file read into rows and columns, before any mapping to the model.

    `frame` keeps the file's own header texts as column names and its raw cell values (object dtype, empty → None);
    `rows[i]` is the row number the user sees for `frame.iloc[i]` (Excel row, CSV line, or feature number).
    Vector files also carry their point positions in WGS-84 (`lon`, `lat`, NaN where a feature has no usable point,
    with the reason in `geometry_problems`).
    """

    name: str
    format: str  # xlsx | csv | geojson | gpkg | shp
    frame: pd.DataFrame
    rows: list[int]
    header_row: int | None = None
    encoding: str | None = None
    sheet: str | None = None
    layer: str | None = None
    source_crs: str | None = None  # what the file said (vector files)
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    geometry_problems: dict[int, str] = field(default_factory=dict)  # position in frame → reason
    warnings: list[str] = field(default_factory=list)

    @property
    def has_geometry(self) -> bool:
        return self.lon is not None

    @property
    def row_word(self) -> str:
        return "要素" if self.has_geometry else "行"

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def __len__(self) -> int:
        return len(self.frame)

    def preview(self, n: int = 20) -> pd.DataFrame:
        """The first rows as read, with the row number the user sees, for a 'this is what we read' table."""
        head = self.frame.head(n).copy()
        head.insert(0, "行号", self.rows[: len(head)])
        if self.has_geometry:
            head["经度(WGS-84)"] = self.lon[: len(head)]
            head["纬度(WGS-84)"] = self.lat[: len(head)]
        return head


def size_text(n: int, digits: int | None = None) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.{1 if digits is None else digits}f} MB"
    return f"{n / 1024:.{0 if digits is None else digits}f} KB"


def size_texts(size: int, limit: int) -> tuple[str, str]:
    """A file's size and the limit it exceeds, with as many decimals as it takes to tell them apart
    (20.0 MB vs 20.0 MB would read as no reason at all); in bytes when decimals do not."""
    for digits in (None, 2, 3):
        pair = size_text(size, digits), size_text(limit, digits)
        if pair[0] != pair[1]:
            return pair
    return f"{count(size)} 字节", f"{count(limit)} 字节"


def too_large(name: str, size: int, limit: int | None = None, setting: bool = True) -> str | None:
    """The Chinese refusal for a file above the upload limit (XZMAP_UPLOAD_MB), naming it and both sizes; None when
    it fits. `setting`: also say which setting raises the limit (for the server's operator, not on a page)."""
    limit = config.upload_limit_bytes() if limit is None else limit
    if size <= limit:
        return None
    size_txt, limit_txt = size_texts(size, limit)
    return (f"文件「{name}」大小为 {size_txt}，超过上传上限 {limit_txt}，请拆分后分批导入"
            + ("（上限可由 XZMAP_UPLOAD_MB 设置）" if setting else ""))


def check_size(name: str, size: int, limit: int | None = None) -> None:
    refusal = too_large(name, size, limit)
    if refusal:
        raise ImportFileError(refusal)
    if size == 0:
        raise ImportFileError(f"文件「{name}」是空的（0 字节）")


def too_many_rows(name: str) -> ImportFileError:
    return ImportFileError(f"文件「{name}」的数据超过 {ROW_LIMIT} 行上限，请拆分成多个文件分批导入")


def empty_value(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, dict, tuple)) else False
    except (TypeError, ValueError):
        return False


def clean_value(value):
    """Strip text, turn empty cells into None; other values (numbers, dates) as they are."""
    if value is None:
        return None
    if type(value) is str:  # nearly every cell: kept fast
        return value.strip() or None
    if empty_value(value):
        return None
    if isinstance(value, str):
        return value.strip()
    return value


def share_repeats(cells):
    """A column whose text repeats (status, town, date …) with one object per distinct value instead of one per cell:
    a 100,000-row file then keeps a few thousand strings for such columns, not 100,000. Other columns as they are."""
    if not set(map(type, cells)) <= {str, type(None)}:  # only text: 1, 1.0 and True are equal but not the same
        return cells
    distinct = set(cells)
    if len(distinct) * 2 > len(cells):
        return cells
    one = {value: value for value in distinct}
    return list(map(one.__getitem__, cells))


def long_cell(name: str, row: int, column: str, length: int | None = None) -> ImportFileError:
    """A cell longer than MAX_CELL_CHARS: the file, the row as the user sees it, the column («「说明」列（第 11 列）»
    or «第 11 列»), the limit."""
    size = f"有 {count(length)} 个字符，" if length else ""
    return ImportFileError(f"文件「{name}」第 {row} 行{column}的内容{size}超过每个单元格 {count(MAX_CELL_CHARS)} 个字符的上限"
                           f"（与 Excel 相同）：可能是引号没有配对或粘贴了整段内容，请检查该单元格后重新导入")
