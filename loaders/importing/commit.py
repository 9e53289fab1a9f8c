"""Writing a plan: one transaction, all rows or (valid_only) only the good ones; upsert by external id."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..editing import Editor
from ..model import ValidationError
from ..readable import count
from ..store.base import StoreError
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
        text = f"新增 {count(len(self.created))}，更新 {count(len(self.updated))}，无变化 {count(self.unchanged)}"
        return text + (f"，未导入有误的 {self.skipped_bad} 行" if self.skipped_bad else "")


def commit(editor: Editor, plan: ImportPlan, valid_only: bool = False,
           on_row: Callable[[int], None] | None = None) -> CommitResult:
    """Write the plan's good rows through `editor` in ONE transaction (`Editor.batch`).

    With bad rows and valid_only False nothing is written and ImportRefused is raised (its `.plan` has the report).
    Rows with an external id that is already in the store update that point (from its current version, read inside
    the transaction) and only when something changed; others are added. The editor checks, at commit time, that the
    user may still write and where every row lands, so a plan made before the user lost a town writes nothing.
    When nothing needs writing no transaction is opened, so data_version stays put.
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
        result.data_version = editor.store.data_version()
        return result
    explicit = {k for k in plan.mapping} | ({"unit"} if "unit" in plan.mapping else set())
    with editor.batch() as batch:
        for n, row in enumerate(todo, start=1):
            external = row.record.get("external_id")
            if row.action == "update":  # the point the plan matched (by external id or its own id), as it is now
                current = batch.point(row.point_id)
            else:
                current = batch.point_by_external_id(external) if external else None
            try:
                if current is None:
                    result.created.append(batch.add(row.record))
                else:
                    changes = changes_against(row.record, current, explicit)
                    if changes:
                        batch.update(current["id"], changes, current["version"])
                        result.updated.append(current["id"])
                    else:
                        result.unchanged += 1
            except (StoreError, ValidationError) as error:  # the whole transaction rolls back
                raise ImportRefused(f"第 {row.row} {plan.table.row_word}：{error}；未写入任何数据", plan) from error
            if on_row is not None:
                on_row(n)
    result.data_version = editor.store.data_version()
    return result
