"""Progress over time: what came in and what was settled per month, how long settling takes, what is overdue.

Everything is computed from dates the data carries -- 登记日期 (`opened_on`), 完成日期 (`resolved_on`) and the
status moves in the follow-up log and the audit (`Store.status_events`) -- never from "now" alone, so the same
functions answer "what was open on 2023-06-30" for the time slider. One place for the 进展 page, the strips on the
map pages, the 大屏 and the briefing.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import clock, deadlines, model
from .filters import Filter

COLUMNS = ("id", "kind", "status", "stage", "unit_code", "name", "opened_on", "resolved_on", "created_at",
           "updated_at", "responsible_unit")
DUE_SOON_DAYS = 7
# 责任单位 often names several units: "区住建局、古驿镇人民政府" counts for both.
_UNIT_SEPARATORS = re.compile(r"[、,，;；/]+")


# Dates of each point ----------------------------------------------------------------------------------------------
def registered(points: pd.DataFrame) -> pd.Series:
    """Its 登记日期, else the day it was entered into the system."""
    return points["opened_on"].where(points["opened_on"].notna(), points["created_at"].str[:10]).astype(str)


def started(points: pd.DataFrame) -> pd.Series:
    """The day a point came in: its 登记日期, else the day it was entered -- or its 完成日期 when that is earlier (a
    point entered today that was settled last year came in by then; it is never settled before it came in)."""
    day = registered(points)
    settled = points["resolved_on"].astype(object)
    earlier = settled.notna() & (settled.astype(str) < day)
    return day.where(~earlier, settled.astype(str))


def ended(points: pd.DataFrame) -> pd.Series:
    """The day a finished or closed point was settled (its 完成日期, else its last save); None while open."""
    closed = ~points["stage"].isin(model.OPEN_STAGES)
    day = points["resolved_on"].where(points["resolved_on"].notna(), points["updated_at"].str[:10])
    return day.where(closed, None)


def entered(points: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """The day each point entered its current status: the first of the last unbroken run of recorded moves to that
    status, else its 登记日期 (a point still in the status it was registered with)."""
    since = started(points).copy()
    if events.empty or points.empty:
        return since
    current = points.set_index("id")["status"]
    mine = events[events["point_id"].isin(current.index)]
    if mine.empty:
        return since
    mine = mine.assign(current=mine["point_id"].map(current))
    # A run ends at every move to another status; the start of the trailing run is the day after the last such move.
    other = mine[mine["status"] != mine["current"]].groupby("point_id")["date"].max()
    same = mine[mine["status"] == mine["current"]]
    same = same[~(same["date"] < same["point_id"].map(other).astype(object).fillna(""))]
    first = same.groupby("point_id")["date"].min()
    found = points["id"].map(first)
    later = found.notna() & (found.astype(str) > since)  # a move logged before registration changes nothing
    since[later] = found[later]
    return since


def deadline_table(points: pd.DataFrame, since: pd.Series, limits: deadlines.Limits,
                   today: dt.date) -> pd.DataFrame:
    """Per open point with a time limit: `since, limit_days, due` (ISO) and `days_over` (positive: overdue by that
    many days; zero or negative: due in that many days)."""
    open_ = points["stage"].isin(model.OPEN_STAGES)
    limit = pd.Series([limits.days(k, s) for k, s in zip(points["kind"], points["status"])], index=points.index,
                      dtype="float")
    chosen = open_ & limit.notna()
    table = points.loc[chosen].copy()
    table["since"] = since[chosen]
    table["limit_days"] = limit[chosen].astype(int)
    start = pd.to_datetime(table["since"], errors="coerce")
    due = start + pd.to_timedelta(table["limit_days"], unit="D")
    table["due"] = due.dt.strftime("%Y-%m-%d")
    table["days_over"] = (pd.Timestamp(today) - due).dt.days
    return table[table["due"].notna()]


def overdue_days(points: pd.DataFrame, events: pd.DataFrame, limits: deadlines.Limits,
                 today: dt.date) -> pd.Series:
    """Days each point is over its time limit; NaN for a point that is not overdue (or closed, or without limit)."""
    table = deadline_table(points, entered(points, events), limits, today)
    over = table["days_over"].where(table["days_over"] > 0)
    return over.reindex(points.index).astype(float)


def as_of(points: pd.DataFrame, events: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The points as they were at the end of `day`: those registered by then, each with the status and stage it had
    (the last recorded move up to that day, its current status once settled by then, else its kind's first status)."""
    iso = day.isoformat()
    start, end = started(points), ended(points)
    present = points[start <= iso].copy()
    if present.empty:
        return present
    settled = end[present.index].notna() & (end[present.index] <= iso)
    known = events[(events["date"] <= iso) & events["point_id"].isin(present["id"])]
    last = known.groupby("point_id")["status"].last()
    # Before any recorded move: the status it has now if that is still open, else its kind's first status.
    first = present["kind"].map(lambda k: model.KINDS[k].statuses[0].label)
    base = present["status"].where(present["stage"].isin(model.OPEN_STAGES), first)
    status = present["id"].map(last).astype(object).fillna(base)
    status = status.where(~settled, present["status"])
    present["status"] = status
    present["stage"] = [model.stage_of(k, s) or st for k, s, st in zip(present["kind"], status, present["stage"])]
    return present


# The report -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    today: dt.date
    limits: deadlines.Limits
    monthly: pd.DataFrame  # month, new, resolved, forwarded, open_end
    this_month: dict  # new, resolved, forwarded, open, overdue
    overdue: pd.DataFrame  # id, name, kind, status, unit_code, unit_name, responsible_unit, since, limit_days, due, days_over
    due_soon: pd.DataFrame  # the same, with days_left
    durations_by_unit: pd.DataFrame  # label, n, median_days, p90_days
    durations_by_responsible: pd.DataFrame
    duration_all: dict  # n, median_days, p90_days


def _month_ends(first: str, last: str) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(first[:7] + "-01"), pd.Timestamp(last[:7] + "-01"), freq="MS")


def monthly(points: pd.DataFrame, today: dt.date, since: dt.date | None = None,
            until: dt.date | None = None) -> pd.DataFrame:
    """Per calendar month from the first registration (or `since`) to this month (or an earlier `until`): new, resolved
    (finished), forwarded (已转社情民意) and open at the month's end."""
    columns = ["month", "new", "resolved", "forwarded", "open_end"]
    if points.empty:
        return pd.DataFrame(columns=columns)
    start, end = started(points), ended(points)
    first = (since.isoformat() if since else start.min())
    last = min(until or today, today).isoformat()  # months to come have no figures yet
    if first > last:
        return pd.DataFrame(columns=columns)
    months = _month_ends(first, last)
    labels = months.strftime("%Y-%m")
    new = start.str[:7].value_counts()
    finished = points["stage"] == "已完成"
    forwarded = points["status"] == model.ISSUE_FORWARDED
    resolved = end[finished].str[:7].value_counts()
    sent = end[forwarded].str[:7].value_counts()
    starts = np.sort(start.to_numpy(dtype=str))
    ends = np.sort(end.dropna().to_numpy(dtype=str))
    month_last = (months + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d").to_numpy(dtype=str)
    # Open at a month's end: registered by then, minus settled by then.
    open_end = np.searchsorted(starts, month_last, side="right") - np.searchsorted(ends, month_last, side="right")
    return pd.DataFrame({
        "month": labels,
        "new": [int(new.get(m, 0)) for m in labels],
        "resolved": [int(resolved.get(m, 0)) for m in labels],
        "forwarded": [int(sent.get(m, 0)) for m in labels],
        "open_end": open_end.astype(int),
    })


def responsible(points: pd.DataFrame) -> pd.Series:
    """Per point, the list of 责任单位 it names: 未填写 when empty, and for a kind without the field its kind."""
    has_field = points["kind"].map(lambda k: "responsible_unit" in model.KINDS[k].fields)
    named = points["responsible_unit"].fillna("").map(
        lambda text: [u.strip() for u in _UNIT_SEPARATORS.split(text) if u.strip()] or ["未填写"])
    other = points["kind"].map(lambda k: [f"（{model.kind_label(k)}，不设责任单位）"])
    return named.where(has_field, other)


def _durations(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["label", "n", "median_days", "p90_days"])
    grouped = frame.groupby(key)["days"]
    table = pd.DataFrame({"n": grouped.size(), "median_days": grouped.median(),
                          "p90_days": grouped.quantile(0.9)}).reset_index().rename(columns={key: "label"})
    return table.sort_values(["n", "median_days"], ascending=[False, False]).reset_index(drop=True)


def durations(points: pd.DataFrame, unit_names) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Days from registration to 完成 of the finished points: by town, by 责任单位 (each named unit counts), overall."""
    finished = points[(points["stage"] == "已完成") & points["resolved_on"].notna()].copy()
    finished["days"] = (pd.to_datetime(finished["resolved_on"], errors="coerce")
                        - pd.to_datetime(registered(finished), errors="coerce")).dt.days
    finished = finished[finished["days"].notna() & (finished["days"] >= 0)]
    finished["town"] = finished["unit_code"].map(lambda c: unit_names(c) if c else "其他")
    units = finished.assign(responsible=responsible(finished)).explode("responsible")
    overall = {"n": len(finished),
               "median_days": float(finished["days"].median()) if len(finished) else None,
               "p90_days": float(finished["days"].quantile(0.9)) if len(finished) else None}
    return _durations(finished, "town"), _durations(units, "responsible"), overall


def report(store, where: Filter = Filter(), today: dt.date | None = None) -> Report:
    """The progress of the points `where` selects. Months and durations ignore the status and stage filters (a
    month's "new" does not depend on where the problems are now) and use the dates as the months shown; the
    overdue and due lists follow the whole filter."""
    today = today or clock.today()
    limits = deadlines.limits(store)
    units = store.units()
    everything = store.points(where.but(statuses=(), stages=(), date_from=None, date_to=None), columns=COLUMNS)
    events = store.status_events()
    since = entered(everything, events)
    table = deadline_table(everything, since, limits, today)
    chosen = store.points(where, columns=("id",))["id"]
    table = table[table["id"].isin(chosen)]
    table["unit_name"] = table["unit_code"].map(lambda c: units.short(c) if c else "其他")
    listed = ["id", "name", "kind", "status", "unit_code", "unit_name", "responsible_unit", "since", "limit_days",
              "due"]
    overdue = table[table["days_over"] > 0].sort_values("days_over", ascending=False)[listed + ["days_over"]]
    soon = table[(table["days_over"] <= 0) & (table["days_over"] > -DUE_SOON_DAYS - 1)]
    soon = soon.assign(days_left=-soon["days_over"]).sort_values("days_left")[listed + ["days_left"]]
    window = everything
    if where.date_from or where.date_to:
        start = started(everything)
        window = everything[(start >= (where.date_from or dt.date.min).isoformat())
                            & (start <= (where.date_to or dt.date.max).isoformat())]
    by_unit, by_responsible, overall = durations(window, lambda c: units.short(c))
    months = monthly(everything, today, where.date_from, where.date_to)
    this = today.strftime("%Y-%m")
    row = months[months["month"] == this]
    open_now = int(everything["stage"].isin(model.OPEN_STAGES).sum())
    this_month = {"new": int(row["new"].sum()), "resolved": int(row["resolved"].sum()),
                  "forwarded": int(row["forwarded"].sum()), "open": open_now, "overdue": len(overdue)}
    return Report(today, limits, months, this_month, overdue.reset_index(drop=True), soon.reset_index(drop=True),
                  by_unit, by_responsible, overall)
