"""The store interface pages and the CLI talk to. A PostGIS backend would implement the same class."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field, replace

import pandas as pd

from ..geography import Geography


@dataclass(frozen=True)
class PointFilter:
    """What to show. Empty tuples mean 'all'. Dates compare with `opened_on` (登记日期), inclusive."""

    kinds: tuple[str, ...] = ()
    unit_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    keyword: str = ""
    date_from: str | None = None
    date_to: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    include_deleted: bool = False

    def but(self, **changes) -> "PointFilter":
        return replace(self, **changes)


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

    point_id: str
    action: str  # create | update | delete | restore | follow_up | revert | import
    user: str
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)


class Store(abc.ABC):
    """Points (demo sites, wells, bridges, issues), their follow-ups and history, units and areas."""

    # Reads -------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def points(self, where: PointFilter = PointFilter(), columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Matching points as a DataFrame with lon/lat columns, most recently created first."""

    @abc.abstractmethod
    def point(self, point_id: str, connection=None) -> dict | None: ...

    @abc.abstractmethod
    def point_by_external_id(self, external_id: str, connection=None) -> dict | None: ...

    @abc.abstractmethod
    def counts(self, where: PointFilter = PointFilter()) -> pd.DataFrame:
        """Rows of unit_code, kind, stage, status, n for the matching points."""

    @abc.abstractmethod
    def follow_ups(self, point_id: str) -> list[dict]: ...

    @abc.abstractmethod
    def history(self, point_id: str | None = None, limit: int = 200) -> pd.DataFrame: ...

    @abc.abstractmethod
    def units(self) -> pd.DataFrame: ...

    @abc.abstractmethod
    def geography(self) -> Geography: ...

    @abc.abstractmethod
    def data_version(self) -> int:
        """A number that changes whenever any data changes; pages key their caches on it."""

    # Writes: each is one transaction with its audit row ----------------------------------------------
    @abc.abstractmethod
    def transaction(self):
        """Context manager for several writes that must land together; pass it on as `connection=`."""

    @abc.abstractmethod
    def add_point(self, record: dict, user: str) -> str: ...

    @abc.abstractmethod
    def update_point(self, point_id: str, changes: dict, expected_version: int, user: str) -> dict: ...

    @abc.abstractmethod
    def delete_point(self, point_id: str, expected_version: int, user: str) -> None: ...

    @abc.abstractmethod
    def restore_point(self, point_id: str, user: str) -> None: ...

    @abc.abstractmethod
    def add_follow_up(self, point_id: str, entry: dict, expected_version: int, user: str) -> dict: ...

    @abc.abstractmethod
    def revert(self, change_fid: int, user: str) -> dict:
        """Undo one audited update (restore its 'before' values) as a new audited change with action 'revert'."""
