"""The 进展 page and the time figures of the map pages (issue 13), run with AppTest on the bundled data: honest rates
under a status filter, 逾期 cards, the page's lists for one town, the past-day map, the admin's time limits."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pagehelpers import APP, map_args, metrics, open_signed_in, payloads
from streamlit.testing.v1 import AppTest

from dashboard.components import admin_deadlines
from loaders import auth, deadlines, model
from loaders.editing import Editor
from loaders.filters import Filter
from loaders.model import ValidationError

HUANGJI = "420607102000"


def open_points(store, where: Filter) -> pd.DataFrame:
    points = store.points(where)
    return points[points["stage"].isin(model.OPEN_STAGES)]


def test_the_solve_rate_is_not_100_percent_when_only_solved_issues_are_shown(run_page, store):
    issues = store.points(Filter(kinds=("issue",)))
    base = len(issues) - int((issues["status"] == "已撤销").sum())
    solved = int((issues["status"] == "已解决").sum())
    at = run_page("issue", {"status": "已解决"})
    assert metrics(at)["已解决"] == str(solved) and metrics(at)["总数"] == str(solved)
    rate = next(m for m in at.metric if m.label == "问题解决率")
    assert rate.value == f"{solved / base * 100:.1f}%" != "100.0%"
    assert rate.proto.delta == f"按全部状态 {base} 件"
    overview = run_page(None, {"status": "已解决"})
    assert metrics(overview)["问题解决率"] == rate.value


def test_overdue_is_a_card_beside_solved_and_counts_the_open_points_past_their_limit(run_page, store):
    # The bundled sample ends in 2023: every open issue is past every default limit (at most 60 days for issues).
    expected = len(open_points(store, Filter(kinds=("issue",))))
    at = run_page("issue")
    assert metrics(at)["逾期"] == str(expected) and expected > 0
    labels = [m.label for m in run_page().metric]
    assert labels.index("逾期") == labels.index("已解决问题") + 1


def progress_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("views/progress.py")
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_progress_page_answers_for_one_town(store):
    at = progress_page({"unit": "黄集"})
    open_now = open_points(store, Filter(unit_codes=(HUANGJI,)))
    values = metrics(at)
    assert values["未办结"] == str(len(open_now)) and values["逾期"] == str(len(open_now))
    tables = [frame.value for frame in at.dataframe]
    listed = next(t for t in tables if "逾期（天）" in t.columns)
    assert sorted(listed["名称"]) == sorted(open_now["name"]) and set(listed["乡镇（街道）"]) == {"黄集"}
    assert (listed["逾期（天）"] > 0).all()
    by_town = next(t for t in tables if "逾期件数" in t.columns and "乡镇（街道）" in t.columns)
    assert by_town.to_dict("records") == [{"乡镇（街道）": "黄集", "逾期件数": len(open_now),
                                           "最长逾期（天）": int(listed["逾期（天）"].max())}]
    assert any("办结用时" in m.value for m in at.markdown)


def test_the_map_of_a_past_day_shows_what_was_registered_by_then(store):
    at = progress_page()
    day = dt.date(2022, 12, 31)
    at.select_slider(key="xz_progress_day").set_value(day).run()
    assert not at.exception, [e.value for e in at.exception]
    points = store.points()
    started = points["opened_on"].fillna(points["created_at"].str[:10])
    registered = points[started <= day.isoformat()]
    settled = registered["resolved_on"].notna() & (registered["resolved_on"] <= day.isoformat())
    caption = next(c.value for c in at.caption if c.value.startswith("截至 2022-12-31"))
    assert f"已登记 {len(registered)} 个点位" in caption
    assert f"其中未办结 {int((~settled).sum())} 个" in caption
    assert sum(len(p["c"]) for p in payloads(map_args(at))) == len(registered)


def test_limits_an_admin_saves_move_the_cards_and_can_be_put_back(run_page, store):
    issues = open_points(store, Filter(kinds=("issue",)))
    at = open_signed_in(store, "views/admin.py")
    shown = next(frame.value for frame in at.dataframe if "时限（天）" in frame.value.columns)
    assert shown.loc[shown["状态"] == "待协商", "时限（天）"].tolist() == [30]
    # 待协商 without a limit: those issues are no longer overdue.
    Editor(store, auth.User("staff", "admin")).set_deadlines(
        deadlines.make({("issue", "协商中"): 30, ("issue", "跟踪督办"): 60}))
    assert metrics(run_page("issue"))["逾期"] == str(int((issues["status"] != "待协商").sum()))
    at.button(key="adm_deadlines_reset").click().run()  # the page was opened before that change: refused
    assert any("另一位管理员刚刚修改了办理时限" in e.value for e in at.error)
    assert deadlines.limits(store).days("issue", "待协商") is None
    at.button(key="adm_deadlines_reset").click().run()  # now it shows the new limits, and putting them back works
    assert any("办理时限已保存" in s.value for s in at.success)
    assert deadlines.limits(store) == deadlines.DEFAULT_LIMITS
    assert metrics(run_page("issue"))["逾期"] == str(len(issues))


@pytest.mark.parametrize(("value", "words"), [(-5, "0–3650"), (2.5, "0–3650"), (99999, "0–3650")])
def test_a_wrong_limit_in_the_admin_table_is_named(value, words):
    table = admin_deadlines.table(deadlines.DEFAULT_LIMITS).astype({admin_deadlines.COLUMN: object})
    table.loc[table["状态"] == "跟踪督办", admin_deadlines.COLUMN] = value
    with pytest.raises(ValidationError, match=f"问题点「跟踪督办」的办理时限「{value}」.*{words}"):
        admin_deadlines.limits_from(table)
