"""Tests for loaders.coords: datum shifts against published implementations, parsing, distance, heuristics.

Reference packages (dev requirements): prcoords==1.0.2 (same Krasovsky constants as ours: must agree to 1 mm)
and eviltransform==0.1.1 (uses the WGS-84 semi-axis, so it differs by up to ~1 cm at ~600 m of shift).
"""
from __future__ import annotations

import math
import warnings

import eviltransform
import numpy as np
import prcoords
import pytest

from loaders import coords as C
from loaders.coords import CoordinateError, parse_coordinate, parse_lonlat

# --------------------------------------------------------------------------------------------------------------------
# Sample points: a grid over Xiangzhou plus a few cities elsewhere in China

_XZ = [(lon, lat) for lon in np.linspace(111.8, 112.6, 9) for lat in np.linspace(31.8, 32.5, 8)]
_CHINA = [
    (116.3913, 39.9075),  # Beijing
    (121.4737, 31.2304),  # Shanghai
    (113.2644, 23.1291),  # Guangzhou
    (104.0665, 30.5728),  # Chengdu
    (87.6168, 43.8256),  # Urumqi
    (126.6424, 45.7567),  # Harbin
    (110.3312, 20.0311),  # Haikou
    (91.1409, 29.6456),  # Lhasa
    (114.3054, 30.5931),  # Wuhan
]
POINTS = _XZ + _CHINA
LON = np.array([p[0] for p in POINTS])
LAT = np.array([p[1] for p in POINTS])
OUTSIDE = [(-0.1276, 51.5072), (2.3522, 48.8566), (-74.006, 40.7128), (139.6917, 35.6895), (151.2093, -33.8688)]


def _dist(a, b) -> float:
    return C.haversine_m(a[0], a[1], b[0], b[1])


# --------------------------------------------------------------------------------------------------------------------
# Forward transforms against the references


def test_wgs_to_gcj_matches_prcoords_within_1mm():
    gx, gy = C.wgs84_to_gcj02(LON, LAT)
    worst = max(_dist((gx[i], gy[i]), prcoords.wgs_gcj((LAT[i], LON[i]))[::-1]) for i in range(len(LON)))
    assert worst < 0.001


def test_wgs_to_gcj_matches_eviltransform_within_2cm():
    # eviltransform divides by the WGS-84 semi-axis instead of Krasovsky's: ~1.7e-5 of the ~600 m shift.
    worst = 0.0
    for lon, lat in POINTS:
        ref_lat, ref_lon = eviltransform.wgs2gcj(lat, lon)
        worst = max(worst, _dist(C.wgs84_to_gcj02(lon, lat), (ref_lon, ref_lat)))
    assert worst < 0.015


def test_gcj_shift_in_xiangzhou_is_about_600_m_ese():
    lon, lat = 112.2079, 32.0873
    glon, glat = C.wgs84_to_gcj02(lon, lat)
    assert 500 < _dist((lon, lat), (glon, glat)) < 700
    assert 0.004 < glon - lon < 0.008  # east
    assert -0.004 < glat - lat < 0  # a little south


def test_gcj_to_bd_matches_references():
    worst = 0.0
    for lon, lat in POINTS:
        b = C.gcj02_to_bd09(lon, lat)
        worst = max(worst, _dist(b, prcoords.gcj_bd((lat, lon))[::-1]))
        ref_lat, ref_lon = eviltransform.gcj2bd(lat, lon)
        worst = max(worst, _dist(b, (ref_lon, ref_lat)))
    assert worst < 0.001


def test_wgs_to_bd_matches_prcoords():
    worst = max(_dist(C.wgs84_to_bd09(lon, lat), prcoords.wgs_bd((lat, lon))[::-1]) for lon, lat in POINTS)
    assert worst < 0.001


# --------------------------------------------------------------------------------------------------------------------
# Inverses


def test_gcj_round_trip_within_half_metre_and_in_fact_millimetres():
    gx, gy = C.wgs84_to_gcj02(LON, LAT)
    wx, wy = C.gcj02_to_wgs84(gx, gy)
    err = C.haversine_m(LON, LAT, wx, wy)
    assert err.max() < 0.001
    # and the other way round: gcj -> wgs -> gcj
    gx2, gy2 = C.wgs84_to_gcj02(*C.gcj02_to_wgs84(LON, LAT))
    assert C.haversine_m(LON, LAT, gx2, gy2).max() < 0.001
    assert np.abs(gx2 - LON).max() < 1e-7 and np.abs(gy2 - LAT).max() < 1e-7


def test_iterative_inverse_beats_naive_inverse():
    naive_worst = ours_worst = 0.0
    for lon, lat in POINTS:
        g = C.wgs84_to_gcj02(lon, lat)
        naive = prcoords.gcj_wgs((g[1], g[0]))  # one-step inverse: wgs ≈ gcj - (f(gcj) - gcj)
        naive_worst = max(naive_worst, _dist((naive.lon, naive.lat), (lon, lat)))
        ours_worst = max(ours_worst, _dist(C.gcj02_to_wgs84(*g), (lon, lat)))
    assert naive_worst > 0.5  # the naive inverse is metres off here
    assert ours_worst < 0.001 < naive_worst


def test_gcj_inverse_agrees_with_reference_exact_inverses():
    for lon, lat in POINTS:
        w = C.gcj02_to_wgs84(lon, lat)
        assert _dist(w, prcoords.gcj_wgs_bored((lat, lon))[::-1]) < 0.01
        ref_lat, ref_lon = eviltransform.gcj2wgs_exact(lat, lon)
        assert _dist(w, (ref_lon, ref_lat)) < 0.2  # its threshold is 1e-6 degree on a 1 cm forward difference


def test_bd_round_trips_within_half_metre():
    worst = 0.0
    for lon, lat in POINTS:
        worst = max(worst, _dist(C.bd09_to_gcj02(*C.gcj02_to_bd09(lon, lat)), (lon, lat)))
        worst = max(worst, _dist(C.bd09_to_wgs84(*C.wgs84_to_bd09(lon, lat)), (lon, lat)))
        worst = max(worst, _dist(C.wgs84_to_bd09(*C.bd09_to_wgs84(lon, lat)), (lon, lat)))
    assert worst < 0.001


def test_scalars_give_floats_and_arrays_give_arrays():
    out = C.wgs84_to_gcj02(112.2, 32.0)
    assert isinstance(out, tuple) and all(type(v) is float for v in out)
    ax, ay = C.bd09_to_wgs84(LON, LAT)
    assert isinstance(ax, np.ndarray) and ax.shape == LON.shape
    for i in (0, len(LON) - 1):
        assert C.bd09_to_wgs84(LON[i], LAT[i]) == pytest.approx((ax[i], ay[i]), abs=1e-12)


def test_nan_passes_through():
    x, y = C.gcj02_to_wgs84(np.array([112.2, np.nan]), np.array([32.0, np.nan]))
    assert math.isnan(x[1]) and math.isnan(y[1]) and not math.isnan(x[0])


@pytest.mark.parametrize("lon,lat", OUTSIDE)
def test_outside_china_gcj_is_wgs(lon, lat):
    assert C.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert C.gcj02_to_wgs84(lon, lat) == (lon, lat)
    ref_lat, ref_lon = eviltransform.wgs2gcj(lat, lon)
    assert (ref_lon, ref_lat) == (lon, lat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tuple(prcoords.wgs_gcj((lat, lon))) == (lat, lon)


# --------------------------------------------------------------------------------------------------------------------
# Registry


def test_crs_registry_and_dispatch():
    assert set(C.CRS_LABELS) == {"wgs84", "cgcs2000", "gcj02", "bd09"}
    assert "高德" in C.CRS_LABELS["gcj02"] and "百度" in C.CRS_LABELS["bd09"]
    p = (112.2079, 32.0873)
    for crs in C.CRS_LABELS:
        assert _dist(C.to_wgs84(*C.from_wgs84(*p, crs), crs), p) < 0.001
    assert C.to_wgs84(*p, "cgcs2000") == p
    assert C.to_wgs84(*p, "wgs84") == p
    assert C.to_wgs84(*p, "gcj02") == C.gcj02_to_wgs84(*p)
    assert C.from_wgs84(*p, "bd09") == C.wgs84_to_bd09(*p)
    assert C.to_wgs84(*p, "GCJ-02") == C.to_wgs84(*p, "gcj02")
    assert C.to_wgs84(*p, "EPSG:4490") == p


def test_unknown_crs_is_value_error_in_chinese():
    with pytest.raises(ValueError, match="未知的坐标系「utm50」"):
        C.to_wgs84(112.0, 32.0, "utm50")
    with pytest.raises(ValueError, match="未知的坐标系"):
        C.from_wgs84(112.0, 32.0, "")


# --------------------------------------------------------------------------------------------------------------------
# Distance and heuristics


def test_haversine():
    assert C.haversine_m(112.0, 32.0, 112.0, 32.0) == 0.0
    # one degree of latitude on the mean sphere
    assert C.haversine_m(112.0, 32.0, 112.0, 33.0) == pytest.approx(111195.08, rel=1e-6)
    d = C.haversine_m(np.array([112.0, 112.0]), np.array([32.0, 32.0]), 112.0, np.array([32.0, 33.0]))
    assert d.shape == (2,) and d[0] == 0.0


def test_looks_like():
    assert C.looks_like([112.1, 112.3], [32.0, 32.2]) == []
    assert C.looks_like([], []) == []
    w = C.looks_like([32.0, 32.2, None], [112.1, 112.3, None])
    assert len(w) == 1 and "填反" in w[0]
    w = C.looks_like([38_512_345.0, 38_512_400.0], [3_551_234.0, 3_551_300.0])
    assert len(w) == 2 and all("投影" in m and "米" in m for m in w)
    w = C.looks_like(["112.1", "x"], ["32.0", ""])
    assert w == []


# --------------------------------------------------------------------------------------------------------------------
# Parsing

_LAT = 32 + 5 / 60 + 12 / 3600  # 32°05′12″
_LON = 112 + 12 / 60 + 28 / 3600  # 112°12′28″


@pytest.mark.parametrize(
    "text,axis,expected",
    [
        ("112.2079", "lon", 112.2079),
        ("112.2079°E", "lon", 112.2079),
        ("东经112.2079", "lon", 112.2079),
        ("E 112.2079", "lon", 112.2079),
        ("112.2079 e", "lon", 112.2079),
        ("32°05′12″N", "lat", _LAT),
        ("32°05'12\"N", "lat", _LAT),
        ("32°05'12''N", "lat", _LAT),
        ("32º05’12”N", "lat", _LAT),
        ("32度05分12秒", "lat", _LAT),
        ("北纬32度05分12秒", "lat", _LAT),
        ("32 05 12", "lat", _LAT),
        ("32:05:12", "lat", _LAT),
        ("32°05.2′", "lat", 32 + 5.2 / 60),
        ("N32°05′12″", "lat", _LAT),
        ("３２°０５′１２″Ｎ", "lat", _LAT),
        ("３２．０８７３", "lat", 32.0873),
        ("  32.0873  ", "lat", 32.0873),
        ("-32.5", "lat", -32.5),
        ("32.5S", "lat", -32.5),
        ("南纬32.5", "lat", -32.5),
        ("西经74.006", "lon", -74.006),
        ("112°12′28″E", "lon", _LON),
        ("纬度：32.0873", "lat", 32.0873),
        ("90", "lat", 90.0),
        ("180°W", "lon", -180.0),
    ],
)
def test_parse_coordinate_accepts(text, axis, expected):
    value = parse_coordinate(text, axis)
    assert type(value) is float
    assert value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "text,axis,fragment",
    [
        ("32°65′", "lat", "「32°65′」分不能大于等于 60"),
        ("32°05′60″", "lat", "「32°05′60″」秒不能大于等于 60"),
        ("32 60", "lat", "分不能大于等于 60"),
        ("95°N", "lat", "「95°N」纬度超出范围"),
        ("91", "lat", "纬度超出范围"),
        ("181", "lon", "经度超出范围"),
        ("", "lat", "为空"),
        ("   ", "lon", "为空"),
        ("abc", "lat", "「abc」无法识别"),
        ("32.0873x", "lat", "不认识的字符「x」"),
        ("32.5°05′", "lat", "只有最后一项"),
        ("32′05°", "lat", "顺序不对"),
        ("32 05 12 07", "lat", "数字太多"),
        ("112.2079°E", "lat", "是经度，这里需要纬度"),
        ("北纬32", "lon", "是纬度，这里需要经度"),
        ("-32.5S", "lat", "不能同时使用负号和方位"),
        ("N32S", "lat", "不止一次"),
        ("N", "lat", "没有数字"),
        ("112.2, 32.1", "lon", "像是一对坐标"),
    ],
)
def test_parse_coordinate_rejects_with_chinese_message(text, axis, fragment):
    with pytest.raises(CoordinateError) as err:
        parse_coordinate(text, axis)
    assert fragment in str(err.value)
    assert f"「{text.strip()}」" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_parse_coordinate_unknown_axis():
    with pytest.raises(ValueError, match="未知的坐标轴"):
        parse_coordinate("32", "z")


@pytest.mark.parametrize(
    "text,lon,lat,swapped",
    [
        ("112.2079, 32.0873", 112.2079, 32.0873, False),
        ("112.2079,32.0873", 112.2079, 32.0873, False),
        ("112.2079 32.0873", 112.2079, 32.0873, False),
        ("112.2079，32.0873", 112.2079, 32.0873, False),
        ("112.2079；32.0873", 112.2079, 32.0873, False),
        ("32.0873, 112.2079", 112.2079, 32.0873, True),
        ("32.0873 112.2079", 112.2079, 32.0873, True),
        ("32°05′12″N 112°12′28″E", _LON, _LAT, False),
        ("112°12′28″E, 32°05′12″N", _LON, _LAT, False),
        ("N32°05′12″ E112°12′28″", _LON, _LAT, False),
        ("32 05 12 N 112 12 28 E", _LON, _LAT, False),
        ("北纬32度05分12秒 东经112度12分28秒", _LON, _LAT, False),
        ("32°05′12″ 112°12′28″", _LON, _LAT, True),
        ("112 12 28 32 05 12", _LON, _LAT, False),
        ("32°N 112°W", -112.0, 32.0, False),
        ("经度:112.2 纬度:32.1", 112.2, 32.1, False),
        ("-74.006, 40.7128", -74.006, 40.7128, False),
        ("10.5, 20.5", 10.5, 20.5, False),  # neither plainly lat nor plainly lon: keep lon, lat
    ],
)
def test_parse_lonlat(text, lon, lat, swapped):
    got = parse_lonlat(text)
    assert got.lon == pytest.approx(lon, abs=1e-12)
    assert got.lat == pytest.approx(lat, abs=1e-12)
    assert got.swapped is swapped
    x, y, _ = got  # unpacks as a plain tuple too
    assert type(x) is float and type(y) is float


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "坐标为空"),
        ("112.2079", "无法分成经度和纬度两个坐标"),
        ("1, 2, 3", "分隔符太多"),
        ("112.2, 95", "纬度超出范围"),
        ("E112 E113", "两个坐标都是经度"),
        ("32°65′N 112°E", "分不能大于等于 60"),
        ("hello world", "无法识别"),
        ("112.2, ", "没有数字"),
    ],
)
def test_parse_lonlat_rejects(text, fragment):
    with pytest.raises(CoordinateError) as err:
        parse_lonlat(text)
    assert fragment in str(err.value)
    assert f"「{text.strip()}」" in str(err.value)


def test_parsed_dms_point_converts():
    p = parse_lonlat("32°05′12″N 112°12′28″E")
    w = C.to_wgs84(p.lon, p.lat, "gcj02")
    assert 400 < C.haversine_m(p.lon, p.lat, *w) < 800
