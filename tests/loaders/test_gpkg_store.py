"""What only the GeoPackage engine promises: a file that GDAL/QGIS read, and init that never overwrites it."""
from pathlib import Path

import dbfile
import pandas as pd
import pyogrio
import pytest

from loaders import config
from loaders.store import GeoPackageStore, StoreUnavailable, initialise

SAMPLES = pd.read_csv(config.geodata_dir() / "sample_points.csv", dtype=str, keep_default_na=False)
def test_store_is_a_geopackage_that_gdal_reads_as_point_layer_in_wgs84(store_path):
    layers = {name: kind for name, kind in pyogrio.list_layers(store_path)}
    assert layers["points"] == "Point"
    assert layers["unit_areas"] in ("MultiPolygon", "Polygon")
    assert "district_outline" in layers
    info = pyogrio.read_info(store_path, layer="points")
    assert info["crs"] == "EPSG:4326"
    frame = pyogrio.read_dataframe(store_path, layer="points")
    assert len(frame) == len(SAMPLES)
    first = frame.iloc[0]
    assert first.geometry.x == pytest.approx(first["lon"]) and first.geometry.y == pytest.approx(first["lat"])


def test_init_is_idempotent_and_never_overwrites(store_path, store):
    store.update_point(store.points()["id"][0], {"name": "改过的名字"}, 1, "tester")
    version = store.data_version()
    outcome, backup = initialise(store_path, config.geodata_dir())
    assert (outcome, backup) == ("exists", None)
    assert store.data_version() == version
    assert "改过的名字" in set(store.points()["name"])


def test_force_init_writes_a_timestamped_backup_first(store_path, store):
    point_id = store.points()["id"][0]
    store.update_point(point_id, {"name": "备份前的修改"}, 1, "tester")
    outcome, backup = initialise(store_path, config.geodata_dir(), force=True)
    backup = Path(backup)
    assert outcome == "replaced" and backup.exists() and backup.name.startswith("xiangzhou.")
    assert "备份前的修改" not in set(store.points()["name"])
    with dbfile.connect(backup) as old:
        assert old.execute("SELECT name FROM points WHERE id = ?", (point_id,)).fetchone()[0] == "备份前的修改"


def test_a_file_written_by_newer_code_is_refused(store_path):
    with dbfile.connect(store_path) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(StoreUnavailable, match="数据结构版本为 99.*请先升级程序"):
        GeoPackageStore(store_path)
