"""导入: staff bring in the spreadsheets and GIS files they keep. Read → map columns → check every row → preview
on the map → commit in one transaction. Nothing is written before a commit button is pressed. A file that cannot be
read (damaged, hostile, too large) is refused with one Chinese message naming it; the previews show at most
importer.PREVIEW_ROWS rows and say how many were checked."""
from __future__ import annotations

import streamlit as st

from loaders import auth
from loaders.importing import ImportFileError

from .. import data
from . import import_records, importer, safe, session

SUBJECTS = {"points": "点位", "activities": "协商活动", "members": "委员"}


def render() -> None:
    user = session.require("editor")

    st.title("导入")
    scope = "全区" if user.is_admin else "、".join(safe.md_text(n) for n in auth.unit_names(data.store(), user.units))
    st.caption(f"当前用户：{safe.md_text(user.name)}（{user.role_label}，可导入：{scope}）。"
               "先检查、预览，确认后才写入；同一文件重复导入不会产生重复记录（按“编号”列更新已有记录）。")
    what = st.segmented_control("导入什么", list(SUBJECTS), format_func=SUBJECTS.get, key="imp_subject",
                                default="points")
    if what in ("activities", "members"):
        import_records.section(what)
        st.stop()

    upload = importer.upload_step()
    if upload is None:
        st.info("请上传文件。支持 Excel、CSV、GeoJSON、GeoPackage 和压缩成 zip 的 Shapefile；"
                "列名可以是中文或英文（名称、类型、状态、乡镇、经度、纬度、编号……）。", icon=":material/upload_file:")
        st.stop()

    sheet, layer = importer.part_selector(upload)
    source_crs = None
    try:
        table = importer.read_table(upload, sheet, layer, None)
    except ImportFileError as error:
        if not importer.needs_source_crs(error):
            st.error(safe.md_text(str(error)), icon=":material/error:")
            st.stop()
        source_crs = importer.source_crs_selector(upload)
        if source_crs is None:
            st.stop()
        try:
            table = importer.read_table(upload, sheet, layer, source_crs)
        except ImportFileError as again:
            st.error(safe.md_text(str(again)), icon=":material/error:")
            st.stop()

    key = f"{upload.digest}_{table.sheet or table.layer or ''}"
    importer.recognised(table, upload)

    st.subheader("1. 列对应与坐标系")
    mapping = importer.mapping_editor(table, key)
    left, right = st.columns(2)
    with left:
        kind = importer.kind_selector(mapping, key)
    with right:
        crs = importer.crs_selector(table, key)

    try:
        plan = importer.plan_for(table, key, user, mapping, crs, kind)
    except ImportFileError as error:
        st.error(safe.md_text(str(error)), icon=":material/error:")
        st.stop()

    st.subheader("2. 检查结果")
    st.caption(safe.md_text(plan.summary()))
    importer.show_warnings(plan)
    importer.swap_offer(plan, key)
    importer.counts(plan)
    importer.report(plan)
    importer.preview(plan)

    st.subheader("3. 写入")
    importer.last_result(key)
    importer.commit_step(plan, key)
