"""File import: read what staff have (XLSX, CSV, GeoJSON, GeoPackage, zipped Shapefile), map its columns, check every
row, preview, then commit in one transaction. The import page and `python -m loaders import` both use this API:

    table = read(uploaded_file)                       # ImportFileError: file-level problem, Chinese
    mapping = detect_mapping(table.columns)           # {field: column}; the page lets the user correct it
    plan = build_plan(table, store, user, mapping, crs="gcj02", kind=None)
    plan.warnings, plan.problems (行号/列/值/原因), plan.good (lon/lat WGS-84, unit, action new/update/unchanged)
    result = commit(store, plan, valid_only=False)    # ImportRefused when bad rows and not valid_only
"""
from .areas import AreasResult, replace_areas
from .commit import CommitResult, commit
from .core import ROW_LIMIT, ImportFileError, ImportRefused, Table
from .files import ACCEPTED, FORMAT_LABELS, read
from .headers import TARGETS, detect_mapping
from .plan import ACTION_LABELS, CRS_CHOICES, PROBLEM_COLUMNS, ImportPlan, build_plan

__all__ = [
           "ACCEPTED",
           "ACTION_LABELS",
           "CRS_CHOICES",
           "FORMAT_LABELS",
           "PROBLEM_COLUMNS",
           "ROW_LIMIT",
           "TARGETS",
           "AreasResult",
           "CommitResult",
           "ImportFileError",
           "ImportPlan",
           "ImportRefused",
           "Table",
           "build_plan",
           "commit",
           "detect_mapping",
           "read",
           "replace_areas",
]
