"""Importing consultation activities and members from the tables staff keep (XLSX, CSV; read by `read`, with every
check it makes on a file), with the rules of the point import: each bad row is named by its row, column and value,
and nothing is written unless every row is good -- all rows are written in one transaction through the `Editor`
(role, towns, audit, versions), then kept, or rolled back when any row failed.

A row whose 编号 is already in the store updates that record (only the columns the file has); others are new.
The columns are matched by their Chinese labels (as the export writes them) or the field keys.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from .. import consultation as cm
from .. import model
from ..cells import readable_reason, shown
from ..editing import Editor, PermissionDenied
from ..readable import count
from ..store.base import StoreError
from .core import ImportRefused, Table
from .headers import normalize

WHAT = {"activities": "协商活动", "members": "委员"}
FIELDS = {
    "activities": {**cm.ACTIVITY_FIELDS, "lon": None, "lat": None, "unit_code": None, "members": None},
    "members": dict(cm.MEMBER_FIELDS),
}
EXTRA_LABELS = {"id": ("编号", "id"), "lon": ("经度", "lon"), "lat": ("纬度", "lat"),
                "unit_code": ("乡镇代码", "乡镇", "乡镇（街道）", "unit_code"), "members": ("参加的委员", "参加委员", "members")}
PROBLEM_COLUMNS = ["行号", "列", "值", "原因"]
_FIELD_IN_MESSAGE = re.compile(r"字段「([^」]+)」")


class _RollBack(Exception):
    """Raised inside the transaction to undo every row (a bad row, or a dry run)."""


@dataclass
class RecordsResult:
    what: str  # activities | members
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    written: bool = False

    @property
    def ok(self) -> bool:
        return self.problems.empty

    def summary(self) -> str:
        noun = WHAT[self.what]
        if not self.ok:
            return f"{count(len(self.problems))} 处问题，{noun}一条也没有导入（请改正后重新导入）"
        verb = "已导入" if self.written else "检查通过，可导入"
        return f"{verb}{noun}：新增 {self.new} 条，更新 {self.updated} 条，未变 {self.unchanged} 条"


def mapping_for(table: Table, what: str) -> dict[str, str]:
    """{field key: the file's column} by exact label or key."""
    wanted = {}
    for key, spec in FIELDS[what].items():
        for alias in (spec.label if spec else None, key, *EXTRA_LABELS.get(key, ())):
            if alias:
                wanted.setdefault(normalize(alias), key)
    wanted.update({normalize(a): "id" for a in EXTRA_LABELS["id"]})
    mapping: dict[str, str] = {}
    for column in table.columns:
        key = wanted.get(normalize(column))
        if key and key not in mapping:
            mapping[key] = column
    return mapping


def import_records(editor: Editor, table: Table, what: str, dry_run: bool = False) -> RecordsResult:
    """Check every row of `table` as `what` (activities | members) and write them all, or none."""
    if what not in WHAT:
        raise ValueError(what)
    mapping = mapping_for(table, what)
    required = [f.label for key, f in FIELDS[what].items() if f is not None and f.required and key not in mapping]
    if what == "activities":
        required += [label for key, label in (("lon", "经度"), ("lat", "纬度")) if key not in mapping]
    if required and "id" not in mapping:
        raise ImportRefused(f"文件「{table.name}」缺少这些列：{'、'.join(required)}（表头应与导出的{WHAT[what]}表一致）")
    result = RecordsResult(what)
    problems: list[tuple] = _repeated_ids(table, mapping)
    units = editor.store.units()
    try:
        with editor.store.transaction():
            for position, row_number in enumerate(table.rows):
                cells = {key: table.frame.iloc[position][column] for key, column in mapping.items()}
                try:
                    _write_row(editor, what, cells, units, result)
                except (model.ValidationError, PermissionDenied, StoreError) as error:
                    messages = error.messages if isinstance(error, model.ValidationError) else [str(error)]
                    problems += [_problem(row_number, message, cells, mapping, what) for message in messages]
            if problems or dry_run:
                raise _RollBack
            result.written = True
    except _RollBack:
        pass
    if problems:
        result.problems = pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
        result.new = result.updated = result.unchanged = 0
    return result


def _write_row(editor: Editor, what: str, cells: dict, units, result: RecordsResult) -> None:
    record = {k: v for k, v in cells.items() if not model.is_missing(v)}
    unit = record.get("unit_code")
    if unit is not None:
        code = units.code_of(str(unit))
        if code is None:
            raise model.ValidationError([f"字段「乡镇代码」的值「{unit}」不是本区的乡镇（街道）"])
        record["unit_code"] = code
    key = model.require_id(record.pop("id", None)) or ""
    current = (editor.store.activity(key) if what == "activities" else editor.store.member(key)) if key else None
    if current is None or current.get("deleted_at"):
        if current is not None:
            raise StoreError(f"编号「{key}」的{WHAT[what]}已删除，不能用导入恢复")
        add = editor.add_activity if what == "activities" else editor.add_member
        add({**record, **({"id": key} if key else {})})
        result.new += 1
        return
    changes = {k: v for k, v in record.items() if _differs(k, v, current)}
    if not changes:
        result.unchanged += 1
        return
    update = editor.update_activity if what == "activities" else editor.update_member
    after = update(key, changes, current["version"])
    if after["version"] == current["version"]:
        result.unchanged += 1
    else:
        result.updated += 1


def _differs(key: str, value, current: dict) -> bool:
    if key in ("groups", "departments", "members"):
        return tuple(cm.split_list(value)) != tuple(current.get(key) or ())
    return str(value).strip() != str(current.get(key) if current.get(key) is not None else "").strip()


def _repeated_ids(table: Table, mapping: dict) -> list[tuple]:
    """Rows giving the same 编号: the second would silently overwrite the first, so both are named."""
    if "id" not in mapping:
        return []
    rows_of: dict[str, list[int]] = {}
    for row_number, value in zip(table.rows, table.frame[mapping["id"]]):
        if not model.is_missing(value) and str(value).strip():
            rows_of.setdefault(str(value).strip(), []).append(row_number)
    problems = []
    for key, rows in rows_of.items():
        for row in rows if len(rows) > 1 else ():
            others = "、".join(str(r) for r in rows if r != row)
            problems.append((row, mapping["id"], key, f"字段「编号」的值「{key}」在文件中重复：与第 {others} 行相同"))
    return problems


def _problem(row_number: int, message: str, cells: dict, mapping: dict, what: str) -> tuple:
    """(行号, 列, 值, 原因): the column is the file's own header of the field the message names."""
    label = next(iter(_FIELD_IN_MESSAGE.findall(message)), None)
    key = next((k for k, f in FIELDS[what].items() if f is not None and f.label == label), None)
    key = key or {"经度": "lon", "纬度": "lat", "乡镇代码": "unit_code", "参加的委员": "members", "编号": "id"}.get(label or "")
    column = mapping.get(key, label or "")
    value = cells.get(key) if key else None
    return row_number, column, shown(value), readable_reason(message)
