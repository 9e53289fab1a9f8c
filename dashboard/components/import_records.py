"""导入 协商活动 or 委员: upload → every row checked (in a transaction that is rolled back) → the report → write,
all rows or none (`loaders.importing.records`). The file is read by the same `read` as points, with every check."""
from __future__ import annotations

import streamlit as st

from loaders.importing import ImportFileError, ImportRefused
from loaders.importing.records import WHAT, RecordsResult, import_records

from . import importer, safe, session

_DONE = "_imp_records_done"
COLUMNS = {
    "activities": "日期、议题、形式、协商渠道、地点、经度、纬度、组织的委员活动组、参加部门、专家人数、协商情况、协商成果、参加的委员",
    "members": "姓名、委员级别、界别、所在委员活动组、所在乡镇（街道）、固定联系群众人数",
}


def _report(result: RecordsResult) -> None:
    if result.ok:
        st.success(safe.md_text(result.summary()), icon=":material/check_circle:")
        return
    st.error(safe.md_text(result.summary()), icon=":material/error:")
    problems = result.problems.copy()
    for column in ("列", "值", "原因"):
        problems[column] = problems[column].map(safe.plain)
    importer.problem_table(problems, key="imp_records_problems")


def section(what: str) -> None:
    """The whole import of `what` (activities | members) for the signed-in user."""
    noun = WHAT[what]
    st.caption(f"表头与「导出」的{noun}表相同：{COLUMNS[what]}。有“编号”的行更新已有的{noun}，其余为新增；"
               "任何一行有误，整个文件都不写入。")
    upload = importer.upload_step()
    if upload is None:
        st.info(f"请上传{noun}表（Excel 或 CSV）。可以先在「{noun}」页导出，修改后再导入。", icon=":material/upload_file:")
        return
    sheet, _ = importer.part_selector(upload)
    try:
        table = importer.read_table(upload, sheet, None, None)
        checked = import_records(session.editor(), table, what, dry_run=True)
    except (ImportFileError, ImportRefused) as error:
        st.error(safe.md_text(str(error)), icon=":material/error:")
        return
    key = f"{what}_{upload.digest}"
    done = st.session_state.get(_DONE)
    if done and done[0] == key:
        _report(done[1])
        return
    st.subheader("检查结果")
    _report(checked)
    if checked.ok and st.button(f"写入这 {checked.new + checked.updated} 条{noun}", type="primary",
                                disabled=checked.new + checked.updated == 0, key=f"imp_records_go_{key}"):
        result = import_records(session.editor(), table, what)
        st.session_state[_DONE] = (key, result)
        st.rerun()
