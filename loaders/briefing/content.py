"""What goes into a briefing (简报) of a filtered view, gathered once from the store; the PDF and Word writers only
lay it out. All text here is plain text (the writers never read it as markup)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .. import clock, model, progress
from ..filters import Filter
from ..readable import count
from . import charts, mapimage
from .fonts import Face

TITLE = "襄州区一线协商工作简报"
RECENT_FOLLOW_UPS = 10
PHOTOS_PER_FOLLOW_UP = 3
MAX_TEXT = 300  # characters of a follow-up's text shown; the rest is in the dashboard
MAX_OVERDUE = 40
CHART_MONTHS = 24
KPI_NOTE = ("逾期：超过办理时限仍未办结的点位；本月：按北京时间的本自然月；问题解决率 = 已解决 ÷（问题点总数 − 已撤销），"
            "按除状态、阶段以外的筛选条件计算")  # rows of the overdue list; the count says how many there are in all


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    note: str = ""  # a line under the table, e.g. how many rows were left out


@dataclass(frozen=True)
class FollowUp:
    date: str
    point: str  # the point's name and town
    status: str
    author: str
    text: str
    photos: list[bytes] = field(default_factory=list)  # JPEG thumbnails


@dataclass(frozen=True)
class Briefing:
    title: str
    subject: str  # the page the briefing is of: 总览 or a kind's label
    date: dt.date
    filter_text: str
    kpis: list[tuple[str, str]]
    kpi_note: str
    map_png: bytes
    map_note: str
    towns: Table
    overdue: Table
    limits_text: str
    months: Table
    months_note: str  # what the month chart and table leave out
    chart_png: bytes | None
    follow_ups: list[FollowUp]


def plain(value, limit: int | None = None) -> str:
    """Text as a briefing prints it: stored text cleaned again (no control characters: Word's XML cannot hold them),
    an empty value as "", and cut with … past `limit` characters."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = model.clean_text(value, multiline=True)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def gather(store, where: Filter, kind: str | None, faces: dict[str, Face], today: dt.date | None = None) -> Briefing:
    """Everything a briefing of `where` (on the page of `kind`, None: 总览) shows."""
    today = today or clock.today()
    where = where.of_kind(kind)
    units = store.units()
    points = store.points(where, columns=("id", "kind", "status", "stage", "unit_code", "lon", "lat", "name"))
    report = progress.report(store, where, today)
    overdue_ids = set(report.overdue["id"])
    months, months_note = month_window(report.monthly)
    return Briefing(
        title=TITLE,
        subject=model.kind_label(kind) if kind else "总览",
        date=today,
        filter_text=where.describe(units),
        kpis=kpis(store, where, points, report),
        kpi_note=KPI_NOTE,
        map_png=mapimage.render(store.geography(), points, overdue_ids, where, faces),
        map_note=mapimage.NOTE,
        towns=towns_table(points, overdue_ids, units),
        overdue=overdue_table(report.overdue),
        limits_text=report.limits.describe(),
        months=months_table(months),
        months_note=months_note,
        chart_png=charts.months(months, faces) if len(months) else None,
        follow_ups=recent_follow_ups(store, points, units),
    )


def kpis(store, where: Filter, points: pd.DataFrame, report: progress.Report) -> list[tuple[str, str]]:
    """The figures a meeting asks first. The solving rate is over the issues the other filters select (town, dates,
    keyword), not within a status filter, which would make it 100 % by construction."""
    by_stage = points["stage"].value_counts()
    figures = [("点位总数", f"{count(len(points))}")]
    figures += [(stage, f"{count(int(by_stage.get(stage, 0)))}") for stage in model.STAGES]
    figures += [("逾期", f"{count(len(report.overdue))}"), ("本月新增", f"{count(report.this_month['new'])}"),
                ("本月办结", f"{count(report.this_month['resolved'])}")]
    if not where.kinds or "issue" in where.kinds:
        issues = store.counts(where.but(kinds=("issue",), statuses=(), stages=()))
        total = int(issues["n"].sum()) - int(issues.loc[issues["status"] == "已撤销", "n"].sum())
        solved = int(issues.loc[issues["status"] == model.ISSUE_RESOLVED, "n"].sum())
        forwarded = int(issues.loc[issues["status"] == model.ISSUE_FORWARDED, "n"].sum())
        figures += [("已解决问题", f"{count(solved)}"), ("转社情民意", f"{count(forwarded)}"),
                    ("问题解决率", f"{solved / total * 100:.1f}%" if total else "—")]
    return figures


def towns_table(points: pd.DataFrame, overdue_ids: set, units) -> Table:
    """Per town: points per stage, overdue, total; towns in the district's order, a 合计 row last."""
    header = ["乡镇（街道）", *model.STAGES, "逾期", "合计"]
    if points.empty:
        return Table(header, [], "当前筛选没有点位")
    frame = points.assign(overdue=points["id"].isin(overdue_ids), town=points["unit_code"].fillna(""))
    order = {code: i for i, code in enumerate(units.codes)}
    rows = []
    for code, group in sorted(frame.groupby("town"), key=lambda item: order.get(item[0], len(order))):
        stages = group["stage"].value_counts()
        rows.append([units.short(code, "其他") if code else "其他", *[str(int(stages.get(s, 0))) for s in model.STAGES],
                     str(int(group["overdue"].sum())), str(len(group))])
    stages = frame["stage"].value_counts()
    rows.append(["合计", *[str(int(stages.get(s, 0))) for s in model.STAGES], str(int(frame["overdue"].sum())),
                 str(len(frame))])
    return Table(header, rows)


def overdue_table(overdue: pd.DataFrame) -> Table:
    header = ["名称", "类型", "状态", "乡镇", "责任单位", "应办结", "逾期天数"]
    rows = [[plain(r["name"]), model.kind_label(r["kind"]), plain(r["status"]), plain(r["unit_name"]),
             plain(r["responsible_unit"], 40), plain(r["due"]), str(int(r["days_over"]))]
            for r in overdue.head(MAX_OVERDUE).to_dict("records")]
    note = "当前筛选没有逾期点位" if overdue.empty else (
        f"共 {count(len(overdue))} 个逾期点位，此处列出逾期最久的 {MAX_OVERDUE} 个" if len(overdue) > MAX_OVERDUE else "")
    return Table(header, rows, note)


def month_window(monthly: pd.DataFrame, length: int = CHART_MONTHS) -> tuple[pd.DataFrame, str]:
    """The months the chart shows: `length` months ending with the last month in which anything came in or was
    settled (so a quiet spell does not push every bar off the chart), and a note saying what was left out."""
    active = monthly.index[(monthly[["new", "resolved", "forwarded"]].sum(axis=1) > 0)]
    if monthly.empty or active.empty:
        return monthly.tail(length), ""
    end = monthly.index.get_loc(active[-1]) + 1
    window = monthly.iloc[max(0, end - length):end]
    note = ""
    if end < len(monthly):
        note = (f"{monthly['month'].iloc[end]} 至 {monthly['month'].iloc[-1]} 各月没有新增、办结或转社情民意，"
                f"月末未办结保持 {int(monthly['open_end'].iloc[-1])} 个")
    return window, note


def months_table(monthly: pd.DataFrame, last: int = 12) -> Table:
    """The last `last` months: new, finished, forwarded, open at the month's end."""
    header = ["月份", "新增", "办结", "转社情民意", "月末未办结"]
    rows = [[r["month"], str(r["new"]), str(r["resolved"]), str(r["forwarded"]), str(r["open_end"])]
            for r in monthly.tail(last).to_dict("records")]
    return Table(header, rows, "" if rows else "当前筛选没有登记日期")


def recent_follow_ups(store, points: pd.DataFrame, units, limit: int = RECENT_FOLLOW_UPS) -> list[FollowUp]:
    """The latest follow-ups (跟踪督办记录) of the points in view, newest first, each with its photos' thumbnails."""
    if points.empty:
        return []
    names = points.set_index("id")
    rows = [r for r in store.read_rows("follow_ups", ("fid", "point_id", "date", "text", "author", "status"))
            if r[1] in names.index]
    rows.sort(key=lambda r: (str(r[2]), r[0]), reverse=True)
    rows = rows[:limit]
    chosen_fids = {r[0] for r in rows}
    photos: dict[int, list[str]] = {}
    for photo_id, fid, deleted in store.read_rows("photos", ("id", "follow_up_fid", "deleted_at")):
        if fid in chosen_fids and deleted is None:
            photos.setdefault(fid, []).append(photo_id)
    entries = []
    for fid, point_id, date, text, author, status in rows:
        point = names.loc[point_id]
        town = units.short(point["unit_code"], "其他") if point["unit_code"] else "其他"
        thumbs = [store.photo_bytes(p, thumb=True) for p in photos.get(fid, [])[:PHOTOS_PER_FOLLOW_UP]]
        entries.append(FollowUp(plain(date), f"{plain(point['name'])}（{town}）", plain(status), plain(author, 20),
                                plain(text, MAX_TEXT), [t for t in thumbs if t]))
    return entries
