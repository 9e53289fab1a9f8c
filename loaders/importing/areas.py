"""An admin replaces the schematic unit areas with an official boundary file (polygons with a name or code field)."""
from __future__ import annotations

from dataclasses import dataclass, field

import shapely

from ..cells import EMPTY, is_blank, shown
from ..editing import Editor
from ..geography import area_km2
from ..readable import count
from ..units import Units
from .core import ImportFileError, ImportRefused
from .files import _load, detect_format

OVERLAP_TOLERANCE = 0.01  # overlaps up to 1 % of the smaller area are digitising slivers, not errors


@dataclass
class AreasResult:
    replaced: list[str]  # unit codes whose area now comes from the file
    kept: list[str]  # codes whose (schematic) area was kept
    unmatched: list[str] = field(default_factory=list)  # feature values that matched no unit
    basis: str = ""

    def summary(self) -> str:
        text = f"已用「{self.basis}」替换 {count(len(self.replaced))} 个乡镇（街道）的范围"
        if self.kept:
            text += f"，保留示意范围 {len(self.kept)} 个"
        if self.unmatched:
            text += f"；未匹配的要素：{'、'.join(self.unmatched)}"
        return text


def replace_areas(editor: Editor, file, field_name: str, filename: str | None = None,
                  source_crs: str | None = None, layer: str | None = None) -> AreasResult:
    """Replace unit areas with the polygons of `file` (path, bytes + filename, or upload), matched to units by
    `field_name` (a unit's name, short name or 12-digit code). Refused (ImportRefused, nothing written) for a
    non-admin, when a unit of the consultation network would be left without an area, or when areas overlap by
    more than 1 %. Areas of units not in the file (e.g. 东津) keep their schematic area. One transaction, written by
    `editor` (admins only, checked at the moment of the write); the store's cached geography refreshes.
    """
    editor.require_admin("替换乡镇（街道）范围")
    store = editor.store
    data, name = _load(file, filename, None)
    fmt = detect_format(data, name)
    if fmt not in ("geojson", "gpkg", "shp"):
        raise ImportFileError(f"文件「{name}」不是边界文件：请上传 GeoJSON、GeoPackage 或压缩成 zip 的 Shapefile")
    from .vector import read_polygons

    frame = read_polygons(data, name, fmt, layer=layer, source_crs=source_crs)
    if field_name not in frame.columns:
        fields = "、".join(c for c in frame.columns if c != frame.geometry.name)
        raise ImportFileError(f"文件「{name}」中没有字段「{field_name}」（有：{fields}）")
    units = store.units()
    area_units = Units(units.with_areas)
    geometries: dict[str, list] = {}
    unmatched: list[str] = []
    for value, geometry in zip(frame[field_name], frame.geometry):
        text = "" if is_blank(value) else shown(value).strip()  # an empty field is 空, never "nan" or "None"
        code = area_units.code_of(text)
        if code is None:
            unmatched.append(text or EMPTY)
            continue
        if geometry is None or geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon",
                                                                              "GeometryCollection"):
            raise ImportFileError(f"文件「{name}」中「{text}」的几何不是面（{getattr(geometry, 'geom_type', '空')}）")
        geometries.setdefault(code, []).append(geometry)
    merged = {code: _polygonal(shapely.union_all(parts)) for code, parts in geometries.items()}
    names = units.names()
    missing = [u.name for u in area_units.network if u.code not in merged]
    if missing:
        raise ImportRefused(f"文件「{name}」缺少这些乡镇（街道）的范围：{'、'.join(missing)}；未做任何修改"
                            + (f"（未匹配的要素：{'、'.join(unmatched)}）" if unmatched else ""))
    codes = list(merged)
    tree = shapely.STRtree([merged[c] for c in codes])
    left, right = tree.query([merged[c] for c in codes], predicate="intersects")
    for a, b in zip(left, right):
        if a >= b:
            continue
        overlap = shapely.intersection(merged[codes[a]], merged[codes[b]])
        smaller = min(area_km2(merged[codes[a]]), area_km2(merged[codes[b]]))
        if not overlap.is_empty and area_km2(overlap) > OVERLAP_TOLERANCE * smaller:
            raise ImportRefused(f"文件「{name}」中「{names[codes[a]]}」与「{names[codes[b]]}」的范围重叠"
                                f"约 {area_km2(overlap):.1f} 平方公里，未做任何修改")
    kept = editor.replace_areas(merged, name)
    return AreasResult(replaced=codes, kept=kept, unmatched=unmatched, basis=name)


def _polygonal(geometry):
    if geometry.geom_type == "GeometryCollection":
        geometry = shapely.union_all([g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    return shapely.MultiPolygon([geometry]) if geometry.geom_type == "Polygon" else geometry
