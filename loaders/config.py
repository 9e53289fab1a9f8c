"""Configuration in one place: environment variables with defaults.

| variable | default | meaning |
|---|---|---|
| XZMAP_STORE | var/xiangzhou.gpkg | the store: a GeoPackage file, or a postgresql:// URL for PostGIS |
| XZMAP_GEODATA | geodata/ | bundled data used by `init` |
| XZMAP_BACKUP_DIR | var/backups/ | where backups of a PostGIS store are written |
| XZMAP_ANONYMOUS_READ | 1 | viewing without signing in (intranet default) |
| XZMAP_SESSION_MINUTES | 480 | how long a sign-in lasts |
| XZMAP_UPLOAD_MB | 20 | largest file the import page accepts |
| XZMAP_GPS_ACCURACY_M | 100 | worst phone-position accuracy 定位到我 accepts, in metres |
| XZMAP_DUPLICATE_M | 50 | a new point this close to one of its kind is shown as a possible duplicate |
| XZMAP_TIANDITU_KEY | (none) | enables the Tianditu base map; never commit it |
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default


def store_location() -> str:
    """Where the data is: a GeoPackage file path (the default) or a postgresql:// URL."""
    value = os.environ.get("XZMAP_STORE", "").strip()
    if not value:
        return str(REPO_ROOT / "var" / "xiangzhou.gpkg")
    if "://" in value:
        return value
    return str(Path(value).expanduser())


def backup_dir() -> Path:
    """Where backups of a database store go (a GeoPackage store's backups sit beside its file)."""
    return _path("XZMAP_BACKUP_DIR", REPO_ROOT / "var" / "backups")


def geodata_dir() -> Path:
    return _path("XZMAP_GEODATA", REPO_ROOT / "geodata")


def _flag(variable: str, default: bool) -> bool:
    value = os.environ.get(variable)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def anonymous_read() -> bool:
    return _flag("XZMAP_ANONYMOUS_READ", True)


def session_minutes() -> int:
    return int(os.environ.get("XZMAP_SESSION_MINUTES", "480"))


def upload_limit_bytes() -> int:
    return int(float(os.environ.get("XZMAP_UPLOAD_MB", "20")) * 1024 * 1024)


def tianditu_key() -> str | None:
    return os.environ.get("XZMAP_TIANDITU_KEY") or None


def _number(variable: str, default: float, low: float, high: float) -> float:
    """A positive number from the environment; a value that is not one (or out of range) falls back to the default."""
    try:
        value = float(os.environ.get(variable, "").strip() or default)
    except ValueError:
        return default
    return value if low <= value <= high else default


def gps_accuracy_limit_m() -> float:
    """Phone GPS outdoors reports 3-20 m; a fix from Wi-Fi or cell towers reports 100-2,000 m and would put a well in
    the next village. 100 m keeps the point in the right field and village, and the user confirms it on the map."""
    return _number("XZMAP_GPS_ACCURACY_M", 100.0, 5.0, 1000.0)


def duplicate_radius_m() -> float:
    return _number("XZMAP_DUPLICATE_M", 50.0, 1.0, 1000.0)
