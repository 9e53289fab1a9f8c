"""What every reader returns (`Table`), the errors the import raises, and the limits it enforces."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import config
from ..store.base import StoreError

# More data rows than this in one file are refused (say so rather than hang the page).
ROW_LIMIT = 100_000
# Rows searched for the header row (title rows, blank rows and notes above the table).
HEADER_SEARCH_ROWS = 30


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


def size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def check_size(name: str, size: int, limit: int | None = None) -> None:
    limit = config.upload_limit_bytes() if limit is None else limit
    if size > limit:
        raise ImportFileError(f"文件「{name}」大小为 {size_text(size)}，超过上传上限 {size_text(limit)}，"
                              f"请拆分后分批导入（上限可由 XZMAP_UPLOAD_MB 设置）")
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
    if empty_value(value):
        return None
    if isinstance(value, str):
        return value.strip()
    return value
