"""The filter language read from a URL someone made by hand: dates outside what the pages' date pickers offer
(2000-01-01 … 2100-01-01) are not understood, said so, and left out, for points and for activities alike."""
from __future__ import annotations

import datetime as dt

import pytest

from loaders.filters import ActivityFilter, Filter


@pytest.mark.parametrize("text", ["9999-12-31", "1800-01-01", "2100-01-02", "0001-01-01", "1999-12-31", "2022-13-45"])
def test_a_date_no_page_can_show_is_reported_and_ignored(store, text):
    units = store.units()
    points, problems = Filter.from_query({"from": text, "to": "2023-06-30"}, units)
    assert problems == [f"日期「{text}」"]
    assert points.date_from is None and points.date_to == dt.date(2023, 6, 30)
    activities, problems = ActivityFilter.from_query({"to": text}, units, {})
    assert problems == [f"日期「{text}」"] and activities.date_to is None


def test_the_edges_of_the_range_are_kept(store):
    points, problems = Filter.from_query({"from": "2000-01-01", "to": "2100-01-01"}, store.units())
    assert problems == [] and (points.date_from, points.date_to) == (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
