"""The district's clock: Beijing time (UTC+8), whatever time zone the server runs in.

Every time stamp the store writes, every default date a form offers and every "today" a page shows comes from here,
so before 08:00 Beijing time a server on UTC does not think it is still yesterday.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return dt.datetime.now(TZ)


def today() -> dt.date:
    return now().date()


def stamp(moment: dt.datetime | None = None) -> str:
    """An ISO 8601 time stamp with its +08:00 offset, to the second (what the store keeps)."""
    return (moment or now()).astimezone(TZ).isoformat(timespec="seconds")
