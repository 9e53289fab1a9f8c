"""Importing and exporting activities and members: the export reads back unchanged, an edited file updates by 编号,
bad rows are named by row, column and value and nothing is written, editors stay in their towns, hostile text stays
data (no formula in the export, read back as typed) -- in real CSV and XLSX files, on both engines."""
import io
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest
from hostile import NAMES, stored

from loaders import auth, export
from loaders.editing import Editor
from loaders.importing import read
from loaders.importing.records import import_records

ZHANGWAN, HUANGJI = "420607001000", "420607102000"
GROUPS = [{"code": "QZT1", "name": "测试区直活动组", "level": "区直"},
          {"code": "TZW", "name": "测试张湾活动组", "level": "乡镇", "unit_code": ZHANGWAN},
          {"code": "THJ", "name": "测试黄集活动组", "level": "乡镇", "unit_code": HUANGJI}]


@pytest.fixture
def store(any_store):
    existing = any_store.member_groups().to_dict("records")
    pairs = list(any_store.group_pairings().itertuples(index=False, name=None))
    any_store.replace_groups(existing + GROUPS, pairs + [("QZT1", "TZW"), ("QZT1", "THJ")], "admin")
    return any_store


def admin(store) -> Editor:
    return Editor(store, auth.User("导入员", "admin"))


def csv_file(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8-sig")


def xlsx_file(rows: list[dict]) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(rows).to_excel(buffer, index=False)
    return buffer.getvalue()


MEMBER_ROWS = [
    {"姓名": "导某001", "委员级别": "区", "界别": "农业和农村界", "所在委员活动组": "TZW", "固定联系群众人数": 3},
    {"姓名": "导某002", "委员级别": "市", "界别": "经济界", "所在委员活动组": "THJ", "固定联系群众人数": 2},
]


def activity_rows(members: str = "") -> list[dict]:
    return [
        {"日期": "2022-07-02", "议题": "朱庄社区八组吃水难", "形式": "现场+会场", "协商渠道": "对口", "地点": "朱庄社区八组",
         "经度": 112.2035, "纬度": 32.1164, "组织的委员活动组": "QZT1、TZW", "参加部门": "区水利和湖泊局、区自来水公司",
         "参加的委员": members},
        {"日期": "2022-04-18", "议题": "鄂北岗地打井出水难", "形式": "现场+会场", "协商渠道": "界别", "地点": "太山村",
         "经度": 112.0733, "纬度": 32.3410, "组织的委员活动组": "THJ", "参加部门": "区水利和湖泊局", "专家人数": 3,
         "参加的委员": ""},
    ]


def fingerprint(store) -> dict:
    return {t: v for t, v in store.checksums().items()} | {"version": store.data_version()}


@pytest.mark.parametrize("maker, name", [(csv_file, "委员.csv"), (xlsx_file, "委员.xlsx")])
def test_members_then_activities_import_from_real_files(store, maker, name):
    result = import_records(admin(store), read(maker(MEMBER_ROWS), name), "members")
    assert result.ok and result.new == 2 and result.written, result.problems
    ids = store.members().set_index("name").loc[["导某001", "导某002"], "id"].tolist()
    result = import_records(admin(store), read(maker(activity_rows("、".join(ids))), name.replace("委员", "活动")),
                            "activities")
    assert result.ok and result.new == 2, result.problems
    water = store.activities().set_index("topic").loc["朱庄社区八组吃水难"]
    assert water["unit_code"] == ZHANGWAN and water["groups"] == ("QZT1", "TZW")
    assert store.activity(water["id"])["members"] == tuple(sorted(ids))


def test_a_file_with_bad_rows_is_refused_whole_naming_row_column_and_value(store):
    rows = activity_rows()
    rows.append({**rows[0], "形式": "座谈会"})  # row 4 of the sheet (header is row 1)
    rows.append({**rows[1], "经度": "东经112"})  # row 5
    rows.append({**rows[1], "参加的委员": "m-nobody"})  # row 6
    before = fingerprint(store)
    result = import_records(admin(store), read(xlsx_file(rows), "活动.xlsx"), "activities")
    assert not result.ok and not result.written
    problems = result.problems.set_index("行号")
    assert problems.loc[4, "列"] == "形式" and problems.loc[4, "值"] == "座谈会"
    assert problems.loc[5, "列"] == "经度" and problems.loc[5, "值"] == "东经112"
    assert problems.loc[6, "列"] == "参加的委员" and "m-nobody" in problems.loc[6, "原因"]
    assert fingerprint(store) == before  # the two good rows were not written either
    assert "一条也没有导入" in result.summary()


def test_ids_with_control_characters_are_refused_by_row_and_column(store):
    rows = [{**activity_rows()[0], "编号": "A\x1b01"}, {**activity_rows()[1], "编号": "A" * 65}]
    before = fingerprint(store)
    result = import_records(admin(store), read(csv_file(rows), "活动.csv"), "activities")
    problems = result.problems.set_index("行号")
    assert not result.ok and fingerprint(store) == before
    assert problems.loc[2, "列"] == "编号" and "控制字符" in problems.loc[2, "原因"]
    assert problems.loc[3, "列"] == "编号" and "太长" in problems.loc[3, "原因"]


def test_two_rows_with_the_same_id_are_both_named_and_nothing_is_written(store):
    # The second row would otherwise quietly overwrite the record the first one created.
    rows = [{**activity_rows()[0], "编号": "X1"}, {**activity_rows()[1], "编号": "X1"}]
    before = fingerprint(store)
    result = import_records(admin(store), read(csv_file(rows), "活动.csv"), "activities")
    problems = result.problems.set_index("行号")
    assert not result.ok and fingerprint(store) == before
    assert problems.loc[2, "列"] == "编号" and problems.loc[2, "值"] == "X1" and "与第 3 行相同" in problems.loc[2, "原因"]
    assert "与第 2 行相同" in problems.loc[3, "原因"]


def test_a_file_without_the_needed_columns_is_refused_in_chinese(store):
    from loaders.importing import ImportRefused

    with pytest.raises(ImportRefused, match="缺少这些列：.*议题"):
        import_records(admin(store), read(csv_file([{"日期": "2022-01-01"}]), "活动.csv"), "activities")


def test_the_export_reads_back_unchanged_and_an_edit_updates_by_id(store):
    import_records(admin(store), read(csv_file(MEMBER_ROWS), "委员.csv"), "members")
    import_records(admin(store), read(csv_file(activity_rows()), "活动.csv"), "activities")
    data = export.records_bytes(store, "activities", "xlsx")
    before = fingerprint(store)
    again = import_records(admin(store), read(data, "协商活动.xlsx"), "activities")
    assert again.ok and again.new == 0 and again.updated == 0 and again.unchanged == len(store.activities())
    assert fingerprint(store)["activities"] == before["activities"]

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["协商活动"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("议题")].value == "鄂北岗地打井出水难":
            row[headers.index("协商成果")].value = "按专家划定的新点位打井后顺利出水"
    edited = io.BytesIO()
    book.save(edited)
    result = import_records(admin(store), read(edited.getvalue(), "协商活动.xlsx"), "activities")
    assert result.ok and result.updated == 1, result.problems
    wells = store.activities().set_index("topic").loc["鄂北岗地打井出水难"]
    assert wells["outcome"] == "按专家划定的新点位打井后顺利出水" and wells["version"] == 2


def test_an_editor_imports_only_their_towns_rows(store, monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    user = auth.add_user(store, "hj", "password-123", "editor", ["黄集镇"])
    editor = Editor.for_session(store, auth.start_session(store, user))
    before = fingerprint(store)
    result = import_records(editor, read(csv_file(activity_rows()), "活动.csv"), "activities")
    assert list(result.problems["行号"]) == [2] and "张湾街道" in result.problems.iloc[0]["原因"]
    assert fingerprint(store) == before
    only_mine = import_records(editor, read(csv_file(activity_rows()[1:]), "活动.csv"), "activities")
    assert only_mine.ok and only_mine.new == 1


@pytest.mark.parametrize("text", [n for n in NAMES if len(n) <= 100])
def test_hostile_topics_stay_data_through_export_and_import(store, text):
    rows = activity_rows()[1:]
    rows[0]["议题"] = text
    result = import_records(admin(store), read(csv_file(rows), "活动.csv"), "activities")
    assert result.ok, result.problems
    mine = store.activities()
    assert stored(text) in set(mine["topic"])
    data = export.records_bytes(store, "activities", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["协商活动"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # never a live formula
    again = import_records(admin(store), read(data, "协商活动.xlsx"), "activities")
    assert again.ok and again.updated == 0, again.problems


def test_cli_import_and_export_of_members(store, tmp_path):
    path = tmp_path / "委员.csv"
    bad = [*MEMBER_ROWS, {**MEMBER_ROWS[0], "委员级别": "乡"}]
    path.write_bytes(csv_file(bad))
    before = fingerprint(store)
    run = subprocess.run([sys.executable, "-m", "loaders", "import", str(path), "--table", "members"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "第 4 行「委员级别」列，值「乡」" in run.stdout
    assert fingerprint(store) == before
    path.write_bytes(csv_file(MEMBER_ROWS))
    run = subprocess.run([sys.executable, "-m", "loaders", "import", str(path), "--table", "members"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "新增 2 条" in run.stdout, run.stdout + run.stderr
    out = tmp_path / "members.xlsx"
    run = subprocess.run([sys.executable, "-m", "loaders", "export", "--table", "members", "--format", "xlsx",
                          "--out", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    names = {c.value for c in openpyxl.load_workbook(out)["委员"]["B"]}
    assert {"导某001", "导某002"} <= names
