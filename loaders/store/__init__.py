"""The store: `open_store()` gives the configured engine; pages and the CLI use only the `Store` interface.

XZMAP_STORE (or `location`) is a file path -- a GeoPackage, the embedded default -- or a `postgresql://` URL for a
PostGIS database that several servers share.
"""
from __future__ import annotations

from pathlib import Path

from .. import config
from ..filters import Filter
from . import gpkg
from .base import Change, NotFoundError, StaleEditError, Store, StoreError, StoreUnavailable
from .gpkg import GeoPackageStore

__all__ = ["Change", "Filter", "GeoPackageStore", "NotFoundError", "StaleEditError", "Store",
           "StoreError", "StoreUnavailable", "initialise", "is_database_url", "open_store"]


def is_database_url(location: str | Path) -> bool:
    return str(location).startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def _refuse_other_addresses(location: Path | str) -> None:
    """A mistyped or unsupported address (postgresq://, mysql://) is not a file name to create."""
    text = str(location)
    if "://" in text and not is_database_url(text):
        raise StoreUnavailable(f"不支持的数据地址「{text.split('://', 1)[0][:20]}://…」：请填写 GeoPackage 文件路径，或 "
                               "postgresql://用户名:密码@主机:端口/数据库名")


def open_store(location: Path | str | None = None, create: bool = False) -> Store:
    """The store at `location` (default: XZMAP_STORE). `create`: an empty store is made when there is none (the
    target of a copy or a restore); otherwise a missing store is refused with what to run."""
    location = location or config.store_location()
    _refuse_other_addresses(location)
    if is_database_url(location):
        from .postgis import PostGISStore  # imported only when used: the embedded default needs no driver

        return PostGISStore(str(location), create=create)
    if create and not Path(location).exists():
        return gpkg.create_empty(Path(location))
    return GeoPackageStore(location)


def initialise(location: Path | str, geodata: Path, force: bool = False) -> tuple[str, str | None]:
    """Create the store from the bundled data if it is absent or empty; never overwrites (see the engine's
    `initialise`). Returns ("created" | "replaced" | "exists", where the old data was backed up or None)."""
    _refuse_other_addresses(location)
    if is_database_url(location):
        from . import postgis

        return postgis.initialise(str(location), geodata, force=force)
    outcome, backup = gpkg.initialise(Path(location), geodata, force=force)
    return outcome, (str(backup) if backup else None)
