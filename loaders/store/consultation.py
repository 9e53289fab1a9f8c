"""The consultation work in the store, written once for both engines: groups and their pairing, members, activities,
who took part and which issue points an activity raised (`ConsultationStore`, a part of `SQLStore`).

Activities and members follow the rules of points: validated (Chinese messages naming the field), versioned with the
stale-write refusal, soft-deleted, and every write leaves an audit row (the audit's `point_id` holds the record's id,
its action says which kind of record: `activity_create`, `member_update`, `issue_link` …).
"""
from __future__ import annotations

import json
import secrets

import pandas as pd

from .. import clock, model
from .. import consultation as cm
from .base import Change, NotFoundError, StaleEditError, StoreError
from .schema import ACTIVITIES, MEMBERS

ACTIVITY_COLUMNS: tuple[str, ...] = tuple(c for c in ACTIVITIES.names)
MEMBER_COLUMNS: tuple[str, ...] = tuple(c for c in MEMBERS.names)
JSON_COLUMNS = ("groups", "departments")
GROUP_COLUMNS = ("code", "name", "level", "unit_code", "sample")
MANAGED = ("id", "sample", "version", "created_at", "updated_at", "updated_by", "deleted_at")
ACTIVITY_EDITABLE = tuple(c for c in ACTIVITY_COLUMNS if c not in MANAGED) + ("members",)
MEMBER_EDITABLE = tuple(c for c in MEMBER_COLUMNS if c not in MANAGED)


def _q(column: str) -> str:
    return f'"{column}"'


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


class ConsultationStore:
    """Mixed into SQLStore: uses its `_read`, `_write`, `_select`, `_point_geometry`, `_reference`, `_audit`,
    `JSON_IN`, `FOR_UPDATE` and `point`."""

    # Reads ------------------------------------------------------------------------------------------------------
    def member_groups(self) -> pd.DataFrame:
        with self._read() as c:
            rows = c.execute(f"SELECT {', '.join(map(_q, GROUP_COLUMNS))} FROM member_groups ORDER BY code").fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(GROUP_COLUMNS))
        frame["sample"] = frame["sample"].astype(bool)
        return frame

    def group_pairings(self) -> pd.DataFrame:
        with self._read() as c:
            rows = c.execute("SELECT district_group, town_group FROM group_pairings "
                             "ORDER BY district_group, town_group").fetchall()
        return pd.DataFrame.from_records(rows, columns=["district_group", "town_group"])

    def members(self, include_deleted: bool = False) -> pd.DataFrame:
        return self._records("members", MEMBER_COLUMNS, include_deleted, "id")

    def activities(self, include_deleted: bool = False) -> pd.DataFrame:
        return self._records("activities", ACTIVITY_COLUMNS, include_deleted, "date DESC, id")

    def _records(self, table: str, columns: tuple[str, ...], include_deleted: bool, order: str) -> pd.DataFrame:
        where = "" if include_deleted else " WHERE deleted_at IS NULL"
        with self._read() as c:
            rows = c.execute(f"SELECT {', '.join(self._select(col) for col in columns)} FROM {table}{where} "
                             f"ORDER BY {order}").fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(columns))
        frame["sample"] = frame["sample"].astype(bool)
        for column in JSON_COLUMNS:
            if column in frame:
                frame[column] = frame[column].map(lambda v: tuple(_json(v)))
        return frame

    def activity(self, activity_id: str) -> dict | None:
        """One activity with `members` (ids, in order) and `issues` ([(point_id, role)]); deleted ones too."""
        with self._read() as c:
            return self._activity(c, activity_id)

    def member(self, member_id: str) -> dict | None:
        with self._read() as c:
            return self._record(c, "members", MEMBER_COLUMNS, member_id)

    def activity_members(self) -> pd.DataFrame:
        with self._read() as c:
            rows = c.execute("SELECT activity_id, member_id FROM activity_members ORDER BY activity_id, member_id"
                             ).fetchall()
        return pd.DataFrame.from_records(rows, columns=["activity_id", "member_id"])

    def issue_activities(self, point_id: str | None = None) -> pd.DataFrame:
        sql, params = "SELECT point_id, activity_id, role FROM issue_activities", []
        if point_id is not None:
            sql, params = sql + " WHERE point_id = ?", [point_id]
        with self._read() as c:
            rows = c.execute(sql + " ORDER BY point_id, activity_id", params).fetchall()
        return pd.DataFrame.from_records(rows, columns=["point_id", "activity_id", "role"])

    def _record(self, connection, table: str, columns: tuple[str, ...], key: str, lock: bool = False) -> dict | None:
        row = connection.execute(f"SELECT {', '.join(self._select(c) for c in columns)} FROM {table} WHERE id = ?"
                                 f"{self.FOR_UPDATE if lock else ''}", (key,)).fetchone()
        if row is None:
            return None
        record = dict(zip(columns, row))
        record["sample"] = bool(record["sample"])
        for column in JSON_COLUMNS:
            if column in record:
                record[column] = tuple(_json(record[column]))
        return record

    def _activity(self, connection, activity_id: str, lock: bool = False) -> dict | None:
        record = self._record(connection, "activities", ACTIVITY_COLUMNS, activity_id, lock)
        if record is None:
            return None
        record["members"] = tuple(r[0] for r in connection.execute(
            "SELECT member_id FROM activity_members WHERE activity_id = ? ORDER BY member_id", (activity_id,)))
        record["issues"] = [tuple(r) for r in connection.execute(
            "SELECT point_id, role FROM issue_activities WHERE activity_id = ? ORDER BY point_id", (activity_id,))]
        return record

    # Validation -------------------------------------------------------------------------------------------------
    def _group_codes(self, connection) -> set[str]:
        return {r[0] for r in connection.execute("SELECT code FROM member_groups")}

    def _validated_activity(self, connection, record: dict) -> dict:
        geography, unit_codes = self._reference()
        clean = cm.validate_activity(record, self._group_codes(connection), set(unit_codes))
        problems = []
        if not geography.inside(clean["lon"], clean["lat"]):
            problems.append(geography.outside_message(clean["lon"], clean["lat"]))
        elif not clean.get("unit_code"):
            clean["unit_code"] = geography.unit_at(clean["lon"], clean["lat"])
        site = clean.get("demo_site_id")
        if site:
            point = self._point(connection, site)
            if point is None or point["kind"] != "demo_site":
                problems.append(f"字段「示范点编号」的值「{site}」不是已有示范点的编号")
        if "members" in record:
            clean["members"] = self._known_members(connection, cm.split_list(record["members"]), problems)
        if problems:
            raise model.ValidationError(problems)
        return clean

    def _known_members(self, connection, ids: tuple[str, ...], problems: list[str]) -> tuple[str, ...]:
        known = {r[0] for r in connection.execute("SELECT id FROM members WHERE deleted_at IS NULL")}
        unknown = [i for i in ids if i not in known]
        if unknown:
            shown = "、".join(unknown[:5]) + ("……" if len(unknown) > 5 else "")
            problems.append(f"字段「参加的委员」中的「{shown}」不是已有委员的编号")
        return tuple(sorted(ids))

    def _validated_member(self, connection, record: dict) -> dict:
        _, unit_codes = self._reference()
        clean = cm.validate_member(record, self._group_codes(connection), set(unit_codes))
        if not clean.get("unit_code"):
            row = connection.execute("SELECT unit_code FROM member_groups WHERE code = ?",
                                     (clean["group_code"],)).fetchone()
            clean["unit_code"] = row[0] if row else None
        return clean

    # Writes: activities -----------------------------------------------------------------------------------------
    def add_activity(self, record: dict, user: str) -> str:
        with self._write() as c:
            clean = self._validated_activity(c, {**record, "members": record.get("members", ())})
            clean["id"] = model.require_id(record.get("id")) or new_id("a")
            if self._record(c, "activities", ACTIVITY_COLUMNS, clean["id"]) is not None:
                raise StoreError(f"编号「{clean['id']}」已被其他协商活动使用")
            self._insert(c, "activities", ACTIVITY_COLUMNS, clean, user)
            self._set_members(c, clean["id"], clean["members"])
            self._audit(c, Change(clean["id"], "activity_create", user, {}, _public(clean)))
        return clean["id"]

    def update_activity(self, activity_id: str, changes: dict, expected_version: int, user: str) -> dict:
        unknown = set(changes) - set(ACTIVITY_EDITABLE)
        if unknown:
            raise StoreError(f"不能修改这些字段：{'、'.join(sorted(unknown))}")
        with self._write() as c:
            current = self._current_record(c, "activities", activity_id, expected_version)
            moved = ("lon" in changes or "lat" in changes) and "unit_code" not in changes
            merged = {**current, **changes, **({"unit_code": None} if moved else {})}
            if "members" not in changes:  # members since removed from the roll stay on a past activity
                merged.pop("members")
            clean = self._validated_activity(c, merged)
            changed = {k: clean.get(k) for k in ACTIVITY_EDITABLE
                       if k in clean and _comparable(clean.get(k)) != _comparable(current.get(k))}
            if not changed:
                return current
            self._update_row(c, "activities", activity_id, current, {k: v for k, v in changed.items()
                                                                     if k != "members"}, user)
            if "members" in changed:
                self._set_members(c, activity_id, clean["members"])
            self._audit(c, Change(activity_id, "activity_update", user,
                                  {k: _plain(current.get(k)) for k in changed}, {k: _plain(v) for k, v in changed.items()}))
            return self._activity(c, activity_id)

    def delete_activity(self, activity_id: str, expected_version: int, user: str) -> None:
        with self._write() as c:
            self._current_record(c, "activities", activity_id, expected_version)
            self._soft_delete(c, "activities", activity_id, user, "activity_delete")

    # Writes: members --------------------------------------------------------------------------------------------
    def add_member(self, record: dict, user: str) -> str:
        with self._write() as c:
            clean = self._validated_member(c, record)
            clean["id"] = model.require_id(record.get("id")) or new_id("m")
            if self._record(c, "members", MEMBER_COLUMNS, clean["id"]) is not None:
                raise StoreError(f"编号「{clean['id']}」已被其他委员使用")
            self._insert(c, "members", MEMBER_COLUMNS, clean, user)
            self._audit(c, Change(clean["id"], "member_create", user, {}, _public(clean)))
        return clean["id"]

    def update_member(self, member_id: str, changes: dict, expected_version: int, user: str) -> dict:
        unknown = set(changes) - set(MEMBER_EDITABLE)
        if unknown:
            raise StoreError(f"不能修改这些字段：{'、'.join(sorted(unknown))}")
        with self._write() as c:
            current = self._current_record(c, "members", member_id, expected_version)
            clean = self._validated_member(c, {**current, **changes})
            changed = {k: clean.get(k) for k in MEMBER_EDITABLE if k in clean and clean.get(k) != current.get(k)}
            if not changed:
                return current
            self._update_row(c, "members", member_id, current, changed, user)
            self._audit(c, Change(member_id, "member_update", user, {k: current.get(k) for k in changed}, changed))
            return self._record(c, "members", MEMBER_COLUMNS, member_id)

    def delete_member(self, member_id: str, expected_version: int, user: str) -> None:
        with self._write() as c:
            self._current_record(c, "members", member_id, expected_version)
            self._soft_delete(c, "members", member_id, user, "member_delete")

    # Writes: lineage and groups ---------------------------------------------------------------------------------
    def link_issue(self, point_id: str, activity_id: str, role: str, user: str) -> None:
        """Record that an activity raised (提出) or discussed again (再次协商) an issue point; a second call with
        another role changes the role."""
        if role not in cm.ROLES.values():
            raise model.ValidationError([f"字段「关系」的值「{role}」无效，应为：{'、'.join(cm.ROLES.values())}"])
        with self._write() as c:
            point = self._point(c, point_id, lock=True)
            if point is None or point["kind"] != "issue":
                raise NotFoundError(f"找不到编号为「{point_id}」的问题点")
            if self._record(c, "activities", ACTIVITY_COLUMNS, activity_id) is None:
                raise NotFoundError(f"找不到编号为「{activity_id}」的协商活动")
            before = c.execute("SELECT role FROM issue_activities WHERE point_id = ? AND activity_id = ?",
                               (point_id, activity_id)).fetchone()
            if before and before[0] == role:
                return
            if role == cm.ROLES["raised"]:
                other = c.execute("SELECT activity_id FROM issue_activities WHERE point_id = ? AND role = ? "
                                  "AND activity_id <> ?", (point_id, role, activity_id)).fetchone()
                if other:
                    raise StoreError(f"「{point['name']}」已记录由协商活动「{other[0]}」提出；一个问题只有一个提出它的活动，"
                                     "其余请记为「再次协商」")
            c.execute("DELETE FROM issue_activities WHERE point_id = ? AND activity_id = ?", (point_id, activity_id))
            c.execute("INSERT INTO issue_activities (point_id, activity_id, role) VALUES (?, ?, ?)",
                      (point_id, activity_id, role))
            self._audit(c, Change(point_id, "issue_link", user,
                                  {"activity_id": activity_id, "role": before[0]} if before else {},
                                  {"activity_id": activity_id, "role": role}))

    def unlink_issue(self, point_id: str, activity_id: str, user: str) -> None:
        with self._write() as c:
            before = c.execute("SELECT role FROM issue_activities WHERE point_id = ? AND activity_id = ?",
                               (point_id, activity_id)).fetchone()
            if before is None:
                raise NotFoundError(f"问题点「{point_id}」与协商活动「{activity_id}」之间没有关联")
            c.execute("DELETE FROM issue_activities WHERE point_id = ? AND activity_id = ?", (point_id, activity_id))
            self._audit(c, Change(point_id, "issue_unlink", user, {"activity_id": activity_id, "role": before[0]},
                                  {}))

    def replace_groups(self, groups: list[dict], pairings: list[tuple[str, str]], user: str) -> None:
        """The member groups and the 对口联系 pairing, replaced as a whole (an admin's table). Refused when a member
        or an activity still names a group that would go, or a pairing names a group not in the list."""
        _, unit_codes = self._reference()
        problems, codes = [], {}
        for i, group in enumerate(groups, start=1):
            code, name = model.clean_text(group.get("code") or ""), model.clean_text(group.get("name") or "")
            # Rows may come straight from member_groups(), where an empty unit reads back as NaN.
            level, unit = group.get("level"), _given(group.get("unit_code"))
            if not code or not name:
                problems.append(f"第 {i} 个活动组缺少代码或名称")
            elif code in codes:
                problems.append(f"活动组代码「{code}」重复")
            if level not in cm.GROUP_LEVELS:
                problems.append(f"活动组「{name}」的级别「{level}」无效，应为：{'、'.join(cm.GROUP_LEVELS)}")
            if unit and unit not in unit_codes:
                problems.append(f"活动组「{name}」的乡镇代码「{unit}」不是本区的乡镇代码")
            codes[code] = (code, name, level, unit, bool(_given(group.get("sample")) or False))
        for district, town in pairings:
            if codes.get(district, (None,) * 3)[2] != "区直" or codes.get(town, (None,) * 3)[2] != "乡镇":
                problems.append(f"对口联系「{district} → {town}」应由区直活动组指向乡镇活动组")
        with self._write() as c:
            used = {r[0] for r in c.execute("SELECT group_code FROM members WHERE deleted_at IS NULL")}
            for (groups_json,) in c.execute("SELECT groups FROM activities WHERE deleted_at IS NULL"):
                used |= set(_json(groups_json))
            gone = sorted(used - set(codes))
            if gone:
                problems.append(f"委员或协商活动仍属于活动组「{'、'.join(gone)}」，不能删除它")
            if problems:
                raise model.ValidationError(problems)
            before = {"groups": len(self._group_codes(c))}
            c.execute("DELETE FROM group_pairings")
            c.execute("DELETE FROM member_groups")
            c.executemany("INSERT INTO member_groups (code, name, level, unit_code, sample) VALUES (?, ?, ?, ?, ?)",
                          list(codes.values()))
            c.executemany("INSERT INTO group_pairings (district_group, town_group) VALUES (?, ?)",
                          sorted(set(pairings)))
            self._audit(c, Change(None, "groups", user, before, {"groups": len(codes), "pairings": len(set(pairings))}))

    # Shared steps -----------------------------------------------------------------------------------------------
    def _current_record(self, connection, table: str, key: str, expected_version: int) -> dict:
        columns = ACTIVITY_COLUMNS if table == "activities" else MEMBER_COLUMNS
        what = "协商活动" if table == "activities" else "委员"
        current = (self._activity(connection, key, lock=True) if table == "activities"
                   else self._record(connection, table, columns, key, lock=True))
        if current is None:
            raise NotFoundError(f"找不到编号为「{key}」的{what}")
        if int(expected_version) != current["version"]:
            title = current.get("topic") or current.get("name")
            raise StaleEditError(f"{what}「{title}」已被 {current['updated_by'] or '他人'} 于 {current['updated_at']} 修改"
                                 f"（版本 {expected_version} → {current['version']}），请核对后重新保存", current)
        return current

    def _insert(self, connection, table: str, columns: tuple[str, ...], clean: dict, user: str) -> None:
        stamp = clock.stamp()
        row = {k: clean.get(k) for k in columns if k not in MANAGED}
        row.update(id=clean["id"], sample=bool(clean.get("sample", False)), version=1, created_at=stamp,
                   updated_at=stamp, updated_by=user)
        names, marks, values = list(map(_q, row)), [], []
        for key, value in row.items():
            marks.append(self.JSON_IN if key in JSON_COLUMNS else "?")
            values.append(json.dumps(list(value), ensure_ascii=False) if key in JSON_COLUMNS else value)
        if table == "activities":
            geometry, params = self._point_geometry(clean["lon"], clean["lat"])
            names.append("geom")
            marks.append(geometry)
            values += params
        connection.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)})", values)

    def _update_row(self, connection, table: str, key: str, current: dict, changed: dict, user: str) -> None:
        assignments = {**changed, "version": current["version"] + 1, "updated_at": clock.stamp(), "updated_by": user}
        parts, values = [], []
        for column, value in assignments.items():
            parts.append(f"{_q(column)} = {self.JSON_IN if column in JSON_COLUMNS else '?'}")
            values.append(json.dumps(list(value), ensure_ascii=False) if column in JSON_COLUMNS else value)
        if table == "activities" and ("lon" in changed or "lat" in changed):
            lon, lat = changed.get("lon", current["lon"]), changed.get("lat", current["lat"])
            geometry, params = self._point_geometry(lon, lat)
            parts.append(f"geom = {geometry}")
            values += params
        connection.execute(f"UPDATE {table} SET {', '.join(parts)} WHERE id = ?", [*values, key])

    def _soft_delete(self, connection, table: str, key: str, user: str, action: str) -> None:
        stamp = clock.stamp()
        connection.execute(f"UPDATE {table} SET deleted_at = ?, version = version + 1, updated_at = ?, updated_by = ? "
                           "WHERE id = ?", (stamp, stamp, user, key))
        self._audit(connection, Change(key, action, user, {"deleted_at": None}, {"deleted_at": stamp}))

    def _set_members(self, connection, activity_id: str, members: tuple[str, ...]) -> None:
        connection.execute("DELETE FROM activity_members WHERE activity_id = ?", (activity_id,))
        connection.executemany("INSERT INTO activity_members (activity_id, member_id) VALUES (?, ?)",
                               [(activity_id, m) for m in members])


def _json(value) -> list:
    if value is None or value == "":
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


def _comparable(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _public(clean: dict) -> dict:
    return {k: _plain(v) for k, v in clean.items() if k not in ("created_at", "updated_at", "updated_by", "version")}


def _given(value):
    """A cell's value, or None when it is empty (None, "", NaN)."""
    return None if model.is_missing(value) else value
