"""The store: `open_store()` gives the configured backend; pages and the CLI use only the `Store` interface."""
from __future__ import annotations

from pathlib import Path

from .. import config
from .base import Change, NotFoundError, PointFilter, StaleEditError, Store, StoreError, StoreUnavailable
from .gpkg import GeoPackageStore, initialise

__all__ = ["Change", "GeoPackageStore", "NotFoundError", "PointFilter", "StaleEditError", "Store", "StoreError", "StoreUnavailable",
           "initialise", "open_store"]


def open_store(path: Path | str | None = None) -> Store:
    return GeoPackageStore(path or config.store_path())
