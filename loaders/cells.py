"""Text in spreadsheet cells that Excel must show, never run (OWASP "CSV injection").

A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and
WPS when it comes from a CSV file. Every CSV this project writes passes its text through `neutralise`, which puts an
apostrophe in front (the OWASP advice; Excel hides the apostrophe and shows the text). XLSX cells are written as
strings, never formulas (`loaders.export`), so they need no apostrophe. Reading a CSV back, `restore` takes exactly
that apostrophe off again, so an exported file imports unchanged.
"""
from __future__ import annotations

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
