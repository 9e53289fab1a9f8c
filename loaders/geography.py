"""District geography: the outline, the town-level units and their areas, and point-in-area lookup.

The bundled files in `geodata/` seed the store; after that the store is the source of truth (an admin may
replace the schematic areas with an official boundary file), so `Geography` is built from whatever the
store hands it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pyproj import Geod

from . import config

_GEOD = Geod(ellps="WGS84")



def read_bundled_outline(folder: Path | None = None) -> shapely.Geometry:
    path = (folder or config.geodata_dir()) / "district_outline.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    return shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in collection["features"]])


def read_bundled_units(folder: Path | None = None) -> pd.DataFrame:
    path = (folder or config.geodata_dir()) / "units.csv"
    units = pd.read_csv(path, dtype={"code": str, "area_code": str}, encoding="utf-8")
    units["in_network"] = units["in_network"].astype(int).astype(bool)
    return units.sort_values("order").reset_index(drop=True)


def read_bundled_areas(folder: Path | None = None) -> list[dict]:
    """Areas as dicts with code, name, short_name, in_network, schematic, basis and a shapely geometry."""
    path = (folder or config.geodata_dir()) / "unit_areas.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    return [{**f["properties"], "geometry": shapely.geometry.shape(f["geometry"])} for f in collection["features"]]


def area_km2(geometry: shapely.Geometry) -> float:
    return abs(_GEOD.geometry_area_perimeter(geometry)[0]) / 1e6


@dataclass
class Geography:
    outline: shapely.Geometry
    areas: list[dict]  # code, name, in_network, schematic, geometry …

    def __post_init__(self):
        self._codes = np.array([a["code"] for a in self.areas], dtype=object)
        self._tree = shapely.STRtree([a["geometry"] for a in self.areas])
        shapely.prepare(self.outline)
        self._boundary = self.outline.boundary

    def unit_at(self, lon, lat):
        """Code of the area containing each point, or None outside every area. Vectorised over arrays."""
        scalar = np.ndim(lon) == 0
        points = shapely.points(np.atleast_1d(lon), np.atleast_1d(lat))
        found = np.full(len(points), None, dtype=object)
        point_index, area_index = self._tree.query(points, predicate="intersects")
        # A point on a shared border belongs to the first area found; later hits do not overwrite it.
        for p, a in zip(point_index[::-1], area_index[::-1]):
            found[p] = self._codes[a]
        return found[0] if scalar else found

    def inside(self, lon, lat):
        result = shapely.intersects_xy(self.outline, np.atleast_1d(lon), np.atleast_1d(lat))
        return bool(result[0]) if np.ndim(lon) == 0 else result

    def distance_to_border_m(self, lon: float, lat: float) -> float:
        """Geodesic distance from a point to the nearest point of the district border, in metres."""
        nearest = shapely.ops.nearest_points(self._boundary, shapely.Point(lon, lat))[0]
        return float(_GEOD.inv(lon, lat, nearest.x, nearest.y)[2])

    def outside_message(self, lon: float, lat: float) -> str:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):  # no distance on Earth to speak of
            return f"坐标（{lon:.6f}, {lat:.6f}）不是有效的经纬度，不在襄州区范围内（经纬度可能填反了）"
        return (f"坐标（{lon:.6f}, {lat:.6f}）不在襄州区范围内，距区界约 "
                f"{self.distance_to_border_m(lon, lat) / 1000:.1f} 公里")

