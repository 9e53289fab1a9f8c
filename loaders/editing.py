"""The one place where writes are permission-checked. Forms, map clicks, imports and the CLI all write through
`Editor(store, user)`; it checks the user's role and units and then delegates to the store, which validates,
audits and versions each change.

Rules: nobody signed in and viewers write nothing; an editor changes only points whose unit — before and after the
change — is one of theirs (moving a point into another unit, or adding one located there, counts); only admins
revert. Refusals are `PermissionDenied` (a `StoreError`) with a Chinese message naming the point and the unit.
"""
from __future__ import annotations

from .auth import User
from .store.base import NotFoundError, Store, StoreError


class PermissionDenied(StoreError):
    """The signed-in user may not make this change; nothing was written."""


class Editor:
    def __init__(self, store: Store, user: User | None):
        self.store = store
        self.user = user

    # What the user may do (pages use these to show or hide controls) -------------------------------------------
    @property
    def may_write(self) -> bool:
        return self.user is not None and self.user.may_write

    def may_edit_point(self, point: dict | str) -> bool:
        record = self.store.point(point) if isinstance(point, str) else point
        return record is not None and self.may_write and self.user.may_edit(record.get("unit_code"))

    def editable_unit_codes(self) -> tuple[str, ...]:
        """Units this user may add points to or edit in (all units for an admin, none for a viewer)."""
        if not self.may_write:
            return ()
        if self.user.is_admin:
            return tuple(self.store.units()["code"])
        return tuple(self.user.units)

    # Writes ----------------------------------------------------------------------------------------------------
    def add(self, record: dict) -> str:
        """Add a point; its unit is the one given, or the one its position falls in. The store validates first
        (so a bad or out-of-district coordinate gets its own message), then the unit is checked before commit."""
        self._require_writer()
        if record.get("id") and self.store.point(str(record["id"])) is not None:
            raise PermissionDenied(f"编号「{record['id']}」已被其他点位使用，新点位不能沿用")
        with self.store.transaction() as connection:
            point_id = self.store.add_point(record, self.user.name, connection=connection)
            unit = self._unit_of_new(record)
            if not self.user.may_edit(unit):
                raise PermissionDenied(  # raising inside the transaction rolls the insert back
                    f"不能添加「{record.get('name') or ''}」：它位于{self._unit_name(unit)}，{self._scope()}"
                )
        return point_id

    def update(self, point_id: str, changes: dict, expected_version: int) -> dict:
        """Change fields (and/or move) a point. The unit after the change is checked inside the same transaction,
        from the store's own result, so a move that re-derives the unit cannot slip past."""
        current = self._editable(point_id, "修改")
        with self.store.transaction() as connection:
            after = self.store.update_point(point_id, changes, expected_version, self.user.name, connection=connection)
            if not self.user.may_edit(after.get("unit_code")):
                raise PermissionDenied(  # raising inside the transaction rolls the update back
                    f"不能把「{current['name']}」移到{self._unit_name(after.get('unit_code'))}：{self._scope()}"
                )
        return after

    def delete(self, point_id: str, expected_version: int) -> None:
        self._editable(point_id, "删除")
        self.store.delete_point(point_id, expected_version, self.user.name)

    def restore(self, point_id: str) -> None:
        self._editable(point_id, "恢复")
        self.store.restore_point(point_id, self.user.name)

    def add_follow_up(self, point_id: str, entry: dict, expected_version: int) -> dict:
        self._editable(point_id, "添加督办记录到")
        return self.store.add_follow_up(point_id, entry, expected_version, self.user.name)

    def revert(self, change_id: int) -> dict:
        """Admins only: undo one audited update (see Store.revert)."""
        self._require_writer()
        if not self.user.is_admin:
            raise PermissionDenied(f"只有管理员可以撤销修改（当前用户「{self.user.name}」是{self.user.role_label}）")
        return self.store.revert(change_id, self.user.name)

    # Checks ----------------------------------------------------------------------------------------------------
    def _require_writer(self) -> None:
        if self.user is None:
            raise PermissionDenied("请先登录：修改数据需要登录")
        if self.user.role == "viewer":
            raise PermissionDenied(f"「{self.user.name}」是只读账号（查看），不能修改数据")
        if not self.may_write:
            raise PermissionDenied(f"「{self.user.name}」没有可编辑的乡镇（街道），请联系管理员")

    def _editable(self, point_id: str, verb: str) -> dict:
        self._require_writer()
        current = self.store.point(point_id)
        if current is None:
            raise NotFoundError(f"找不到编号为「{point_id}」的点位")
        if not self.user.may_edit(current.get("unit_code")):
            raise PermissionDenied(
                f"不能{verb}「{current['name']}」：它属于{self._unit_name(current.get('unit_code'))}，{self._scope()}"
            )
        return current

    def _unit_of_new(self, record: dict) -> str | None:
        """The unit the store will give a new point: the one given, else the area its position falls in."""
        code = record.get("unit_code")
        code = str(code).strip() if code not in (None, "") else ""
        if code:
            return code
        try:
            lon, lat = float(record.get("lon")), float(record.get("lat"))
        except (TypeError, ValueError):
            return None
        return self.store.geography().unit_at(lon, lat)

    def _unit_name(self, code: str | None) -> str:
        if not code:
            return "区界内未划入任何乡镇的位置"
        units = self.store.units()
        names = dict(zip(units["code"], units["name"]))
        return f"{names.get(code, '未知乡镇')}（{code}）"

    def _scope(self) -> str:
        units = self.store.units()
        names = dict(zip(units["code"], units["name"]))
        mine = "、".join(names.get(code, code) for code in self.user.units) or "（无）"
        return f"您（{self.user.name}）只能修改{mine}的点位"
