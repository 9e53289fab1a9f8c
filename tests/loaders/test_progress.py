"""Time and ageing (issue 13): time limits as data an admin sets, when a point entered its status, what is overdue and
due this week, per-month new / resolved / forwarded / open, how long settling takes by town and 责任单位, and what
was open on a past day. Dates are given by hand here and every expected number is counted by hand from them."""
from __future__ import annotations

import datetime as dt

import pytest

from loaders import auth, backup, deadlines, progress
from loaders.editing import Editor, PermissionDenied
from loaders.filters import Filter
from loaders.model import ValidationError
from loaders.store import StoreError, open_store

HUANGJI = "420607102000"
GUYI = "420607103000"
MARK = "测试进展"  # in every name here, so Filter(keyword=MARK) selects only these points
ONLY_MINE = Filter(keyword=MARK)


def issue(store, name, opened, status="待协商", resolved=None, unit=HUANGJI, responsible="区住建局"):
    return store.add_point({
        "kind": "issue", "status": status, "lon": 112.10, "lat": 32.33, "unit_code": unit,
        "name": f"{MARK}{name}", "opened_on": opened, "resolved_on": resolved, "responsible_unit": responsible,
    }, "admin")


def follow_up(store, point_id, date, status):
    point = store.point(point_id)
    store.add_follow_up(point_id, {"date": date, "text": "督办", "status": status}, point["version"], "admin")


# Time limits -------------------------------------------------------------------------------------------------------
def test_the_default_limits_cover_the_open_statuses_of_issues():
    limits = deadlines.DEFAULT_LIMITS
    assert (limits.days("issue", "待协商"), limits.days("issue", "跟踪督办")) == (30, 60)
    assert limits.days("issue", "已解决") is None  # a finished status has no limit
    assert "问题点：待协商 30 天" in limits.describe()


@pytest.mark.parametrize(("value", "words"), [
    (-1, "0–3650 的整数天"), (1.5, "0–3650 的整数天"), ("三十", "不是数字"), (5000, "0–3650 的整数天"),
    (float("inf"), "0–3650 的整数天"),
])
def test_a_wrong_limit_is_refused_naming_the_kind_status_and_value(value, words):
    with pytest.raises(ValidationError) as refused:
        deadlines.make({("issue", "跟踪督办"): value})
    assert "问题点「跟踪督办」" in str(refused.value) and words in str(refused.value) and str(value) in str(refused.value)


def test_a_limit_on_a_finished_status_is_refused():
    with pytest.raises(ValidationError, match="问题点「已解决」不是未完成的状态"):
        deadlines.make({("issue", "已解决"): 30})


def test_only_an_admin_changes_the_limits_and_the_change_is_audited(any_store):
    auth.add_user(any_store, "hj", "password-123", "editor", [HUANGJI])
    auth.add_user(any_store, "boss", "password-123", "admin")
    shorter = deadlines.make({("issue", "待协商"): 10})
    version = any_store.data_version()
    with pytest.raises(PermissionDenied):
        Editor.for_user(any_store, "hj").set_deadlines(shorter)
    assert deadlines.limits(any_store) == deadlines.DEFAULT_LIMITS and any_store.data_version() == version
    Editor.for_user(any_store, "boss").set_deadlines(shorter, expected=deadlines.DEFAULT_LIMITS)
    assert deadlines.limits(any_store).days("issue", "待协商") == 10
    assert deadlines.limits(any_store).days("issue", "跟踪督办") is None  # the table saved is the whole table
    assert any_store.data_version() > version
    last = any_store.history(limit=1).iloc[0]
    assert (last["action"], last["user"]) == ("setting", "boss")
    assert last["after"]["deadlines"] == {"issue": {"待协商": 10}}


def test_limits_changed_by_another_admin_meanwhile_are_not_overwritten(any_store):
    auth.add_user(any_store, "boss", "password-123", "admin")
    admin = Editor.for_user(any_store, "boss")
    admin.set_deadlines(deadlines.make({("issue", "待协商"): 20}))
    version = any_store.data_version()
    with pytest.raises(StoreError, match="另一位管理员刚刚修改了办理时限"):
        admin.set_deadlines(deadlines.make({("issue", "待协商"): 45}), expected=deadlines.DEFAULT_LIMITS)
    assert deadlines.limits(any_store).days("issue", "待协商") == 20 and any_store.data_version() == version


def test_saving_the_same_limits_again_writes_nothing(any_store):
    any_store.set_setting("deadlines", {"issue": {"待协商": 30}}, "boss")
    version = any_store.data_version()
    any_store.set_setting("deadlines", {"issue": {"待协商": 30}}, "boss")
    assert any_store.data_version() == version


def test_limits_travel_with_a_backup(store, tmp_path):
    Editor.for_user(store, auth.add_user(store, "boss", "password-123", "admin").name).set_deadlines(
        deadlines.make({("well", "规划"): 15}))
    snapshot = backup.backup(store.location, tmp_path / "snap.gpkg")
    target = tmp_path / "restored.gpkg"
    backup.restore(snapshot, target)
    assert deadlines.limits(open_store(str(target))).days("well", "规划") == 15


# When a point entered its status; overdue and due ------------------------------------------------------------------
def test_a_problem_moved_to_督办_is_timed_from_the_day_it_moved(any_store):
    point_id = issue(any_store, "督办中", "2026-09-01", responsible="区住建局、古驿镇人民政府")
    follow_up(any_store, point_id, "2026-09-20", "协商中")
    follow_up(any_store, point_id, "2026-10-01", "跟踪督办")
    follow_up(any_store, point_id, "2026-10-20", "跟踪督办")  # a second 督办 round does not restart the clock
    report = progress.report(any_store, ONLY_MINE, today=dt.date(2026, 12, 15))
    (row,) = report.overdue.to_dict("records")
    # 2026-10-01 + 60 days = 2026-11-30; 2026-12-15 is 15 days later.
    assert (row["since"], row["limit_days"], row["due"], row["days_over"]) == ("2026-10-01", 60, "2026-11-30", 15)
    assert (row["unit_name"], row["responsible_unit"]) == ("黄集", "区住建局、古驿镇人民政府")
    assert report.this_month["overdue"] == 1


def test_a_point_within_its_limit_is_due_this_week_not_overdue(store):
    issue(store, "将到期", "2026-12-10")  # 待协商 since 12-10: due 2027-01-09
    report = progress.report(store, ONLY_MINE, today=dt.date(2027, 1, 5))
    assert report.overdue.empty
    assert report.due_soon[["due", "days_left"]].to_dict("records") == [{"due": "2027-01-09", "days_left": 4}]
    later = progress.report(store, ONLY_MINE, today=dt.date(2027, 1, 10))
    assert later.overdue["days_over"].tolist() == [1] and later.due_soon.empty


def test_no_limit_means_never_overdue_and_a_finished_point_is_never_overdue(store):
    issue(store, "老问题", "2020-01-01")
    issue(store, "已解决的老问题", "2020-01-01", status="已解决", resolved="2020-02-01")
    assert len(progress.report(store, ONLY_MINE, today=dt.date(2026, 1, 1)).overdue) == 1
    store.set_setting("deadlines", {"issue": {"跟踪督办": 60}}, "boss")
    assert progress.report(store, ONLY_MINE, today=dt.date(2026, 1, 1)).overdue.empty


def test_a_status_changed_in_the_form_restarts_the_clock_on_the_day_it_was_saved(store):
    point_id = issue(store, "表单改状态", "2020-01-01")
    store.update_point(point_id, {"status": "协商中"}, store.point(point_id)["version"], "admin")
    today = dt.date.fromisoformat(store.point(point_id)["updated_at"][:10])
    report = progress.report(store, ONLY_MINE, today=today + dt.timedelta(days=31))
    assert report.overdue[["since", "days_over"]].to_dict("records") == [{"since": today.isoformat(), "days_over": 1}]


def test_overdue_follows_the_whole_filter_and_the_view_marks_overdue_points(store):
    issue(store, "黄集逾期", "2026-01-01", unit=HUANGJI)
    issue(store, "古驿逾期", "2026-01-01", unit=GUYI)
    report = progress.report(store, ONLY_MINE.but(unit_codes=(GUYI,)), today=dt.date(2026, 3, 1))
    assert report.overdue["name"].tolist() == [f"{MARK}古驿逾期"]
    points = store.points(ONLY_MINE, columns=progress.COLUMNS)
    days = progress.overdue_days(points, store.status_events(), deadlines.DEFAULT_LIMITS, dt.date(2026, 3, 1))
    assert days.tolist() == [29.0, 29.0]  # 2026-01-01 + 30 = 01-31; 03-01 is 29 days later


# Months, durations, a past day -------------------------------------------------------------------------------------
@pytest.fixture
def three(store):
    """A: registered 01-10, solved 03-05 (54 days). B: registered 02-01, forwarded 02-20. C: registered 02-15, open."""
    a = issue(store, "A", "2026-01-10", "已解决", "2026-03-05", responsible="区住建局、古驿镇人民政府")
    b = issue(store, "B", "2026-02-01", "已转社情民意", "2026-02-20")
    c = issue(store, "C", "2026-02-15", unit=GUYI)
    follow_up(store, c, "2026-03-01", "协商中")
    return store, a, b, c


def test_each_month_counts_new_resolved_forwarded_and_open_at_its_end(three):
    store, *_ = three
    months = progress.report(store, ONLY_MINE, today=dt.date(2026, 3, 20)).monthly
    assert months.to_dict("records") == [
        {"month": "2026-01", "new": 1, "resolved": 0, "forwarded": 0, "open_end": 1},
        {"month": "2026-02", "new": 2, "resolved": 0, "forwarded": 1, "open_end": 2},
        {"month": "2026-03", "new": 0, "resolved": 1, "forwarded": 0, "open_end": 1},
    ]


def test_months_and_this_month_do_not_change_with_the_status_filter(three):
    store, *_ = three
    everything = progress.report(store, ONLY_MINE, today=dt.date(2026, 3, 20))
    solved_only = progress.report(store, ONLY_MINE.but(statuses=("已解决",)), today=dt.date(2026, 3, 20))
    assert solved_only.monthly.equals(everything.monthly)
    assert solved_only.this_month == everything.this_month == {"new": 0, "resolved": 1, "forwarded": 0, "open": 1,
                                                               "overdue": 0}


def test_settling_time_is_counted_by_town_and_by_each_responsible_unit(three):
    store, *_ = three
    report = progress.report(store, ONLY_MINE, today=dt.date(2026, 3, 20))
    assert report.duration_all == {"n": 1, "median_days": 54.0, "p90_days": 54.0}
    assert report.durations_by_unit[["label", "n", "median_days"]].to_dict("records") == [
        {"label": "黄集", "n": 1, "median_days": 54.0}]
    assert sorted(report.durations_by_responsible["label"]) == ["区住建局", "古驿镇人民政府"]


def test_a_past_day_shows_what_was_open_then(three):
    store, a, b, c = three
    points = store.points(ONLY_MINE, columns=progress.COLUMNS)
    events = store.status_events()
    then = progress.as_of(points, events, dt.date(2026, 2, 10)).set_index("id")
    assert sorted(then.index) == sorted([a, b])  # C was registered on 02-15
    assert (then.loc[a, "status"], then.loc[b, "stage"]) == ("待协商", "待办")
    later = progress.as_of(points, events, dt.date(2026, 3, 2)).set_index("id")
    assert later.loc[b, "status"] == "已转社情民意"  # forwarded on 02-20
    assert later.loc[c, "status"] == "协商中" and later.loc[a, "stage"] == "待办"
    assert progress.as_of(points, events, dt.date(2026, 3, 5)).set_index("id").loc[a, "status"] == "已解决"


def test_a_point_settled_before_it_was_entered_is_never_counted_as_less_than_nothing_open(store):
    # No 登记日期, 完成日期 in February, entered into the system today: it came in by February, not today; the month
    # chart used to count it settled in February but new this month, so "open at the month's end" fell below what
    # was open (and below zero for a town with only such points).
    issue(store, "A", "2026-01-10")
    d = issue(store, "D", None, "已解决", "2026-02-20")
    report = progress.report(store, ONLY_MINE)
    months = report.monthly.set_index("month")
    assert (months["open_end"] == 1).all(), months["open_end"].to_dict()
    assert (months.loc["2026-02", "new"], months.loc["2026-02", "resolved"]) == (1, 1)
    assert report.this_month["new"] == 0
    alone = progress.report(store, Filter(keyword=f"{MARK}D")).monthly
    assert (alone["open_end"] >= 0).all() and alone["new"].sum() == alone["resolved"].sum() == 1
    points = store.points(ONLY_MINE, columns=progress.COLUMNS)
    then = progress.as_of(points, store.status_events(), dt.date(2026, 2, 25)).set_index("id")
    assert then.loc[d, "status"] == "已解决"
    assert report.duration_all["n"] == 0  # its settling time is unknown, not zero


@pytest.mark.parametrize("stored_before", [True, False], ids=["changing", "first-save"])
def test_two_admins_saving_limits_at_the_same_moment_never_lose_one(any_store, monkeypatch, stored_before):
    # Admin A has checked that nobody changed the limits and is writing; admin B saves at that moment, from the same
    # table. B must wait for A and then be refused -- on PostgreSQL B used to read the old limits, pass the check and
    # overwrite A's (or fail on the settings key when nothing was stored yet).
    import threading

    auth.add_user(any_store, "a", "password-123", "admin")
    auth.add_user(any_store, "b", "password-123", "admin")
    start = deadlines.make({("issue", "待协商"): 20}) if stored_before else deadlines.DEFAULT_LIMITS
    if stored_before:
        Editor.for_user(any_store, "a").set_deadlines(start)
    store_b = open_store(any_store.location)
    checked, real_save = threading.Event(), deadlines.save

    def slow_save(store, limits, user):
        if user == "a":
            checked.set()
            threading.Event().wait(1.0)  # B tries meanwhile
        real_save(store, limits, user)

    monkeypatch.setattr(deadlines, "save", slow_save)
    outcome = {}

    def admin_b():
        checked.wait(10)
        try:
            Editor.for_user(store_b, "b").set_deadlines(deadlines.make({("issue", "待协商"): 45}), expected=start)
            outcome["b"] = "saved"
        except StoreError as error:
            outcome["b"] = str(error)

    other = threading.Thread(target=admin_b)
    other.start()
    Editor.for_user(any_store, "a").set_deadlines(deadlines.make({("issue", "待协商"): 10}), expected=start)
    other.join(20)
    assert "另一位管理员刚刚修改了办理时限" in outcome["b"]
    assert deadlines.limits(any_store).days("issue", "待协商") == 10


def test_months_stop_at_this_month_when_the_dates_asked_for_run_into_the_future(three):
    # `to=2100-01-01` (the latest date a link may ask for) drew 900 months that have not happened, flat to 2100.
    store, *_ = three
    months = progress.report(store, ONLY_MINE.but(date_to=dt.date(2100, 1, 1)), today=dt.date(2026, 3, 20)).monthly
    assert months["month"].tolist() == ["2026-01", "2026-02", "2026-03"]
    assert progress.report(store, ONLY_MINE.but(date_from=dt.date(2027, 1, 1)), today=dt.date(2026, 3, 20)).monthly.empty
