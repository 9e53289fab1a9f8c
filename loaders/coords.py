"""Coordinates: datum shifts between WGS-84, GCJ-02 and BD-09, parsing what staff type, and sanity heuristics.

Everything is stored in WGS-84 (CGCS2000 is the same to within a metre here). Points picked in Gaode/WeChat/Tencent
are GCJ-02, points picked in Baidu are BD-09; `to_wgs84` brings them home, `from_wgs84` sends them out to a map.

The GCJ-02 forward formula is the public one (Krasovsky 1940 semi-axis, as in prcoords and coordtransform); its
inverse is a fixed-point iteration that converges to well under a millimetre, not the one-step "naive" inverse, which
is off by up to a few metres. BD-09 is applied on top of GCJ-02 everywhere (as prcoords/coordtransform do); GCJ-02 is
WGS-84 outside the usual China bounding box.

Functions accept floats (and return a (lon, lat) tuple of floats) or numpy arrays (and return a tuple of arrays).
Parsing errors are `CoordinateError` with a Chinese message that quotes the input, because staff read them.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = [
    "CRS_LABELS",
    "CoordinateError",
    "ParsedLonLat",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "haversine_m",
    "looks_like",
    "parse_coordinate",
    "parse_lonlat",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

# --------------------------------------------------------------------------------------------------------------------
# Coordinate systems

CRS_LABELS: dict[str, str] = {
    "wgs84": "WGS-84（GPS、天地图）",
    "cgcs2000": "CGCS2000（国家2000）",
    "gcj02": "GCJ-02（高德、腾讯、微信）",
    "bd09": "BD-09（百度地图）",
}

# Other spellings people and files use; keys are compared after lower-casing and dropping spaces, '-' and '_'.
_CRS_ALIASES: dict[str, str] = {
    "wgs84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "4490": "cgcs2000",
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "bd": "bd09",
}

# --------------------------------------------------------------------------------------------------------------------
# Constants of the public GCJ-02 / BD-09 formulas

_GCJ_A = 6378245.0  # Krasovsky 1940 semi-major axis
_GCJ_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.0060
# The usual (rough) box outside which GCJ-02 is not applied.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

_EARTH_R_M = 6371008.8  # mean Earth radius (IUGG)

# Iterative inverses stop when the forward image is within this many degrees of the target (~1 micrometre).
_INVERSE_TOL_DEG = 1e-11
_INVERSE_MAX_ITER = 30


def _prep(lon, lat) -> tuple[np.ndarray, np.ndarray, bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return x.astype(float, copy=True), y.astype(float, copy=True), scalar


def _out(x: np.ndarray, y: np.ndarray, scalar: bool):
    if scalar:
        return float(x), float(y)
    return x, y


def _out_of_china(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    inside = (x >= _CHINA_LON[0]) & (x <= _CHINA_LON[1]) & (y >= _CHINA_LAT[0]) & (y <= _CHINA_LAT[1])
    return ~inside  # NaN compares False, so NaN counts as outside and passes through unchanged


def _gcj_delta(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS-84, in degrees, evaluated at WGS-84 (x=lon, y=lat), with no China check."""
    dx, dy = x - 105.0, y - 35.0
    sq = np.sqrt(np.abs(dx))
    common = 20.0 * np.sin(6.0 * dx * np.pi) + 20.0 * np.sin(2.0 * dx * np.pi)
    dlat_m = (
        -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * sq
        + (common + 20.0 * np.sin(dy * np.pi) + 40.0 * np.sin(dy / 3.0 * np.pi)
           + 160.0 * np.sin(dy / 12.0 * np.pi) + 320.0 * np.sin(dy / 30.0 * np.pi)) * 2.0 / 3.0
    )
    dlon_m = (
        300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * sq
        + (common + 20.0 * np.sin(dx * np.pi) + 40.0 * np.sin(dx / 3.0 * np.pi)
           + 150.0 * np.sin(dx / 12.0 * np.pi) + 300.0 * np.sin(dx / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = np.radians(y)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat_m * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon_m * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _gcj_forward(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_delta(x, y)
    return x + dlon, y + dlat


def _bd_forward(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_inverse_rough(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = x - _BD_DLON, y - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _fixed_point_inverse(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    tx: np.ndarray,
    ty: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x, y) == (tx, ty) from a first guess by x -= forward(x) - target (the shift's slope is ~1e-4)."""
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = fx - tx, fy - ty
        x, y = x - ex, y - ey
        err = np.maximum(np.abs(ex), np.abs(ey))
        if not np.any(err > _INVERSE_TOL_DEG):  # NaNs never block convergence
            break
    return x, y


def wgs84_to_gcj02(lon, lat):
    """WGS-84 → GCJ-02 (the public formula). Outside China the point is returned unchanged."""
    x, y, scalar = _prep(lon, lat)
    gx, gy = _gcj_forward(x, y)
    out = _out_of_china(x, y)
    return _out(np.where(out, x, gx), np.where(out, y, gy), scalar)


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 → WGS-84 by iterating the forward formula to under a micrometre. Outside China: unchanged."""
    x, y, scalar = _prep(lon, lat)
    dlon, dlat = _gcj_delta(x, y)
    wx, wy = _fixed_point_inverse(_gcj_forward, x, y, x - dlon, y - dlat)
    out = _out_of_china(x, y)
    return _out(np.where(out, x, wx), np.where(out, y, wy), scalar)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 (Baidu's public formula, applied everywhere)."""
    x, y, scalar = _prep(lon, lat)
    return _out(*_bd_forward(x, y), scalar)


def bd09_to_gcj02(lon, lat):
    """BD-09 → GCJ-02: the usual closed-form inverse, refined by iterating the forward formula."""
    x, y, scalar = _prep(lon, lat)
    gx, gy = _fixed_point_inverse(_bd_forward, x, y, *_bd_inverse_rough(x, y))
    return _out(gx, gy, scalar)


def wgs84_to_bd09(lon, lat):
    """WGS-84 → BD-09 through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    """BD-09 → WGS-84 through GCJ-02, both steps iterative."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _identity(lon, lat):
    x, y, scalar = _prep(lon, lat)
    return _out(x, y, scalar)


_TO_WGS84: dict[str, Callable] = {
    "wgs84": _identity,
    "cgcs2000": _identity,  # same as WGS-84 to within a metre; no shift is applied
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84: dict[str, Callable] = {
    "wgs84": _identity,
    "cgcs2000": _identity,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def crs_key(crs: str) -> str:
    """The registry key ("wgs84", "cgcs2000", "gcj02", "bd09") for a name such as "GCJ-02" or "EPSG:4326"."""
    if isinstance(crs, str):
        k = re.sub(r"[\s_\-]", "", crs).lower()
        if k in _CRS_ALIASES:
            return _CRS_ALIASES[k]
    choices = "；".join(f"{k} = {v}" for k, v in CRS_LABELS.items())
    raise ValueError(f"未知的坐标系「{crs}」，可选：{choices}")


def to_wgs84(lon, lat, crs: str):
    """Convert (lon, lat) given in `crs` (a key of CRS_LABELS, or an alias) to WGS-84."""
    return _TO_WGS84[crs_key(crs)](lon, lat)


def from_wgs84(lon, lat, crs: str):
    """Convert WGS-84 (lon, lat) to `crs` (a key of CRS_LABELS, or an alias), e.g. to draw on Gaode or Baidu tiles."""
    return _FROM_WGS84[crs_key(crs)](lon, lat)


# --------------------------------------------------------------------------------------------------------------------
# Distance and heuristics


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (mean Earth radius). Floats in, float out; arrays broadcast."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    d = 2.0 * _EARTH_R_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def _floats(values) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        a = np.array([_float_or_nan(v) for v in np.ravel(np.asarray(values, dtype=object))], dtype=float)
    return a


def _float_or_nan(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def looks_like(lon_values, lat_values) -> list[str]:
    """Chinese warnings about columns that do not look like WGS-84 lon/lat in China; [] when nothing is suspicious.

    Detects (a) swapped columns (latitudes in 70–140, longitudes in 0–60) and (b) projected coordinates in metres
    (absolute values over 1000). A GCJ-02/BD-09 shift cannot be told from the values, so it is not checked.
    """
    lon, lat = _floats(lon_values), _floats(lat_values)
    warnings: list[str] = []
    n = min(lon.size, lat.size)
    lon_n, lat_n = lon[:n], lat[:n]
    both = np.isfinite(lon_n) & np.isfinite(lat_n)
    if both.any():
        swapped = both & (lat_n >= 70) & (lat_n <= 140) & (lon_n >= 0) & (lon_n <= 60)
        if swapped.sum() * 2 > both.sum():
            warnings.append(
                f"经纬度可能填反了：{int(swapped.sum())}/{int(both.sum())} 行的纬度在 70～140 之间、经度在 0～60 之间"
                f"（襄州约为经度 112、纬度 32）"
            )
    for name, arr in (("经度", lon), ("纬度", lat)):
        big = np.isfinite(arr) & (np.abs(arr) > 1000)
        if big.any():
            example = arr[big][0]
            warnings.append(
                f"{name}列有 {int(big.sum())} 个数值大于 1000（如 {example:.0f}），像是投影坐标（米），不是经纬度；"
                f"请先转换为经纬度"
            )
    return warnings


# --------------------------------------------------------------------------------------------------------------------
# Parsing what staff type


class CoordinateError(ValueError):
    """A coordinate that cannot be read; the message is Chinese and quotes the input."""


class ParsedLonLat(NamedTuple):
    lon: float
    lat: float
    # True when bare numbers were given latitude first and the order was guessed and swapped
    # (first < 60, second > 70); the UI should say so. Order stated by N/E letters or 北纬/东经 is not a guess.
    swapped: bool


_AXIS_NAMES = {"lon": "经度", "lat": "纬度"}
_AXIS_ALIASES = {"lon": "lon", "lng": "lon", "longitude": "lon", "x": "lon", "经度": "lon",
                 "lat": "lat", "latitude": "lat", "y": "lat", "纬度": "lat"}
_AXIS_LIMIT = {"lon": 180.0, "lat": 90.0}

# Hemisphere / axis words → (axis, sign); sign 0 means "a label, not a hemisphere".
_HEMI: dict[str, tuple[str, int]] = {
    "东经": ("lon", 1), "西经": ("lon", -1), "北纬": ("lat", 1), "南纬": ("lat", -1),
    "经度": ("lon", 0), "纬度": ("lat", 0),
    "LONGITUDE": ("lon", 0), "LATITUDE": ("lat", 0), "LON": ("lon", 0), "LNG": ("lon", 0), "LAT": ("lat", 0),
    "东": ("lon", 1), "西": ("lon", -1), "北": ("lat", 1), "南": ("lat", -1),
    "E": ("lon", 1), "W": ("lon", -1), "N": ("lat", 1), "S": ("lat", -1),
}
_UNIT_OF_MARK = {"°": 0, "度": 0, "'": 1, "分": 1, '"': 2, "秒": 2}
_UNIT_NAMES = ("度", "分", "秒")

# Characters that mean the same thing, mapped before/after NFKC (which turns full-width into ASCII).
_PRE_NFKC = str.maketrans({"º": "°", "˚": "°", "゜": "°", "−": "-", "–": "-", "—": "-", "　": " "})
_POST_NFKC = [("′′", '"'), ("''", '"'), ("’’", '"'), ("‘‘", '"'), ("″", '"'), ("”", '"'), ("“", '"'),
              ("′", "'"), ("’", "'"), ("‘", "'"), ("`", "'"), ("´", "'"), ("。", "."), ("：", ":")]

_hemi_alt = "|".join(sorted(map(re.escape, _HEMI), key=len, reverse=True))
_TOKEN_RE = re.compile(
    rf"(?P<hemi>{_hemi_alt})(?:\s*[:=])?"
    r"|(?P<sign>[+-])"
    r"|(?P<num>\d+(?:\.\d*)?|\.\d+)\s*(?P<mark>[°度'分\"秒])?"
    r"|(?P<pairsep>\s*[,;/、]\s*)"
    r"|(?P<space>[\s:]+)"
)


def _normalize(text: str, upper: bool = True) -> str:
    s = unicodedata.normalize("NFKC", str(text).translate(_PRE_NFKC))
    for a, b in _POST_NFKC:
        s = s.replace(a, b)
    s = s.strip()
    return s.upper() if upper else s


class _Tok(NamedTuple):
    kind: str  # hemi | sign | num | pairsep
    text: str
    value: float = 0.0
    mark: str | None = None


def _tokenize(original: str, s: str) -> list[_Tok]:
    shown = _normalize(original, upper=False)
    shown = shown if len(shown) == len(s) else s
    toks: list[_Tok] = []
    pos = 0
    while pos < len(s):
        m = _TOKEN_RE.match(s, pos)
        if not m or m.end() == pos:
            bad = shown[pos]
            raise CoordinateError(f"「{original}」无法识别：含有不认识的字符「{bad}」")
        pos = m.end()
        if m.group("hemi"):
            toks.append(_Tok("hemi", m.group("hemi")))
        elif m.group("sign"):
            toks.append(_Tok("sign", m.group("sign")))
        elif m.group("num"):
            toks.append(_Tok("num", m.group(0).strip(), float(m.group("num")), m.group("mark")))
        elif m.group("pairsep"):
            toks.append(_Tok("pairsep", m.group("pairsep").strip()))
    return toks


def _toks_text(toks: list[_Tok]) -> str:
    return " ".join(t.text for t in toks)


def _parse_one(label: str, toks: list[_Tok]) -> tuple[float, str | None]:
    """One coordinate from its tokens → (signed degrees, axis from a hemisphere/label or None). `label` is quoted."""
    axis: str | None = None
    hemi_sign = 0
    minus = False
    nums: list[_Tok] = []
    for t in toks:
        if t.kind == "pairsep":
            raise CoordinateError(f"「{label}」含有分隔符「{t.text}」，像是一对坐标，这里只要一个")
        if t.kind == "hemi":
            a, sgn = _HEMI[t.text]
            if axis is not None and a != axis:
                raise CoordinateError(f"「{label}」同时写了经度和纬度的标记")
            if sgn and hemi_sign:
                raise CoordinateError(f"「{label}」方位（N/S/E/W、东经/北纬）写了不止一次")
            axis = a
            hemi_sign = hemi_sign or sgn
        elif t.kind == "sign":
            if nums:
                raise CoordinateError(f"「{label}」正负号应写在数字前面")
            minus = minus or t.text == "-"
        else:
            nums.append(t)
    if not nums:
        raise CoordinateError(f"「{label}」没有数字")
    if minus and hemi_sign:
        raise CoordinateError(f"「{label}」不能同时使用负号和方位（N/S/E/W、东经/北纬）")

    parts = [0.0, 0.0, 0.0]
    next_unit = 0
    for i, t in enumerate(nums):
        unit = _UNIT_OF_MARK[t.mark] if t.mark else next_unit
        if unit > 2:
            raise CoordinateError(f"「{label}」数字太多：一个坐标最多是度、分、秒三项")
        if unit < next_unit:
            raise CoordinateError(f"「{label}」度、分、秒的顺序不对或重复")
        if i < len(nums) - 1 and t.value != int(t.value):
            raise CoordinateError(f"「{label}」只有最后一项（{_UNIT_NAMES[unit]}）可以带小数")
        parts[unit] = t.value
        next_unit = unit + 1
    deg, minutes, seconds = parts
    if minutes >= 60:
        raise CoordinateError(f"「{label}」分不能大于等于 60")
    if seconds >= 60:
        raise CoordinateError(f"「{label}」秒不能大于等于 60")
    value = deg + minutes / 60.0 + seconds / 3600.0
    if minus or hemi_sign < 0:
        value = -value
    if axis is not None:  # otherwise the caller checks once it knows the axis
        _check_range(label, value, axis)
    return value, axis


def _check_range(label: str, value: float, axis: str) -> None:
    limit = _AXIS_LIMIT[axis]
    if abs(value) > limit:
        raise CoordinateError(f"「{label}」{_AXIS_NAMES[axis]}超出范围（应在 -{limit:g} 到 {limit:g} 之间）")


def parse_coordinate(text: str, axis: str) -> float:
    """Parse one longitude (axis="lon") or latitude (axis="lat") as typed: decimal or degrees-minutes-seconds.

    Accepts "112.2079", "112.2079°E", "东经112.2079", "32°05′12″N", "32°05'12\\"N", "32度05分12秒", "32 05 12",
    "32°05.2′", "S 32.5", "-32.5", full-width digits and punctuation. Raises CoordinateError (Chinese message).
    """
    key = _AXIS_ALIASES.get(str(axis).strip().lower())
    if key is None:
        raise ValueError(f"未知的坐标轴「{axis}」，应为 lon（经度）或 lat（纬度）")
    original = "" if text is None else str(text).strip()
    s = _normalize(original)
    if not s:
        raise CoordinateError(f"「{original}」{_AXIS_NAMES[key]}为空，请输入坐标")
    value, found = _parse_one(original, _tokenize(original, s))
    if found is not None and found != key:
        raise CoordinateError(f"「{original}」是{_AXIS_NAMES[found]}，这里需要{_AXIS_NAMES[key]}")
    _check_range(original, value, key)
    return value


def _split_pair(original: str, toks: list[_Tok]) -> list[list[_Tok]]:
    seps = [i for i, t in enumerate(toks) if t.kind == "pairsep"]
    if seps:
        if len(seps) > 1:
            raise CoordinateError(f"「{original}」分隔符太多，应只有经度和纬度两个坐标")
        return [toks[: seps[0]], toks[seps[0] + 1:]]
    cut_msg = f"「{original}」无法分成经度和纬度两个坐标（请用逗号分隔，如 112.2079, 32.0873）"
    hemis = [i for i, t in enumerate(toks) if t.kind == "hemi"]
    if hemis:
        prefix_style = hemis[0] == 0 or (hemis[0] == 1 and toks[0].kind == "sign")
        if prefix_style:
            cuts = hemis[1:]
            groups, start = [], 0
            for c in cuts:
                c0 = c - 1 if c > 0 and toks[c - 1].kind == "sign" else c
                groups.append(toks[start:c0])
                start = c0
            groups.append(toks[start:])
        else:
            groups, start = [], 0
            for c in hemis:
                groups.append(toks[start:c + 1])
                start = c + 1
            if start < len(toks):
                groups.append(toks[start:])
        groups = [g for g in groups if g]
        if len(groups) != 2:
            raise CoordinateError(cut_msg)
        return groups
    nums = [i for i, t in enumerate(toks) if t.kind == "num"]
    if any(toks[i].mark for i in nums):
        # a new coordinate starts where a unit does not follow on from the previous one (e.g. the second "°")
        groups, start, next_unit = [], 0, 0
        for i in nums:
            t = toks[i]
            unit = _UNIT_OF_MARK[t.mark] if t.mark else next_unit
            if unit < next_unit or unit > 2:
                c0 = i - 1 if i > 0 and toks[i - 1].kind == "sign" else i
                groups.append(toks[start:c0])
                start = c0
            next_unit = unit + 1
        groups.append(toks[start:])
    else:
        if len(nums) % 2:
            raise CoordinateError(cut_msg)
        half = nums[len(nums) // 2]
        c0 = half - 1 if toks[half - 1].kind == "sign" else half
        groups = [toks[:c0], toks[c0:]]
    if len(groups) != 2 or not all(groups):
        raise CoordinateError(cut_msg)
    return groups


def parse_lonlat(text: str) -> ParsedLonLat:
    """Parse a point as typed: "112.2079, 32.0873", "112.2079 32.0873", "32°05′12″N 112°12′28″E", "北纬32.08 东经112.2".

    Order comes from N/S/E/W or 北纬/东经 when given; bare numbers are lon, lat, except that a plain latitude for
    China (< 60) followed by a plain longitude (> 70) is swapped, which the returned `swapped` flag reports.
    """
    original = "" if text is None else str(text).strip()
    s = _normalize(original)
    if not s:
        raise CoordinateError(f"「{original}」坐标为空，请输入经度和纬度，如 112.2079, 32.0873")
    toks = _tokenize(original, s)
    groups = _split_pair(original, toks)
    parsed = []
    for g in groups:
        if not any(t.kind == "num" for t in g):
            raise CoordinateError(f"「{original}」有一个坐标没有数字")
        label = _toks_text(g)
        try:
            parsed.append(_parse_one(label, g))
        except CoordinateError as e:
            raise CoordinateError(f"「{original}」：{e}") from None
    (v1, a1), (v2, a2) = parsed
    swapped = False
    if a1 is None and a2 is None:
        if 0 <= abs(v1) < 60 and 70 < abs(v2) <= 180:
            (v1, a1), (v2, a2), swapped = (v2, "lon"), (v1, "lat"), True
        else:
            a1, a2 = "lon", "lat"
    elif a1 is None:
        a1 = "lat" if a2 == "lon" else "lon"
    elif a2 is None:
        a2 = "lat" if a1 == "lon" else "lon"
    if a1 == a2:
        raise CoordinateError(f"「{original}」两个坐标都是{_AXIS_NAMES[a1]}")
    lon, lat = (v1, v2) if a1 == "lon" else (v2, v1)
    _check_range(original, lon, "lon")
    _check_range(original, lat, "lat")
    return ParsedLonLat(lon, lat, swapped)
