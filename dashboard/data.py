"""Cached data access for pages. Pages never open files or write SQL: they call these functions.

Caches are keyed on the store path, `store.data_version()` and the filter (a frozen, hashable `loaders.filters.Filter`),
never on a DataFrame argument. Frames come from `st.cache_resource` (shared, not copied per call: treat them as
read-only), so a rerun with an unchanged filter costs only `data_version()` queries. The units are one
`loaders.units.Units` object, made here and nowhere else in the dashboard.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import astuple, dataclass, fields

import numpy as np
import pandas as pd
import shapely
import streamlit as st

from loaders import clock, config, coords, deadlines, model
from loaders.filters import Filter
from loaders.geography import area_km2
from loaders.progress import COLUMNS as PROGRESS_COLUMNS
from loaders.progress import Report, overdue_days, report
from loaders.store import Store, open_store
from loaders.units import Units

# Columns a page needs for the map, KPIs and tables; the detail panel reads the whole record with store.point().
VIEW_COLUMNS = ("id", "kind", "status", "stage", "unit_code", "lon", "lat", "name", "village", "opened_on",
                "resolved_on", "sample", "created_at", "updated_at")
OTHER_UNIT = "其他"
SMALL_AREA_KM2 = 55


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return open_store(path)


def store() -> Store:
    return _store(str(config.store_location()))


def version() -> int:
    return store().data_version()


def _filter_key(where: Filter) -> tuple:
    return astuple(where)


def _filter_from_key(key: tuple) -> Filter:
    return Filter(**{f.name: value for f, value in zip(fields(Filter), key)})


@dataclass(frozen=True)
class View:
    """One filtered dataset and everything computed from it; feeds map, KPIs, tables, chart and detail panel."""

    points: pd.DataFrame
    by_kind: dict[str, int]
    by_stage: dict[str, int]
    by_status: dict[tuple[str, str], int]  # (kind, status) -> n
    unit_stage: pd.DataFrame  # index unit_code, columns STAGES, counts
    sample_count: int
    parts: dict[str, pd.DataFrame]  # kind -> its points (one map layer each), in model order
    # What the view was made from (store, data version, filter, day): a key for caches of what is drawn from it,
    # so that every session showing the same view shares the map's frame, the chart and the tables. Required: two
    # views with one key would share each other's drawings.
    key: tuple

    @property
    def total(self) -> int:
        return len(self.points)


def _view(points: pd.DataFrame, key: tuple) -> View:
    # Most recently updated first, once per cached view: tables and lists read from the top.
    points = points.sort_values("updated_at", ascending=False, kind="stable").reset_index(drop=True)
    by_kind = points.groupby("kind").size().to_dict() if len(points) else {}
    by_stage = points.groupby("stage").size().to_dict() if len(points) else {}
    by_status = points.groupby(["kind", "status"]).size().to_dict() if len(points) else {}
    if len(points):
        unit_stage = (points.assign(unit_code=points["unit_code"].fillna(OTHER_UNIT))
                      .groupby(["unit_code", "stage"]).size().unstack(fill_value=0))
    else:
        unit_stage = pd.DataFrame()
    unit_stage = unit_stage.reindex(columns=list(model.STAGES), fill_value=0)
    parts = {}
    if len(points):
        kinds = points["kind"].to_numpy()
        for kind in model.KINDS:
            mask = kinds == kind
            if mask.any():
                parts[kind] = points[mask].reset_index(drop=True)
    sample_count = int(points["sample"].sum()) if len(points) else 0
    return View(points, by_kind, by_stage, by_status, unit_stage, sample_count, parts, key)


@st.cache_resource(show_spinner=False, max_entries=48)
def _filtered(path: str, data_version: int, key: tuple, today: dt.date) -> View:
    points = _store(path).points(_filter_from_key(key), columns=VIEW_COLUMNS).reset_index(drop=True)
    events, limits = _timing(path, data_version)
    points["overdue_days"] = overdue_days(points, events, limits, today)
    return _view(points, (path, data_version, key, today))


def filtered(where: Filter) -> View:
    """The points `where` selects, with `overdue_days` (days over the time limit, NaN when not overdue)."""
    return _filtered(str(config.store_location()), version(), _filter_key(where), clock.today())


@st.cache_resource(show_spinner=False, max_entries=4)
def _timing(path: str, data_version: int) -> tuple[pd.DataFrame, deadlines.Limits]:
    """Status moves and time limits, read once per data version for every filter's overdue marks."""
    store_ = _store(path)
    return store_.status_events(), deadlines.limits(store_)


def limits() -> deadlines.Limits:
    return _timing(str(config.store_location()), version())[1]


@st.cache_resource(show_spinner=False, max_entries=32)
def _progress(path: str, data_version: int, key: tuple, today: dt.date) -> Report:
    return report(_store(path), _filter_from_key(key), today)


@st.cache_resource(show_spinner=False, max_entries=8)
def _as_of_inputs(path: str, data_version: int, key: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = tuple(dict.fromkeys((*PROGRESS_COLUMNS, "lon", "lat", "village", "sample")))
    points = _store(path).points(_filter_from_key(key), columns=columns).reset_index(drop=True)
    events, _ = _timing(path, data_version)
    return points, events[events["point_id"].isin(points["id"])]


def as_of_inputs(where: Filter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The points `where` selects whatever their status now, and their status moves: what
    `loaders.progress.as_of` needs to show a past day."""
    key = _filter_key(where.but(statuses=(), stages=()))
    return _as_of_inputs(str(config.store_location()), version(), key)


def progress(where: Filter) -> Report:
    """Months, durations, overdue and due lists for the points `where` selects (loaders.progress.report)."""
    return _progress(str(config.store_location()), version(), _filter_key(where), clock.today())


def export_points(where: Filter) -> pd.DataFrame:
    """Every column of the filtered points, for the export buttons (called only when one is clicked)."""
    return store().points(where)


@st.cache_resource(show_spinner=False, max_entries=8)
def _units(path: str, data_version: int) -> Units:
    return _store(path).units()


def units() -> Units:
    """Every unit (names, short names, map areas, the 17 of the network), for the current data version."""
    return _units(str(config.store_location()), version())


@st.cache_data(show_spinner=False, max_entries=8)
def _date_range(path: str, data_version: int) -> tuple[str, str] | None:
    return _store(path).date_range()


def date_range() -> tuple[dt.date, dt.date]:
    """The earliest and latest 登记日期 in the store (today twice when there is none)."""
    found = _date_range(str(config.store_location()), version())
    if not found:
        today = clock.today()
        return today, today
    return dt.date.fromisoformat(str(found[0])[:10]), dt.date.fromisoformat(str(found[1])[:10])


@st.cache_data(show_spinner=False, max_entries=256)
def point(point_id: str, data_version: int) -> dict | None:
    return store().point(point_id)


@st.cache_data(show_spinner=False, max_entries=256)
def follow_ups(point_id: str, data_version: int) -> list[dict]:
    return store().follow_ups(point_id)


def _convert(geometry, gcj02: bool):
    if not gcj02:
        return geometry
    return shapely.transform(geometry, lambda xy: np.column_stack(coords.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class MapGeography:
    """The outline and areas as GeoJSON dicts (in the base map's coordinates), label points and view boxes."""

    outline: dict
    areas: dict
    labels: tuple[tuple[str, str, bool, float, float, bool], ...]  # code, short name, in network, lat, lon, small
    bounds: dict[str, tuple[float, float, float, float]]  # code -> (south, west, north, east); "" = district


@st.cache_resource(show_spinner=False, max_entries=8)
def _map_geography(path: str, data_version: int, gcj02: bool) -> MapGeography:
    geography = _store(path).geography()
    outline = _convert(geography.outline, gcj02)
    features, labels, bounds = [], [], {}
    for area in geography.areas:
        geometry = _convert(area["geometry"], gcj02)
        properties = {"code": area["code"], "name": area.get("name") or "", "short_name": area.get("short_name") or "",
                      "in_network": bool(area.get("in_network"))}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": shapely.geometry.mapping(geometry.simplify(0.0005, preserve_topology=True))})
        at = geometry.representative_point()
        small = area_km2(area["geometry"]) < SMALL_AREA_KM2  # labelled only when zoomed in
        labels.append((area["code"], properties["short_name"], properties["in_network"], round(at.y, 5), round(at.x, 5),
                       small))
        west, south, east, north = geometry.bounds
        bounds[area["code"]] = (south, west, north, east)
    west, south, east, north = outline.bounds
    bounds[""] = (south, west, north, east)
    outline_json = {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(outline)}
    return MapGeography(outline_json, {"type": "FeatureCollection", "features": features}, tuple(labels), bounds)


def map_geography(gcj02: bool = False) -> MapGeography:
    return _map_geography(str(config.store_location()), version(), gcj02)


# The consultation work -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Work:
    """Activities, members, groups and the lineage, read once per data version (a few hundred rows each)."""

    activities: pd.DataFrame  # store.activities(): newest first
    members: pd.DataFrame
    groups: pd.DataFrame
    pairings: pd.DataFrame
    taking_part: pd.DataFrame  # activity_id, member_id
    lineage: pd.DataFrame  # point_id, activity_id, role

    @property
    def group_names(self) -> dict[str, str]:
        return dict(zip(self.groups["code"], self.groups["name"]))

    def activity_ids_of(self, point_id: str) -> pd.DataFrame:
        return self.lineage[self.lineage["point_id"] == point_id]


@st.cache_resource(show_spinner=False, max_entries=8)
def _work(path: str, data_version: int) -> Work:
    s = _store(path)
    return Work(s.activities(), s.members(), s.member_groups(), s.group_pairings(), s.activity_members(),
                s.issue_activities())


def work() -> Work:
    return _work(str(config.store_location()), version())


@st.cache_resource(show_spinner=False, max_entries=32)
def _headline(path: str, data_version: int, unit_codes: tuple[str, ...]):
    from loaders.figures import headline

    return headline(_store(path), unit_codes)


def headline(unit_codes: tuple[str, ...] = ()):
    """The article's figures (loaders.figures.Headline) for these towns (all when empty)."""
    return _headline(str(config.store_location()), version(), tuple(unit_codes))


@st.cache_resource(show_spinner=False, max_entries=16)
def _participation(path: str, data_version: int, since: str | None, until: str | None):
    from loaders.figures import participation

    return participation(_store(path), since, until)


def participation(since: dt.date | None = None, until: dt.date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per member, per group) over the activities in the dates (loaders.figures.participation)."""
    return _participation(str(config.store_location()), version(), since.isoformat() if since else None,
                          until.isoformat() if until else None)


@st.cache_data(show_spinner=False, max_entries=256)
def activity(activity_id: str, data_version: int) -> dict | None:
    return store().activity(activity_id)
