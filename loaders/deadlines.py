"""Time limits (办理时限): how many days a point may stay in each open status before it is overdue (逾期).

The limits are data: `DEFAULTS` below, which an admin overrides on the admin page (stored in the store under the
setting `deadlines`, so every server and the 大屏 read the same). The clock of a status starts when the point entered
it (`loaders.progress.entered`), so a problem moved on to 跟踪督办 gets the 督办 limit afresh.

Why these defaults (the README repeats them): 一线协商 meets monthly, so a registered problem waits at most one
round (30 days) to be consulted and one more to have its 协商意见 handed to the responsible unit; 跟踪督办 follows the
60 days the 《信访工作条例》 gives an office to settle a matter; works follow a building season -- a well is drilled
within a quarter of being planned and finished within two months, a bridge or a demonstration site takes half a
year to a year.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import model

SETTING = "deadlines"
MAX_DAYS = 3650

# (kind, open status) -> days; an open status missing here has no limit.
DEFAULTS: dict[tuple[str, str], int] = {
    ("issue", "待协商"): 30,
    ("issue", "协商中"): 30,
    ("issue", "跟踪督办"): 60,
    ("well", "规划"): 90,
    ("well", "钻井中"): 60,
    ("bridge", "危桥待改"): 180,
    ("bridge", "改造中"): 180,
    ("demo_site", "规划中"): 180,
    ("demo_site", "建设中"): 365,
}


def open_statuses() -> list[tuple[str, str]]:
    """Every (kind, status) that can have a limit: the open ones, in model order."""
    return [(kind.key, s.label) for kind in model.KINDS.values() for s in kind.statuses
            if s.stage in model.OPEN_STAGES]


@dataclass(frozen=True)
class Limits:
    days_by_status: tuple[tuple[tuple[str, str], int], ...]  # ((kind, status), days): hashable, for caches

    def days(self, kind: str, status: str) -> int | None:
        return dict(self.days_by_status).get((kind, status))

    def as_setting(self) -> dict[str, dict[str, int]]:
        """The stored form: {kind: {status: days}}."""
        stored: dict[str, dict[str, int]] = {}
        for (kind, status), days in self.days_by_status:
            stored.setdefault(kind, {})[status] = days
        return stored

    def describe(self) -> str:
        """One line in Chinese, e.g. for the briefing: 问题点：待协商 30 天、…"""
        parts = []
        for kind in model.KINDS:
            mine = [f"{status} {days} 天" for (k, status), days in self.days_by_status if k == kind]
            if mine:
                parts.append(f"{model.kind_label(kind)}：{'、'.join(mine)}")
        return "；".join(parts) or "未设办理时限"


def make(days: dict[tuple[str, str], int | None]) -> Limits:
    """Limits from (kind, status) -> days, checked: a whole number of days 1–3650 for an open status; 0 or empty
    means no limit. Raises model.ValidationError naming each wrong entry."""
    allowed = set(open_statuses())
    problems, kept = [], {}
    for (kind, status), value in days.items():
        where = f"{model.kind_label(kind)}「{status}」"
        if (kind, status) not in allowed:
            problems.append(f"{where}不是未完成的状态，不能设办理时限")
            continue
        if value is None or model.is_missing(value):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            problems.append(f"{where}的办理时限「{value}」不是数字")
            continue
        if not math.isfinite(number) or number != int(number) or not 0 <= number <= MAX_DAYS:
            problems.append(f"{where}的办理时限「{value}」应为 0–{MAX_DAYS} 的整数天（0 表示不设时限）")
            continue
        if int(number):
            kept[(kind, status)] = int(number)
    if problems:
        raise model.ValidationError(problems)
    return Limits(tuple((key, kept[key]) for key in open_statuses() if key in kept))


DEFAULT_LIMITS = make(DEFAULTS)


def from_setting(stored) -> Limits:
    """The limits a stored setting gives ({kind: {status: days}}); the defaults when nothing (valid) is stored."""
    if not isinstance(stored, dict):
        return DEFAULT_LIMITS
    try:
        return make({(kind, status): days for kind, statuses in stored.items() if isinstance(statuses, dict)
                     for status, days in statuses.items()})
    except model.ValidationError:  # written by a newer version with other statuses: keep working on the defaults
        return DEFAULT_LIMITS


def limits(store, lock: bool = False) -> Limits:
    """The limits in force; `lock=True` inside a transaction keeps other admins' saves waiting until it ends."""
    return from_setting(store.setting(SETTING, lock=lock))


def save(store, limits_: Limits, user: str) -> None:
    store.set_setting(SETTING, limits_.as_setting(), user)
