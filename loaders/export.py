"""Writing a set of points to the files staff and GIS people use: CSV for Excel, XLSX, GeoJSON, GeoPackage.

Each writer takes the DataFrame the store returns and gives bytes, so the CLI writes them to a file and the
dashboard hands them to a download button.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import sqlite3
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import cells, model
from .readable import person, stamp_value, when, yes_no
from .units import Units

# Columns in the order people read them; internal bookkeeping columns are left out.
EXPORT_COLUMNS = (
    "id", "kind", "name", "status", "stage", "unit_name", "unit_code", "village", "lon", "lat", "opened_on",
    "resolved_on", "category", "responsible_unit", "opinion_no", "proposal_no", "depth_m", "canal", "site_format", "batch", "description",
    "source_note", "sample", "external_id", "updated_at", "updated_by",
)
FORMATS = {"csv": ".csv", "xlsx": ".xlsx", "geojson": ".geojson", "gpkg": ".gpkg"}


def prepare(points: pd.DataFrame, units: Units | None = None) -> pd.DataFrame:
    """Readable table: kind labels in Chinese, the unit's name beside its code, known columns in order."""
    frame = points.copy()
    if units is not None and "unit_code" in frame:
        frame["unit_name"] = frame["unit_code"].map(units.names())
    if "kind" in frame:
        frame["kind"] = frame["kind"].map(model.kind_label)
    return frame[[c for c in EXPORT_COLUMNS if c in frame]]


def chinese_headers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=model.COLUMN_LABELS)


# Spreadsheet columns by their Chinese header (points and the activity/member tables share these words).
STAMP_COLUMNS = ("创建时间", "更新时间")
FLAG_COLUMNS = ("演示数据",)
PERSON_COLUMNS = ("更新人",)
# 12-digit administrative codes: text, or Excel shows 4.20607E+11 (and writes that back when the file is saved).
CODE_COLUMNS = ("乡镇代码",)


def _date_columns() -> set[str]:
    from .consultation import ACTIVITY_FIELDS

    fields = [*model.FIELDS.values(), *ACTIVITY_FIELDS.values()]
    return {f.label for f in fields if f.type == "date"}


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """What a spreadsheet shows: 是/否 for flags, 「系统导入」 for the account that loaded the bundled data, time
    stamps to the minute (2026-12-03 16:33). GeoJSON and GeoPackage, read by programs, keep the stored values."""
    frame = frame.copy()
    for column in FLAG_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(yes_no).astype(object)
    for column in PERSON_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(lambda v: "" if model.is_missing(v) else person(v)).astype(object)
    for column in STAMP_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(when).astype(object)
    return frame


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark (so Excel on Windows does not read it as GBK); text that Excel would run as a
    formula gets a leading apostrophe (`cells.neutralise`), which the import takes off again.

    Codes stay plain digits. Excel opening a CSV guesses each cell's type whatever the encoding (the BOM only tells
    it UTF-8): a 12-digit 乡镇代码 becomes a number shown as 4.20607E+11, and saving the file back writes that text.
    Every way of forcing text in a CSV is worse: ="…" is a formula (what `cells.neutralise` exists to stop), and a
    leading apostrophe, tab or invisible character changes the value for every other program. So the CSV is the
    plain table for programs and the import (which reads the town from 乡镇, the column before the code); people
    using Excel get the XLSX, where the code is a text cell."""
    frame = for_people(chinese_headers(frame))
    text_columns = frame.select_dtypes(include=["object", "string"]).columns
    frame[text_columns] = frame[text_columns].map(cells.neutralise)
    return frame.to_csv(index=False).encode("utf-8-sig")


def _as_date(value) -> dt.date | str | None:
    """An ISO date as a date (an Excel date cell); anything else as it was, so nothing is lost."""
    if model.is_missing(value):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return value


def to_xlsx(frame: pd.DataFrame, sheet_name: str = "点位") -> bytes:
    """One sheet with Chinese headers. Dates and time stamps are Excel dates (they sort and filter as dates); every
    text cell is a string cell: openpyxl would store text beginning with "=" as a live formula, so those cells are
    switched back to strings before saving; codes are text cells in a text-formatted column."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    buffer = io.BytesIO()
    frame = for_people(chinese_headers(frame))
    # XML 1.0 cannot carry control characters: a value written before input was cleaned would make openpyxl refuse
    # the whole file. They are invisible, so the cell loses nothing a reader sees.
    text_columns = frame.select_dtypes(include=["object", "string"]).columns
    frame[text_columns] = frame[text_columns].map(
        lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
    formats = {}
    for column in _date_columns().intersection(frame.columns):
        frame[column] = frame[column].map(_as_date).astype(object)
        formats[column] = "yyyy-mm-dd"
    for column in STAMP_COLUMNS:
        if column in frame:
            frame[column] = [stamp_value(v) or (v or None) for v in frame[column]]
            formats[column] = "yyyy-mm-dd hh:mm"
    for column in CODE_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(lambda v: None if model.is_missing(v) else str(v)).astype(object)
            formats[column] = "@"
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet_name)
        sheet = writer.sheets[sheet_name]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            header = column[0].value
            for cell in column[1:]:
                if header in formats and cell.value is not None:
                    cell.number_format = formats[header]
            width = max(len(str(c.value or "")) for c in column[:200])
            if header in STAMP_COLUMNS:
                width = 16
            sheet.column_dimensions[column[0].column_letter].width = min(max(8, width * 1.6), 60)
    return buffer.getvalue()


def _geo(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")


def to_geojson(frame: pd.DataFrame) -> bytes:
    # GeoJSON keeps the English keys: it is read by programs; Chinese labels stay in the values.
    collection = json.loads(_geo(frame).to_json(drop_id=True, ensure_ascii=False))
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


# The photos layer of a GeoPackage export: an attributes table QGIS lists beside the points (join on point_id).
PHOTO_EXPORT = ("id", "point_id", "follow_up_fid", "name", "width", "height", "taken_at", "created_at", "created_by",
                "data")


def photo_rows(store, point_ids) -> list[tuple]:
    """The live photos of these points, as PHOTO_EXPORT tuples (the stored JPEG, no metadata)."""
    wanted = set(point_ids)
    columns = (*PHOTO_EXPORT, "deleted_at")
    return [row[:-1] for row in store.read_rows("photos", columns) if row[1] in wanted and row[-1] is None]


def to_gpkg(frame: pd.DataFrame, photos: list[tuple] | None = None) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "points.gpkg"
        _geo(frame).to_file(path, layer="points", driver="GPKG", engine="pyogrio")
        if photos:
            _add_photos(path, photos)
        return path.read_bytes()


def _add_photos(path: Path, photos: list[tuple]) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE photos (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, id TEXT NOT NULL "
                           "UNIQUE, point_id TEXT NOT NULL, follow_up_fid INTEGER, name TEXT, width INTEGER, "
                           "height INTEGER, taken_at TEXT, created_at TEXT, created_by TEXT, data BLOB NOT NULL)")
        connection.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES "
                           "('photos', 'attributes', 'photos', '点位和跟踪督办的照片（JPEG）')")
        connection.executemany(f"INSERT INTO photos ({', '.join(PHOTO_EXPORT)}) VALUES "
                               f"({', '.join('?' * len(PHOTO_EXPORT))})", photos)


WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "geojson": to_geojson, "gpkg": to_gpkg}


def export_bytes(points: pd.DataFrame, fmt: str, units: Units | None = None, store=None) -> bytes:
    """The points in `fmt`; a GeoPackage also carries their photos when `store` is given."""
    if fmt not in WRITERS:
        raise ValueError(f"不支持的导出格式「{fmt}」，可选：{'、'.join(WRITERS)}")
    if fmt == "gpkg" and store is not None:
        return to_gpkg(prepare(points, units), photo_rows(store, points["id"]))
    return WRITERS[fmt](prepare(points, units))


# Activities and members: tables for Excel that the import reads back (loaders/importing/records.py) --------------
RECORD_SHEETS = {"activities": "协商活动", "members": "委员"}


def records_frame(store, what: str, ids=None) -> pd.DataFrame:
    """The activities (with their members' ids) or the members, lists joined with 、, Chinese headers; only the
    records whose id is in `ids` when given (the page's filtered view)."""
    from .consultation import ACTIVITY_FIELDS, LABELS, MEMBER_FIELDS

    if what == "activities":
        frame = store.activities()
        taking_part = store.activity_members().groupby("activity_id")["member_id"].agg("、".join)
        frame["members"] = [taking_part.get(i, "") for i in frame["id"]]
        for column in ("groups", "departments"):
            frame[column] = frame[column].map("、".join)
        columns = ["id", *ACTIVITY_FIELDS, "lon", "lat", "unit_code", "members", "sample"]
    elif what == "members":
        frame = store.members()
        columns = ["id", *MEMBER_FIELDS, "sample"]
    else:
        raise ValueError(f"不支持导出「{what}」，可选：{'、'.join(RECORD_SHEETS)}")
    if ids is not None:
        frame = frame[frame["id"].isin(set(ids))]
    frame = frame[columns].copy()
    frame["sample"] = frame["sample"].map({True: "是", False: "否"})
    return frame.rename(columns={c: LABELS.get(c, c) for c in columns})


def records_bytes(store, what: str, fmt: str, ids=None) -> bytes:
    frame = records_frame(store, what, ids)
    if fmt == "csv":
        return to_csv(frame)
    if fmt == "xlsx":
        return to_xlsx(frame, sheet_name=RECORD_SHEETS[what])
    raise ValueError(f"不支持的导出格式「{fmt}」，协商活动和委员可导出为：csv、xlsx")
