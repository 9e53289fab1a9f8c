"""Moving everything from one store to another, verified: `copy(source, target)`.

Used by `python -m loaders copy --from A --to B`, by `init` of a PostGIS store (the bundled data is built as a
GeoPackage, then copied in), by `backup` of a PostGIS store (a GeoPackage snapshot is the portable backup of either
engine) and by `restore` into either engine.

Every table but `meta` (each store keeps its own data version) and `sessions` (a sign-in belongs to the server it
was made on) is copied row for row, with its row numbers, in ONE transaction on the target; before that transaction
commits, the target's per-table counts and content checksums are compared with the source's, and any difference
rolls everything back. The source is read in one consistent snapshot, so a copy taken while staff edit is coherent.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import schema
from .base import Store, StoreError

COPIED: tuple[str, ...] = tuple(t for t in schema.TABLES if t not in ("meta", "sessions"))
CHECKED: tuple[str, ...] = tuple(t for t in COPIED if t != "sessions")
LABELS = {"points": "点位", "follow_ups": "跟踪督办记录", "audit": "修改记录", "units": "乡镇（街道）",
          "unit_areas": "乡镇范围", "district_outline": "区界", "users": "用户", "member_groups": "委员活动组",
          "group_pairings": "对口联系", "members": "委员", "activities": "协商活动", "activity_members": "参加活动的委员",
          "issue_activities": "问题来源"}


class CopyError(StoreError):
    """A copy was refused or did not verify; the target is as it was."""


@dataclass
class CopyResult:
    tables: dict[str, tuple[int, str]]  # table -> (rows, SHA-256), equal in source and target

    def summary(self) -> str:
        return "，".join(f"{LABELS.get(t, t)} {n}" for t, (n, _) in self.tables.items())


def describe_contents(store: Store) -> str:
    counts = store.checksums()
    parts = [f"{LABELS[t]} {counts[t][0]}" for t in ("points", "users", "audit") if counts.get(t, (0,))[0]]
    return "、".join(parts) or "数据"


def copy(source: Store, target: Store, replace: bool = False) -> CopyResult:
    """Copy every table from `source` into `target` and verify it. A target that already holds data is refused
    unless `replace` (then its rows are deleted in the same transaction: back it up first)."""
    if source.location == target.location:
        raise CopyError(f"源和目标是同一个数据存储（{source.location}），未做任何改动")
    if not target.is_empty() and not replace:
        raise CopyError(f"目标 {target.location} 已有数据（{describe_contents(target)}），未做任何改动；"
                        "如要覆盖，请加 --force（会先把目标备份为 GeoPackage 文件）")
    with source.snapshot():
        expected = {t: v for t, v in source.checksums().items() if t in CHECKED}
        with target.transaction():
            if replace:
                target.clear()
            for table in COPIED:
                target.write_rows(table, source.read_rows(table))
            got = {t: v for t, v in target.checksums().items() if t in CHECKED}
            differences = [t for t in CHECKED if got.get(t) != expected.get(t)]
            if differences:  # raising here rolls the whole copy back
                detail = "；".join(f"{LABELS.get(t, t)}：源 {expected.get(t, (0,))[0]} 行，目标 {got.get(t, (0,))[0]} 行"
                                  f"{'，内容校验不一致' if got.get(t, (0,))[0] == expected.get(t, (0,))[0] else ''}"
                                  for t in differences)
                raise CopyError(f"复制后校验不一致，已全部撤回，目标未改动：{detail}")
    return CopyResult(expected)
