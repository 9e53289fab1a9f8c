"""The store contract: what pages, the CLI and the importer may ask of a store, whichever engine keeps it."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from ..filters import Filter
from ..geography import Geography
from ..units import Units

if TYPE_CHECKING:
    from .users import UserStore


class StoreError(Exception):
    """A problem the user can act on; the message is Chinese."""


class StoreUnavailable(StoreError):
    """The store itself cannot be used (missing, damaged, read-only, locked); the message says what the admin
    should do. Pages show it calmly instead of a traceback."""


class NotFoundError(StoreError):
    pass


class StaleEditError(StoreError):
    """Someone else saved the record after this edit started; `current` is their version of it."""

    def __init__(self, message: str, current: dict):
        super().__init__(message)
        self.current = current


@dataclass
class Change:
    """One audited write: who changed which fields of which point, from what to what."""

    point_id: str | None  # the point's id, or an activity's or a member's (None: a whole-table change)
    action: str  # create | update | delete | restore | follow_up | revert | activity_create | member_update …
    user: str
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)


class Store(abc.ABC):
    """Points (demo sites, wells, bridges, issues), their follow-ups and history, units and areas, and the users.

    Two engines implement it: `GeoPackageStore` (one file, the embedded default) and `PostGISStore` (a database
    several servers share). Pages, the CLI and the importer use only this interface; they never hold a driver
    connection. Every write is one transaction with its audit row and moves `data_version` on. Several writes that
    must land together run inside `with store.transaction():` -- writes (and reads) in that block, on the same
    thread, join it; an exception anywhere in it rolls all of them back.
    """

    # Where it is, for messages ------------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def location(self) -> str:
        """The file path or the database URL (without its password)."""

    # Reads -------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def points(self, where: Filter = Filter(), columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Matching points as a DataFrame with lon/lat columns, most recently created first."""

    @abc.abstractmethod
    def point(self, point_id: str) -> dict | None: ...

    @abc.abstractmethod
    def point_by_external_id(self, external_id: str) -> dict | None: ...

    @abc.abstractmethod
    def counts(self, where: Filter = Filter()) -> pd.DataFrame:
        """Rows of unit_code, kind, stage, status, n for the matching points."""

    @abc.abstractmethod
    def date_range(self) -> tuple[str, str] | None:
        """The earliest and latest 登记日期 (ISO dates) of the points that are not deleted; None when there is none."""

    @abc.abstractmethod
    def follow_ups(self, point_id: str) -> list[dict]: ...

    @abc.abstractmethod
    def status_events(self) -> pd.DataFrame:
        """`point_id, date, status` of every recorded move to a status (follow-ups and audited edits), oldest
        first: when each point entered its status, for time limits and for what was open on a past date."""

    @abc.abstractmethod
    def history(self, point_id: str | None = None, limit: int = 200) -> pd.DataFrame: ...

    @abc.abstractmethod
    def units(self) -> Units:
        """The town-level units, in display order (see loaders.units)."""

    @abc.abstractmethod
    def areas(self) -> list[dict]:
        """Unit areas: code, name, short_name, in_network, schematic, basis and a shapely geometry each."""

    @abc.abstractmethod
    def outline(self): ...

    @abc.abstractmethod
    def geography(self) -> Geography: ...

    @abc.abstractmethod
    def data_version(self) -> int:
        """A number that changes whenever any data changes; pages key their caches on it."""

    # Writes: each is one transaction with its audit row ----------------------------------------------
    @abc.abstractmethod
    def transaction(self):
        """Context manager: the writes inside it (same thread) land together or not at all."""

    @abc.abstractmethod
    def add_point(self, record: dict, user: str) -> str: ...

    @abc.abstractmethod
    def update_point(self, point_id: str, changes: dict, expected_version: int, user: str) -> dict: ...

    @abc.abstractmethod
    def delete_point(self, point_id: str, expected_version: int, user: str) -> None: ...

    @abc.abstractmethod
    def restore_point(self, point_id: str, user: str) -> None: ...

    @abc.abstractmethod
    def add_follow_up(self, point_id: str, entry: dict, expected_version: int, user: str, photos=()) -> dict: ...

    @abc.abstractmethod
    def revert(self, change_fid: int, user: str) -> dict:
        """Undo one audited update (restore its 'before' values) as a new audited change with action 'revert'."""

    @abc.abstractmethod
    def replace_areas(self, areas: dict, basis: str, user: str) -> list[str]:
        """Replace the areas of the given unit codes ({code: (multi)polygon}) with official ones named `basis`;
        returns the codes whose (schematic) area was kept. Moves data_version on (the map changes)."""

    # The consultation work: groups, members, activities and the issues they raised ---------------------------
    @abc.abstractmethod
    def member_groups(self) -> pd.DataFrame:
        """code, name, level (区直 | 乡镇), unit_code, sample: the 委员活动组."""

    @abc.abstractmethod
    def group_pairings(self) -> pd.DataFrame:
        """district_group, town_group: the 对口联系 pairing."""

    @abc.abstractmethod
    def members(self, include_deleted: bool = False) -> pd.DataFrame: ...

    @abc.abstractmethod
    def member(self, member_id: str) -> dict | None: ...

    @abc.abstractmethod
    def activities(self, include_deleted: bool = False) -> pd.DataFrame:
        """Newest first; `groups` and `departments` as tuples."""

    @abc.abstractmethod
    def activity(self, activity_id: str) -> dict | None:
        """One activity with `members` (ids) and `issues` ([(point_id, role)])."""

    @abc.abstractmethod
    def activity_members(self) -> pd.DataFrame:
        """activity_id, member_id: who took part in what."""

    @abc.abstractmethod
    def issue_activities(self, point_id: str | None = None) -> pd.DataFrame:
        """point_id, activity_id, role (提出 | 再次协商): where issues came from."""

    @abc.abstractmethod
    def add_activity(self, record: dict, user: str) -> str: ...

    @abc.abstractmethod
    def update_activity(self, activity_id: str, changes: dict, expected_version: int, user: str) -> dict: ...

    @abc.abstractmethod
    def delete_activity(self, activity_id: str, expected_version: int, user: str) -> None: ...

    @abc.abstractmethod
    def add_member(self, record: dict, user: str) -> str: ...

    @abc.abstractmethod
    def update_member(self, member_id: str, changes: dict, expected_version: int, user: str) -> dict: ...

    @abc.abstractmethod
    def delete_member(self, member_id: str, expected_version: int, user: str) -> None: ...

    @abc.abstractmethod
    def link_issue(self, point_id: str, activity_id: str, role: str, user: str) -> None: ...

    @abc.abstractmethod
    def unlink_issue(self, point_id: str, activity_id: str, user: str) -> None: ...

    @abc.abstractmethod
    def replace_groups(self, groups: list[dict], pairings: list[tuple[str, str]], user: str) -> None: ...

    # Photos of points and follow-ups -------------------------------------------------------------------------------
    @abc.abstractmethod
    def photos(self, point_id: str, include_deleted: bool = False) -> list[dict]:
        """A point's photos, oldest first: id, point_id, follow_up_fid (None: of the point itself), name, width,
        height, size, taken_at, lon, lat (from EXIF), created_at, created_by, deleted_at -- no bytes."""

    @abc.abstractmethod
    def photo(self, photo_id: str) -> dict | None: ...

    @abc.abstractmethod
    def photo_bytes(self, photo_id: str, thumb: bool = False) -> bytes | None:
        """The stored JPEG (no metadata) or its thumbnail; None when unknown or deleted."""

    @abc.abstractmethod
    def add_photo(self, point_id: str, photo, user: str, follow_up_fid: int | None = None) -> str: ...

    @abc.abstractmethod
    def delete_photo(self, photo_id: str, user: str) -> None: ...

    # Settings (what an admin sets on the admin page, e.g. time limits) -------------------------------------------
    @abc.abstractmethod
    def setting(self, key: str, lock: bool = False):
        """The value stored under `key` (parsed JSON), or None when it was never set. `lock=True` inside a
        transaction: other writers of settings wait until it ends (to check a value before replacing it)."""

    @abc.abstractmethod
    def set_setting(self, key: str, value, user: str) -> None:
        """Store a JSON value under `key`, audited (action `setting`); an unchanged value writes nothing."""

    # Whole tables: copy, backup and restore between engines ----------------------------------------------------
    @abc.abstractmethod
    def snapshot(self):
        """Context manager: reads inside it (same thread) all see one consistent state of the store."""

    @abc.abstractmethod
    def read_rows(self, table: str, columns: tuple[str, ...] | None = None):
        """The rows of a table (schema.TABLES) in canonical form, in order."""

    @abc.abstractmethod
    def write_rows(self, table: str, rows) -> int:
        """Add canonical rows to a table (inside `transaction()` for several tables at once)."""

    @abc.abstractmethod
    def is_empty(self) -> bool: ...

    @abc.abstractmethod
    def clear(self) -> None:
        """Delete every row but the store's own bookkeeping (meta)."""

    @abc.abstractmethod
    def checksums(self) -> dict[str, tuple[int, str]]:
        """{table: (rows, SHA-256 of the content)}, equal for equal data in either engine."""

    # Users and sign-in sessions ----------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def users(self) -> UserStore: ...

