"""GeoJSON, GeoPackage and zipped Shapefile: attributes as a Table plus point positions reprojected to WGS-84.

A shapefile's .prj gives its coordinate system (a projected one such as CGCS2000 / 3-degree Gauss-Kruger is
reprojected with pyproj); its .cpg gives the text encoding, and without one UTF-8 is tried, then GBK/GB18030.
"""
from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from .archive import safe_extract
from .core import ROW_LIMIT, ImportFileError, Table, clean_value, share_repeats, too_many_rows

# User choices for files without a coordinate system of their own → a CRS to read them in (datum shifts aside).
CHOICE_CRS = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "gcj02": "EPSG:4326", "bd09": "EPSG:4326"}
# Uploads are written to a temporary folder for GDAL; its path must never reach a user (messages name the file as
# uploaded) nor a terminal (GDAL's warnings about a damaged file name the temporary copy).
TEMP_PREFIX = "xzmap-import-"
warnings.filterwarnings("ignore", message=f".*{TEMP_PREFIX}", category=RuntimeWarning)
_TEMP_PATH = re.compile(r"(/vsimem/|[A-Za-z]:)?[^\s'\"]*" + TEMP_PREFIX + r"[^\s'\"]*")
FORMAT_NAMES = {"gpkg": "GeoPackage", "geojson": "GeoJSON", "shp": "Shapefile"}
_NOT_VALID_HINTS = {
    "gpkg": "文件已损坏，或是普通 SQLite 数据库而不是 GeoPackage；请在 QGIS/ArcGIS 中重新导出为 GeoPackage 后再导入",
    "geojson": "内容不完整或格式有误；请重新导出后再导入",
    "shp": "文件已损坏或不完整；请重新导出并把 .shp、.dbf、.shx、.prj（和 .cpg）一起压缩后再导入",
}


def _temporary_copy(folder: str, suffix: str) -> Path:
    """Where an upload is written for GDAL: inside `folder`, a fixed safe name with the format's suffix (messages
    name the file as uploaded, see `gdal_detail`)."""
    return Path(folder) / ("upload" + suffix)


def gdal_detail(error: Exception, name: str, copy: Path | None = None) -> str:
    """GDAL's text as a short trailing note: temporary paths replaced by the file's own name, the last clause kept."""
    text = " ".join(str(error).split())
    if copy is not None:  # the upload's own temporary copy is the file; a shapefile is named by its member name
        mine = copy.name.startswith("upload.")
        text = text.replace(str(copy), name if mine else copy.name)
        text = text.replace(copy.name, name) if mine else text
    text = _TEMP_PATH.sub(name, text)
    text = text.split("; ")[-1].strip()
    if len(text) > 120:
        text = text[:117] + "…"
    return f"（详情：{text}）" if text else ""


def not_valid(error: Exception, name: str, fmt: str, copy: Path | None = None) -> ImportFileError:
    """A file GDAL cannot open: 「name」 is not a valid GeoPackage/GeoJSON/Shapefile, what to do, GDAL's note."""
    return ImportFileError(f"文件「{name}」不是有效的 {FORMAT_NAMES.get(fmt, fmt)} 文件（{_NOT_VALID_HINTS.get(fmt, '')}）"
                           f"{gdal_detail(error, name, copy)}")


def _crs_text(crs) -> str | None:
    if crs is None:
        return None
    crs = CRS.from_user_input(crs)
    code = crs.to_epsg()
    return f"EPSG:{code}（{crs.name}）" if code else crs.name


def _user_crs(source_crs: str) -> CRS:
    try:
        return CRS.from_user_input(CHOICE_CRS.get(str(source_crs).lower(), source_crs))
    except Exception:  # noqa: BLE001 - pyproj raises several kinds
        raise ImportFileError(f"无法识别坐标系「{source_crs}」，请选择 wgs84、cgcs2000 或填写 EPSG 代码（如 EPSG:4547）") from None


def read_layers(path: Path, name: str, fmt: str) -> list[tuple[str, str | None]]:
    """(layer, geometry type) of the file GDAL finds at `path` (the upload's temporary copy, named `name`)."""
    try:
        return [(str(n), g) for n, g in pyogrio.list_layers(path)]
    except Exception as error:  # noqa: BLE001 - GDAL errors come in many classes
        raise not_valid(error, name, fmt, path) from None


def layer_names(data: bytes, name: str, fmt: str) -> list[str]:
    """The layers of a GeoPackage or GeoJSON given as bytes (for a chooser)."""
    suffix = {"geojson": ".geojson", "gpkg": ".gpkg"}[fmt]
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as folder:
        path = _temporary_copy(folder, suffix)
        path.write_bytes(data)
        return [n for n, _ in read_layers(path, name, fmt)]


def _read(path: Path, name: str, layer: str | None = None, encoding: str | None = None,
          fmt: str = "shp") -> gpd.GeoDataFrame:
    try:
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
    except Exception as error:  # noqa: BLE001 - GDAL errors come in many classes
        raise not_valid(error, name, fmt, path) from None
    if info["features"] > ROW_LIMIT:
        raise too_many_rows(name)
    try:
        return pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except Exception as error:  # noqa: BLE001
        where = f"图层「{layer}」" if layer else "其中的要素"
        raise ImportFileError(f"文件「{name}」的{where}无法读取（文件可能已损坏或不完整）"
                              f"{gdal_detail(error, name, path)}") from None


def _redecode(frame: gpd.GeoDataFrame, name: str) -> tuple[gpd.GeoDataFrame, str]:
    """Text read as ISO-8859-1 (bytes as they are) decoded as UTF-8, or GBK/GB18030 when that fails."""
    texts = [c for c in frame.columns if c != frame.geometry.name]
    values = [v for c in texts for v in frame[c] if isinstance(v, str)]
    for encoding in ("utf-8", "gb18030"):
        try:
            columns = {c: c.encode("latin-1").decode(encoding) for c in texts}
            for v in values:
                v.encode("latin-1").decode(encoding)
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
        out = frame.rename(columns=columns)
        for c in columns.values():
            out[c] = out[c].map(lambda v, e=encoding: v.encode("latin-1").decode(e) if isinstance(v, str) else v)
        return out, ("UTF-8" if encoding == "utf-8" else "GBK/GB18030")
    raise ImportFileError(f"压缩包「{name}」中属性表（.dbf）的文字编码无法识别（试过 UTF-8 和 GBK），"
                          f"请在 .cpg 文件中写明编码")


def read_shapefile_zip(data: bytes, name: str, source_crs: str | None = None, layer: str | None = None) -> Table:
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as folder:
        files = safe_extract(data, Path(folder), name)
        shps = sorted(f for f in files if f.suffix.lower() == ".shp")
        if not shps:
            others = "、".join(sorted({f.suffix.lower() or f.name for f in files})) or "无文件"
            raise ImportFileError(f"压缩包「{name}」中没有 .shp 文件（只有：{others}）；"
                                  f"请把同名的 .shp、.dbf、.shx、.prj（和 .cpg）一起压缩后上传")
        if layer is not None:
            chosen = [f for f in shps if f.stem == layer or f.name == layer]
            if not chosen:
                raise ImportFileError(f"压缩包「{name}」中没有图层「{layer}」（有：{'、'.join(f.stem for f in shps)}）")
            shp = chosen[0]
        else:
            shp = shps[0]
        siblings = {f.suffix.lower(): f for f in shp.parent.iterdir() if f.stem == shp.stem}
        missing = [s for s in (".dbf", ".shx") if s not in siblings]
        if missing:
            raise ImportFileError(f"压缩包「{name}」中的「{shp.name}」缺少 {'、'.join(missing)} 文件，请一起压缩上传")
        has_prj = ".prj" in siblings
        if not has_prj and source_crs is None:
            raise ImportFileError(f"压缩包「{name}」中的「{shp.name}」没有 .prj 文件，不知道坐标系；"
                                  f"请选择文件使用的坐标系（如 CGCS2000 经纬度，或投影坐标的 EPSG 代码）后重试")
        frame = None
        if ".cpg" in siblings:
            try:
                frame, encoding = _read(shp, name), siblings[".cpg"].read_text(errors="replace").strip()
            except ImportFileError:
                frame = None  # a .cpg that does not match the bytes (or names cut mid-character): detect instead
        if frame is None:
            frame, encoding = _redecode(_read(shp, name, encoding="ISO-8859-1"), name)
        table = from_frame(frame, name, "shp", source_crs=None if has_prj else source_crs)
        table.layer = shp.stem
        table.encoding = encoding
        if len(shps) > 1:
            table.warnings.append(f"压缩包中有 {len(shps)} 个图层，读取的是「{shp.stem}」")
        if not has_prj:
            table.warnings.append(f"文件没有 .prj，按所选坐标系「{source_crs}」读取")
        return table


def read_vector(data: bytes, name: str, fmt: str, layer: str | None = None, source_crs: str | None = None) -> Table:
    suffix = {"geojson": ".geojson", "gpkg": ".gpkg"}[fmt]
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as folder:
        path = _temporary_copy(folder, suffix)
        path.write_bytes(data)
        layers = read_layers(path, name, fmt)
        if not layers:
            raise ImportFileError(f"文件「{name}」中没有图层")
        if layer is None:
            points = [n for n, g in layers if g and "point" in g.lower()]
            layer = (points or [layers[0][0]])[0]
            note = f"文件有 {len(layers)} 个图层，读取的是「{layer}」" if len(layers) > 1 else None
        elif layer not in [n for n, _ in layers]:
            raise ImportFileError(f"文件「{name}」中没有图层「{layer}」（有：{'、'.join(n for n, _ in layers)}）")
        else:
            note = None
        frame = _read(path, name, layer=layer, fmt=fmt)
    table = from_frame(frame, name, fmt, source_crs=source_crs if frame.crs is None else None)
    table.layer = layer
    if note:
        table.warnings.append(note)
    return table


def from_frame(frame: gpd.GeoDataFrame, name: str, fmt: str, source_crs: str | None = None) -> Table:
    """Attributes + WGS-84 point positions from a GeoDataFrame (reprojected from its own or the chosen CRS)."""
    if len(frame) == 0:
        raise ImportFileError(f"文件「{name}」没有任何要素（数据行）")
    if frame.crs is None:
        frame = frame.set_crs(_user_crs(source_crs) if source_crs else "EPSG:4326", allow_override=True)
    crs_text = _crs_text(frame.crs)
    geometry = frame.geometry
    if not CRS.from_user_input(frame.crs).equals(CRS.from_epsg(4326)):
        try:
            geometry = geometry.to_crs("EPSG:4326")
        except Exception as error:  # noqa: BLE001
            raise ImportFileError(f"文件「{name}」的坐标系「{crs_text}」无法转换为 WGS-84：{error}") from None
    lon, lat, problems = _positions(geometry)
    # attributes as the Table contract has them: object cells, cleaned, empty → None (pandas would give NaN for an
    # empty text cell, which then read as the text "nan")
    data = {}
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = np.empty(len(frame), dtype=object)
        values[:] = share_repeats([clean_value(v) for v in frame[column].tolist()])
        data[str(column)] = values
    attributes = pd.DataFrame(data, columns=list(data), dtype=object)
    table = Table(name=name, format=fmt, frame=attributes, rows=list(range(1, len(frame) + 1)),
                  source_crs=crs_text, lon=lon, lat=lat, geometry_problems=problems)
    return table


def _positions(geometry) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """(lon, lat, {position: reason}) of point features, whole columns at a time; a MultiPoint of one point counts
    as that point."""
    shapes = np.asarray(geometry.array, dtype=object)
    single = (shapely.get_type_id(shapes) == 4) & (shapely.get_num_geometries(shapes) == 1)  # 4: MultiPoint
    points = np.where(single, shapely.get_geometry(shapes, 0), shapes)
    missing = shapely.is_missing(shapes) | shapely.is_empty(shapes) | shapely.is_empty(points)
    is_point = (shapely.get_type_id(points) == 0) & ~missing  # 0: Point
    lon = np.full(len(shapes), np.nan)
    lat = np.full(len(shapes), np.nan)
    lon[is_point] = shapely.get_x(points[is_point])
    lat[is_point] = shapely.get_y(points[is_point])
    problems: dict[int, str] = {}
    for i in np.flatnonzero(missing | ~is_point).tolist():
        problems[i] = "没有几何（坐标为空）" if missing[i] else f"几何类型是 {points[i].geom_type}，只能导入点"
    return lon, lat, problems


def read_polygons(data: bytes, name: str, fmt: str, layer: str | None = None,
                  source_crs: str | None = None) -> gpd.GeoDataFrame:
    """Polygon features in WGS-84 (for replacing unit areas), attributes kept as they are."""
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as folder:
        if fmt == "shp":
            files = safe_extract(data, Path(folder), name)
            shps = sorted(f for f in files if f.suffix.lower() == ".shp")
            if not shps:
                raise ImportFileError(f"压缩包「{name}」中没有 .shp 文件")
            shp = shps[0]
            has_prj = any(f.stem == shp.stem and f.suffix.lower() == ".prj" for f in files)
            if not has_prj and source_crs is None:
                raise ImportFileError(f"压缩包「{name}」中的「{shp.name}」没有 .prj 文件，请选择文件使用的坐标系后重试")
            has_cpg = any(f.stem == shp.stem and f.suffix.lower() == ".cpg" for f in files)
            frame = _read(shp, name) if has_cpg else _redecode(_read(shp, name, encoding="ISO-8859-1"), name)[0]
        else:
            path = _temporary_copy(folder, "." + fmt)
            path.write_bytes(data)
            frame = _read(path, name, layer=layer, fmt=fmt)
    if len(frame) == 0:
        raise ImportFileError(f"文件「{name}」没有任何要素")
    if frame.crs is None:
        frame = frame.set_crs(_user_crs(source_crs) if source_crs else "EPSG:4326")
    frame = frame.to_crs("EPSG:4326")
    frame["geometry"] = shapely.make_valid(frame.geometry.array)
    return frame
