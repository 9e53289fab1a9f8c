"""One filter language for every view of the points: `Filter`.

The pages keep it in the URL, the 大屏 takes its presets from the URL, the CLI from its options, and the stores turn
it into SQL (`loaders.store.where`). The same words mean the same thing everywhere:

  unit=黄集,古驿      towns: short names, full names or 12-digit codes
  kind=well,issue     kinds: keys or Chinese labels
  stage=进行中        stages;  status=已解决  statuses (of the chosen kinds)
  q=…                 keyword (name, village, description, category, responsible unit, canal, format, id)
  from=2022-01-01 / to=2023-12-31   登记日期, inclusive
  bbox=112.0,32.0,112.3,32.3        longitude/latitude box (CLI)

`Filter.from_query` reads such a mapping and lists, in Chinese, what it could not understand; pages ignore those
parts with a notice, the CLI refuses.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from . import model
from .units import Units

QUERY_KEYS = ("unit", "kind", "stage", "status", "q", "from", "to")
MAX_KEYWORD = 50


@dataclass(frozen=True)
class Filter:
    """What to show. Empty tuples mean 'all'."""

    kinds: tuple[str, ...] = ()
    unit_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    keyword: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    include_deleted: bool = False

    def but(self, **changes) -> Filter:
        return replace(self, **changes)

    # The URL (and the CLI's options) ---------------------------------------------------------------------------
    @classmethod
    def from_query(cls, params: Mapping, units: Units, fixed_kind: str | None = None) -> tuple[Filter, list[str]]:
        """The filter a query string asks for, and the parts that could not be understood (Chinese, for a notice).
        `fixed_kind`: a page of one kind, where `kind=` is not a choice and statuses are that kind's."""
        problems: list[str] = []

        def values(key: str) -> list[str]:
            raw = params.get_all(key) if hasattr(params, "get_all") else params.get(key)
            return _split(raw)

        codes: list[str] = []
        for text in values("unit"):
            code = units.code_of(text)
            if code is None:
                problems.append(f"乡镇「{text}」")
            elif code not in codes:
                codes.append(code)
        order = {c: i for i, c in enumerate(units.codes)}
        codes.sort(key=lambda c: order.get(c, len(order)))

        kinds: list[str] = []
        for text in values("kind"):
            key = model.kind_by_label(text)
            if key is None or fixed_kind:
                problems.append(f"类型「{text}」")
            elif key not in kinds:
                kinds.append(key)
        kinds = [k for k in model.KINDS if k in kinds]

        stages = [s for s in model.STAGES if s in values("stage")]
        problems += [f"阶段「{s}」" for s in values("stage") if s not in model.STAGES]
        allowed = [s for group in model.statuses_by_stage([fixed_kind] if fixed_kind else kinds or None).values()
                   for s in group]
        statuses = [s for s in allowed if s in values("status")]
        problems += [f"状态「{s}」" for s in values("status") if s not in allowed]

        keyword = model.clean_text(_last(params, "q") or "")[:MAX_KEYWORD]

        dates: dict[str, dt.date | None] = {}
        for key in ("from", "to"):
            raw = values(key)
            dates[key] = parse_date(raw[0]) if raw else None
            if raw and dates[key] is None:
                problems.append(f"日期「{raw[0]}」")
        if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
            problems.append("起始日期晚于截止日期（已调换）")
            dates["from"], dates["to"] = dates["to"], dates["from"]

        bbox = None
        raw_bbox = [v.strip() for v in str(_last(params, "bbox") or "").replace("，", ",").split(",") if v.strip()]
        if raw_bbox:
            try:
                bbox = tuple(float(v) for v in raw_bbox)
                if len(bbox) != 4 or bbox[0] > bbox[2] or bbox[1] > bbox[3]:
                    raise ValueError
            except ValueError:
                problems.append(f"范围「{','.join(raw_bbox)}」（应为 最小经度,最小纬度,最大经度,最大纬度）")
                bbox = None
        return cls(tuple(kinds), tuple(codes), tuple(statuses), tuple(stages), keyword, dates["from"], dates["to"],
                   bbox), problems

    def to_query(self, units: Units) -> dict[str, str]:
        """The query string that gives this filter back (towns by short name); empty parts are left out."""
        query = {
            "unit": ",".join(units.short(c) for c in self.unit_codes),
            "kind": ",".join(self.kinds),
            "stage": ",".join(self.stages),
            "status": ",".join(self.statuses),
            "q": self.keyword.strip(),
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in query.items() if v}

    def describe(self, units: Units, fixed_kind: str | None = None) -> str:
        """The filter in words, one line of Chinese (plain text: the caller escapes)."""
        parts = ["、".join(units.short(c) for c in self.unit_codes) if self.unit_codes else "全部乡镇（街道）"]
        if not fixed_kind:
            parts.append("、".join(model.kind_label(k) for k in self.kinds) if self.kinds else "全部类型")
        if self.stages:
            parts.append("阶段：" + "、".join(self.stages))
        if self.statuses:
            parts.append("状态：" + "、".join(self.statuses))
        if self.keyword:
            parts.append(f"关键词：{self.keyword}")
        if self.date_from or self.date_to:
            parts.append(f"登记日期：{self.date_from or '…'} 至 {self.date_to or '…'}")
        if self.bbox:
            parts.append("范围：" + ",".join(f"{v:g}" for v in self.bbox))
        return " · ".join(parts)

    def of_kind(self, kind: str | None) -> Filter:
        """This filter on a page of one kind (None: the overview, every kind it chose)."""
        return self.but(kinds=(kind,)) if kind else self


def _last(params: Mapping, key: str):
    raw = params.get_all(key) if hasattr(params, "get_all") else params.get(key)
    if isinstance(raw, (list, tuple)):
        return raw[-1] if raw else None
    return raw


def _split(raw) -> list[str]:
    values = raw if isinstance(raw, (list, tuple)) else ([raw] if raw else [])
    out: list[str] = []
    for item in values:
        for part in str(item).replace("，", ",").split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


# The dates a filter can hold: what the pages' date pickers offer. A URL asking for 9999-12-31 is not understood,
# rather than handed to a picker that cannot show it.
DATE_MIN, DATE_MAX = dt.date(2000, 1, 1), dt.date(2100, 1, 1)


def parse_date(text: str) -> dt.date | None:
    """An ISO date from a URL, or None when it is not one or lies outside DATE_MIN..DATE_MAX."""
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


# Activities: the same URL words where they mean the same (unit, q, from, to), plus their own -----------------------
ACTIVITY_QUERY_KEYS = ("unit", "group", "form", "channel", "member", "q", "from", "to")


@dataclass(frozen=True)
class ActivityFilter:
    """Which consultation activities to show (协商活动 page, 委员履职 page, the CLI). Empty means 'all'.

      group=QZ01,T420607001000   organising groups (codes or names)
      form=现场+会场   channel=三级联动   member=王某001 (a member's name or id: the activities they took part in)
      unit=, q= (topic, place, summary, outcome, departments), from=/to= (the activity's date): as for points
    """

    unit_codes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    member: str = ""
    keyword: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def but(self, **changes) -> ActivityFilter:
        return replace(self, **changes)

    @classmethod
    def from_query(cls, params: Mapping, units: Units, groups: Mapping[str, str]) -> tuple[ActivityFilter, list[str]]:
        """`groups`: {code: name} of the member groups. Returns the filter and what could not be understood."""
        from .consultation import CHANNELS, FORMS

        points, problems = Filter.from_query({k: params.get(k) for k in ("unit", "q", "from", "to")}, units)
        by_name = {name: code for code, name in groups.items()}
        chosen_groups: list[str] = []
        for text in _split(params.get("group")):
            code = text if text in groups else by_name.get(text)
            if code is None:
                problems.append(f"委员活动组「{text}」")
            elif code not in chosen_groups:
                chosen_groups.append(code)
        forms = [f for f in FORMS if f in _split(params.get("form"))]
        problems += [f"形式「{f}」" for f in _split(params.get("form")) if f not in FORMS]
        channels = [c for c in CHANNELS if c in _split(params.get("channel"))]
        problems += [f"协商渠道「{c}」" for c in _split(params.get("channel")) if c not in CHANNELS]
        member = model.clean_text(_last(params, "member") or "")[:MAX_KEYWORD]
        return cls(points.unit_codes, tuple(chosen_groups), tuple(forms), tuple(channels), member, points.keyword,
                   points.date_from, points.date_to), problems

    def to_query(self, units: Units) -> dict[str, str]:
        query = Filter(unit_codes=self.unit_codes, keyword=self.keyword, date_from=self.date_from,
                       date_to=self.date_to).to_query(units)
        query.update(group=",".join(self.groups), form=",".join(self.forms), channel=",".join(self.channels),
                     member=self.member.strip())
        return {k: v for k, v in query.items() if v}

    def describe(self, units: Units, groups: Mapping[str, str]) -> str:
        parts = ["、".join(units.short(c) for c in self.unit_codes) if self.unit_codes else "全部乡镇（街道）"]
        if self.groups:
            parts.append("活动组：" + "、".join(groups.get(g, g) for g in self.groups))
        if self.forms:
            parts.append("形式：" + "、".join(self.forms))
        if self.channels:
            parts.append("渠道：" + "、".join(self.channels))
        if self.member:
            parts.append(f"委员：{self.member}")
        if self.keyword:
            parts.append(f"关键词：{self.keyword}")
        if self.date_from or self.date_to:
            parts.append(f"日期：{self.date_from or '…'} 至 {self.date_to or '…'}")
        return " · ".join(parts)

    def apply(self, activities, taking_part, members):
        """The rows of `activities` (store.activities()) this filter keeps; `taking_part` is store.activity_members()
        and `members` store.members(), for `member`."""
        frame = activities
        if self.unit_codes:
            frame = frame[frame["unit_code"].isin(self.unit_codes)]
        if self.groups:
            wanted = set(self.groups)
            frame = frame[frame["groups"].map(lambda g: bool(wanted.intersection(g)))]
        if self.forms:
            frame = frame[frame["form"].isin(self.forms)]
        if self.channels:
            frame = frame[frame["channel"].isin(self.channels)]
        if self.date_from:
            frame = frame[frame["date"] >= self.date_from.isoformat()]
        if self.date_to:
            frame = frame[frame["date"] <= self.date_to.isoformat()]
        if self.keyword:
            needle = self.keyword.lower()
            text = (frame["topic"].fillna("") + " " + frame["place"].fillna("") + " " + frame["summary"].fillna("")
                    + " " + frame["outcome"].fillna("") + " " + frame["departments"].map(" ".join))
            frame = frame[text.str.lower().str.contains(needle, regex=False)]
        if self.member:
            ids = set(members.loc[(members["name"] == self.member) | (members["id"] == self.member), "id"])
            attended = set(taking_part.loc[taking_part["member_id"].isin(ids), "activity_id"])
            frame = frame[frame["id"].isin(attended)]
        return frame
