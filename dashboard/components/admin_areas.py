"""乡镇范围: what the unit areas are based on now, and replacing the schematic areas with an official boundary file
(upload → choose the name/code field → preview of matches and unmatched → confirm → importing.replace_areas)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from loaders.importing import ImportFileError, replace_areas
from loaders.importing.core import too_large
from loaders.importing.files import detect_format
from loaders.importing.vector import read_polygons
from loaders.store.base import StoreError
from loaders.units import Units

from .. import data
from . import importer, safe, session

UPLOAD_KEY = "adm_areas_upload"
BOUNDARY_TYPES = ["geojson", "json", "gpkg", "zip"]
_FLASH = "_adm_areas_flash"
_FRAME = "_adm_areas_frame"


def basis_frame(store) -> pd.DataFrame:
    rows = []
    for area in store.areas():
        rows.append({"乡镇（街道）": area.get("name") or area["code"],
                     "范围依据": "示意范围（由近似点位划分，非官方界线）" if area.get("schematic")
                     else f"边界文件「{area.get('basis') or '未知'}」",
                     "属于17个单元": "是" if area.get("in_network") else "否"})
    return pd.DataFrame(rows)


def current_basis(store) -> None:
    areas = store.areas()
    schematic = sum(1 for a in areas if a.get("schematic"))
    official = len(areas) - schematic
    files = sorted({a.get("basis") or "未知" for a in areas if not a.get("schematic")})
    if official == 0:
        st.info(f"当前 {len(areas)} 个乡镇（街道）范围都是**示意范围**：由近似点位在区界内划分，不是官方界线。"
                "如有民政或自然资源部门的正式边界文件，可在下面替换。", icon=":material/info:")
    else:
        st.success(safe.md_text(f"当前 {official} 个乡镇（街道）的范围来自边界文件「{'、'.join(files)}」，"
                                f"{schematic} 个仍为示意范围。"), icon=":material/verified:")
    with st.expander("各乡镇（街道）范围的依据"):
        st.dataframe(basis_frame(store), hide_index=True, width="stretch", key="adm_basis")


def read_boundary(upload: importer.Upload, source_crs: str | None):
    key = (upload.digest, source_crs)
    cached = st.session_state.get(_FRAME)
    if cached and cached[0] == key:
        return cached[1]
    fmt = detect_format(upload.data, upload.name)
    if fmt not in ("geojson", "gpkg", "shp"):
        raise ImportFileError(f"文件「{upload.name}」不是边界文件：请上传 GeoJSON、GeoPackage 或压缩成 zip 的 Shapefile")
    frame = read_polygons(upload.data, upload.name, fmt, source_crs=source_crs)
    st.session_state[_FRAME] = (key, frame)
    return frame


def matches(frame, field: str, units: Units) -> tuple[pd.DataFrame, list[str], list[str]]:
    """(one row per feature with the unit it matches, unmatched values, network units with no feature)."""
    area_units = Units(units.with_areas)
    rows, unmatched, found = [], [], set()
    for value in frame[field]:
        text = "" if value is None else str(value).strip()
        code = area_units.code_of(text)
        rows.append({"文件中的值": text or "（空）", "对应乡镇（街道）": units.name(code) if code else "未匹配"})
        if code:
            found.add(code)
        else:
            unmatched.append(text or "（空）")
    missing = [u.name for u in area_units.network if u.code not in found]
    return pd.DataFrame(rows), unmatched, missing


def best_field(frame, fields: list[str], units: Units) -> str:
    area_units = Units(units.with_areas)

    def score(field: str) -> int:
        return sum(1 for v in frame[field] if v is not None and area_units.code_of(str(v)) is not None)

    return max(fields, key=lambda f: (score(f), -fields.index(f)))


def replace_step(store) -> None:
    stored = st.session_state.pop(_FLASH, None)
    if stored:
        (st.success if stored[0] == "ok" else st.error)(safe.md_text(stored[1]))
    uploaded = st.file_uploader("上传正式边界文件（GeoJSON、GeoPackage 或压缩成 zip 的 Shapefile，面要素）",
                                type=BOUNDARY_TYPES, key=UPLOAD_KEY, max_upload_size=importer.uploader_limit_mb())
    if uploaded is None:
        return
    refusal = too_large(uploaded.name, uploaded.size, setting=False)  # before parsing a byte of it
    if refusal:
        st.error(safe.md_text(refusal))
        return
    upload = importer.Upload(uploaded.name, uploaded.getvalue())
    source_crs = None
    try:
        frame = read_boundary(upload, None)
    except ImportFileError as error:
        if not importer.needs_source_crs(error):
            st.error(safe.md_text(str(error)))
            return
        source_crs = importer.source_crs_selector(upload)
        if source_crs is None:
            return
        try:
            frame = read_boundary(upload, source_crs)
        except ImportFileError as again:
            st.error(safe.md_text(str(again)))
            return
    fields = [c for c in frame.columns if c != frame.geometry.name]
    if not fields:
        st.error(safe.md_text(f"文件「{upload.name}」的要素没有任何属性字段，无法对应到乡镇（街道）"))
        return
    units = data.units()
    field = st.selectbox("哪个字段是乡镇（街道）的名称或代码", fields, index=fields.index(best_field(frame, fields, units)),
                         format_func=safe.plain, key=f"adm_area_field_{upload.digest}")
    table, unmatched, missing = matches(frame, field, units)
    matched = len(table) - len(unmatched)
    cells = st.columns(3)
    cells[0].metric("要素数", len(table))
    cells[1].metric("已对应", matched)
    cells[2].metric("未对应", len(unmatched))
    st.dataframe(table, hide_index=True, width="stretch", key="adm_area_matches")
    if unmatched:
        st.warning(safe.md_text("这些要素没有对应到任何乡镇（街道），替换时会被忽略：" + "、".join(unmatched)))
    if missing:
        st.error(safe.md_text("文件缺少这些乡镇（街道）的范围，不能替换：" + "、".join(missing)))
    if st.button("确认替换乡镇范围", type="primary", disabled=bool(missing) or matched == 0,
                 key="adm_area_confirm", icon=":material/published_with_changes:"):
        try:
            result = replace_areas(session.editor(), upload.data, field, filename=upload.name, source_crs=source_crs)
        except StoreError as error:
            st.session_state[_FLASH] = ("error", f"未做任何修改：{error}")
        else:
            st.session_state[_FLASH] = ("ok", result.summary())
        st.rerun()
