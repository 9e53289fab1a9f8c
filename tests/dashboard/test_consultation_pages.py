"""The consultation pages through AppTest: 协商活动 (map, filters in the URL, detail with members and issues),
委员履职 (participation, idle groups, the pairing), the headline figures on 总览 and the 大屏, an issue's lineage
timeline, and the staff paths (import of activities and members, the activity editor) -- on a store holding the
hand-made work of tests/work_fixtures.py beside the bundled data."""
from __future__ import annotations

import pytest
from hostile import NAMES, stored
from pagehelpers import APP, map_args, metrics, open_signed_in, payloads
from streamlit.testing.v1 import AppTest
from work_fixtures import OPINION_ISSUE, WATER_ISSUE, WATER_TOPIC, add_work

from loaders import figures

ACTIVITIES, MEMBERS = "views/activities.py", "views/members.py"


@pytest.fixture
def work(store):
    return add_work(store)


def run(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_activities_page_draws_activities_by_form_and_the_issues_they_raised(store, work):
    at = run(ACTIVITIES)
    shown = store.activities()
    assert metrics(at)["协商活动"] == f"{len(shown):,}场次"
    sent = payloads(map_args(at))
    activity_layer = [p for p in sent if p["kinds"][0]["label"] == "协商活动"]
    assert len(activity_layer) == 1 and len(activity_layer[0]["c"]) == len(shown)
    assert set(activity_layer[0]["statuses"]) >= {"现场", "现场+会场"}  # the legend is the forms
    assert WATER_TOPIC in activity_layer[0]["n"]
    issue_layers = [p for p in sent if p["kinds"][0]["label"] != "协商活动"]
    assert sum(len(p["c"]) for p in issue_layers) >= 3  # the issues raised: water, wells, opinion
    assert "L.polyline" in map_args(at)["feature_group"]  # the lines from activities to their issues


def test_a_linked_activity_opens_with_members_departments_and_issues(store, work):
    at = run(ACTIVITIES, {"activity": work["water"]})
    text = markdown(at)
    assert WATER_TOPIC in text.replace("\\", "")
    assert "参加的委员（4 名）" in text and "张某000" in text
    assert "区水利和湖泊局" in text and "朱庄社区八组居民吃水难" in text
    assert any(b.label == "查看" for b in at.button)


def test_activity_filters_come_from_the_url(store, work):
    at = run(ACTIVITIES, {"channel": "三级联动", "member": "黄某000"})
    assert metrics(at)["协商活动"] == "1场次" and metrics(at)["参与委员"] == "4名"
    assert at.selectbox(key="a_member").value == "黄某000"
    at = run(ACTIVITIES, {"form": "座谈会"})
    assert any("座谈会" in w.value for w in at.warning)  # ignored with a notice, not an error


def test_clicking_view_on_an_issue_opens_it_on_the_issue_page(store, work):
    at = run(ACTIVITIES, {"activity": work["water"]})
    next(b for b in at.button if b.label == "查看").click().run()
    assert not at.exception
    assert "来源与进展" in markdown(at)
    assert at.session_state["_xz_selected_point"] == WATER_ISSUE


def test_an_issue_shows_its_path_from_the_activity_to_the_outcome(store, work):
    at = run("views/issues.py", {"point": WATER_ISSUE})
    text = markdown(at).replace("\\", "")
    assert "来源与进展" in text
    path = text[text.index("来源与进展"):]
    assert path.index("· 提出") < path.index(WATER_TOPIC) < path.index("· 登记") < path.index("· 跟踪督办")
    assert path.index("· 跟踪督办") < path.index("· 结果")
    assert path[path.index("· 结果"):].split("\n")[1].strip() == "已解决"
    at = run("views/issues.py", {"point": OPINION_ISSUE})
    assert "转社情民意" in markdown(at)


def test_members_page_shows_participation_idle_groups_and_the_pairing(store, work):
    at = run(MEMBERS, {"group": "QZT1"})
    values = metrics(at)
    members, groups = figures.participation(store)
    assert values["区政协委员"] == f"{int((members['level'] == '区').sum()):,}名"
    assert values["本期无活动的活动组"] == f"{int((groups['activities'] == 0).sum())}个"
    text = markdown(at)
    assert "测试区直活动组" in text and "对口联系的乡镇活动组（2 个）" in text
    assert "测试张湾活动组" in text and "测试黄集活动组" in text
    tables = [d.value for d in at.dataframe]
    group_table = next(t for t in tables if "活动组" in t.columns and "提示" in t.columns)
    idle = group_table.set_index("活动组").loc["测试无活动组"]
    assert idle["本期活动"] == 0 and idle["提示"] == "本期无活动"
    # the pairing on the map: one line per paired town of the chosen group, drawn thick
    assert map_args(at)["feature_group"].count("L.polyline") >= 2


def test_a_period_without_activities_marks_every_group_idle(store, work):
    at = run(MEMBERS, {"from": "2030-01-01"})
    assert metrics(at)["本期参与委员"] == "0名"


def test_overview_and_screen_show_the_articles_headline_from_the_data(store, work):
    expected = figures.headline(store)
    values = metrics(run("views/overview.py"))
    assert values["委员参与"] == f"{expected.members_taking_part:,}名"
    assert values["协商活动"] == f"{expected.activities:,}场次"
    assert values["示范点"] == "17" and values["已解决问题"] == "24" and values["转社情民意"] == "25"
    screen = run("views/screen.py")
    html = "\n".join(m.value for m in screen.markdown)
    assert 'data-kpi="members"' in html and 'data-kpi="activities"' in html
    assert f"{expected.members_taking_part:,}" in html


@pytest.mark.parametrize("text", NAMES[:8])
def test_hostile_activity_topics_show_literally(store, work, text):
    activity = store.activity(work["water"])
    store.update_activity(work["water"], {"topic": text}, activity["version"], "admin")
    at = run(ACTIVITIES, {"activity": work["water"]})
    assert stored(text) in markdown(at).replace("\\", "")
    assert "<script>" not in map_args(at)["feature_group"].replace("\\u003c", "")


def test_the_activity_editor_saves_refuses_stale_saves_and_other_towns(store, work):
    at = open_signed_in(store, "views/edit.py", role="editor", units=["张湾街道"], name="zw")
    at.radio(key="edit_mode").set_value("协商活动").run()
    at.selectbox(key="ea_pick").set_value(work["water"]).run()
    at.text_area[1].input("一个月内解决了500多名居民的生活用水")  # 协商成果
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = store.activity(work["water"])
    assert saved["outcome"] == "一个月内解决了500多名居民的生活用水" and saved["updated_by"] == "zw"
    # someone else saves meanwhile: this form's save is refused and nothing of it is written
    store.update_activity(work["water"], {"place": "朱庄社区八组村委会"}, saved["version"], "admin")
    at.text_area[1].input("覆盖")
    next(b for b in at.button if b.label == "保存").click().run()
    assert any("已被 admin" in e.value for e in at.error)
    assert store.activity(work["water"])["outcome"] == "一个月内解决了500多名居民的生活用水"
    assert work["wells"] not in at.selectbox(key="ea_pick").options  # a 黄集 activity is not offered


def test_importing_activities_on_the_import_page(store, work, tmp_path):
    import pandas as pd

    at = open_signed_in(store, "views/import_data.py", role="admin", name="imp")
    at.segmented_control(key="imp_subject").set_value("activities").run()
    assert not at.exception
    assert any("整个文件都不写入" in c.value for c in at.caption)
    # (the upload widget itself is driven in the browser test; here the checks behind it)
    rows = pd.DataFrame([{"日期": "2022-05-01", "议题": "新活动", "形式": "会场", "协商渠道": "界别",
                          "经度": 112.2035, "纬度": 32.1164, "组织的委员活动组": "TZW"}])
    path = tmp_path / "活动.csv"
    rows.to_csv(path, index=False, encoding="utf-8-sig")
    from loaders.auth import User
    from loaders.editing import Editor
    from loaders.importing import read
    from loaders.importing.records import import_records

    result = import_records(Editor(store, User("imp", "admin")), read(path), "activities")
    assert result.ok and result.new == 1
