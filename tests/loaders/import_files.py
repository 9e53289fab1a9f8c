"""Builds the files staff upload, in tmp_path at test time: XLSX with a merged title, CSV in three encodings,
GeoJSON, GeoPackage, zipped Shapefiles (geographic and projected .prj, with or without .cpg) and hostile zips."""
from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
from shapely.geometry import Point

HUANGJI = "420607102000"
ZHANGWAN = "420607001000"
HEADERS = ["编号", "名称", "类型", "状态", "乡镇（街道）", "村/社区", "经度", "纬度", "登记日期", "井深", "说明"]


def rows() -> list[dict]:
    """Three good wells in 黄集 and one bridge in 张湾 (WGS-84), Chinese headers as staff write them."""
    return [
        {"编号": "HJ-001", "名称": "太山村1号井", "类型": "水井", "状态": "规划", "乡镇（街道）": "黄集镇", "村/社区": "太山村",
         "经度": 112.10, "纬度": 32.34, "登记日期": "2023-05-01", "井深": 260, "说明": "岗地缺水"},
        {"编号": "HJ-002", "名称": "太山村2号井", "类型": "水井", "状态": "钻井中", "乡镇（街道）": "黄集", "村/社区": "太山村",
         "经度": 112.11, "纬度": 32.35, "登记日期": "2023/5/2", "井深": 270, "说明": "专家选点"},
        {"编号": "HJ-003", "名称": "太山村3号井", "类型": "水井", "状态": "已出水", "乡镇（街道）": HUANGJI, "村/社区": "",
         "经度": 112.09, "纬度": 32.33, "登记日期": "2023年5月3日", "井深": 250.5, "说明": ""},
        {"编号": "ZW-001", "名称": "干渠桥", "类型": "桥梁", "状态": "危桥待改", "乡镇（街道）": "张湾街道", "村/社区": "朱庄社区",
         "经度": 112.2079, "纬度": 32.0873, "登记日期": "2023-06-01", "井深": None, "说明": "危桥"},
    ]


def frame(data: list[dict] | None = None) -> pd.DataFrame:
    return pd.DataFrame(data if data is not None else rows(), columns=HEADERS)


def xlsx(path: Path, data: list[dict] | None = None, title: str = "襄州区水井、桥梁台账（2023年）") -> Path:
    """Title merged across the table in row 1, a note in row 2, headers in row 3, data from row 4."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(["填报单位：区政协办公室", None, None, None, None, None, None, None, "填报日期：2023-07-01"])
    sheet.append(HEADERS)
    for row in (data if data is not None else rows()):
        sheet.append([None if row.get(h) in ("",) else row.get(h) for h in HEADERS])
    book.save(path)
    return path


def csv_bytes(data: list[dict] | None = None, encoding: str = "utf-8", title: str | None = None) -> bytes:
    text = frame(data).to_csv(index=False)
    if title:
        text = title + "\n" + text
    return text.encode(encoding)


def points_gdf(data: list[dict] | None = None, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    table = frame(data).drop(columns=["经度", "纬度"])
    geometry = [Point(r["经度"], r["纬度"]) for r in (data if data is not None else rows())]
    gdf = gpd.GeoDataFrame(table, geometry=geometry, crs="EPSG:4326")
    return gdf.to_crs(crs) if crs != "EPSG:4326" else gdf


def geojson(path: Path, data: list[dict] | None = None) -> Path:
    points_gdf(data).to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def gpkg(path: Path, data: list[dict] | None = None) -> Path:
    points_gdf(data).to_file(path, layer="点位", driver="GPKG", engine="pyogrio")
    return path


# DBF field names hold at most 10 bytes: 3 Chinese characters in UTF-8. Staff's shapefiles use short names.
SHP_NAMES = {"乡镇（街道）": "乡镇", "村/社区": "村", "登记日期": "日期"}


def shapefile_zip(path: Path, gdf: gpd.GeoDataFrame, prj: bool = True, cpg: bool = True,
                  encoding: str = "UTF-8") -> Path:
    """Zip of a shapefile (in data/ inside the zip), Chinese field names, optionally without .prj or .cpg."""
    folder = path.parent / (path.stem + "_parts")
    folder.mkdir(exist_ok=True)
    gdf = gdf.rename(columns=SHP_NAMES)
    gdf.to_file(folder / "points.shp", encoding=encoding, engine="pyogrio")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.iterdir()):
            if part.suffix == ".prj" and not prj or part.suffix == ".cpg" and not cpg:
                continue
            zf.write(part, "data/" + part.name)
    return path


def zip_with(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, content)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def zip_slip() -> bytes:
    return zip_with({"points.shp": b"x", "../../evil.txt": b"owned"})


def zip_absolute() -> bytes:
    return zip_with({"/tmp/xzmap-absolute-evil.txt": b"owned"})


def zip_symlink() -> bytes:
    return zip_with({"points.shp": b"x"}, symlinks={"link.dbf": "/etc/passwd"})


def zip_bomb() -> bytes:
    """One member of 20 MB zeros, compressed about 1000:1."""
    return zip_with({"points.shp": b"\0" * (20 * 1024 * 1024)})
