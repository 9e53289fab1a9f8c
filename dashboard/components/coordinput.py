"""Typing or clicking a position: decimal WGS-84, degrees-minutes-seconds, or values picked in Gaode (GCJ-02) or
Baidu (BD-09), converted to WGS-84 and checked against the district before anything is saved.

`resolve()` is plain logic (tested without Streamlit); `widget()` draws the coordinate system selector, the input and
the result, and keeps the candidate position in session state so the map can show it for confirmation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

from loaders import config, coords
from loaders.geography import Geography
from loaders.readable import count

from . import locate
from .safe import md_text

PLACEHOLDER = "如 112.2079, 32.0873 或 32°05′12″N 112°12′28″E"
CENTER_REQUEST = "_xz_edit_center"  # the editing map centres on this (lon, lat) once
HELP = ("可输入十进制度（经度在前）、度分秒（32°05′12″N 112°12′28″E、北纬32度05分12秒）。"
        "在高德、腾讯、微信里取的坐标请选 GCJ-02，在百度地图里取的选 BD-09，系统会换算为 WGS-84 保存。")


@dataclass(frozen=True)
class Position:
    """A candidate position in WGS-84, where it came from, and whether the district accepts it."""

    lon: float
    lat: float
    source: str  # what the user gave, for the confirmation line
    unit_code: str | None
    inside: bool
    message: str | None = None  # why it is refused (outside the district), Chinese
    note: str | None = None  # something the user should know (order swapped, converted from GCJ-02 …)


def check(lon: float, lat: float, geography: Geography, source: str, note: str | None = None) -> Position:
    lon, lat = round(float(lon), 7), round(float(lat), 7)
    if not geography.inside(lon, lat):
        return Position(lon, lat, source, None, False, geography.outside_message(lon, lat), note)
    return Position(lon, lat, source, geography.unit_at(lon, lat), True, None, note)


def resolve(text: str, crs: str, geography: Geography) -> Position:
    """Parse what was typed in `crs`, convert to WGS-84 and check it; raises coords.CoordinateError (Chinese)."""
    parsed = coords.parse_lonlat(text)
    notes = []
    if parsed.swapped:
        notes.append(f"按“纬度, 经度”理解：经度 {parsed.lon:g}，纬度 {parsed.lat:g}")
    key = coords.crs_key(crs)
    lon, lat = coords.to_wgs84(parsed.lon, parsed.lat, key)
    if key in ("gcj02", "bd09"):
        shift = coords.haversine_m(parsed.lon, parsed.lat, lon, lat)
        notes.append(f"已从 {coords.CRS_LABELS[key]} 换算为 WGS-84（偏移约 {shift:.0f} 米）")
    return check(lon, lat, geography, f"{text.strip()}（{coords.CRS_LABELS[key]}）", "；".join(notes) or None)


def from_click(lat: float, lng: float, geography: Geography, gcj02_map: bool) -> Position:
    """A click on the map (in GCJ-02 when the base map is Gaode) as a WGS-84 candidate."""
    lon, lat = float(lng), float(lat)
    note = None
    if gcj02_map:
        lon, lat = coords.gcj02_to_wgs84(lon, lat)
        note = "高德底图上的点击已换算为 WGS-84"
    return check(lon, lat, geography, "地图点击", note)


def from_fix(fix: locate.Fix, geography: Geography, limit_m: float) -> Position | str:
    """The phone's position as a candidate, or why it cannot be used (Chinese). Browsers report WGS-84."""
    if fix.error:
        return fix.message or locate.REFUSALS["unavailable"]
    if fix.accuracy_m > limit_m:
        shown = f"约 {count(math.ceil(fix.accuracy_m))} 米" if fix.accuracy_m < 100_000 else "超过 100 公里"
        return (f"手机定位精度{shown}，粗于 {count(limit_m)} 米的要求，没有采用。"
                "请到室外开阔处稍等片刻再点「定位到我」，或在地图上点选、输入坐标。")
    return check(fix.lon, fix.lat, geography, f"手机定位（精度约 {count(fix.accuracy_m)} 米）")


def candidate(prefix: str) -> Position | None:
    return st.session_state.get(f"{prefix}_candidate")


def set_candidate(prefix: str, position: Position | None) -> None:
    st.session_state[f"{prefix}_candidate"] = position
    st.session_state.pop(f"{prefix}_error", None)


def _apply(prefix: str, geography: Geography) -> None:
    ss = st.session_state
    try:
        position = resolve(ss.get(f"{prefix}_text") or "", ss.get(f"{prefix}_crs") or "wgs84", geography)
    except coords.CoordinateError as error:
        ss[f"{prefix}_candidate"] = None
        ss[f"{prefix}_error"] = f"坐标无法识别：{error}"
        return
    set_candidate(prefix, position)
    ss[CENTER_REQUEST] = (position.lon, position.lat)


def locate_here(prefix: str, geography: Geography) -> None:
    """The 定位到我 button: a usable fix becomes the candidate (the map centres on it), a refusal is said."""
    fix = locate.button(f"{prefix}_locate")
    if fix is None:
        return
    position = from_fix(fix, geography, config.gps_accuracy_limit_m())
    if isinstance(position, str):
        set_candidate(prefix, None)
        st.session_state[f"{prefix}_error"] = position
    else:
        set_candidate(prefix, position)
        st.session_state[CENTER_REQUEST] = (position.lon, position.lat)
    st.rerun()  # the map above was drawn before the fix arrived


def widget(prefix: str, geography: Geography, unit_names: dict[str, str]) -> Position | None:
    """The coordinate input; returns the current candidate (located, typed or clicked), shown on the map by the
    caller."""
    locate_here(prefix, geography)
    error = st.session_state.get(f"{prefix}_error")
    if error:
        st.error(md_text(error))
    st.selectbox("坐标系", list(coords.CRS_LABELS), format_func=coords.CRS_LABELS.get, key=f"{prefix}_crs",
                 help="坐标是从哪里取得的。GCJ-02 与 WGS-84 在襄州相差约 600 米。")
    st.text_input("经纬度", key=f"{prefix}_text", placeholder=PLACEHOLDER, help=HELP)
    st.button("在地图上显示", key=f"{prefix}_show", on_click=_apply, args=(prefix, geography),
              icon=":material/pin_drop:")
    return show(candidate(prefix), unit_names)


def show(position: Position | None, unit_names: dict[str, str]) -> Position | None:
    if position is None:
        st.caption("在上方输入坐标，或直接在地图上点击位置。")
        return None
    line = f"WGS-84：{position.lon:.6f}, {position.lat:.6f}　来源：{position.source}"
    if position.note:
        line += f"　（{position.note}）"
    if position.inside:
        unit = unit_names.get(position.unit_code, position.unit_code or "未划入乡镇的区域")
        st.success(md_text(f"{line}　所在乡镇：{unit}。地图上的十字标记即此位置，请核对。"))
    else:
        st.error(md_text(f"{position.message}。不能保存到这里。{line}"))
    return position
