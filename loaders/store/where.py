"""A `Filter` as an SQL condition, for both engines: every value travels as a parameter, never in the SQL text."""
from __future__ import annotations

from collections.abc import Callable

from ..filters import Filter

# Columns a keyword is looked for in.
SEARCHED = ("id", "name", "village", "description", "category", "responsible_unit", "canal", "site_format")


def like_pattern(text: str) -> str:
    """`%text%` with the LIKE wildcards in `text` escaped (ESCAPE '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def where_sql(where: Filter, placeholder: Callable[[int], str], like: str = "LIKE") -> tuple[str, list]:
    """(condition, parameters). `placeholder(i)` writes the i-th parameter in the engine's style ("?" for SQLite,
    ":w0" for SQLAlchemy); `like` is LIKE (SQLite: case-insensitive for Latin letters) or ILIKE (PostgreSQL, to
    match SQLite's results)."""
    clauses: list[str] = []
    params: list = []

    def param(value) -> str:
        params.append(value)
        return placeholder(len(params) - 1)

    def among(column: str, values: tuple) -> None:
        if values:
            clauses.append(f"{column} IN ({', '.join(param(v) for v in values)})")

    among("kind", where.kinds)
    among("unit_code", where.unit_codes)
    among("status", where.statuses)
    among("stage", where.stages)
    if where.keyword.strip():
        pattern = like_pattern(where.keyword.strip())
        clauses.append("(" + " OR ".join(f"{c} {like} {param(pattern)} ESCAPE '\\'" for c in SEARCHED) + ")")
    if where.date_from:
        clauses.append(f"opened_on >= {param(where.date_from.isoformat())}")
    if where.date_to:
        clauses.append(f"opened_on <= {param(where.date_to.isoformat())}")
    if where.bbox:
        min_lon, min_lat, max_lon, max_lat = where.bbox
        clauses.append(f"lon BETWEEN {param(min_lon)} AND {param(max_lon)} "
                       f"AND lat BETWEEN {param(min_lat)} AND {param(max_lat)}")
    if not where.include_deleted:
        clauses.append("deleted_at IS NULL")
    return (" AND ".join(clauses) or "1 = 1"), params
