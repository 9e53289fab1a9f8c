"""`read(file)`: detect the format from the name and the content, check the size, hand over to the right reader."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from . import archive, tables, vector
from .core import ImportFileError, Table, check_size

FORMAT_LABELS = {"xlsx": "Excel 表格", "csv": "CSV 表格", "geojson": "GeoJSON", "gpkg": "GeoPackage",
                 "shp": "Shapefile（zip 压缩包）"}
_EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".geojson": "geojson",
               ".json": "geojson", ".gpkg": "gpkg", ".zip": "shp"}
ACCEPTED = tuple(_EXTENSIONS)  # for a file uploader's `type=`
_log = logging.getLogger(__name__)


def _load(source, filename: str | None, limit: int | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not filename:
            raise ValueError("filename is required when reading bytes")
        data = bytes(source)
        check_size(filename, len(data), limit)
        return data, filename
    if hasattr(source, "read") and not isinstance(source, (str, os.PathLike)):  # an uploaded file object
        name = filename or getattr(source, "name", None) or "上传的文件"
        size = getattr(source, "size", None)
        if size is not None:
            check_size(name, int(size), limit)
        data = source.read()
        check_size(name, len(data), limit)
        return data, name
    path = Path(source)
    name = filename or path.name
    if not path.is_file():
        raise ImportFileError(f"文件「{name}」不存在")
    check_size(name, path.stat().st_size, limit)  # before reading a byte of it
    return path.read_bytes(), name


def detect_format(data: bytes, name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise ImportFileError(f"文件「{name}」是旧版 Excel（.xls），请在 Excel 中另存为 .xlsx 后导入")
    if suffix == ".shp" or suffix in (".dbf", ".shx", ".prj"):
        raise ImportFileError(f"文件「{name}」是 Shapefile 的一部分：请把同名的 .shp、.dbf、.shx、.prj（和 .cpg）"
                              f"一起压缩成 zip 后上传")
    if archive.is_zip(data):
        try:
            members = archive.names(data)
        except Exception:  # noqa: BLE001
            raise ImportFileError(f"文件「{name}」不是有效的 zip 或 xlsx 文件（已损坏）") from None
        return "xlsx" if "xl/workbook.xml" in members or "[Content_Types].xml" in members else "shp"
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if suffix in _EXTENSIONS:
        fmt = _EXTENSIONS[suffix]
        if fmt in ("xlsx", "shp"):
            raise ImportFileError(f"文件「{name}」的扩展名是 {suffix}，但内容不是 zip/xlsx（文件已损坏或扩展名不对）")
        if fmt == "gpkg":
            raise ImportFileError(f"文件「{name}」的扩展名是 .gpkg，但内容不是 GeoPackage（文件已损坏）")
        return fmt
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{") and b'"type"' in data[:4096]:
        return "geojson"
    raise ImportFileError(f"文件「{name}」的格式无法识别：支持 Excel（.xlsx）、CSV、GeoJSON、GeoPackage（.gpkg）"
                          f"和压缩成 zip 的 Shapefile")


def read(source, filename: str | None = None, *, sheet: str | None = None, layer: str | None = None,
         source_crs: str | None = None, limit_bytes: int | None = None) -> Table:
    """Read a file staff upload into a Table.

    `source` is a path, bytes (then `filename` is required; its extension helps detect the format) or a file object
    (Streamlit's UploadedFile). `sheet`/`layer` choose an Excel sheet or a vector layer (default: the first with
    data/points). `source_crs` is for vector files that carry no coordinate system (a shapefile without .prj):
    wgs84 | cgcs2000 or any EPSG code. Raises ImportFileError with a Chinese message naming the file.
    The size limit (XZMAP_UPLOAD_MB, or `limit_bytes`) is checked before parsing.
    """
    data, name = _load(source, filename, limit_bytes)
    try:
        return _read(data, name, sheet, layer, source_crs)
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever a damaged file makes a library raise: calmly, in Chinese
        _log.debug("reading %r failed", name, exc_info=True)  # debug: no traceback on a terminal by default
        detail = " ".join(str(error).split())[:80]
        raise ImportFileError(f"文件「{name}」已损坏或格式不对，无法读取（详情：{type(error).__name__}"
                              f"{'：' + detail if detail else ''}）") from None


def _read(data: bytes, name: str, sheet: str | None, layer: str | None, source_crs: str | None) -> Table:
    fmt = detect_format(data, name)
    if fmt == "xlsx":
        return tables.read_xlsx(data, name, sheet)
    if fmt == "csv":
        return tables.read_csv(data, name)
    if fmt == "shp":
        return vector.read_shapefile_zip(data, name, source_crs=source_crs, layer=layer)
    if fmt == "geojson":
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(f"文件「{name}」不是 UTF-8 编码的 GeoJSON（GeoJSON 规定使用 UTF-8）") from None
    return vector.read_vector(data, name, fmt, layer=layer, source_crs=source_crs)


def part_names(data: bytes, name: str) -> tuple[str, list[str]]:
    """("sheet" | "layer" | "", names): the sheets of a workbook, the layers of a GeoPackage or the shapefiles of a
    zip, for a chooser; ("", []) when the file cannot be read (read() then says why). Parses nothing unchecked."""
    try:
        fmt = detect_format(data, name)
        if fmt == "xlsx":
            return "sheet", tables.sheet_names(data, name)
        if fmt == "shp":
            stems = [Path(n).stem for n in archive.names(data) if n.lower().endswith(".shp")]
            return "layer", sorted(dict.fromkeys(stems))
        if fmt == "gpkg":
            return "layer", vector.layer_names(data, name, fmt)
    except Exception:  # noqa: BLE001 - read() reports a damaged file with a proper message
        return "", []
    return "", []
