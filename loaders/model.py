"""The domain model: kinds of point, their statuses and stages, their fields, and validation.

Everything a page shows as a choice comes from the tables here, so adding a status or a field is a data change.
Validation returns Chinese messages that name the field and the offending value, because staff read them.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

# The four stages every status belongs to, in the order a problem moves through them.
STAGES: tuple[str, ...] = ("待办", "进行中", "已完成", "已关闭")
OPEN_STAGES: tuple[str, ...] = ("待办", "进行中")


@dataclass(frozen=True)
class Status:
    label: str
    stage: str


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    statuses: tuple[Status, ...]
    # Which kind-specific fields (keys of FIELDS) this kind carries, in form order.
    fields: tuple[str, ...] = ()

    @property
    def status_labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.statuses)

    def stage_of(self, status: str) -> str | None:
        for s in self.statuses:
            if s.label == status:
                return s.stage
        return None


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "demo_site",
            "示范点",
            (
                Status("规划中", "待办"),
                Status("建设中", "进行中"),
                Status("已建成", "已完成"),
                Status("已撤销", "已关闭"),
            ),
            ("site_format", "batch"),
        ),
        Kind(
            "well",
            "水井",
            (
                Status("规划", "待办"),
                Status("钻井中", "进行中"),
                Status("已出水", "已完成"),
                Status("干井", "已关闭"),
            ),
            ("depth_m",),
        ),
        Kind(
            "bridge",
            "桥梁",
            (
                Status("危桥待改", "待办"),
                Status("改造中", "进行中"),
                Status("已改造", "已完成"),
                Status("正常", "已完成"),
                Status("已拆除", "已关闭"),
            ),
            ("canal",),
        ),
        Kind(
            "issue",
            "问题点",
            (
                Status("待协商", "待办"),
                Status("协商中", "进行中"),
                Status("跟踪督办", "进行中"),
                Status("已解决", "已完成"),
                Status("已转社情民意", "已关闭"),
                Status("已撤销", "已关闭"),
            ),
            ("category", "responsible_unit", "opinion_no", "proposal_no"),
        ),
    )
}

# Statuses the article counts: "推动解决问题24个, 转化社情民意25件".
ISSUE_RESOLVED = "已解决"
ISSUE_FORWARDED = "已转社情民意"


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str  # text | int | float | date | bool
    required: bool = False
    max_length: int = 200
    minimum: float | None = None
    maximum: float | None = None
    multiline: bool = False  # keeps line breaks (a description); other text fields are one line


# Fields of every point (besides kind, status, position and unit) and the kind-specific ones.
FIELDS: dict[str, Field] = {
    f.key: f
    for f in (
        Field("name", "名称", "text", required=True, max_length=100),
        Field("village", "村/社区", "text", max_length=50),
        Field("description", "情况说明", "text", max_length=2000, multiline=True),
        Field("opened_on", "登记日期", "date"),
        Field("resolved_on", "完成日期", "date"),
        Field("site_format", "协商形式", "text", max_length=50),
        Field("batch", "建设批次", "text", max_length=50),
        Field("depth_m", "井深(米)", "float", minimum=0, maximum=1500),
        Field("canal", "所在渠道", "text", max_length=50),
        Field("category", "问题类别", "text", max_length=50),
        Field("responsible_unit", "责任单位", "text", max_length=100),
        # The typed outcome of an issue beside its status: 已转社情民意 carries the 社情民意 number, and an issue
        # that became a 提案 (then often 已解决) its 提案 number.
        Field("opinion_no", "社情民意编号", "text", max_length=60),
        Field("proposal_no", "提案号", "text", max_length=60),
        Field("source_note", "数据来源", "text", max_length=300),
    )
}
COMMON_FIELDS: tuple[str, ...] = ("name", "village", "description", "opened_on", "resolved_on", "source_note")

# Labels of the non-field columns, for tables, exports and messages.
COLUMN_LABELS: dict[str, str] = {
    "id": "编号",
    "kind": "类型",
    "status": "状态",
    "stage": "阶段",
    "unit_code": "乡镇代码",
    "unit_name": "乡镇",
    "lon": "经度",
    "lat": "纬度",
    "sample": "演示数据",
    "external_id": "外部编号",
    "version": "版本",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "updated_by": "更新人",
    **{k: f.label for k, f in FIELDS.items()},
}

# The Xiangzhou district lies well inside this box; anything outside it is certainly a wrong coordinate.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


class ValidationError(ValueError):
    """One or more problems with a record; `messages` are Chinese and name the field and value."""

    def __init__(self, messages: list[str]):
        super().__init__("；".join(messages))
        self.messages = messages


def is_missing(value) -> bool:
    """No value at all: None, NaN (pandas' empty cell) or text with nothing but spaces."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    return False


def kind_label(kind: str) -> str:
    return KINDS[kind].label if kind in KINDS else kind


def kind_by_label(label: str) -> str | None:
    for k in KINDS.values():
        if label in (k.key, k.label):
            return k.key
    return None


def fields_for(kind: str) -> tuple[str, ...]:
    return COMMON_FIELDS + KINDS[kind].fields


def stage_of(kind: str, status: str) -> str | None:
    return KINDS[kind].stage_of(status) if kind in KINDS else None


def resolved_on_for(kind: str, status: str, resolved_on: str | None, today: str) -> tuple[str | None, str | None]:
    """The 完成日期 that fits a new status, and what was changed (Chinese) or None: a status still open has no
    completion date (a well back from 干井 to 钻井中 is not finished), a finished or closed one has one (today's,
    when none was given)."""
    stage = stage_of(kind, status)
    if stage in OPEN_STAGES and resolved_on:
        return None, f"「{status}」尚未完成，已清除原完成日期 {resolved_on}"
    if stage is not None and stage not in OPEN_STAGES and not resolved_on:
        return today, f"「{status}」已{stage[1:]}，完成日期填为 {today}"
    return resolved_on, None


def statuses_by_stage(kinds: list[str] | tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """Status labels of the given kinds (all when None), grouped by stage, without repeats."""
    grouped: dict[str, list[str]] = {s: [] for s in STAGES}
    for kind in kinds or KINDS:
        for status in KINDS[kind].statuses:
            if status.label not in grouped[status.stage]:
                grouped[status.stage].append(status.label)
    return grouped


def _bad(f: Field, value, why: str) -> str:
    return f"字段「{f.label}」的值「{value}」{why}"


# Characters nobody types on purpose that change how the text around them is shown: bidirectional overrides and
# isolates (U+202E turns the rest of a line around, in a feed or a table) and control characters.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("\\s*[\r\n\t\u2028\u2029]+\\s*")


def clean_text(value, multiline: bool = False) -> str:
    """Text as it is stored: bidi controls and control characters removed; one line unless `multiline`."""
    text = _CONTROL.sub("", _BIDI.sub("", str(value)))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return text.strip()


MAX_ID_LENGTH = 64


def check_id(value, label: str) -> tuple[str | None, str | None]:
    """An identifier as given (编号, 外部编号): (the text, None), or (None, a Chinese message) when it holds a control,
    bidi or other invisible character or is too long. Refused rather than cleaned: an id that silently changed would
    no longer match the one in the user's own system."""
    if value is None or is_missing(value) or not str(value).strip():
        return None, None
    text = str(value).strip()
    shown = clean_text(text)[:20]
    if not text.isprintable() or _BIDI.search(text):
        return None, f"字段「{label}」的值「{shown}」含有不可见的控制字符"
    if len(text) > MAX_ID_LENGTH:
        return None, f"字段「{label}」的值「{shown}…」太长（{len(text)} 字，最多 {MAX_ID_LENGTH} 字）"
    return text, None


def require_id(value, label: str = "编号") -> str | None:
    text, message = check_id(value, label)
    if message:
        raise ValidationError([message])
    return text


def _coerce(f: Field, value):
    """Return (clean value, message); empty input becomes None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip()):
        return None, (f"字段「{f.label}」不能为空" if f.required else None)
    if f.type == "text":
        text = clean_text(value, f.multiline)
        if not text:
            return None, (f"字段「{f.label}」不能为空" if f.required else None)
        if len(text) > f.max_length:
            return None, _bad(f, text[:20] + "…", f"太长（{len(text)} 字，最多 {f.max_length} 字）")
        return text, None
    if f.type in ("int", "float"):
        try:
            number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
        except ValueError:
            return None, _bad(f, value, "不是数字")
        if math.isnan(number) or math.isinf(number):
            return None, _bad(f, value, "不是有效数字")
        if f.minimum is not None and number < f.minimum or f.maximum is not None and number > f.maximum:
            return None, _bad(f, value, f"超出范围（{f.minimum:g}–{f.maximum:g}）")
        return (int(number) if f.type == "int" else number), None
    if f.type == "date":
        return parse_date(f, value)
    if f.type == "bool":
        return str(value).strip().lower() in ("1", "true", "yes", "是", "y"), None
    raise AssertionError(f.type)


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")


def parse_date(f: Field, value):
    """Dates as staff type or Excel stores them: 2023-05-01, 2023/5/1, 2023.5.1, 2023年5月1日, datetime."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), None
    if isinstance(value, dt.date):
        return value.isoformat(), None
    match = _DATE.match(str(value).strip())
    if match:
        try:
            return dt.date(*map(int, match.groups())).isoformat(), None
        except ValueError:
            pass
    return None, _bad(f, value, "不是有效日期（应为 2023-05-01 这样的格式）")


def validate_point(record: dict, unit_codes: set[str] | None = None) -> dict:
    """Check and normalise one point record; raise ValidationError listing every problem.

    `record` holds kind, status, lon, lat, unit_code (optional) and fields. Position against the district
    outline is checked by the geography layer, which knows the outline.
    """
    messages: list[str] = []
    clean: dict = {}
    kind = record.get("kind")
    kind_key = kind_by_label(str(kind)) if kind is not None else None
    if kind_key is None:
        messages.append(f"字段「类型」的值「{kind if kind is not None else ''}」无效，应为：{'、'.join(k.label for k in KINDS.values())}")
    else:
        clean["kind"] = kind_key
        status = str(record.get("status") or "").strip()
        if not status:
            messages.append("字段「状态」不能为空")
        elif KINDS[kind_key].stage_of(status) is None:
            messages.append(
                f"字段「状态」的值「{status}」不是{KINDS[kind_key].label}的状态，应为：{'、'.join(KINDS[kind_key].status_labels)}"
            )
        else:
            clean["status"] = status
    for axis, label, (low, high) in (("lon", "经度", LON_RANGE), ("lat", "纬度", LAT_RANGE)):
        value = record.get(axis)
        try:
            number = float(value)
        except (TypeError, ValueError):
            messages.append(f"字段「{label}」的值「{'' if value is None else value}」不是数字")
            continue
        if not (low <= number <= high) or math.isnan(number):
            messages.append(f"字段「{label}」的值「{value}」超出中国范围（{low}–{high}）")
            continue
        clean[axis] = number
    unit_code = record.get("unit_code")
    if unit_code not in (None, ""):
        unit_code = str(unit_code).strip()
        if unit_codes is not None and unit_code not in unit_codes:
            messages.append(f"字段「乡镇代码」的值「{unit_code}」不是本区的乡镇代码")
        clean["unit_code"] = unit_code
    for key in fields_for(kind_key) if kind_key else COMMON_FIELDS:
        value, message = _coerce(FIELDS[key], record.get(key))
        if message:
            messages.append(message)
        clean[key] = value
    if clean.get("opened_on") and clean.get("resolved_on") and clean["resolved_on"] < clean["opened_on"]:
        messages.append(
            f"字段「完成日期」的值「{clean['resolved_on']}」早于登记日期「{clean['opened_on']}」"
        )
    external, message = check_id(record.get("external_id"), COLUMN_LABELS["external_id"])
    if message:
        messages.append(message)
    elif external:
        clean["external_id"] = external
    clean["sample"] = bool(record.get("sample", False))
    if messages:
        raise ValidationError(messages)
    return clean
