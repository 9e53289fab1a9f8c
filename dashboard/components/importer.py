"""The steps of the 导入 page: upload, what was recognised, column mapping, kind and coordinate system, the plan's
warnings and bad-row report, a map preview of the good rows, and the commit.

Nothing here writes until a commit button is pressed; the plan (`loaders.importing.build_plan`) is rebuilt whenever
the mapping, the choices, the signed-in user or the store's data version change, so a second import of the same file
shows every row as 无变化. Every text that came from the file is shown through `safe` or inside a dataframe.
Every row is checked; the tables and the map show at most PREVIEW_ROWS of them (a caption says so) and the full
problem report is a CSV download.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from loaders import config, coords, model
from loaders.auth import User
from loaders.cells import neutralise, shown, table_text
from loaders.importing import (
    ACCEPTED,
    ACTION_LABELS,
    CRS_CHOICES,
    FORMAT_LABELS,
    PROBLEM_COLUMNS,
    TARGETS,
    ImportFileError,
    ImportPlan,
    Table,
    build_plan,
    commit,
    detect_mapping,
    files,
    headers,
    read,
)
from loaders.importing.core import size_text, too_large
from loaders.readable import count
from loaders.store.base import StoreError

from .. import basemaps, data, mapview
from ..pointlayer import points_layer
from . import safe, session

UPLOAD_KEY = "imp_upload"
NOT_MAPPED = ""
_TABLE = "_imp_table"
_PLAN = "_imp_plan"
_RESULT = "_imp_result"
_PARTS = "_imp_parts"
_SWAP = "_imp_swap"  # (upload key, row numbers whose 经度/纬度 the user asked to swap)
# Rows shown in the good-rows table, on the preview map and in the bad-row table (every row is still checked).
PREVIEW_ROWS = 2_000
# On a phone the bad-row table is a list of lines (a table's 原因 column is cut at 390 px): this many at most.
PHONE_LINES = 200
PHONE_WIDTH = 640  # px: Streamlit's own small-screen breakpoint
PROBLEM_CSS = f"""<style>
@media (max-width: {PHONE_WIDTH}px) {{ [class*="st-key-"][class*="problems_wide"] {{ display: none !important; }} }}
@media (min-width: {PHONE_WIDTH + 1}px) {{ [class*="st-key-"][class*="problems_lines"] {{ display: none !important; }} }}
[class*="st-key-"][class*="problems_lines"] li {{ overflow-wrap: anywhere; margin-bottom: 0.2rem; }}
</style>"""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.blake2b(self.data, digest_size=8).hexdigest()


# Upload -------------------------------------------------------------------------------------------------------
def upload_limit_mb() -> int:
    return max(1, math.ceil(config.upload_limit_bytes() / 1024 / 1024))


def uploader_limit_mb() -> int:
    """What an uploader widget lets through: somewhat above the app's limit (1.5 times, at least 1 MB more), so a
    file a little too large reaches the page and is refused there in Chinese with its name and size instead of by
    Streamlit in English. Never above the server's own cap (server.maxUploadSize in .streamlit/config.toml)."""
    limit = upload_limit_mb()
    wanted = max(limit + 1, math.ceil(limit * 1.5))
    return max(1, min(wanted, int(st.get_option("server.maxUploadSize"))))


def upload_step() -> Upload | None:
    """The file uploader. Returns the uploaded file's name and bytes (the loaders check the size again); a file above
    XZMAP_UPLOAD_MB is refused here in Chinese with its name and size, and the page stops."""
    accepted = "、".join(sorted({e.lstrip(".") for e in ACCEPTED}))
    uploaded = st.file_uploader(
        f"选择要导入的文件（{accepted}；不超过 {upload_limit_mb()} MB）", type=[e.lstrip(".") for e in ACCEPTED],
        key=UPLOAD_KEY, max_upload_size=uploader_limit_mb(),
        help="Excel（.xlsx）、CSV（UTF-8 或 GBK 均可）、GeoJSON、GeoPackage，或把 .shp/.dbf/.shx/.prj/.cpg 一起压缩成的 zip。"
             "表格上方的标题行、合并单元格会自动跳过。")
    if uploaded is None:
        st.session_state.pop(_RESULT, None)
        return None
    refusal = too_large(uploaded.name, uploaded.size, setting=False)  # before reading a byte of it
    if refusal:
        st.error(safe.md_text(refusal), icon=":material/error:")
        st.stop()  # nothing else on the page: not even the "please upload" hint
    return Upload(uploaded.name, uploaded.getvalue())


# Reading ------------------------------------------------------------------------------------------------------
def part_names(upload: Upload) -> tuple[str, list[str]]:
    """("sheet" | "layer" | "", names) when the file holds several sheets or layers to choose from (checked as
    read() checks it before anything is parsed; a damaged file gives none and read() says why). Once per file."""
    key = (upload.digest, upload.name)
    cached = st.session_state.get(_PARTS)
    if cached and cached[0] == key:
        return cached[1]
    parts = files.part_names(upload.data, upload.name)
    st.session_state[_PARTS] = (key, parts)
    return parts


def part_selector(upload: Upload) -> tuple[str | None, str | None]:
    """A sheet or layer selector when the file has several; returns (sheet, layer)."""
    what, names = part_names(upload)
    if len(names) <= 1:
        return None, None
    label = "工作表" if what == "sheet" else "图层"
    chosen = st.selectbox(f"文件中有 {count(len(names))} 个{label}，选择要导入的{label}", names, format_func=safe.plain,
                          key=f"imp_part_{upload.digest}", placeholder="请选择")
    return (chosen, None) if what == "sheet" else (None, chosen)


def read_table(upload: Upload, sheet: str | None, layer: str | None, source_crs: str | None) -> Table:
    """read() once per file and choice (kept in the session: reruns do not parse the file again)."""
    key = (upload.digest, upload.name, sheet, layer, source_crs)
    cached = st.session_state.get(_TABLE)
    if cached and cached[0] == key:
        return cached[1]
    table = read(upload.data, upload.name, sheet=sheet, layer=layer, source_crs=source_crs)
    st.session_state[_TABLE] = (key, table)
    return table


def needs_source_crs(error: ImportFileError) -> bool:
    return ".prj" in str(error) and "坐标系" in str(error)


def source_crs_selector(upload: Upload) -> str | None:
    """For a zipped shapefile without .prj: which coordinate system its numbers are in."""
    options = ["wgs84", "cgcs2000", "epsg"]
    labels = {"wgs84": "WGS-84 经纬度", "cgcs2000": "CGCS2000 经纬度", "epsg": "其他（填写 EPSG 代码）"}
    choice = st.selectbox("压缩包中没有 .prj 文件：请选择文件使用的坐标系", options, format_func=labels.get,
                          index=None, placeholder="请选择", key=f"imp_srccrs_{upload.digest}")
    if choice == "epsg":
        code = st.text_input("EPSG 代码", placeholder="例如 EPSG:4547（CGCS2000 / 3-degree Gauss-Kruger CM 114E）",
                             key=f"imp_epsg_{upload.digest}").strip()
        return code or None
    return choice


def recognised(table: Table, upload: Upload) -> None:
    """One line on what was read: format, encoding, header row, sheet or layer, the file's own CRS."""
    size = len(upload.data)
    parts = [FORMAT_LABELS.get(table.format, table.format), f"{size} 字节" if size < 1024 else size_text(size),
             f"{count(len(table))} {'个要素' if table.has_geometry else '行数据'}", f"{len(table.columns)} 列"]
    if table.encoding:
        parts.append(f"编码 {table.encoding}")
    if table.header_row:
        parts.append(f"表头在第 {table.header_row} 行")
    if table.sheet:
        parts.append(f"工作表「{table.sheet}」")
    if table.layer:
        parts.append(f"图层「{table.layer}」")
    if table.source_crs:
        parts.append(f"文件坐标系 {table.source_crs}")
    st.success(safe.md_text(f"已读取「{upload.name}」：" + "，".join(parts)), icon=":material/task:")
    with st.expander(f"查看读到的前 {min(20, len(table))} 行"):
        st.dataframe(table.preview(20).map(table_text), hide_index=True)  # empty cells empty, never "None"


# Choices ------------------------------------------------------------------------------------------------------
def mapping_editor(table: Table, key: str) -> dict[str, str]:
    """One selector per target field, defaults from detect_mapping; returns the user's mapping."""
    detected = detect_mapping(table.columns)
    columns = table.columns
    options = [NOT_MAPPED, *columns]
    mapping: dict[str, str] = {}
    located = table.has_geometry or "lonlat" in detected or {"lon", "lat"} <= set(detected)
    complete = {"name", "status"} <= set(detected) and located
    summary = "，".join(f"{safe.md_text(c)} → {TARGETS[t].split('（')[0]}" for t, c in detected.items())
    st.caption(f"自动识别了 {len(detected)} 列：{summary or '无'}。" + ("" if complete else "有必需的列没有识别出来，请在下面指定。"))
    targets = list(TARGETS)
    with st.expander("修改列对应（“—”表示不导入该项）", expanded=not complete):
        if table.has_geometry:
            st.caption("这是带几何的地理文件：点位置取自要素的几何（也可改为从经纬度列读取）。")
        per_row = 4
        for start in range(0, len(targets), per_row):
            cells = st.columns(per_row)
            for cell, target in zip(cells, targets[start:start + per_row]):
                default = detected.get(target, NOT_MAPPED)
                chosen = cell.selectbox(TARGETS[target], options, index=options.index(default),
                                        format_func=lambda c: "—" if c == NOT_MAPPED else safe.plain(c),
                                        key=f"imp_map_{key}_{target}", placeholder="请选择列")
                if chosen != NOT_MAPPED:
                    mapping[target] = chosen
    return mapping


def kind_selector(mapping: dict[str, str], key: str) -> str | None:
    kinds = list(model.KINDS)
    if "kind" in mapping:
        label, placeholder = "类型列为空的行按此类型导入（可不选）", "不指定"
    else:
        label, placeholder = "文件中没有类型列：整个文件的点位类型", "请选择类型"
    return st.selectbox(label, kinds, index=None, placeholder=placeholder, format_func=model.kind_label,
                        key=f"imp_kind_{key}")


def crs_selector(table: Table, key: str) -> str:
    hint = headers.shift_hint([table.name, *table.columns])
    default = hint[0] if hint else "wgs84"
    if table.source_crs:
        help_text = (f"文件自带坐标系 {table.source_crs}，已换算为 WGS-84。只有当坐标原本取自高德/腾讯/微信（GCJ-02）"
                     f"或百度（BD-09）地图时，才需改选对应项以去除偏移。")
        default = hint[0] if hint else "wgs84"
    else:
        help_text = ("GPS、天地图和奥维等为 WGS-84/CGCS2000；从高德、腾讯、微信位置取的坐标为 GCJ-02；从百度地图取的为 BD-09。"
                     "选错会让点位偏移约 500 米。")
    crs = st.selectbox("坐标的来源（坐标系）", list(CRS_CHOICES), index=list(CRS_CHOICES).index(default),
                       format_func=coords.CRS_LABELS.get, key=f"imp_crs_{key}", help=help_text, placeholder="请选择")
    if table.source_crs:
        st.caption(safe.md_text(f"文件自带坐标系：{table.source_crs}（已按此换算为 WGS-84）"))
    return crs


# The plan -----------------------------------------------------------------------------------------------------
def swap_choice(upload_key: str) -> frozenset[int]:
    """The rows of this upload whose 经度/纬度 the user asked to swap (none until the swap button is pressed)."""
    stored = st.session_state.get(_SWAP)
    return stored[1] if stored and stored[0] == upload_key else frozenset()


def _ask_swap(upload_key: str, rows: list[int]) -> None:
    st.session_state[_SWAP] = (upload_key, swap_choice(upload_key) | frozenset(rows))


def _undo_swap(upload_key: str) -> None:
    if swap_choice(upload_key):
        st.session_state.pop(_SWAP, None)


def plan_for(table: Table, upload_key: str, user: User, mapping: dict[str, str], crs: str,
             kind: str | None) -> ImportPlan:
    """build_plan, memoised on everything it depends on (including the store's data version and the rows the user
    asked to swap)."""
    swap = swap_choice(upload_key)
    key = (upload_key, tuple(sorted(mapping.items())), crs, kind, user, data.version(), swap)
    cached = st.session_state.get(_PLAN)
    if cached and cached[0] == key:
        return cached[1]
    plan = build_plan(table, data.store(), user, mapping=mapping, crs=crs, kind=kind, swap_latlon=swap)
    st.session_state[_PLAN] = (key, plan)
    return plan


def show_warnings(plan: ImportPlan) -> None:
    for message in plan.file_errors:
        st.error(safe.md_text(message), icon=":material/error:")
    for message in plan.warnings:
        st.warning(safe.md_text(message), icon=":material/warning:")


def row_list(rows: list[int], limit: int = 20) -> str:
    return "、".join(f"{count(r)}" for r in rows[:limit]) + ("……" if len(rows) > limit else "")


def swap_offer(plan: ImportPlan, upload_key: str) -> None:
    """Rows whose 经度/纬度 look swapped (inside the district only once swapped): one button swaps them in this preview
    (the plan is checked again); nothing is written until an import button is pressed. Rows already swapped can be
    put back."""
    word = plan.table.row_word
    if plan.swap_rows:
        with st.container(border=True, key="imp_swap_offer"):
            st.markdown(f"**疑似经纬度颠倒：第 {row_list(plan.swap_rows)} {word}**（共 {count(len(plan.swap_rows))} {word}）")
            st.caption(f"这些{word}的经度、纬度原样不在襄州区内，交换后位于区内（见下方问题清单）。核对无误后可一键交换："
                       "只改本次预览并重新检查，点“导入”之前不会写入任何数据。")
            st.button("交换这些行的经纬度", key="imp_swap", icon=":material/swap_horiz:", type="primary",
                      on_click=_ask_swap, args=(upload_key, list(plan.swap_rows)))
    if plan.swapped_rows:
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.caption(f"已交换第 {row_list(plan.swapped_rows)} {word}的经纬度（尚未写入）。")
        right.button("撤销交换", key="imp_unswap", icon=":material/undo:", on_click=_undo_swap, args=(upload_key,))


def counts(plan: ImportPlan) -> None:
    c = plan.counts()
    word = plan.table.row_word
    cells = st.columns(6)
    cells[0].metric(f"总{word}数", c["total"])
    cells[1].metric("可导入", c["good"])
    cells[2].metric(f"有误{word}", c["bad"])
    cells[3].metric("新增", c["new"])
    cells[4].metric("更新", c["update"])
    cells[5].metric("无变化", c["unchanged"])
    st.caption(f"共检查了 {count(c['total'])} {_unit(plan)}。")


def _unit(plan: ImportPlan) -> str:
    return "个要素" if plan.table.has_geometry else "行"


def shown_caption(plan: ImportPlan, shown: int, total: int, what: str) -> str | None:
    """«预览显示前 2,000 行，共检查了 100,000 行» when a table or the map shows only part of `total`."""
    if shown >= total:
        return None
    unit, checked = _unit(plan), len(plan.table)
    part = "" if total == checked else f"（可导入的共 {count(total)} {unit}）"
    return f"{what}显示前 {count(shown)} {unit}{part}，共检查了 {count(checked)} {unit}。"


def report_csv(plan: ImportPlan) -> bytes:
    """Every problem (not only those shown), UTF-8 with BOM for Excel; text that would start a formula is
    neutralised (loaders/cells.py)."""
    frame = plan.problems[list(PROBLEM_COLUMNS)].copy()
    for column in ("列", "值", "原因"):
        frame[column] = frame[column].map(neutralise)
    return frame.to_csv(index=False).encode("utf-8-sig")


def report(plan: ImportPlan) -> None:
    """Every bad row: 行号/列/值/原因, plus the same as a CSV for Excel."""
    problems = plan.problems
    if problems.empty:
        if not plan.file_errors:
            st.success("没有发现有误的行。", icon=":material/check_circle:")
        return
    word = plan.table.row_word
    st.markdown(f"##### 有误的{word}（{len(plan.bad_rows)} {word}，{len(problems)} 处问题）")
    st.caption(f"“行号”是在原文件中看到的{'要素序号' if plan.table.has_geometry else '行号'}；这些{word}不会被导入，"
               f"改正后可再次导入同一文件（已导入的行不会重复）。")
    if len(problems) > PREVIEW_ROWS:
        st.caption(f"表格显示前 {count(PREVIEW_ROWS)} 处问题（共 {count(len(problems))} 处），完整清单请下载 CSV。")
    problem_table(problems, word)
    stem = Path(plan.table.name).stem
    st.download_button("下载问题清单（CSV）", data=report_csv(plan), file_name=f"{stem}_导入问题清单.csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:", key="imp_report_csv")


def problem_lines(problems: pd.DataFrame, word: str = "行", limit: int = PHONE_LINES) -> list[str]:
    """«第 N 行 · 列 · 值 · 原因», one per problem (the first `limit`), for a narrow screen; an empty value reads 空."""
    return [f"第 {r[0]} {word} · {table_text(r[1]) or '—'} · {shown(r[2])} · {r[3]}"
            for r in problems.head(limit).itertuples(index=False)]


def problem_table(problems: pd.DataFrame, word: str = "行", key: str = "imp_problems") -> None:
    """The bad-row report: a table (行号/列/值/原因) on a wide screen; on a phone, where the table cuts 原因, the same
    problems as lines «第 N 行 · 列 · 值 · 原因» (CSS picks one; both are on the page)."""
    st.html(PROBLEM_CSS)
    shown_problems = problems.head(PREVIEW_ROWS).copy()
    shown_problems["值"] = shown_problems["值"].map(shown)  # 空, never "None"
    with st.container(key=f"{key}_wide"):
        st.dataframe(shown_problems, hide_index=True, width="stretch", key=key,
                     column_config={"行号": st.column_config.NumberColumn("行号", width=60, format="%d"),
                                    "列": st.column_config.TextColumn("列", width=110),
                                    "值": st.column_config.TextColumn("值", width=160),
                                    "原因": st.column_config.TextColumn("原因", width=900)})
    with st.container(key=f"{key}_lines"):
        st.markdown("\n".join(f"- {safe.md_text(line)}" for line in problem_lines(problems, word)))
        if len(problems) > PHONE_LINES:
            st.caption(f"这里列出前 {PHONE_LINES} 处问题（共 {count(len(problems))} 处），完整清单请下载 CSV。")


def good_rows_table(plan: ImportPlan, limit: int | None = PREVIEW_ROWS) -> pd.DataFrame:
    """The good rows as the list tab shows them (the first `limit`)."""
    good = plan.good if limit is None else plan.good.head(limit)
    swapped = set(plan.swapped_rows)
    action = [ACTION_LABELS[a] + ("（已交换经纬度）" if r in swapped else "") for r, a in zip(good["row"], good["action"])]
    return pd.DataFrame({
        "行号": good["row"], "处理": action, "类型": good["kind"].map(model.kind_label),
        "名称": good["name"], "状态": good["status"], "乡镇（街道）": good["unit_name"],
        "经度": good["lon"].round(6), "纬度": good["lat"].round(6), "变更内容": good["changed"],
    })


def preview_map(plan: ImportPlan) -> None:
    """The first PREVIEW_ROWS good rows over the offline base map, one layer per action (新增/更新/无变化, each
    labelled with its count in the whole file); the view fits every good row."""
    good = plan.good
    shown = good.head(PREVIEW_ROWS)
    totals = good["action"].value_counts()
    geography = data.map_geography()
    base = mapview.build_base_map(basemaps.get(basemaps.DEFAULT), geography)
    groups = []
    for action, label in ACTION_LABELS.items():
        part = shown[shown["action"] == action].reset_index(drop=True)
        if len(part):
            frame = part.assign(id=[f"row-{r}" for r in part["row"]])
            groups.append(points_layer(frame, name=f"{label}（{int(totals[action])}）", shared_renderer=True))
    if len(good):
        pad = 0.01
        box = (good["lat"].min() - pad, good["lon"].min() - pad, good["lat"].max() + pad, good["lon"].max() + pad)
        view = mapview.view_for_bounds(box)
    else:
        view = mapview.view_for_bounds(geography.bounds[""])
    mapview.show(base, groups, view, key="imp_map")
    caption = shown_caption(plan, len(shown), len(good), "地图上")
    if caption:
        st.caption(caption)


def preview(plan: ImportPlan) -> None:
    if plan.good.empty:
        st.info("没有可以导入的行。")
        return
    c = plan.counts()
    st.markdown(f"##### 可导入的{plan.table.row_word}（新增 {c['new']}，更新 {c['update']}，无变化 {c['unchanged']}）")
    if c["good"] and c["new"] == 0 and c["update"] == 0:
        st.info("这些行与系统中已有的点位完全相同，导入不会做任何修改。", icon=":material/info:")
    tab_map, tab_table = st.tabs(["地图预览", "列表"])
    with tab_map:
        preview_map(plan)
    with tab_table:
        caption = shown_caption(plan, min(PREVIEW_ROWS, len(plan.good)), len(plan.good), "预览")
        if caption:
            st.caption(caption)
        st.dataframe(good_rows_table(plan), hide_index=True, width="stretch", key="imp_good")


# Commit -------------------------------------------------------------------------------------------------------
def commit_step(plan: ImportPlan, upload_key: str) -> None:
    """全部导入 (only without bad rows) or 仅导入有效行; the result stays on the page after the rerun."""
    c = plan.counts()
    blocked = bool(plan.file_errors) or c["good"] == 0
    left, right, _ = st.columns([1, 1, 2])
    all_rows = left.button("全部导入", type="primary", disabled=blocked or c["bad"] > 0, key="imp_commit_all",
                           icon=":material/upload:", width="stretch",
                           help="有误的行改正之前不能全部导入" if c["bad"] else "在一个事务中写入全部行")
    valid_only = right.button(f"仅导入有效行（{c['good']}）", disabled=blocked or c["bad"] == 0,
                              key="imp_commit_valid", icon=":material/playlist_add_check:", width="stretch",
                              help=f"跳过 {c['bad']} 个有误的{plan.table.row_word}，只写入可导入的行")
    if all_rows or valid_only:
        try:
            result = commit(session.editor(), plan, valid_only=bool(valid_only))
        except StoreError as error:
            st.session_state[_RESULT] = (upload_key, "error", str(error))
        else:
            if result.written:
                text = f"导入完成：{result.summary()}。"
            else:
                text = f"没有任何变化：文件中的点位与系统中已有的完全相同（{result.summary()}）。"
            st.session_state[_RESULT] = (upload_key, "done" if result.written else "same", text)
        st.session_state.pop(_PLAN, None)
        st.rerun()


def last_result(upload_key: str) -> None:
    stored = st.session_state.get(_RESULT)
    if not stored or stored[0] != upload_key:
        return
    _, outcome, text = stored
    if outcome == "error":
        st.error(safe.md_text(f"导入失败，未写入任何数据：{text}"), icon=":material/error:")
    elif outcome == "same":
        st.info(safe.md_text(text), icon=":material/info:")
    else:
        st.success(safe.md_text(text), icon=":material/check_circle:")
