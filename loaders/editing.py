"""The one place where writes are permission-checked. Forms, map clicks, imports and the CLI all write through an
`Editor`; it checks the user's role and units and then delegates to the store, which validates, audits and versions
each change.

Who is writing is settled at the moment of each write, not when the page was drawn: an editor made for a sign-in
session (`Editor.for_session`) reads the session and the user's current role and units again before every write, and
one made for a named CLI user (`Editor.for_user`) reads that user again. So a user disabled, signed out, given a new
password or moved to other towns while a form is open writes nothing more. `Editor(store, user)` keeps a fixed user:
for the server operator and for tests.

Rules: nobody signed in and viewers write nothing; an editor changes only points whose unit is one of theirs, and
a point they add or move must *land* in one of their units: its unit (given, or taken from its position) and the
area its position lies in must both be theirs. Only admins revert. Refusals are `PermissionDenied` (a `StoreError`)
with a Chinese message naming the point and the unit; nothing is written.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from . import auth, deadlines
from .auth import User
from .model import ValidationError
from .store.base import NotFoundError, Store, StoreError
from .units import Units

SESSION_LOST = "登录已失效（已退出、超时、账号被停用或密码已更改），本次修改没有保存；请重新登录后再试"


class PermissionDenied(StoreError):
    """The signed-in user may not make this change; nothing was written."""


class Editor:
    def __init__(self, store: Store, user: User | None, *, session: str | None = None, recheck: bool = False):
        self.store = store
        self.user = user  # as of the last check; pages use it for labels and to show or hide controls
        self._session = session
        self._recheck = recheck
        self._unit_table: Units | None = None
        self._geography_cache = None

    @classmethod
    def for_session(cls, store: Store, token: str | None) -> Editor:
        """The editor for a sign-in session (pages): every write re-reads the session and the user."""
        return cls(store, auth.user_for_session(store, token) if token else None, session=token or "")

    @classmethod
    def for_user(cls, store: Store, name: str) -> Editor:
        """The editor for a named user (the CLI's --user): every write re-reads the user by name."""
        return cls(store, auth.active_user(store, name), recheck=True)

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
            return self._units().codes
        return tuple(self.user.units)

    def refusal(self, record: dict, current: dict | None = None, user: User | None = None) -> str | None:
        """Why `user` (default: the current one) may not write `record` -- a validated point as it will be stored
        (kind, lon, lat, unit_code, name) -- over `current` (None for a new point); None when allowed.

        The import's check uses this for every row before anything is written; the writes below use it again,
        inside their transaction, on what the store actually produced."""
        user = self.user if user is None else user
        problem = _writer_problem(user)
        if problem:
            return problem
        if user.is_admin:
            return None
        name = record.get("name") or (current or {}).get("name") or ""
        if current is not None and not user.may_edit(current.get("unit_code")):
            return f"不能修改「{name}」：它属于{self._unit_name(current.get('unit_code'))}，{self._scope(user)}"
        verb = "添加" if current is None else "移动"
        if not user.may_edit(record.get("unit_code")):
            if current is None:
                return f"不能添加「{name}」：它位于{self._unit_name(record.get('unit_code'))}，{self._scope(user)}"
            return f"不能把「{name}」移到{self._unit_name(record.get('unit_code'))}：{self._scope(user)}"
        moved = current is None or (record.get("lon"), record.get("lat")) != (current.get("lon"), current.get("lat"))
        if moved and record.get("lon") is not None and record.get("lat") is not None:
            area = self._geography().unit_at(float(record["lon"]), float(record["lat"]))
            if area not in self._areas(user):
                return (f"不能{verb}「{name}」：它的位置（{float(record['lon']):.6f}, {float(record['lat']):.6f}）"
                        f"在{self._unit_name(area)}境内，{self._scope(user)}")
        return None

    # Writes ----------------------------------------------------------------------------------------------------
    def add(self, record: dict) -> str:
        """Add a point; its unit is the one given, or the one its position falls in. The store validates first
        (so a bad or out-of-district coordinate gets its own message), then where it landed is checked before
        commit."""
        user = self._actor()
        with self.store.transaction():
            return self._add(user, record)

    def update(self, point_id: str, changes: dict, expected_version: int) -> dict:
        """Change fields (and/or move) a point. Where it lands is checked inside the same transaction, from the
        store's own result, so a move that re-derives the unit cannot slip past."""
        user = self._actor()
        with self.store.transaction():
            return self._update(user, point_id, changes, expected_version)

    @contextmanager
    def batch(self):
        """Many writes in one transaction (an import): all land or none. The user is checked once, as it starts;
        every row is still checked for where it lands."""
        user = self._actor()
        with self.store.transaction():
            yield Batch(self, user)

    def _add(self, user: User, record: dict) -> str:
        """Inside a transaction: raising after the insert rolls it back."""
        if record.get("id") and self.store.point(str(record["id"])) is not None:
            raise PermissionDenied(f"编号「{record['id']}」已被其他点位使用，新点位不能沿用")
        point_id = self.store.add_point(record, user.name)
        problem = self.refusal(self.store.point(point_id), None, user)
        if problem:
            raise PermissionDenied(problem)  # raising inside the transaction rolls the insert back
        return point_id

    def _update(self, user: User, point_id: str, changes: dict, expected_version: int) -> dict:
        """Inside a transaction: raising after the update rolls it back."""
        current = self._editable(point_id, "修改", user)
        after = self.store.update_point(point_id, changes, expected_version, user.name)
        problem = self.refusal(after, current, user)
        if problem:
            raise PermissionDenied(problem)  # raising inside the transaction rolls the update back
        return after

    def delete(self, point_id: str, expected_version: int) -> None:
        user = self._actor()
        self._editable(point_id, "删除", user)
        self.store.delete_point(point_id, expected_version, user.name)

    def restore(self, point_id: str) -> None:
        user = self._actor()
        self._editable(point_id, "恢复", user)
        self.store.restore_point(point_id, user.name)

    def add_follow_up(self, point_id: str, entry: dict, expected_version: int, photos: Sequence = ()) -> dict:
        """A dated follow-up, with its photos (`loaders.photos.Photo`), all in one transaction."""
        user = self._actor()
        self._editable(point_id, "添加督办记录到", user)
        _check_photo_count(len(photos), 0, "这条督办记录")
        return self.store.add_follow_up(point_id, entry, expected_version, user.name, photos=tuple(photos))

    def add_photos(self, point_id: str, photos: Sequence) -> list[str]:
        """Photos of the point itself (prepared by `loaders.photos.prepare`), all or none."""
        user = self._actor()
        self._editable(point_id, "添加照片到", user)
        own = [p for p in self.store.photos(point_id) if p["follow_up_fid"] is None]
        _check_photo_count(len(photos), len(own), "这个点位")
        with self.store.transaction():
            return [self.store.add_photo(point_id, photo, user.name) for photo in photos]

    def delete_photo(self, photo_id: str) -> None:
        user = self._actor()
        photo = self.store.photo(photo_id)
        if photo is None:
            raise NotFoundError(f"找不到编号为「{photo_id}」的照片")
        self._editable(photo["point_id"], "删除照片：", user)
        self.store.delete_photo(photo_id, user.name)

    def revert(self, change_id: int) -> dict:
        """Admins only: undo one audited update (see Store.revert)."""
        user = self.require_admin("撤销修改")
        return self.store.revert(change_id, user.name)

    def replace_areas(self, areas: dict, basis: str) -> list[str]:
        """Admins only: official unit areas from a boundary file (see Store.replace_areas)."""
        user = self.require_admin("替换乡镇（街道）范围")
        return self.store.replace_areas(areas, basis, user.name)

    def set_deadlines(self, limits: deadlines.Limits, expected: deadlines.Limits | None = None) -> None:
        """Store new time limits for every page, server and the 大屏. `expected`: the limits the form started from;
        refused when another admin changed them meanwhile (their change is not silently overwritten)."""
        user = self.require_admin("修改办理时限")
        with self.store.transaction():
            if expected is not None and deadlines.limits(self.store, lock=True) != expected:
                raise StoreError("另一位管理员刚刚修改了办理时限，请刷新页面查看后再改；本次修改没有保存")
            deadlines.save(self.store, limits, user.name)

    # The consultation work: activities and members follow the town rule of points ----------------------------
    def add_activity(self, record: dict) -> str:
        user = self._actor()
        with self.store.transaction():
            activity_id = self.store.add_activity(record, user.name)
            self._check_landing(self.store.activity(activity_id), None, user, "协商活动")
            return activity_id

    def update_activity(self, activity_id: str, changes: dict, expected_version: int) -> dict:
        user = self._actor()
        with self.store.transaction():
            current = self._own_record(self.store.activity(activity_id), "协商活动", activity_id, user)
            after = self.store.update_activity(activity_id, changes, expected_version, user.name)
            self._check_landing(after, current, user, "协商活动")
            return after

    def delete_activity(self, activity_id: str, expected_version: int) -> None:
        user = self._actor()
        self._own_record(self.store.activity(activity_id), "协商活动", activity_id, user, "删除")
        self.store.delete_activity(activity_id, expected_version, user.name)

    def add_member(self, record: dict) -> str:
        user = self._actor()
        with self.store.transaction():
            member_id = self.store.add_member(record, user.name)
            self._check_landing(self.store.member(member_id), None, user, "委员")
            return member_id

    def update_member(self, member_id: str, changes: dict, expected_version: int) -> dict:
        user = self._actor()
        with self.store.transaction():
            current = self._own_record(self.store.member(member_id), "委员", member_id, user)
            after = self.store.update_member(member_id, changes, expected_version, user.name)
            self._check_landing(after, current, user, "委员")
            return after

    def delete_member(self, member_id: str, expected_version: int) -> None:
        user = self._actor()
        self._own_record(self.store.member(member_id), "委员", member_id, user, "删除")
        self.store.delete_member(member_id, expected_version, user.name)

    def link_issue(self, point_id: str, activity_id: str, role: str) -> None:
        """Record where an issue came from: allowed to whoever may edit the issue point."""
        user = self._actor()
        self._editable(point_id, "关联", user)
        self.store.link_issue(point_id, activity_id, role, user.name)

    def unlink_issue(self, point_id: str, activity_id: str) -> None:
        user = self._actor()
        self._editable(point_id, "取消关联", user)
        self.store.unlink_issue(point_id, activity_id, user.name)

    def replace_groups(self, groups: list[dict], pairings: list[tuple[str, str]]) -> None:
        user = self.require_admin("修改委员活动组和对口联系")
        self.store.replace_groups(groups, pairings, user.name)

    def _own_record(self, record: dict | None, noun: str, key: str, user: User, verb: str = "修改") -> dict:
        if record is None:
            raise NotFoundError(f"找不到编号为「{key}」的{noun}")
        if not user.may_edit(record.get("unit_code")):
            title = record.get("topic") or record.get("name")
            raise PermissionDenied(f"不能{verb}{noun}「{title}」：它属于{self._unit_name(record.get('unit_code'))}，"
                                   f"{self._scope(user, noun)}")
        return record

    def _check_landing(self, record: dict, current: dict | None, user: User, noun: str) -> None:
        """Raised inside the write's transaction: the record (as stored) must be in one of the user's towns (an
        activity's position too). A member of a district-level group has no town: admins only."""
        if user.is_admin:
            return
        title = record.get("topic") or record.get("name")
        named = {(r or {}).get("group_code") for r in (record, current)} - {None}  # members only, not activities
        if named and named & self._district_groups():
            raise PermissionDenied(f"不能保存{noun}「{title}」：区直委员活动组的委员只有管理员可以新增或修改，"
                                   f"{self._scope(user, noun)}")
        if not user.may_edit(record.get("unit_code")):
            where = self._unit_name(record.get("unit_code")) if record.get("unit_code") else "区直活动组（不属于乡镇）"
            raise PermissionDenied(f"不能保存{noun}「{title}」：它属于{where}，{self._scope(user, noun)}")
        if "lon" in record and (current is None or (record["lon"], record["lat"]) != (current["lon"], current["lat"])):
            area = self._geography().unit_at(float(record["lon"]), float(record["lat"]))
            if area not in self._areas(user):
                raise PermissionDenied(f"不能保存{noun}「{title}」：它的位置在{self._unit_name(area)}境内，"
                                       f"{self._scope(user, noun)}")

    def _district_groups(self) -> set[str]:
        groups = self.store.member_groups()
        return set(groups.loc[groups["level"] == "区直", "code"])

    def require_admin(self, what: str) -> User:
        user = self._actor()
        if not user.is_admin:
            raise PermissionDenied(f"只有管理员可以{what}（当前用户「{user.name}」是{user.role_label}）")
        return user

    # Checks ----------------------------------------------------------------------------------------------------
    def _actor(self) -> User:
        """The user as they are at this moment, and a refusal unless they may write at all."""
        if self._session is not None:
            user = auth.user_for_session(self.store, self._session) if self._session else None
            if user is None:
                self.user = None
                raise PermissionDenied(SESSION_LOST)
        elif self._recheck and self.user is not None:
            try:
                user = auth.active_user(self.store, self.user.name)
            except auth.AuthError as error:
                raise PermissionDenied(f"{error}，本次修改没有保存") from None
        else:
            user = self.user
        self.user = user
        problem = _writer_problem(user)
        if problem:
            raise PermissionDenied(problem)
        return user

    def _editable(self, point_id: str, verb: str, user: User) -> dict:
        current = self.store.point(point_id)
        if current is None:
            raise NotFoundError(f"找不到编号为「{point_id}」的点位")
        if not user.may_edit(current.get("unit_code")):
            raise PermissionDenied(
                f"不能{verb}「{current['name']}」：它属于{self._unit_name(current.get('unit_code'))}，{self._scope(user)}"
            )
        return current

    def _units(self) -> Units:
        if self._unit_table is None:  # read once per editor: an import checks every row
            self._unit_table = self.store.units()
        return self._unit_table

    def _geography(self):
        if self._geography_cache is None:  # likewise: the areas a plan checks every row against
            self._geography_cache = self.store.geography()
        return self._geography_cache

    def _areas(self, user: User) -> set[str]:
        """The map areas a user's units lie in (a unit without an area of its own counts in its host's)."""
        return {self._units().area_of(code) for code in user.units}

    def _unit_name(self, code: str | None) -> str:
        if not code:
            return "区界内未划入任何乡镇的位置"
        return f"{self._units().name(code, '未知乡镇')}（{code}）"

    def _scope(self, user: User, noun: str = "点位") -> str:
        mine = "、".join(self._units().name(code) for code in user.units) or "（无）"
        return f"您（{user.name}）只能修改{mine}的{noun}"


MAX_PHOTOS = 12  # per point and per follow-up: a before/after report needs a few, not an album


def _check_photo_count(adding: int, present: int, owner: str) -> None:
    if adding + present > MAX_PHOTOS:
        raise ValidationError([f"{owner}最多保存 {MAX_PHOTOS} 张照片（已有 {present} 张，这次 {adding} 张），请少选几张"])


def _writer_problem(user: User | None) -> str | None:
    if user is None:
        return "请先登录：修改数据需要登录"
    if user.role == "viewer":
        return f"「{user.name}」是只读账号（查看），不能修改数据"
    if not user.may_write:
        return f"「{user.name}」没有可编辑的乡镇（街道），请联系管理员"
    return None


class Batch:
    """The writes of `Editor.batch()`: each joins the batch's transaction."""

    def __init__(self, editor: Editor, user: User):
        self._editor, self._user = editor, user

    def add(self, record: dict) -> str:
        return self._editor._add(self._user, record)

    def update(self, point_id: str, changes: dict, expected_version: int) -> dict:
        return self._editor._update(self._user, point_id, changes, expected_version)

    def point(self, point_id: str) -> dict | None:
        return self._editor.store.point(point_id)

    def point_by_external_id(self, external_id: str) -> dict | None:
        return self._editor.store.point_by_external_id(external_id)
