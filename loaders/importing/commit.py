"""Writing a plan: one transaction, all rows or (valid_only) only the good ones; upsert by external id."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .core import ImportRefused
from .plan import ImportPlan, changes_against


@dataclass
class CommitResult:
    created: list[str] = field(default_factory=list)  # point ids
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped_bad: int = 0  # bad rows left out (valid_only)
    data_version: int | None = None

    @property
    def written(self) -> int:
        return len(self.created) + len(self.updated)

    def summary(self) -> str:
        text = f"新增 {len(self.created)}，更新 {len(self.updated)}，无变化 {self.unchanged}"
        return text + (f"，未导入有误的 {self.skipped_bad} 行" if self.skipped_bad else "")


def commit(store, plan: ImportPlan, valid_only: bool = False,
           on_row: Callable[[int], None] | None = None) -> CommitResult:
    """Write the plan's good rows in ONE store transaction, as `plan.user`.

    With bad rows and valid_only False nothing is written and ImportRefused is raised (its `.plan` has the report).
    Rows with an external id that is already in the store update that point (from its current version, read inside
    the transaction) and only when something changed; others are added. The store writes an audit row per point with
    action "create" or "update". When nothing needs writing no transaction is opened, so data_version stays put.
    `on_row(n)` is called after the n-th written row, inside the transaction (tests use it to kill the process).
    """
    if plan.file_errors:
        raise ImportRefused(plan.summary(), plan)
    bad = len(plan.bad_rows)
    if bad and not valid_only:
        raise ImportRefused(f"文件「{plan.table.name}」有 {bad} {plan.table.row_word}有误，未写入任何数据；"
                            f"请改正后重新导入，或选择“只导入无误的行”", plan)
    result = CommitResult(skipped_bad=bad)
    todo = [p for p in plan.rows if p.action != "unchanged"]
    result.unchanged = len(plan.rows) - len(todo)
    if not todo:
        result.data_version = store.data_version()
        return result
    user = plan.user
    explicit = {k for k in plan.mapping} | ({"unit"} if "unit" in plan.mapping else set())
    with store.transaction() as connection:
        for n, row in enumerate(todo, start=1):
            external = row.record.get("external_id")
            current = store.point_by_external_id(external, connection=connection) if external else None
            if current is None:
                result.created.append(store.add_point(row.record, user.name, connection=connection))
            else:
                if not user.may_edit(current.get("unit_code")):
                    raise ImportRefused(f"第 {row.row} 行：外部编号「{external}」的已有点位不在 {user.name} 可修改的乡镇，"
                                        f"未写入任何数据", plan)
                changes = changes_against(row.record, current, explicit)
                if changes:
                    store.update_point(current["id"], changes, current["version"], user.name, connection=connection)
                    result.updated.append(current["id"])
                else:
                    result.unchanged += 1
            if on_row is not None:
                on_row(n)
    result.data_version = store.data_version()
    return result
