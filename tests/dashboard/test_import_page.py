"""The 导入 page through AppTest: who may use it, real files through the uploader, the bad-row report, the map
preview, both commit buttons, re-imports that change nothing, unit scoping and escaping."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from pagehelpers import map_args, open_signed_in, payloads
from streamlit.testing.v1 import AppTest

from dashboard.components import importer
from loaders import config, model
from loaders.store import Filter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "loaders"))
import hostile_files
import import_files

PAGE = "views/import_data.py"
HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}\\1 **粗体** [链接](http://x)"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_page(store, role: str | None = "admin", units=(), name: str = "staff") -> AppTest:
    return open_signed_in(store, PAGE, role, units, name)


def upload(at: AppTest, name: str, content: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader(key=importer.UPLOAD_KEY).set_value((name, content, mime))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def problems(at: AppTest):
    frames = [d.value for d in at.dataframe if list(d.value.columns) == ["行号", "列", "值", "原因"]]
    assert len(frames) == 1, "expected one bad-row report"
    return frames[0]


def imported(store) -> int:
    return int(store.points(Filter()).shape[0])


@pytest.mark.parametrize("role", [None, "viewer"])
def test_anonymous_and_viewers_are_refused(store, role):
    at = open_page(store, role)
    assert not at.file_uploader
    if role is None:
        assert "需要工作人员登录" in texts(at.info)
        assert at.text_input(key="page_sign_in_name") is not None
    else:
        assert "查看权限" in texts(at.error)


def test_xlsx_with_merged_title_maps_previews_commits_and_reimports_unchanged(store, tmp_path):
    before = imported(store)
    version = store.data_version()
    content = import_files.xlsx(tmp_path / "台账.xlsx").read_bytes()
    at = upload(open_page(store), "台账.xlsx", content, XLSX_MIME)
    assert "表头在第 3 行" in texts(at.success)
    key = f"{importer.Upload('台账.xlsx', content).digest}_台账"
    mapped = {t: at.selectbox(key=f"imp_map_{key}_{t}").value for t in ("external_id", "name", "kind", "status",
                                                                        "unit", "lon", "lat", "depth_m")}
    assert mapped == {"external_id": "编号", "name": "名称", "kind": "类型", "status": "状态", "unit": "乡镇（街道）",
                      "lon": "经度", "lat": "纬度", "depth_m": "井深"}
    values = metrics(at)
    assert (values["总行数"], values["可导入"], values["有误行"], values["新增"]) == ("4", "4", "0", "4")
    sent = payloads(map_args(at))
    assert sum(len(p["c"]) for p in sent) == 4
    assert json.dumps("新增（4）")[1:-1] in map_args(at)["layer_control"]  # one layer per action, with its count
    assert store.data_version() == version and imported(store) == before  # nothing written by the preview
    assert not at.button(key="imp_commit_all").disabled and at.button(key="imp_commit_valid").disabled

    at.button(key="imp_commit_all").click().run()
    assert "导入完成：新增 4" in texts(at.success)
    assert imported(store) == before + 4
    assert store.point_by_external_id("HJ-002")["depth_m"] == 270
    assert metrics(at)["无变化"] == "4" and metrics(at)["新增"] == "0"  # the plan is rebuilt after the commit

    version = store.data_version()
    at.button(key="imp_commit_all").click().run()
    assert "没有任何变化" in texts(at.info)
    assert store.data_version() == version and imported(store) == before + 4


def test_bad_rows_are_reported_and_nothing_is_written_until_valid_only(store):
    data = import_files.rows()
    data[1] = {**data[1], "状态": "挖好了"}
    data[2] = {**data[2], "经度": 116.40, "纬度": 39.90}  # Beijing
    before, version = imported(store), store.data_version()
    at = upload(open_page(store), "bad.csv", import_files.csv_bytes(data))
    report = problems(at)
    rows = dict(zip(report["行号"], zip(report["列"], report["值"], report["原因"])))
    assert set(rows) == {3, 4}  # CSV lines: header on line 1
    assert rows[3][0] == "状态" and rows[3][1] == "挖好了" and "状态" in rows[3][2]
    assert rows[4][0] == "经度" and rows[4][1] == "116.4" and "襄州区" in rows[4][2]
    assert metrics(at)["有误行"] == "2" and metrics(at)["可导入"] == "2"
    csv = at.get("download_button")
    assert any("问题清单" in str(b.proto.label) for b in csv)
    assert at.button(key="imp_commit_all").disabled
    assert store.data_version() == version and imported(store) == before

    at.button(key="imp_commit_valid").click().run()
    assert "新增 2" in texts(at.success) and "未导入有误的 2 行" in texts(at.success)
    assert imported(store) == before + 2
    assert store.point_by_external_id("HJ-002") is None and store.point_by_external_id("ZW-001") is not None


def test_report_csv_is_excel_ready_and_formula_safe(store):
    data = import_files.rows()
    data[0] = {**data[0], "状态": "=HYPERLINK(\"http://x\")"}
    at = upload(open_page(store), "f.csv", import_files.csv_bytes(data))
    plan = at.session_state["_imp_plan"][1]
    content = importer.report_csv(plan)
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == "行号,列,值,原因"
    assert "'=HYPERLINK" in text


def test_an_editor_of_huangji_sees_a_zhangwan_row_as_bad(store):
    before = imported(store)
    at = upload(open_page(store, "editor", ("黄集镇",), name="hj"), "mixed.csv", import_files.csv_bytes())
    report = problems(at)
    assert list(report["行号"]) == [5]
    assert "只能修改黄集镇" in report["原因"][0] and "张湾" in report["原因"][0]
    assert metrics(at)["可导入"] == "3"
    at.button(key="imp_commit_valid").click().run()
    assert imported(store) == before + 3
    assert store.point_by_external_id("ZW-001") is None


def test_gbk_csv_is_read(store):
    at = upload(open_page(store), "gbk.csv", import_files.csv_bytes(encoding="gbk"))
    assert "GBK" in texts(at.success)
    assert metrics(at)["可导入"] == "4"
    table = next(d.value for d in at.dataframe if "名称" in d.value.columns and "处理" in d.value.columns)
    assert "太山村1号井" in set(table["名称"])


def test_kind_for_the_whole_file_and_file_errors(store):
    data = [{k: v for k, v in r.items() if k != "类型"} for r in import_files.rows()[:3]]
    content = import_files.frame(data).drop(columns=["类型"]).to_csv(index=False).encode()
    at = upload(open_page(store), "wells.csv", content)
    assert "类型" in texts(at.error)  # no kind column and no kind chosen: a file error, nothing to commit
    assert at.button(key="imp_commit_all").disabled
    key = importer.Upload("wells.csv", content).digest + "_"
    at.selectbox(key=f"imp_kind_{key}").set_value("well").run()
    assert metrics(at)["可导入"] == "3"
    at.button(key="imp_commit_all").click().run()
    assert store.point_by_external_id("HJ-001")["kind"] == "well"


def test_gcj02_choice_shifts_the_points(store):
    content = import_files.csv_bytes(import_files.rows()[:1])
    at = upload(open_page(store), "高德坐标.csv", content)
    key = importer.Upload("高德坐标.csv", content).digest + "_"
    assert at.selectbox(key=f"imp_crs_{key}").value == "gcj02"  # the file name says Gaode
    at.selectbox(key=f"imp_crs_{key}").set_value("wgs84").run()
    assert any("高德" in w.value for w in at.warning)
    at.selectbox(key=f"imp_crs_{key}").set_value("gcj02").run()
    at.button(key="imp_commit_all").click().run()
    point = store.point_by_external_id("HJ-001")
    assert 0.003 < abs(point["lon"] - 112.10) < 0.01  # about 600 m west of the Gaode value


def test_a_script_in_a_name_stays_literal(store):
    data = import_files.rows()[:1]
    data[0] = {**data[0], "名称": HOSTILE}
    at = upload(open_page(store), f"{HOSTILE}.csv".replace("/", "_"), import_files.csv_bytes(data))
    table = next(d.value for d in at.dataframe if "名称" in d.value.columns and "处理" in d.value.columns)
    assert table["名称"][0] == HOSTILE
    for element in [*at.success, *at.warning, *at.info, *at.caption, *at.markdown]:
        assert not re.search(r"(?<!\\)[<$*\[]", element.value), element.value  # every markdown character escaped
    args = map_args(at)
    assert "<img" not in args["feature_group"] and "${" not in args["feature_group"]
    at.button(key="imp_commit_all").click().run()
    assert store.point_by_external_id("HJ-001")["name"] == HOSTILE


def test_a_file_that_cannot_be_read_says_why_in_chinese(store):
    at = upload(open_page(store), "old.xlsx", b"not a zip at all")
    assert "xlsx" in texts(at.error) and "损坏" in texts(at.error)
    assert not [b for b in at.button if b.key.startswith("imp_commit")]


def test_too_big_a_file_is_refused(store, monkeypatch):
    monkeypatch.setenv("XZMAP_UPLOAD_MB", "0.001")
    at = upload(open_page(store), "big.csv", import_files.csv_bytes() * 20)
    assert "超过上传上限" in texts(at.error)
    assert not [b for b in at.button if b.key.startswith("imp_commit")]


def test_kinds_in_model_have_labels_for_the_selector():
    assert all(model.kind_label(k) for k in model.KINDS)


# Big files and hostile files --------------------------------------------------------------------------------------

def test_a_big_file_is_checked_in_full_and_its_preview_is_capped(store, tmp_path):
    content = hostile_files.many_rows_csv(tmp_path, 3_100).read_bytes()
    at = upload(open_page(store), "三千行.csv", content)
    assert (metrics(at)["总行数"], metrics(at)["可导入"], metrics(at)["新增"]) == ("3100", "3100", "3100")
    captions = texts(at.caption)
    assert "共检查了 3,100 行" in captions
    assert "预览显示前 2,000 行，共检查了 3,100 行" in captions
    assert "地图上显示前 2,000 行，共检查了 3,100 行" in captions
    table = next(d.value for d in at.dataframe if "处理" in d.value.columns)
    assert len(table) == importer.PREVIEW_ROWS == 2_000 and table["行号"].iloc[-1] == 2_001
    assert sum(len(p["c"]) for p in payloads(map_args(at))) == 2_000
    assert json.dumps("新增（3100）")[1:-1] in map_args(at)["layer_control"]  # the layer says how many in all
    assert not at.button(key="imp_commit_all").disabled  # all 3,100 rows, not the 2,000 shown


def test_many_bad_rows_show_a_capped_table_and_the_full_report_downloads(store, tmp_path):
    text = hostile_files.many_rows_csv(tmp_path, 2_600).read_text(encoding="utf-8").replace(",规划,", ",挖好了,")
    at = upload(open_page(store), "坏状态.csv", text.encode())
    assert metrics(at)["有误行"] == "2600"
    assert len(problems(at)) == 2_000
    assert "表格显示前 2,000 处问题（共 2,600 处），完整清单请下载 CSV" in texts(at.caption)
    report = importer.report_csv(at.session_state["_imp_plan"][1]).decode("utf-8-sig").splitlines()
    assert len(report) == 1 + 2_600 and report[-1].startswith("2601,状态,挖好了,")


@pytest.mark.filterwarnings("ignore:.*xzmap-import-:RuntimeWarning")  # GDAL's, about the copy; never printed
@pytest.mark.parametrize("name", [hostile_files.TRUNCATED_SHEET, hostile_files.ENTITY_BOMB_SHEET,
                                  hostile_files.ENTITY_BOMB_STRINGS, hostile_files.BAD_STRING_INDEX,
                                  hostile_files.XLSX_BOMB, hostile_files.GARBAGE_GPKG, hostile_files.LONG_FIELD])
def test_a_hostile_file_gets_one_chinese_error_naming_it_and_nothing_else(store, tmp_path, name):
    case = hostile_files.by_name(name)
    version, before = store.data_version(), imported(store)
    at = upload(open_page(store), name, case.build(tmp_path).read_bytes(), XLSX_MIME)  # asserts no exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and f"「{name}」" in errors[0].replace("\\", "")
    assert re.search(case.says, errors[0].replace("\\", "").replace(name, "")), errors[0]
    assert "xzmap-import-" not in errors[0] and "upload." not in errors[0]
    assert not [b for b in at.button if b.key.startswith("imp_commit")]
    assert store.data_version() == version and imported(store) == before


def test_a_file_a_little_over_the_limit_reaches_the_page_and_is_refused_in_chinese(store, tmp_path, monkeypatch):
    monkeypatch.setenv("XZMAP_UPLOAD_MB", "1")
    at = open_page(store)
    widget = at.file_uploader(key=importer.UPLOAD_KEY)
    assert widget.proto.max_upload_size_mb > importer.upload_limit_mb() == 1  # Streamlit's own refusal is English
    path = hostile_files.just_over_limit_csv(tmp_path, config.upload_limit_bytes())
    at = upload(at, hostile_files.JUST_OVER_LIMIT, path.read_bytes())
    error = texts(at.error).replace("\\", "")
    assert "文件「刚超上限.csv」大小为 1.004 MB，超过上传上限 1.000 MB" in error, error
    assert "XZMAP_UPLOAD_MB" not in error  # staff cannot change it; the CLI says which setting does
    assert not at.info  # not also "请上传文件"
    assert not [b for b in at.button if b.key.startswith("imp_commit")]


# Issue 12: empty cells read 空, swapped 经度/纬度 offered a one-click swap, the report as lines on a phone -------------

def test_empty_cells_read_kong_in_the_table_and_the_phone_lines(store, tmp_path):
    data = import_files.rows()
    data[0] = {**data[0], "名称": ""}
    data[2] = {**data[2], "经度": None}
    at = upload(open_page(store), "空.csv", import_files.csv_bytes(data))
    report = problems(at)
    values = dict(zip(zip(report["行号"], report["列"]), report["值"]))
    assert values[(2, "名称")] == "空" and values[(4, "经度")] == "空"
    shown = [str(v) for v in report.to_numpy().ravel()]
    assert not any(v in ("None", "nan", "NaN", "<NA>") for v in shown), shown
    lines = texts(at.markdown)
    assert "第 2 行 · 名称 · 空 · 字段「名称」不能为空" in lines.replace("\\", "")
    assert "None" not in lines and "nan" not in lines
    preview = next(d.value for d in at.dataframe if "行号" in d.value.columns and "名称" in d.value.columns
                   and "原因" not in d.value.columns and "处理" not in d.value.columns)
    assert "None" not in preview.astype(str).to_numpy().ravel().tolist()  # the 查看读到的前 20 行 table


def test_swapped_rows_are_offered_one_swap_and_nothing_is_written_before_the_import(store):
    data = import_files.rows()
    data[1] = {**data[1], "经度": 32.35, "纬度": 112.11}
    data[3] = {**data[3], "经度": 32.0873, "纬度": 112.2079}
    before, version = imported(store), store.data_version()
    at = upload(open_page(store), "颠倒.csv", import_files.csv_bytes(data))
    report = problems(at)
    assert set(report["行号"]) == {3, 5}
    assert all(reason.startswith("疑似经纬度颠倒") for reason in report["原因"])
    assert "疑似经纬度颠倒：第 3、5 行" in texts(at.markdown)
    assert metrics(at)["有误行"] == "2" and at.button(key="imp_commit_all").disabled

    at.button(key="imp_swap").click().run()
    assert not at.exception
    assert metrics(at)["有误行"] == "0" and metrics(at)["可导入"] == "4"
    assert not [d for d in at.dataframe if list(d.value.columns) == ["行号", "列", "值", "原因"]]
    assert not [b for b in at.button if b.key == "imp_swap"]
    assert "已交换第 3、5 行的经纬度（尚未写入）" in texts(at.caption)
    assert any("已交换 2 行的经度和纬度" in w for w in (str(x.value) for x in at.warning))
    good = next(d.value for d in at.dataframe if "处理" in d.value.columns)
    assert list(good.loc[good["行号"] == 3, "处理"]) == ["新增（已交换经纬度）"]
    assert sum(len(p["c"]) for p in payloads(map_args(at))) == 4  # the swapped rows are on the preview map
    assert store.data_version() == version and imported(store) == before  # a swap is a preview, not a write

    at.button(key="imp_unswap").click().run()  # put back: refused again
    assert metrics(at)["有误行"] == "2" and store.data_version() == version
    at.button(key="imp_swap").click().run()
    at.button(key="imp_commit_all").click().run()
    assert "导入完成：新增 4" in texts(at.success)
    point = store.point_by_external_id("ZW-001")
    assert (point["lon"], point["lat"]) == (112.2079, 32.0873) and point["unit_code"] == import_files.ZHANGWAN


def test_an_activity_file_with_empty_cells_reads_kong_on_the_page(store):
    at = open_page(store)
    at.segmented_control(key="imp_subject").set_value("activities").run()
    content = "编号,日期,议题,形式,协商渠道,经度,纬度\n,2023-03-01,,乡村月月谈,,,\n".encode()
    before = len(store.activities())
    at = upload(at, "活动.csv", content)
    report = problems(at)
    assert set(report["值"]) == {"空"} and set(report["列"]) >= {"议题", "协商渠道", "经度"}
    assert not any("None" in str(v) or "nan" in str(v) for v in report.to_numpy().ravel())
    assert "第 2 行 · 议题 · 空 · 字段「议题」不能为空" in texts(at.markdown).replace("\\", "")
    assert len(store.activities()) == before
