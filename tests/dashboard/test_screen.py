"""The 大屏 meeting screen through AppTest: KPIs on the sample store, presets from the URL, resilience, the map."""
from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pandas as pd
from pagehelpers import units_of
from streamlit.testing.v1 import AppTest

from dashboard.components.screen_page import darkmap, markup, presets, snapshot, tour
from loaders import clock, figures, progress
from loaders.filters import Filter

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGE = "views/screen.py"


def run_screen(query: dict | None = None, at: AppTest | None = None) -> AppTest:
    if at is None:
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def html_of(at: AppTest, marker: str) -> str:
    found = [m.value for m in at.markdown if marker in m.value]
    assert found, f"no markdown with {marker}"
    return found[0]


def kpi_values(at: AppTest) -> dict[str, int]:
    block = html_of(at, "xz-kpis")
    return {key: int(value.replace(",", "")) for key, value in
            re.findall(r'data-kpi="(\w+)".*?<span class="xz-num">([\d,]+)</span>', block)}


def map_args(at: AppTest) -> dict:
    components = at.get("component_instance")
    assert len(components) == 1
    return json.loads(components[0].proto.json_args)


def points_sent(args: dict) -> int:
    script, decoder, total, start = args["feature_group"] or "", json.JSONDecoder(), 0, 0
    while (at := script.find("L.xzPoints(", start)) >= 0:
        value, start = decoder.raw_decode(script, at + len("L.xzPoints("))
        total += len(value["c"])
    return total


def updated_at(at: AppTest) -> str:
    return re.search(r"数据更新于 <b>([\d:]+)</b>", html_of(at, "xz-footer")).group(1)


def test_screen_shows_the_article_figures_offline(store_path, store):
    at = run_screen()
    assert markup.TITLE in html_of(at, "xz-title")
    work = figures.headline(store)
    report = progress.report(store)
    assert kpi_values(at) == {"members": work.members_taking_part, "activities": work.activities, "demo_site": 17,
                              "issues": 63, "resolved": 24, "forwarded": 25, "wells": 8, "bridges": 4,
                              "overdue": len(report.overdue), "month_new": report.this_month["new"]}
    assert len(report.overdue) > 0  # the sample's open points are long past their limits
    args = map_args(at)
    assert points_sent(args) == 113
    assert args["returned_objects"] == []  # nobody clicks the screen: no reruns from the map
    for url in args["js_links"] + args["css_links"]:
        assert url.startswith("/app/static/"), url
    for part in ("script", "header", "html", "feature_group"):
        assert "://" not in (args[part] or ""), part
    assert "#050f1f" in args["header"] and "示意范围" in args["script"]  # dark, and says the areas are schematic
    assert at.session_state[tour.TOGGLE] is True
    footer = html_of(at, "xz-footer")
    assert "每 30 秒刷新" in footer and "巡览每 20 秒" in footer and "xz-stale" not in footer
    assert "最新动态" in html_of(at, "xz-feed")
    assert len(at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")) == 1


def test_presets_come_from_the_url(store_path, store):
    at = run_screen({"unit": "黄集", "kind": "issue", "refresh": "5", "tour": "off"})
    assert set(kpi_values(at)) == {"members", "activities", "issues", "resolved", "forwarded", "overdue", "month_new"}
    code = units_of(store).code_of("黄集")
    expected = len(store.points(Filter(kinds=("issue",), unit_codes=(code,))))
    assert kpi_values(at)["issues"] == expected
    assert points_sent(map_args(at)) == expected
    assert at.session_state[tour.TOGGLE] is False
    footer = html_of(at, "xz-footer")
    assert "每 5 秒刷新" in footer and "巡览" not in footer
    assert "所选乡镇" in html_of(at, "xz-tour")


def test_parse_presets(store):
    units = units_of(store)
    code = units.code_of("古驿")
    parsed = presets.from_query({"units": "古驿,不存在", "kinds": "水井，bridge", "refresh": "10s", "tour": "3"},
                                units)
    assert parsed == presets.Presets(Filter(kinds=("well", "bridge"), unit_codes=(code,)), 10, 3, True)
    assert parsed.tick == 1
    assert presets.from_query({}, units) == presets.Presets()
    assert presets.from_query({"refresh": "abc", "tour": "nan"}, units) == presets.Presets()
    assert presets.from_query({"refresh": "0", "tour": "99999"}, units).refresh == 1
    assert presets.from_query({"tour": "99999"}, units).tour == 3600
    assert presets.from_query({"tour": "off"}, units).tour_on is False
    assert presets.from_query({"tour": "15", "autotour": "0"}, units) == presets.Presets(tour=15, tour_on=False)
    # the same filter words as every page
    wanted = presets.from_query({"unit": "古驿", "stage": "进行中", "status": "协商中", "q": "井", "from": "2022-01-01"},
                                units).where
    assert wanted == Filter(unit_codes=(code,), stages=("进行中",), statuses=("协商中",), keyword="井",
                            date_from=dt.date(2022, 1, 1))


def test_stage_and_status_presets_filter_the_screen(store_path, store):
    at = run_screen({"kind": "issue", "status": "协商中", "tour": "off"})
    expected = store.points(Filter(kinds=("issue",), statuses=("协商中",)))
    assert 0 < len(expected) < 63
    assert kpi_values(at)["issues"] == len(expected) == points_sent(map_args(at))


def test_store_unreadable_keeps_the_last_data(store_path):
    at = run_screen({"refresh": "1", "tour": "off"})
    before, read_at = kpi_values(at), updated_at(at)
    good = store_path.read_bytes()

    time.sleep(1.1)
    store_path.write_bytes(b"this is not a GeoPackage" * 100)  # corrupt
    run_screen(at=at)
    assert kpi_values(at) == before and updated_at(at) == read_at
    assert "xz-stale" in html_of(at, "xz-footer")
    assert points_sent(map_args(at)) == 113

    time.sleep(1.1)
    store_path.unlink()  # gone
    run_screen(at=at)
    assert kpi_values(at) == before and "xz-stale" in html_of(at, "xz-footer")
    assert not store_path.exists()  # reading never creates an empty file in its place

    time.sleep(1.1)
    store_path.write_bytes(good)  # back
    run_screen(at=at)
    assert "xz-stale" not in html_of(at, "xz-footer") and kpi_values(at) == before


def test_store_unreadable_from_the_start_shows_a_waiting_screen(store_path):
    store_path.unlink()
    at = run_screen()
    assert "正在连接数据" in html_of(at, "xz-waiting")


def test_base_map_script_stays_the_same_when_data_changes(store_path, store):
    at = run_screen({"refresh": "1", "tour": "off"})
    first = map_args(at)
    issue = store.points(Filter(kinds=("issue",), statuses=("协商中",))).iloc[0]
    store.update_point(issue["id"], {"status": "已解决"}, int(store.point(issue["id"])["version"]), "张三")
    time.sleep(1.1)
    run_screen(at=at)
    second = map_args(at)
    assert second["script"] == first["script"] and second["html"] == first["html"]
    assert second["feature_group"] != first["feature_group"]
    assert kpi_values(at)["resolved"] == 25
    feed = html_of(at, "xz-feed")
    assert "张三" in feed and "协商中 → 已解决" in feed and "最近更新的点位" not in feed


def tour_data(args: dict) -> dict:
    """The tour's data for static/screen-map.js: every stop's view, outline and enlarged points."""
    script = args["feature_group"] or ""
    at = script.index("L.xzScreenTour(") + len("L.xzScreenTour(")
    return json.JSONDecoder().raw_decode(script, at)[0]


def test_tour_moves_through_the_units_then_the_district(store_path, store, monkeypatch):
    at = run_screen({"tour": "2", "refresh": "2"})
    stops, groups = [], set()
    clock = [time.monotonic()]
    monkeypatch.setattr(tour.time, "monotonic", lambda: clock[0])
    for _ in range(19):
        clock[0] += 2
        run_screen(at=at)
        block = html_of(at, "xz-tour-name")
        stops.append(re.search(r'data-stop="(\d*)"', block).group(1))
        groups.add(map_args(at)["feature_group"])
    assert len(set(stops[:17])) == 17 and stops[17] == "" and stops[18] == stops[0]
    # the map is not redrawn from one stop to the next: it has every stop's view and shows the card's stop
    assert len(groups) == 1 and map_args(at)["center"] is None and map_args(at)["zoom"] is None
    data = tour_data(map_args(at))
    assert set(data["stops"]) == set(stops)
    assert len({tuple(s["view"]) for s in data["stops"].values()}) == 18  # every stop has its own view
    units = units_of(store)
    for code in stops[:17]:  # each town's outline and its points, enlarged
        shown = data["stops"][code]
        assert {f["properties"]["code"] for f in shown["outline"]["features"]} == set(units.areas_of((code,)))
        assert sum(len(p["c"]) for p in shown["points"]) == len(store.points(Filter(unit_codes=(code,))))
    assert data["stops"][""]["outline"] is None and data["stops"][""]["points"] == []
    assert data["outline_style"]["color"] == darkmap.HIGHLIGHT and darkmap.HIGHLIGHT not in map_args(at)["script"]


def test_feed_describes_changes_in_chinese():
    history = pd.DataFrame([
        {"fid": 3, "at": "2024-05-01T10:05:00+08:00", "user": "李四", "action": "follow_up", "point_id": "p-1",
         "fields": ["text"], "before": {}, "after": {"text": "已约谈施工单位"}},
        {"fid": 2, "at": "2024-04-30T09:00:00+08:00", "user": "张三", "action": "update", "point_id": "p-1",
         "fields": ["status"], "before": {"status": "协商中"}, "after": {"status": "已解决"}},
        {"fid": 1, "at": "2024-04-01T09:00:00+08:00", "user": "init", "action": "create", "point_id": "p-1",
         "fields": [], "before": {}, "after": {"name": "x"}},
    ])
    points = pd.DataFrame([{"id": "p-1", "name": "<b>朱庄饮水</b>", "unit_code": "u1", "stage": "已完成"}])
    items = snapshot.latest_changes(history, points, {"u1": "张湾"}, today=dt.date(2024, 5, 1))
    assert [(i.when, i.name, i.what, i.unit) for i in items] == [
        ("10:05", "<b>朱庄饮水</b>", "李四 · 跟踪记录：已约谈施工单位", "张湾"),
        ("04-30 09:00", "<b>朱庄饮水</b>", "张三 · 状态 协商中 → 已解决", "张湾")]
    snapshot_html = markup.feed_html(type("S", (), {"feed": tuple(items), "feed_is_history": True, "thumbs": ()})())
    assert "<b>朱庄" not in snapshot_html and "&lt;b&gt;朱庄饮水&lt;/b&gt;" in snapshot_html


def test_photos_fold_into_the_follow_up_they_came_with_or_make_one_line():
    def row(fid, action, point, after):
        return {"fid": fid, "at": f"2024-05-01T10:{fid:02d}:00+08:00", "user": "李四", "action": action,
                "point_id": point, "fields": [], "before": {}, "after": after}

    history = pd.DataFrame([  # newest first, as the audit log is read
        row(6, "photo_add", "p-2", {"photo": "ph-c"}),
        row(5, "photo_add", "p-1", {"photo": "ph-b"}),
        row(4, "photo_add", "p-1", {"photo": "ph-a"}),
        row(3, "follow_up", "p-1", {"text": "清淤完成"}),
        row(2, "update", "p-1", {"status": "协商中"}),
    ])
    points = pd.DataFrame([{"id": "p-1", "name": "排水沟", "unit_code": "u1", "stage": "进行中"},
                           {"id": "p-2", "name": "机井", "unit_code": "u1", "stage": "进行中"}])
    items = snapshot.latest_changes(history, points, {"u1": "黄集"}, today=dt.date(2024, 5, 1))
    assert [(i.name, i.what, i.photo) for i in items] == [
        ("机井", "李四 · 上传照片 1 张", "ph-c"),
        ("排水沟", "李四 · 跟踪记录：清淤完成（附照片 2 张）", "ph-a"),
        ("排水沟", "李四 · 更新", None)]


def test_the_screen_shows_a_follow_ups_photo_as_a_thumbnail(store_path, store):
    from photo_files import sideways_jpeg

    from loaders import photos

    point = store.point(str(store.points(Filter(kinds=("issue",)))["id"].iloc[0]))
    two = [photos.prepare(sideways_jpeg(), name) for name in ("前.jpg", "后.jpg")]
    store.add_follow_up(point["id"], {"text": "整改前后对比"}, point["version"], "李四", photos=two)
    feed = html_of(run_screen(), "xz-feed")
    assert "整改前后对比（附照片 2 张）" in feed
    assert re.search(r'<img class="xz-feed-photo" alt="照片" src="data:image/jpeg;base64,[A-Za-z0-9+/=]+">', feed)


def test_overdue_and_this_months_figures_are_on_the_screen(store_path, store):
    at = run_screen({"refresh": "1", "tour": "off"})
    report = progress.report(store)
    late = html_of(at, "xz-late")
    assert f"共 {len(report.overdue)} 项" in late
    for row in report.overdue.head(markup.OVERDUE_ROWS).itertuples():  # the most overdue first: town, name, days
        assert re.search(rf'{row.unit_name}</span><span class="xz-late-name">{re.escape(row.name)}</span>'
                         rf'<span class="xz-late-days"><b>{row.days_over:,}</b> 天', late)
    data = tour_data(map_args(at))  # each overdue point gets a ring on the map, and the legend says what it means
    assert len(data["overdue"]) == len(report.overdue) and "逾期" in map_args(at)["script"]

    # a new problem today: 本月新增 goes up, and once it is solved, 本月解决
    before = kpi_values(at)
    today = clock.today().isoformat()
    point = store.add_point({"kind": "issue", "status": "待协商", "lon": 112.10, "lat": 32.33, "opened_on": today,
                             "unit_code": "420607102000", "name": "<i>大屏</i>新问题"}, "李四")
    time.sleep(1.1)
    run_screen(at=at)
    assert kpi_values(at)["month_new"] == before["month_new"] + 1
    store.update_point(point, {"status": "已解决", "resolved_on": today}, int(store.point(point)["version"]), "李四")
    time.sleep(1.1)
    run_screen(at=at)
    assert re.search(r'data-kpi="month_new".*?本月解决 (\d+)', html_of(at, "xz-kpis")).group(1) == str(
        progress.report(store).this_month["resolved"])
    assert progress.report(store).this_month["resolved"] >= 1


def test_an_overdue_name_is_text_not_markup(store_path, store):
    worst = progress.report(store).overdue.iloc[0]["id"]
    store.update_point(worst, {"name": "<b>逾期</b>的井"}, int(store.point(worst)["version"]), "李四")
    html = html_of(run_screen({"tour": "off"}), "xz-late")
    assert "<b>逾期</b>" not in html and "&lt;b&gt;逾期&lt;/b&gt;的井" in html


def test_the_resolution_rate_counts_every_status_even_with_a_status_preset(store_path, store):
    notes = dict(re.findall(r'data-kpi="(\w+)".*?<div class="xz-kpi-note">([^<]*)</div>',
                            html_of(run_screen({"kind": "issue", "status": "已解决", "tour": "off"}), "xz-kpis")))
    assert notes["resolved"] == "解决率 39%"  # 24 of 63 less the withdrawn, not 100 % of the 24 shown


def test_the_switch_pauses_and_resumes_the_tour(store_path):
    at = run_screen({"tour": "2", "refresh": "2"})
    assert at.toggle[0].value is True and "自动巡览" in html_of(at, "xz-tour")
    at.toggle[0].set_value(False)
    run_screen(at=at)
    assert at.session_state[tour.TOGGLE] is False and "巡览已暂停" in html_of(at, "xz-tour")
    assert at.toggle[0].value is False
    at.toggle[0].set_value(True)
    run_screen(at=at)
    assert at.session_state[tour.TOGGLE] is True and "巡览已暂停" not in html_of(at, "xz-tour")


def test_a_change_of_time_limits_is_not_news_shown_as_a_nameless_point(store):
    # An admin's 办理时限 save is an audit row without a point: the feed showed 「（点位） 王主任 · setting」.
    from dashboard.components import history as history_page
    from loaders import auth, deadlines
    from loaders.editing import Editor

    auth.add_user(store, "王主任", "password-123", "admin")
    Editor.for_user(store, "王主任").set_deadlines(deadlines.make({("issue", "待协商"): 7}))
    audit = store.history(limit=50)
    assert audit.iloc[0]["action"] == "setting"
    items = snapshot.latest_changes(audit, store.points(Filter()), {})
    assert not any("setting" in i.what or i.name == "（点位）" for i in items), items[:2]
    assert history_page.ACTIONS["setting"] == "修改设置"
