"""One consistent read of everything the 大屏 shows (`Snapshot`), kept in the session so that a store that cannot be
read leaves the last good data on screen: the big figures and 最新动态, the latest changes from the audit log."""
from __future__ import annotations

import base64
import datetime as dt
import logging
import time
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from loaders import clock, model
from loaders.filters import Filter
from loaders.readable import count
from loaders.units import Units

from ... import data
from ...pointlayer import STAGE_COLORS
from ..history import ACTIONS
from ..kpis import issue_figures
from .presets import Presets

_LOG = logging.getLogger(__name__)

FEED_ROWS = 3  # what fits beside the map in letters readable from the back of the room
SYSTEM_USERS = {"init"}  # the bundled sample data was written by `init`: not news for a meeting
OTHER_COLOR = "#7f8ea3"
ACTIVITY_COLOR = "#b388ff"  # 协商活动 in 最新动态
QUIET_ACTIONS = {"member_create", "member_update", "member_delete", "groups", "areas", "setting"}  # not news for a meeting
_ACTIONS = {**ACTIONS, "update": "更新"}

# Session state keys (all prefixed, so they never meet the dashboard's).
_SNAPSHOT = "_xz_screen_snapshot"
_STALE = "_xz_screen_stale"  # time of the last failed read, or absent
_READ_AT = "_xz_screen_read_try"


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: int | str
    unit: str
    note: str = ""
    tone: str = "blue"


@dataclass(frozen=True)
class FeedItem:
    when: str
    name: str
    what: str
    unit: str
    color: str
    photo: str | None = None  # a photo's id: its thumbnail is shown beside the line
    point_id: str | None = None
    action: str = ""


@dataclass(frozen=True)
class Snapshot:
    version: int
    presets: Presets
    view: data.View
    units: Units
    geography: data.MapGeography
    feed: tuple[FeedItem, ...]
    feed_is_history: bool
    read_at: dt.datetime
    work: object = None  # loaders.figures.Headline for the screen's towns
    thumbs: tuple[tuple[str, str], ...] = ()  # (photo id, data: URL of its thumbnail) for the feed
    progress: object = None  # loaders.progress.Report: this month's figures, the overdue and due lists
    rates: data.View | None = None  # the view without status and stage filters, for 解决率 (see `kpis`)

    def towns(self) -> list[str]:
        """The towns the screen is about: the preset ones, or the network's 17, in display order."""
        return list(self.presets.where.unit_codes) or [u.code for u in self.units.network]

    def in_area(self, points: pd.DataFrame, area: str) -> pd.Series:
        """Which points the map draws in `area`: units without an area of their own (襄北农场 …) count in their
        host's."""
        return points["unit_code"].fillna("").map(self.units.area_of) == area


def kpis(shown: Snapshot) -> list[Kpi]:
    """The big figures, computed from the data (the article's 270余 / 30余 / 17 / 24 / 25 on the sample store), this
    month's and the overdue. 解决率 counts the issues the other filters select, whatever their status (with a status
    preset of 已解决 it would otherwise read 100 %)."""
    view, presets, work, report = shown.view, shown.presets, shown.work, shown.progress
    status = view.by_status
    kinds = view.by_kind

    def n(kind: str, label: str) -> int:
        return int(status.get((kind, label), 0))

    sites = int(kinds.get("demo_site", 0)) - n("demo_site", "已撤销")
    issue = issue_figures(view)
    honest = issue_figures(shown.rates if shown.rates is not None else view)["rate"]
    rate = f"解决率 {honest * 100:.0f}%" if honest is not None else ""
    wells, bridges = int(kinds.get("well", 0)), int(kinds.get("bridge", 0))
    figures = []
    if work is not None:
        figures += [
            (None, Kpi("members", "委员参与", work.members_taking_part, "名",
                       f"全区 {count(work.members_district)} 名", "cyan")),
            (None, Kpi("activities", "协商活动", work.activities, "场次", f"三级联动 {count(work.three_level)} 次",
                       "rose")),
        ]
    figures += [
        ("demo_site", Kpi("demo_site", "协商示范点", sites, "个", f"已建成 {count(n('demo_site', '已建成'))}", "gold")),
        ("issue", Kpi("issues", "问题点", int(kinds.get("issue", 0)), "个", "协商议题", "blue")),
        ("issue", Kpi("resolved", "已解决", int(issue["resolved"]), "个", rate, "green")),
    ]
    if report is not None:
        month = report.this_month
        figures += [
            (None, Kpi("overdue", "逾期", len(report.overdue), "项", f"7天内到期 {count(len(report.due_soon))}", "red")),
            (None, Kpi("month_new", "本月新增", int(month["new"]), "项", f"本月解决 {count(month['resolved'])}",
                       "amber")),
        ]
    figures += [
        ("issue", Kpi("forwarded", "已转社情民意", int(issue["forwarded"]), "件", "报送上级", "violet")),
        ("well", Kpi("wells", "水井出水", n("well", "已出水"), "口", f"共 {count(wells)} 口", "cyan")),
        ("bridge", Kpi("bridges", "桥梁改造", n("bridge", "已改造"), "座", f"共 {count(bridges)} 座", "teal")),
    ]
    return [figure for kind, figure in figures if kind is None or presets.shows(kind)]


def overdue_points(points: pd.DataFrame) -> pd.DataFrame:
    """The points past their time limit (`overdue_days` > 0; the column is absent until the store knows limits)."""
    if "overdue_days" not in points.columns:
        return points.iloc[0:0]
    return points[pd.to_numeric(points["overdue_days"], errors="coerce").fillna(0) > 0]


def _when(text: str | None, today: dt.date) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(clock.TZ)
    return moment.strftime("%H:%M") if moment.date() == today else moment.strftime("%m-%d %H:%M")


def _change_text(action: str, fields: list, before: dict, after: dict) -> str:
    if action == "update" or action == "revert":
        if "status" in fields and before.get("status") != after.get("status"):
            return f"状态 {before.get('status') or '—'} → {after.get('status') or '—'}"
        labels = [model.COLUMN_LABELS.get(f, f) for f in fields if f not in ("version", "updated_at", "updated_by")]
        return ("修改 " + "、".join(labels[:3]) + ("等" if len(labels) > 3 else "")) if labels else _ACTIONS[action]
    if action == "create":
        return f"新增{model.kind_label(after['kind'])}" if after.get("kind") in model.KINDS else "新增点位"
    if action == "follow_up":
        text = " ".join(str(after.get("text") or "").split())
        return "跟踪记录" + (f"：{text[:18]}{'…' if len(text) > 18 else ''}" if text else "")
    if action == "photo_add":
        return "上传照片"
    return _ACTIONS.get(action, action)


def latest_changes(history: pd.DataFrame, points: pd.DataFrame, names: dict[str, str], *, limit: int = FEED_ROWS,
                   restrict: bool = False, today: dt.date | None = None,
                   towns: frozenset[str] = frozenset()) -> list[FeedItem]:
    """最新动态 from the audit log, newest first: who changed what, when -- points and consultation activities.
    `names`: unit code -> short name. `restrict`: only points in `points` and activities in `towns` (when given)."""
    today = today or clock.today()
    known = points.set_index("id") if len(points) else pd.DataFrame(columns=["name", "unit_code", "stage"])
    items: list[FeedItem] = []
    for row in history.itertuples():
        if row.user in SYSTEM_USERS or row.action in QUIET_ACTIONS:
            continue
        before = row.before if isinstance(row.before, dict) else {}
        after = row.after if isinstance(row.after, dict) else {}
        if str(row.action).startswith("activity"):
            unit = after.get("unit_code") or before.get("unit_code") or ""
            if restrict and towns and unit not in towns:
                continue
            title = after.get("topic") or before.get("topic") or "（协商活动）"
            items.append(FeedItem(_when(row.at, today), str(title), f"{row.user} · {_ACTIONS[row.action]}",
                                  names.get(unit, ""), ACTIVITY_COLOR))
            if len(items) >= limit:
                break
            continue
        if restrict and row.point_id not in known.index:
            continue
        fields = list(row.fields) if isinstance(row.fields, (list, tuple)) else []
        record = known.loc[row.point_id] if row.point_id in known.index else None
        name = after.get("name") or before.get("name") or (record["name"] if record is not None else "") or "（点位）"
        unit = after.get("unit_code") or before.get("unit_code") or (record["unit_code"] if record is not None else "")
        stage = (record["stage"] if record is not None else None) or after.get("stage") or before.get("stage")
        what = _change_text(str(row.action), fields, before, after)
        items.append(FeedItem(_when(row.at, today), str(name), f"{row.user} · {what}", names.get(unit, ""),
                              STAGE_COLORS.get(stage, OTHER_COLOR), after.get("photo") if row.action == "photo_add"
                              else None, row.point_id, str(row.action)))
        if len(items) >= 3 * limit:  # room for the photo rows merged below
            break
    return with_photos(items)[:limit]


def with_photos(items: list[FeedItem]) -> list[FeedItem]:
    """Photo rows (newest first) folded into the follow-up or new point they came with -- one transaction writes
    the entry, then its photos -- or else into one line "上传照片 N 张", each with the first photo's thumbnail."""
    out: list[FeedItem] = []
    photos: list[FeedItem] = []  # consecutive photo rows of one point, newest first
    for item in [*items, None]:
        if photos and (item is None or item.action != "photo_add" or item.point_id != photos[0].point_id):
            first = photos[-1].photo
            if item is not None and item.point_id == photos[0].point_id and item.action in ("follow_up", "create"):
                out.append(replace(item, what=f"{item.what}（附照片 {len(photos)} 张）", photo=first))
                photos = []
                continue
            out.append(replace(photos[-1], what=f"{photos[-1].what} {len(photos)} 张", photo=first))
            photos = []
        if item is None:
            break
        (photos if item.action == "photo_add" else out).append(item)
    return out


def recent_points(points: pd.DataFrame, names: dict[str, str], *, limit: int = FEED_ROWS,
                  today: dt.date | None = None, activities: pd.DataFrame | None = None) -> list[FeedItem]:
    """When nobody has changed anything yet: the latest activities (by their date, up to half the rows) and the
    most recently updated points."""
    today = today or clock.today()
    items: list[FeedItem] = []
    if activities is not None and len(activities):
        for r in activities.sort_values("date", ascending=False, kind="stable").head(limit // 2).itertuples():
            items.append(FeedItem(str(r.date)[5:], str(r.topic), f"协商活动 · {r.form}", names.get(r.unit_code, ""),
                                  ACTIVITY_COLOR))
    if len(points):
        recent = points.sort_values("updated_at", ascending=False, kind="stable").head(limit - len(items))
        items += [FeedItem(_when(r.updated_at, today), str(r.name), f"{model.kind_label(r.kind)} · {r.status}",
                           names.get(r.unit_code, ""), STAGE_COLORS.get(r.stage, OTHER_COLOR))
                  for r in recent.itertuples()]
    return items


def read_snapshot(presets: Presets, previous: Snapshot | None) -> Snapshot:
    """One consistent read of everything the screen shows. Raises whatever the store raises."""
    version = data.version()  # raises StoreUnavailable when the store cannot be read (reading never creates one)
    if (previous is not None and previous.version == version and previous.presets == presets
            and previous.read_at.date() == clock.today()):  # a new day: overdue days and this month move on
        return replace(previous, read_at=clock.now())
    view = data.filtered(presets.where)
    units = data.units()
    names = units.names(short=True)
    geography = data.map_geography(False)
    history = data.store().history(limit=200)
    towns = frozenset(presets.where.unit_codes)
    feed = latest_changes(history, view.points, names, restrict=presets.where != Filter(), towns=towns)
    from_history = bool(feed)
    activities = data.work().activities
    if towns:
        activities = activities[activities["unit_code"].isin(towns)]
    if not feed:
        feed = recent_points(view.points, names, activities=activities)
    work = data.headline(tuple(sorted(towns)))
    where = presets.where
    rates = data.filtered(where.but(statuses=(), stages=())) if where.statuses or where.stages else view
    return Snapshot(version, presets, view, units, geography, tuple(feed), from_history, clock.now(), work,
                    thumbnails(feed), data.progress(where), rates)


def thumbnails(feed: list[FeedItem]) -> tuple[tuple[str, str], ...]:
    """The feed's thumbnails as data: URLs, read with the snapshot (the screen draws them without another read)."""
    out = []
    for item in feed:
        image = data.store().photo_bytes(item.photo, thumb=True) if item.photo else None
        if image:
            out.append((item.photo, "data:image/jpeg;base64," + base64.b64encode(image).decode("ascii")))
    return tuple(out)


def current_snapshot(presets: Presets, force: bool = False) -> tuple[Snapshot | None, dt.datetime | None]:
    """The snapshot to show and, if the last read failed, when. Reads the store only when a refresh is due."""
    ss = st.session_state
    previous: Snapshot | None = ss.get(_SNAPSHOT)
    due = (force or previous is None or previous.presets != presets
           or time.monotonic() - ss.get(_READ_AT, 0.0) >= presets.refresh - presets.tick / 2)
    if due:
        ss[_READ_AT] = time.monotonic()
        try:
            ss[_SNAPSHOT] = read_snapshot(presets, previous)
            ss.pop(_STALE, None)
        except Exception as error:  # noqa: BLE001 -- a meeting screen shows the last data, never a traceback
            _LOG.warning("大屏：读取数据失败，继续显示上次的数据：%r", error)
            ss[_STALE] = clock.now()
    return ss.get(_SNAPSHOT), ss.get(_STALE)


def last_snapshot() -> Snapshot | None:
    """The last good snapshot of this session, if any."""
    return st.session_state.get(_SNAPSHOT)
