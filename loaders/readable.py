"""Stored values as people read them: the pages, the detail panel, the history and the exports say the same thing.

The store keeps ISO time stamps with a zone (`2026-12-03T16:33:55+08:00`), the account names of programs (`init`
loaded the bundled data) and booleans; people see `2026-12-03 16:33`, 「系统导入」 and 是/否. Counts are written as
Chinese readers read them: 100,000 (and 10万 on the 大屏, where a figure must be taken in from across the room);
`static/points.js` writes a cluster's count by the same rule.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from . import model

# Accounts that are programs, not people: `loaders init` writes the bundled data, `python -m loaders import …` on
# the server runs as `cli` (loaders/cli_import.py).
SYSTEM_USERS = {"init": "系统导入", "cli": "服务器命令行"}


def when(stamp) -> str:
    """A stored time stamp to the minute, 2024-05-01 09:30 (the zone is the district's: every stamp is +08:00);
    a bare date stays a date; nothing is an empty string."""
    text = "" if model.is_missing(stamp) else str(stamp)
    return text[:16].replace("T", " ") if len(text) >= 16 else text


def stamp_value(stamp) -> dt.datetime | None:
    """A stored time stamp as a naive local date-time (what a spreadsheet's date cell holds), to the minute as shown;
    None when missing or not a stamp."""
    text = when(stamp)
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        return None


def person(user) -> str:
    """Who made a change: the account's name, or what a program account stands for."""
    if model.is_missing(user) or not str(user).strip():
        return "—"
    return SYSTEM_USERS.get(str(user), str(user))


def yes_no(value) -> str:
    """A stored flag (演示数据) as 是/否; empty when unknown."""
    return "" if model.is_missing(value) else ("是" if bool(value) else "否")


WAN = 10_000


def count(n, wan: bool = False) -> str:
    """A count with thousands separated: 44,861. With `wan`, from 10,000 on in 万 with at most one decimal (4.5万,
    10万, 123.5万): shorter for a big screen, exact below 10,000. Nothing (None, NaN) is 「—」."""
    if n is None or isinstance(n, bool) or pd.isna(n):
        return "—"
    value = round(float(n))
    if wan and abs(value) >= WAN:
        text = f"{value / WAN:,.1f}".removesuffix(".0")
        return f"{text}万"
    return f"{value:,}"
