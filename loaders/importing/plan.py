"""Rows → a plan: every bad row reported (row, column, value, reason), good rows in WGS-84 with their unit and
whether each is new, an update of an existing point (same external id) or unchanged. Nothing is written here.

Checking is one pass over the rows with every mapped column taken out of the table once (no per-cell pandas
lookups); the plan keeps the good rows column by column (`plan.good`) plus each validated record as one tuple of
values, so a 100,000-row file does not cost a dict per row. `plan.rows` hands out `PlannedRow`s when asked.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import coords, model
from ..auth import User
from ..cells import readable_reason, shown, value_phrase
from ..editing import Editor
from ..filters import Filter
from ..readable import count
from . import headers
from .core import ImportFileError, Table

PROBLEM_COLUMNS = ("行号", "列", "值", "原因")
ACTION_LABELS = {"new": "新增", "update": "更新", "unchanged": "无变化"}
CRS_CHOICES = tuple(coords.CRS_LABELS)  # wgs84 | cgcs2000 | gcj02 | bd09
GEOMETRY_COLUMN = "几何"
WHOLE_FILE = "（整个文件）"
_FIELD_OF_LABEL = {"类型": "kind", "状态": "status", "经度": "lon", "纬度": "lat", "乡镇代码": "unit",
                   **{f.label: k for k, f in model.FIELDS.items()}}
_LABEL_RE = re.compile(r"字段「(.+?)」")
_OUTSIDE_DETAIL_LIMIT = 500  # rows outside the district whose distance to the border is computed


@dataclass
class PlannedRow:
    index: int  # position in table.frame
    row: int  # row number as the user sees it
    record: dict  # validated record for the store (WGS-84)
    action: str  # new | update | unchanged
    point_id: str | None = None
    changes: dict = field(default_factory=dict)  # for updates: field → new value


GOOD_COLUMNS = ["row", "action", "point_id", "external_id", "kind", "name", "status", "unit_code", "unit_name",
                "lon", "lat", "changed", *[k for k in model.FIELDS if k != "name"]]


class PlannedRows(Sequence):
    """`plan.rows`: one PlannedRow per good row, in file order, made when asked for. Each validated record is kept as
    a tuple of values with its keys shared between rows (what `model.validate_point` returned, exactly)."""

    def __init__(self, index: list[int] = (), rows: list[int] = (), actions: list[str] = (),
                 point_ids: list = (), keys: list[tuple] = (), values: list[tuple] = (),
                 changes: dict[int, dict] | None = None):
        self.index, self.row_numbers, self.actions, self.point_ids = list(index), list(rows), list(actions), \
            list(point_ids)
        self.keys, self.values, self.changes = list(keys), list(values), changes or {}

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[k] for k in range(*j.indices(len(self)))]
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(j)
        return PlannedRow(self.index[j], self.row_numbers[j], dict(zip(self.keys[j], self.values[j])),
                          self.actions[j], self.point_ids[j], dict(self.changes.get(j, {})))

    def __iter__(self):
        for j in range(len(self)):
            yield self[j]

    def columns(self) -> dict[str, list]:
        """Every record key → its value in each good row (None where a row's record has no such key), without
        making a dict per row."""
        n = len(self)
        groups: dict[tuple, list[int]] = {}
        for j, keys in enumerate(self.keys):
            groups.setdefault(keys, []).append(j)
        out: dict[str, list] = {}
        for keys, members in groups.items():
            together = len(members) == n  # one kind of record (the usual case): no scattering
            transposed = zip(*(self.values[j] for j in members))
            for key, values in zip(keys, transposed):
                if together:
                    out[key] = list(values)
                    continue
                column = out.setdefault(key, [None] * n)
                for j, value in zip(members, values):
                    column[j] = value
        return out


@dataclass
class ImportPlan:
    table: Table
    mapping: dict[str, str]
    crs: str
    kind: str | None
    user: User
    warnings: list[str]
    file_errors: list[str]  # problems with the file as a whole (a required column not mapped …)
    rows: PlannedRows  # a sequence of PlannedRow
    problems: pd.DataFrame  # 行号 / 列 / 值 / 原因, one line per problem; 值 as a person reads it (空 when empty)
    good: pd.DataFrame  # one line per good row: row, action, point_id, kind, name, status, unit, lon/lat …
    # rows (as the user numbers them) whose 经度/纬度 look swapped: inside the district only once swapped
    swap_rows: list[int] = field(default_factory=list)  # offered a swap, refused until it is asked for
    swapped_rows: list[int] = field(default_factory=list)  # swapped because the swap was asked for (swap_latlon)

    @property
    def bad_rows(self) -> set[int]:
        return set(self.problems["行号"]) if len(self.problems) else set()

    @property
    def ok(self) -> bool:
        return not self.file_errors and self.problems.empty

    def counts(self) -> dict[str, int]:
        actions = Counter(self.rows.actions)
        return {"total": len(self.table), "good": len(self.rows), "bad": len(self.bad_rows),
                "new": actions["new"], "update": actions["update"], "unchanged": actions["unchanged"]}

    def summary(self) -> str:
        if self.file_errors:
            return f"文件「{self.table.name}」无法导入：" + "；".join(self.file_errors)
        c = self.counts()
        text = (f"文件「{self.table.name}」共 {c['total']} {self.table.row_word}：可导入 {c['good']}"
                f"（新增 {c['new']}，更新 {c['update']}，无变化 {c['unchanged']}）")
        return text + (f"，有误 {c['bad']} {self.table.row_word}" if c["bad"] else "")

    def report_lines(self) -> list[str]:
        """One Chinese line per problem, for the CLI and logs."""
        lines = list(self.file_errors)
        word = self.table.row_word
        for r in self.problems.itertuples(index=False):
            lines.append(f"第 {r[0]} {word}，列「{r[1]}」，{value_phrase(r[2])}：{r[3]}")
        return lines


def _problems_frame(problems: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(problems, columns=list(PROBLEM_COLUMNS))
    return frame.sort_values("行号", kind="stable").reset_index(drop=True)


def _display(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def _coordinate(value, axis: str):
    """(degrees or None, error message or None) from a cell: a number, decimal text or DMS text."""
    if value is None:
        return None, f"{'经度' if axis == 'lon' else '纬度'}为空"
    if isinstance(value, bool):
        return None, "不是坐标"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return (number, None) if math.isfinite(number) else (None, "不是有效数字")
    try:
        number = float(str(value).strip().replace("，", "."))
        if math.isfinite(number):
            return number, None  # range is checked by the model, after any datum shift
    except ValueError:
        pass
    try:
        return coords.parse_coordinate(str(value), axis), None
    except coords.CoordinateError as error:
        return None, str(error)


def _check_mapping(table: Table, mapping: dict, kind: str | None) -> list[str]:
    errors = []
    for key, column in mapping.items():
        if key not in headers.TARGETS:
            errors.append(f"未知的字段「{key}」")
        elif column not in table.frame.columns:
            errors.append(f"「{headers.TARGETS[key]}」对应的列「{column}」在文件中不存在")
    if "name" not in mapping:
        errors.append("没有找到「名称」列，请在列对应中指定")
    if "status" not in mapping:
        errors.append("没有找到「状态」列，请在列对应中指定")
    if "kind" not in mapping and not kind:
        errors.append("没有找到「类型」列，请在列对应中指定，或为整个文件选择一个类型")
    if not table.has_geometry and not ({"lon", "lat"} <= set(mapping) or "lonlat" in mapping):
        errors.append("没有找到「经度」「纬度」列（或经纬度同在一列），请在列对应中指定")
    return errors


def _existing(store) -> tuple[dict[str, dict], dict[str, dict], dict[tuple, str]]:
    """The stored points by external id, by their own id, and by (kind, name, position)."""
    points = store.points(Filter(include_deleted=True))
    by_external: dict[str, dict] = {}
    by_id: dict[str, dict] = {}
    by_identity: dict[tuple, str] = {}
    for r in points.to_dict("records"):
        if r.get("external_id"):
            by_external[str(r["external_id"])] = r
        by_id[str(r["id"])] = r
        by_identity[(r["kind"], r["name"], round(r["lon"], 7), round(r["lat"], 7))] = r["id"]
    return by_external, by_id, by_identity


def changes_against(record: dict, current: dict, explicit: set[str]) -> dict:
    """Fields of `record` that differ from the stored point. Fields the file leaves empty or does not map keep
    their stored value (an import adds and corrects; it does not blank out)."""
    changes = {}
    for key in ("kind", "status", "lon", "lat", "unit_code", *model.FIELDS):
        if key not in record or record[key] is None:
            continue
        if key in model.FIELDS and key not in explicit:
            continue
        if key == "unit_code" and "unit" not in explicit:
            continue
        new, old = record[key], current.get(key)
        if isinstance(new, float) and old is not None and not isinstance(old, str):
            if abs(new - float(old)) <= 1e-9:
                continue
        elif new == old:
            continue
        changes[key] = new
    return changes


def build_plan(table: Table, store, user: User | None = None, mapping: dict[str, str] | None = None,
               crs: str = "wgs84", kind: str | None = None,
               swap_latlon: bool | Collection[int] = False) -> ImportPlan:
    """Validate every row of `table` against the model, the district, the units and the user's rights.

    `mapping` is {field key: column header} (default: `detect_mapping`); `crs` is what the coordinates are in
    (wgs84 | cgcs2000 | gcj02 | bd09; for vector files their own CRS is applied first and a gcj02/bd09 choice
    then removes that shift); `kind` (key or Chinese label) applies to rows whose kind column is empty or absent.
    `user` defaults to an admin named "import" (the CLI); pass the signed-in user from the page.

    A row whose 经度 and 纬度 look swapped -- outside the district as given, inside it once swapped (lat 32.1 in the
    经度 column, lon 112.2 in the 纬度 column) -- is never swapped silently: it is a bad row «疑似经纬度颠倒» listed in
    `plan.swap_rows`, unless `swap_latlon` asks for it (True: every such row; a collection of row numbers as the user
    sees them: those of them that look swapped). Swapped rows are checked like any other and listed in
    `plan.swapped_rows`.
    """
    user = user or User("import", "admin")
    crs_key = coords.crs_key(crs)
    mapping = dict(headers.detect_mapping(table.columns) if mapping is None else mapping)
    mapping = {k: v for k, v in mapping.items() if v not in (None, "")}
    warnings = list(table.warnings)
    if kind is not None:
        kind_key = model.kind_by_label(str(kind))
        if kind_key is None:
            raise ImportFileError(f"类型「{kind}」无效，应为：{'、'.join(k.label for k in model.KINDS.values())}")
        kind = kind_key
    file_errors = _check_mapping(table, mapping, kind)
    empty = pd.DataFrame(columns=list(PROBLEM_COLUMNS))
    if file_errors:
        return ImportPlan(table, mapping, crs_key, kind, user, warnings, file_errors, PlannedRows(), empty,
                          _good_frame(PlannedRows(), None))

    frame = table.frame
    n = len(frame)
    col = mapping.get
    numbers = table.rows
    problems: list[tuple] = []
    bad = [False] * n
    # every mapped column once, as a list: the loop below reads cells by position, never through pandas
    cells = {key: frame[column].tolist() for key, column in mapping.items()}
    i = 0

    def problem(i: int, column: str, value, reason: str):
        problems.append((numbers[i], column, shown(value), readable_reason(reason)))
        bad[i] = True

    def get(key: str):
        """The current row's cell for a mapping key (None when not mapped)."""
        values = cells.get(key)
        return None if values is None else values[i]

    # Positions ---------------------------------------------------------------------------------------
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if table.has_geometry and not ({"lon", "lat"} <= set(mapping) or "lonlat" in mapping):
        lon, lat = table.lon.copy(), table.lat.copy()
        for i, reason in table.geometry_problems.items():
            problem(i, GEOMETRY_COLUMN, None, reason)
        position_column = (GEOMETRY_COLUMN, GEOMETRY_COLUMN)
    elif "lonlat" in mapping and not {"lon", "lat"} <= set(mapping):
        column = mapping["lonlat"]
        latitude_first = 0
        for i, value in enumerate(cells["lonlat"]):
            if value is None:
                problem(i, column, None, "经纬度为空")
                continue
            try:
                parsed = coords.parse_lonlat(str(value))
            except coords.CoordinateError as error:
                problem(i, column, value, str(error))
                continue
            lon[i], lat[i] = parsed.lon, parsed.lat
            latitude_first += parsed.swapped
        if latitude_first:
            warnings.append(f"「{column}」列有 {latitude_first} {table.row_word}是纬度在前（如“32.08, 112.20”），"
                            f"已按“纬度, 经度”读取；请在地图预览中核对")
        position_column = (column, column)
    else:
        for axis, target in (("lon", lon), ("lat", lat)):
            column = mapping[axis]
            for i, value in enumerate(cells[axis]):
                number, error = _coordinate(value, axis)
                if error:
                    problem(i, column, value, error)
                else:
                    target[i] = number
        position_column = (mapping["lon"], mapping["lat"])
    raw = np.isfinite(lon) & np.isfinite(lat)
    warnings += [w for w in coords.looks_like(lon[raw], lat[raw])]
    hint = headers.shift_hint([table.name, *table.columns])
    if hint and crs_key in ("wgs84", "cgcs2000") and hint[0] != crs_key:
        warnings.append(f"文件名或列名中有「{hint[1]}」，坐标可能是 {coords.CRS_LABELS[hint[0]]}，"
                        f"但选择的是 {coords.CRS_LABELS[crs_key]}；如果坐标取自高德/百度地图，请改选对应坐标系，"
                        f"否则点位会偏移约 500 米")
    given_lon, given_lat = lon.copy(), lat.copy()  # as the file has them, for the swap check
    if crs_key in ("gcj02", "bd09") and raw.any():
        lon[raw], lat[raw] = coords.to_wgs84(lon[raw], lat[raw], crs_key)

    # Units and the district ----------------------------------------------------------------------------
    units = store.units()
    unit_codes = set(units.codes)
    unit_names = units.names()
    geography = store.geography()
    in_china = raw & (lon >= model.LON_RANGE[0]) & (lon <= model.LON_RANGE[1]) \
        & (lat >= model.LAT_RANGE[0]) & (lat <= model.LAT_RANGE[1])
    inside = np.zeros(n, dtype=bool)
    located = np.full(n, None, dtype=object)
    if in_china.any():
        inside[in_china] = geography.inside(lon[in_china], lat[in_china])
        located[inside] = geography.unit_at(lon[inside], lat[inside])

    # Swapped 经度/纬度: outside as given, inside once swapped. Swapped only when asked for, never silently.
    swap_reasons: dict[int, tuple] = {}  # position → (value shown, reason) of rows offered a swap
    swap_rows: list[int] = []
    swapped_rows: list[int] = []
    suspects = np.flatnonzero(raw & ~inside)
    if len(suspects):
        s_lon, s_lat = given_lat[suspects], given_lon[suspects]
        fits = (s_lon >= model.LON_RANGE[0]) & (s_lon <= model.LON_RANGE[1]) \
            & (s_lat >= model.LAT_RANGE[0]) & (s_lat <= model.LAT_RANGE[1])
        suspects, s_lon, s_lat = suspects[fits], s_lon[fits], s_lat[fits]
        if len(suspects) and crs_key in ("gcj02", "bd09"):
            s_lon, s_lat = coords.to_wgs84(s_lon, s_lat, crs_key)
        if len(suspects):
            fits = np.asarray(geography.inside(s_lon, s_lat), dtype=bool)
            suspects, s_lon, s_lat = suspects[fits], s_lon[fits], s_lat[fits]
        wanted = None if swap_latlon is True else set(swap_latlon or ())
        if len(suspects):
            s_units = geography.unit_at(s_lon, s_lat)
            for i, new_lon, new_lat, code in zip(suspects.tolist(), s_lon.tolist(), s_lat.tolist(), s_units):
                if wanted is None or numbers[i] in wanted:
                    lon[i], lat[i], in_china[i], inside[i], located[i] = new_lon, new_lat, True, True, code
                    swapped_rows.append(numbers[i])
                    continue
                a, b = shown(float(given_lon[i])), shown(float(given_lat[i]))
                where = unit_names.get(code) or "襄州区"
                reason = (f"疑似经纬度颠倒：经度 {a}、纬度 {b} 不在襄州区内，交换后（经度 {b}，纬度 {a}）"
                          f"位于襄州区{where}；请核对后交换这一{table.row_word}的经纬度")
                swap_reasons[i] = reason
                swap_rows.append(numbers[i])
    if swapped_rows:
        listed = "、".join(map(str, swapped_rows[:20])) + ("……" if len(swapped_rows) > 20 else "")
        warnings.append(f"已交换 {count(len(swapped_rows))} {table.row_word}的经度和纬度（疑似经纬度颠倒，交换后位于襄州区内）："
                        f"第 {listed} {table.row_word}；请在地图预览中核对")

    by_external, by_id, by_identity = _existing(store)
    editor = Editor(store, user)
    external_column = col("external_id")
    seen_external: dict[str, list[int]] = {}
    if external_column:
        for i, value in enumerate(cells["external_id"]):
            if value is not None:
                seen_external.setdefault(_display(value), []).append(i)
    outside_reported = 0
    explicit = {k for k in mapping if k in model.FIELDS} | ({"unit"} if "unit" in mapping else set())
    kinds, statuses, externals, units_given = (cells.get(k) for k in ("kind", "status", "external_id", "unit"))
    own_ids = cells.get("point_id")
    field_cells = [(key, cells[key]) for key in model.FIELDS if key in cells]
    lons, lats = lon.tolist(), lat.tolist()
    finite = (np.isfinite(lon) & np.isfinite(lat)).tolist()
    in_china_at, inside_at, located_at = in_china.tolist(), inside.tolist(), located.tolist()
    unit_codes_of: dict[str, str | None] = {}  # a unit cell's text → its code (files repeat a few names)
    good = PlannedRows()
    shared_keys: dict[tuple, tuple] = {}
    unchanged_by_identity = 0

    def keep(i: int, clean: dict, action: str, point_id: str | None = None, changes: dict | None = None) -> None:
        if changes:
            good.changes[len(good.index)] = changes
        good.index.append(i)
        good.row_numbers.append(numbers[i])
        good.actions.append(action)
        good.point_ids.append(point_id)
        keys = tuple(clean)
        good.keys.append(shared_keys.setdefault(keys, keys))
        good.values.append(tuple(clean.values()))

    for i in range(n):
        row_kind = kinds[i] if kinds is not None else None
        record: dict = {"kind": row_kind if row_kind is not None else kind,
                        "status": statuses[i] if statuses is not None else None}
        for key, values in field_cells:
            record[key] = values[i]
        external = _display(externals[i]) if externals is not None else None
        if external is not None:
            record["external_id"] = external
            if len(seen_external.get(external, [])) > 1:
                others = "、".join(str(numbers[j]) for j in seen_external[external] if j != i)
                problem(i, external_column, external, f"外部编号重复：与第 {others} {table.row_word}相同")

        # unit from its column (name, short name or 12-digit code), else from the position
        unit_value = units_given[i] if units_given is not None else None
        unit_code = None
        if unit_value is not None:
            text = _display(unit_value)
            if text not in unit_codes_of:
                unit_codes_of[text] = units.code_of(text)
            unit_code = unit_codes_of[text]
            if unit_code is None:
                problem(i, mapping["unit"], unit_value, "不是本区的乡镇（街道）名称或代码")
        if i in swap_reasons:
            given = get("lon") if "lon" in mapping else f"{shown(float(given_lon[i]))}, {shown(float(given_lat[i]))}"
            problem(i, position_column[0], given, swap_reasons[i])
        elif finite[i]:
            record["lon"], record["lat"] = lons[i], lats[i]
            if in_china_at[i] and not inside_at[i]:
                if outside_reported < _OUTSIDE_DETAIL_LIMIT:
                    reason = geography.outside_message(lons[i], lats[i])
                else:
                    reason = f"坐标（{lons[i]:.6f}, {lats[i]:.6f}）不在襄州区范围内"
                outside_reported += 1
                problem(i, position_column[0], _display(get("lon") if "lon" in mapping else None), reason)
        elif not bad[i]:
            problem(i, position_column[0], None, "没有坐标")
        if unit_code is None and inside_at[i]:
            unit_code = located_at[i]
        record["unit_code"] = unit_code
        position_reported = bool(bad[i])
        try:
            clean = model.validate_point(record, unit_codes=unit_codes)
        except model.ValidationError as error:
            for message in error.messages:
                label = _LABEL_RE.search(message)
                key = _FIELD_OF_LABEL.get(label.group(1)) if label else None
                if key == "kind" and "kind" not in mapping:
                    column, value = WHOLE_FILE, kind
                elif key in ("lon", "lat"):
                    if position_reported:
                        continue  # reported above with the file's own value
                    column = mapping.get(key) or position_column[0]
                    value = get(key) if key in mapping else None
                elif key and key in mapping:
                    column, value = mapping[key], get(key)
                else:
                    column, value = (label.group(1) if label else WHOLE_FILE), None
                problem(i, column, value, message)
            continue
        if bad[i]:
            continue
        # rights: where the point lands (its unit and the area of its position), and for an update where it is now
        # the point a row updates: the one with its 外部编号, or -- a file this system exported -- its own 编号
        current = by_external.get(external) if external is not None else None
        if current is None and own_ids is not None and _display(own_ids[i]) in by_id:
            current = by_id[_display(own_ids[i])]
        refusal = editor.refusal(clean, current)
        if refusal:
            column = mapping.get("unit") or position_column[0]
            problem(i, column, get("unit") if "unit" in mapping else unit_names.get(clean.get("unit_code")), refusal)
            continue
        if current is not None:
            changes = changes_against(clean, current, explicit)
            keep(i, clean, "update" if changes else "unchanged", current["id"], changes)
        else:
            same = by_identity.get((clean["kind"], clean.get("name"), round(clean["lon"], 7), round(clean["lat"], 7)))
            if same and external is None:
                keep(i, clean, "unchanged", same)
                unchanged_by_identity += 1
            else:
                keep(i, clean, "new")

    if len(good) + sum(bad) != n:
        raise AssertionError("every row is either planned or reported")
    if unchanged_by_identity:
        warnings.append(f"{unchanged_by_identity} {table.row_word}没有外部编号，但与已有点位的类型、名称、坐标完全相同，"
                        f"视为无变化、不再重复添加")
    return ImportPlan(table, mapping, crs_key, kind, user, warnings, [], good,
                      _problems_frame(problems) if problems else empty, _good_frame(good, unit_names),
                      swap_rows, swapped_rows)


def _good_frame(good: PlannedRows, unit_names: dict | None) -> pd.DataFrame:
    """One line per good row (GOOD_COLUMNS), column types inferred as pandas does for records."""
    names = unit_names or {}
    values = good.columns()
    nothing = [None] * len(good)
    data = {"row": good.row_numbers, "action": good.actions, "point_id": good.point_ids}
    for key in GOOD_COLUMNS:
        if key not in data:
            data[key] = values.get(key, nothing)
    data["unit_name"] = [names.get(c) for c in data["unit_code"]]
    data["changed"] = ["、".join(model.COLUMN_LABELS.get(k, k) for k in good.changes[j]) if j in good.changes else ""
                       for j in range(len(good))]
    return pd.DataFrame(data, columns=GOOD_COLUMNS)
