"""Text in spreadsheet cells that Excel must show, never run (OWASP "CSV injection").

A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and
WPS when it comes from a CSV file. Every CSV this project writes passes its text through `neutralise`, which puts an
apostrophe in front (the OWASP advice; Excel hides the apostrophe and shows the text). XLSX cells are written as
strings, never formulas (`loaders.export`), so they need no apostrophe. Reading a CSV back, `restore` takes exactly
that apostrophe off again, so an exported file imports unchanged.

`shown` is how a cell's value reads in a message to a person (an empty cell is 空, never "None" or "nan"): the import
reports, the CLI and the import page all use it.
"""
from __future__ import annotations

import math
import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value as a CSV cell: text that would start a formula gets a leading apostrophe; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def restore(value):
    """The inverse of `neutralise` for a cell read from a CSV file."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


# A cell as a person reads it in a message ---------------------------------------------------------------------------
EMPTY = "空"
_MISSING_TEXTS = {"nan", "NaN", "None", "NaT", "<NA>"}  # how Python and pandas print an empty cell
_EMPTY_VALUE = re.compile(r"的值「\s*」(无效|不是数字|不是有效的坐标)?")


def is_blank(value) -> bool:
    """An empty cell: None, NaN, pandas' NA/NaT, blank text (or an object that prints as one of those)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):  # arrays and other containers: not a single missing value
        pass
    text = str(value)
    return text in _MISSING_TEXTS or not text.strip()


def shown(value) -> str:
    """A cell's value as shown to a person (the 值 of an import report, a CLI line, the import page): 空 for an empty
    cell (`is_blank`), never "None" or "nan"; a whole number read as a float without its ".0" (Excel's 260 arrives
    as 260.0); anything else as its text."""
    if is_blank(value):
        return EMPTY
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def table_text(value) -> str:
    """A cell in a table shown on a page: as `shown`, but an empty cell stays empty (Streamlit would print "None")."""
    return "" if is_blank(value) else shown(value)


def value_phrase(value) -> str:
    """«值「112.1」» or «值为空», for a line of text about a cell."""
    text = shown(value)
    return "值为空" if text == EMPTY else f"值「{text}」"


def readable_reason(message: str) -> str:
    """A checker's message with an empty value said in words: «字段「类型」的值「」无效» → «字段「类型」为空»,
    «的值「」…» → «的值为空，…»."""
    def words(found: re.Match) -> str:
        return "为空" if found.group(1) else "的值为空，"
    return _EMPTY_VALUE.sub(words, str(message)).replace("，，", "，")
