"""The consultation work itself, as data: activities (协商活动), the members who hold them (委员), their groups
(委员活动组) and the pairing of district groups with town groups (对口联系).

What a page offers as a choice comes from the tables here, like `model.KINDS` for points. Validation returns Chinese
messages that name the field and the offending value. Members' contacts with people of their sector
(委员履职网格化) are kept as a count only: the project stores nothing about those people.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from . import clock, model
from .filters import DATE_MIN

FORMS: tuple[str, ...] = ("乡村月月谈", "社区协商议事厅", "企业发展恳谈会", "现场", "会场", "现场+会场")
CHANNELS: tuple[str, ...] = ("对口", "界别", "提案办理", "三级联动")
LEVELS: tuple[str, ...] = ("区", "市", "省")  # 区政协委员, and provincial/city members resident in the district
GROUP_LEVELS: tuple[str, ...] = ("区直", "乡镇")
SECTORS: tuple[str, ...] = (
    "中共", "民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "无党派人士", "共青团", "工会", "妇联",
    "工商联", "科技界", "经济界", "农业和农村界", "教育界", "文化艺术界", "医药卫生界", "体育界", "新闻出版界",
    "社会福利和社会保障界", "少数民族界", "宗教界", "特邀",
)
ROLES = {"raised": "提出", "discussed": "再次协商"}  # how an issue point is linked to an activity
MAX_CONTACTS = 10


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str  # text | int | date | choice | list
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()
    multiline: bool = False


ACTIVITY_FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("date", "日期", "date", required=True),
    Field("topic", "议题", "text", required=True, max_length=100),
    Field("form", "形式", "choice", required=True, choices=FORMS),
    Field("channel", "协商渠道", "choice", required=True, choices=CHANNELS),
    Field("place", "地点", "text", max_length=100),
    Field("demo_site_id", "示范点编号", "text", max_length=64),
    Field("groups", "组织的委员活动组", "list"),
    Field("departments", "参加部门", "list"),
    Field("department_count", "部门数", "int"),
    Field("expert_count", "专家人数", "int"),
    Field("public_count", "群众和利益相关方人数", "int"),
    Field("summary", "协商情况", "text", max_length=2000, multiline=True),
    Field("outcome", "协商成果", "text", max_length=2000, multiline=True),
    Field("source_note", "数据来源", "text", max_length=300),
)}
MEMBER_FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("name", "姓名", "text", required=True, max_length=20),
    Field("level", "委员级别", "choice", required=True, choices=LEVELS),
    Field("sector", "界别", "choice", required=True, choices=SECTORS),
    Field("group_code", "所在委员活动组", "text", required=True, max_length=40),
    Field("unit_code", "所在乡镇（街道）", "text", max_length=12),
    Field("contacts", "固定联系群众人数", "int"),
)}
LABELS = {**{k: f.label for k, f in ACTIVITY_FIELDS.items()}, **{k: f.label for k, f in MEMBER_FIELDS.items()},
          "id": "编号", "unit_code": "乡镇代码", "lon": "经度", "lat": "纬度", "members": "参加的委员",
          "sample": "演示数据", "version": "版本", "updated_at": "更新时间", "updated_by": "更新人"}


def _bad(f: Field, value, why: str) -> str:
    return f"字段「{f.label}」的值「{value}」{why}"


def split_list(value) -> tuple[str, ...]:
    """A list field from a list, or from text separated by 、 ， , ; ； or line breaks."""
    if value is None or model.is_missing(value):
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).replace("；", ";").replace("，", ",").replace(
        "、", ",").replace(";", ",").replace("\n", ",").split(",")
    out: list[str] = []
    for item in items:
        text = model.clean_text(item)
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _clean(f: Field, value, messages: list[str]):
    if f.type == "list":
        return split_list(value)
    if value is None or model.is_missing(value):
        if f.required:
            messages.append(f"字段「{f.label}」不能为空")
        return None
    if f.type == "date":
        date, message = model.parse_date(model.Field(f.key, f.label, "date"), value)
        if message:
            messages.append(message)
        return date
    if f.type == "int":
        try:
            number = float(str(value).strip())
        except ValueError:
            messages.append(_bad(f, value, "不是整数"))
            return None
        if not math.isfinite(number) or number != int(number) or number < 0 or number > 100_000:
            messages.append(_bad(f, value, "应为 0 或正整数"))
            return None
        return int(number)
    text = model.clean_text(value, f.multiline)
    if f.type == "choice" and text not in f.choices:
        messages.append(_bad(f, text, f"无效，应为：{'、'.join(f.choices)}"))
        return None
    if len(text) > f.max_length:
        messages.append(_bad(f, text[:20] + "…", f"太长（{len(text)} 字，最多 {f.max_length} 字）"))
        return None
    return text


def validate_activity(record: dict, group_codes: set[str], unit_codes: set[str]) -> dict:
    """Check and normalise an activity (fields above plus lon/lat/unit_code); raise model.ValidationError listing
    every problem. Its position against the district is the store's to check, which knows the outline."""
    messages: list[str] = []
    clean = {key: _clean(f, record.get(key), messages) for key, f in ACTIVITY_FIELDS.items()}
    for axis, label, (low, high) in (("lon", "经度", model.LON_RANGE), ("lat", "纬度", model.LAT_RANGE)):
        try:
            number = float(record.get(axis))
            if not low <= number <= high:
                raise ValueError
            clean[axis] = number
        except (TypeError, ValueError):
            messages.append(f"字段「{label}」的值「{record.get(axis) if record.get(axis) is not None else ''}」"
                            f"不是有效的坐标（应在 {low}–{high} 之间）")
    unit = record.get("unit_code")
    if unit not in (None, "") and str(unit) not in unit_codes:
        messages.append(f"字段「乡镇代码」的值「{unit}」不是本区的乡镇代码")
    clean["unit_code"] = str(unit) if unit not in (None, "") else None
    unknown = [g for g in clean["groups"] if g not in group_codes]
    if unknown:
        messages.append(f"字段「组织的委员活动组」中的「{'、'.join(unknown)}」不是已有的委员活动组")
    if clean["date"] and clean["date"] < DATE_MIN.isoformat():  # the first date the pages' pickers offer
        messages.append(_bad(ACTIVITY_FIELDS["date"], clean["date"], f"太早（早于 {DATE_MIN}，一线协商始于 2021 年前后）"))
    if clean["date"] and clean["date"] > (clock.today() + dt.timedelta(days=366)).isoformat():
        messages.append(_bad(ACTIVITY_FIELDS["date"], clean["date"], "太远（晚于一年以后）"))
    if clean["department_count"] is None and clean["departments"]:
        clean["department_count"] = len(clean["departments"])
    clean["sample"] = bool(record.get("sample", False))
    if messages:
        raise model.ValidationError(messages)
    return clean


def validate_member(record: dict, group_codes: set[str], unit_codes: set[str]) -> dict:
    messages: list[str] = []
    clean = {key: _clean(f, record.get(key), messages) for key, f in MEMBER_FIELDS.items()}
    if clean["group_code"] and clean["group_code"] not in group_codes:
        messages.append(_bad(MEMBER_FIELDS["group_code"], clean["group_code"], "不是已有的委员活动组"))
    if clean["unit_code"] and clean["unit_code"] not in unit_codes:
        messages.append(_bad(MEMBER_FIELDS["unit_code"], clean["unit_code"], "不是本区的乡镇代码"))
    if clean["contacts"] is not None and clean["contacts"] > MAX_CONTACTS:
        messages.append(_bad(MEMBER_FIELDS["contacts"], clean["contacts"], f"太多（每位委员固定联系 2 至 3 名群众，最多 "
                                                                            f"{MAX_CONTACTS} 名）"))
    clean["sample"] = bool(record.get("sample", False))
    if messages:
        raise model.ValidationError(messages)
    return clean
