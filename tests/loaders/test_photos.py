"""Photos from phones (issue 12): what `loaders.photos.prepare` keeps -- upright, at most 1,600 px, a thumbnail, no
metadata at all -- and what it offers (the EXIF position and time); files that are not photos refused by name; and
the photo part of the store contract on both engines (the `any_store` fixture): add with an audit row, a follow-up
and its photos in one transaction, rights, soft deletion and restore with the point, backups, copies, exports."""
from __future__ import annotations

import contextlib
import io
import sqlite3

import pytest
from photo_files import HUANGJI_EXIF, is_upright_and_clean, not_an_image, sideways_jpeg, truncated_jpeg
from PIL import Image

from loaders import auth, backup, clock, export, photos
from loaders.editing import Editor, PermissionDenied
from loaders.filters import Filter
from loaders.model import ValidationError
from loaders.store import NotFoundError, open_store
from loaders.store.base import StoreError

HUANGJI = "420607102000"
ZHANGWAN = "420607001000"


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


# Processing -------------------------------------------------------------------------------------------------------
def test_a_sideways_phone_photo_is_stored_upright_and_without_any_metadata():
    photo = photos.prepare(sideways_jpeg(), "IMG_0001.jpg")
    assert (photo.width, photo.height) == (200, 300)
    assert is_upright_and_clean(photo.full) == (True, True)
    assert is_upright_and_clean(photo.thumb) == (True, True)
    assert b"Exif" not in photo.full and b"GPS" not in photo.full


def test_the_photo_offers_its_exif_position_and_time_in_beijing_time():
    photo = photos.prepare(sideways_jpeg(), "IMG_0001.jpg")
    assert photo.lonlat == pytest.approx(HUANGJI_EXIF, abs=1e-6)
    assert photo.taken_at.isoformat() == "2026-12-03T09:30:00+08:00" and photo.taken_at.tzinfo == clock.TZ
    bare = photos.prepare(sideways_jpeg(gps=False), "b.jpg")
    assert bare.lonlat is None


def test_a_large_photo_is_resized_to_1600_px_with_a_320_px_thumbnail():
    photo = photos.prepare(encoded(Image.new("RGB", (4000, 3000), "navy"), "JPEG"), "big.jpg")
    assert (photo.width, photo.height) == (1600, 1200)
    assert max(Image.open(io.BytesIO(photo.thumb)).size) == 320


def test_a_transparent_png_is_flattened_on_white_and_a_heic_is_read():
    clear = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    png = photos.prepare(encoded(clear, "PNG"), "截图.png")
    assert Image.open(io.BytesIO(png.full)).convert("RGB").getpixel((10, 10)) > (240, 240, 240)
    import pillow_heif  # noqa: F401  (registers HEIF for Image.save)

    heic = photos.prepare(encoded(Image.new("RGB", (64, 48), "green"), "HEIF"), "IMG_2024.HEIC")
    assert Image.open(io.BytesIO(heic.full)).format == "JPEG" and (heic.width, heic.height) == (64, 48)


@pytest.mark.parametrize("raw, name, said", [
    (b"", "空.jpg", "是空文件"),
    (not_an_image(), "名单.jpg", "不是照片"),
    (truncated_jpeg(), "半张.jpg", "不完整或已损坏"),
    (encoded(Image.new("RGB", (8, 8)), "GIF"), "动图.gif", "是 GIF 格式"),
    (encoded(Image.new("RGB", (8, 8)), "BMP"), "截屏.bmp", "是 BMP 格式"),
    (b"\xff\xd8\xff" + b"\0" * (photos.MAX_BYTES + 1), "太大.jpg", "超过 15 MB"),
])
def test_files_that_are_not_phone_photos_are_refused_by_name(raw, name, said):
    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare(raw, name)
    assert name in refused.value.messages[0] and said in refused.value.messages[0]


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 10_000)  # a real bomb header claims 60,000x60,000; same path
    with pytest.raises(photos.PhotoError, match="不是手机照片"):
        photos.prepare(encoded(Image.new("RGB", (200, 200)), "PNG"), "bomb.png")
    monkeypatch.undo()
    huge = Image.new("1", (20_000, 20_000))  # 400 megapixels, a few KB as PNG
    with pytest.raises(photos.PhotoError, match="像素"):
        photos.prepare(encoded(huge, "PNG"), "炸弹.png")


def test_a_hostile_file_name_is_kept_as_clean_text():
    photo = photos.prepare(sideways_jpeg(), "\u202egpj.exe\x00<script>.jpg" + "长" * 300)
    assert "\u202e" not in photo.name and "\x00" not in photo.name and len(photo.name) <= photos.MAX_NAME


# The store contract, on both engines -----------------------------------------------------------------------------
@pytest.fixture
def store(any_store):
    return any_store


def a_point(store, unit=HUANGJI) -> dict:
    return store.point(str(store.points(Filter(unit_codes=(unit,)))["id"].iloc[0]))


def test_a_photo_is_stored_with_an_audit_row_and_moves_the_data_version(store):
    point = a_point(store)
    version = store.data_version()
    photo_id = store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "a.jpg"), "hj")
    assert store.data_version() > version
    (row,) = store.photos(point["id"])
    assert row["id"] == photo_id and row["name"] == "a.jpg" and row["follow_up_fid"] is None
    assert (row["width"], row["height"]) == (200, 300) and row["created_by"] == "hj"
    assert row["taken_at"].startswith("2026-12-03T09:30:00") and row["lon"] == pytest.approx(HUANGJI_EXIF[0])
    assert is_upright_and_clean(store.photo_bytes(photo_id)) == (True, True)
    assert is_upright_and_clean(store.photo_bytes(photo_id, thumb=True)) == (True, True)
    audit = store.history(point["id"])
    assert audit.iloc[0]["action"] == "photo_add" and audit.iloc[0]["after"]["photo"] == photo_id


def test_a_follow_up_and_its_photos_land_together_or_not_at_all(store):
    point = a_point(store)
    two = [photos.prepare(sideways_jpeg(), n) for n in ("before.jpg", "after.jpg")]
    store.add_follow_up(point["id"], {"date": "2026-12-04", "text": "清淤前后"}, point["version"], "hj", photos=two)
    (entry,) = store.follow_ups(point["id"])
    assert [p["follow_up_fid"] for p in store.photos(point["id"])] == [entry["fid"], entry["fid"]]
    current = store.point(point["id"])
    before = (store.follow_ups(point["id"]), store.photos(point["id"]), store.data_version())
    with pytest.raises(StoreError):  # a stale version: neither the entry nor its photos
        store.add_follow_up(point["id"], {"text": "晚了"}, current["version"] - 1, "hj", photos=two)
    assert (store.follow_ups(point["id"]), store.photos(point["id"]), store.data_version()) == before


def test_a_follow_up_reopening_a_point_clears_its_completion_date(store):
    well = store.point(str(store.points(Filter(kinds=("well",), statuses=("已出水",)))["id"].iloc[0]))
    assert well["resolved_on"]
    after = store.add_follow_up(well["id"], {"text": "又不出水了，重新钻", "status": "钻井中"}, well["version"], "hj")
    assert after["status"] == "钻井中" and not after["resolved_on"]


def test_photos_go_and_come_back_with_their_point_but_not_one_deleted_alone(store):
    point = a_point(store)
    kept = store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "kept.jpg"), "hj")
    alone = store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "alone.jpg"), "hj")
    store.delete_photo(alone, "hj")
    with pytest.raises(StoreError, match="已经删除"):
        store.delete_photo(alone, "hj")
    store.delete_point(point["id"], point["version"], "hj")
    assert store.photos(point["id"]) == [] and store.photo_bytes(kept) is None
    store.restore_point(point["id"], "hj")
    assert [p["id"] for p in store.photos(point["id"])] == [kept]
    assert {p["id"] for p in store.photos(point["id"], include_deleted=True)} == {kept, alone}


def test_a_photo_for_a_missing_point_or_follow_up_is_refused_and_nothing_changes(store):
    version = store.data_version()
    with pytest.raises(NotFoundError):
        store.add_photo("p-does-not-exist", photos.prepare(sideways_jpeg(), "a.jpg"), "hj")
    point = a_point(store)
    with pytest.raises(NotFoundError, match="跟踪督办"):
        store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "a.jpg"), "hj", follow_up_fid=999_999)
    assert store.data_version() == version and store.photos(point["id"]) == []


def test_the_editor_checks_the_town_and_the_number_of_photos(store):
    auth.add_user(store, "hj", "password-123", "editor", [HUANGJI])
    editor = Editor.for_user(store, "hj")
    mine, other = a_point(store, HUANGJI), a_point(store, ZHANGWAN)
    one = photos.prepare(sideways_jpeg(), "a.jpg")
    with pytest.raises(PermissionDenied):
        editor.add_photos(other["id"], [one])
    with pytest.raises(ValidationError, match="最多保存 12 张"):
        editor.add_photos(mine["id"], [one] * 13)
    assert store.photos(mine["id"]) == [] and store.photos(other["id"]) == []
    (photo_id,) = editor.add_photos(mine["id"], [one])
    admin_photo = store.add_photo(other["id"], one, "admin")
    with pytest.raises(PermissionDenied):
        editor.delete_photo(admin_photo)
    editor.delete_photo(photo_id)
    assert store.photos(mine["id"]) == []


def test_a_backup_carries_the_photos_and_restores_them_byte_for_byte(store, tmp_path):
    point = a_point(store)
    photo_id = store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "a.jpg"), "hj")
    stored = store.photo_bytes(photo_id)
    snapshot = backup.backup(store.location, tmp_path / "snap.gpkg")
    backup.check_store_file(snapshot)
    target = tmp_path / "restored.gpkg"
    backup.restore(snapshot, target)
    assert open_store(str(target)).photo_bytes(photo_id) == stored


def test_a_damaged_photo_in_a_snapshot_fails_its_checksum(store, tmp_path):
    point = a_point(store)
    store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "a.jpg"), "hj")
    snapshot = backup.backup(store.location, tmp_path / "snap.gpkg")
    with contextlib.closing(sqlite3.connect(snapshot)) as connection, connection:
        connection.execute("UPDATE photos SET data = substr(data, 1, 100)")
    with pytest.raises(backup.BackupError, match="photos"):
        backup.check_store_file(snapshot)


def test_a_geopackage_export_carries_the_photos_of_the_exported_points(store, tmp_path):
    point = a_point(store)
    photo_id = store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "a.jpg"), "hj")
    other = a_point(store, ZHANGWAN)
    store.add_photo(other["id"], photos.prepare(sideways_jpeg(), "b.jpg"), "hj")
    points = store.points(Filter(unit_codes=(HUANGJI,)))
    out = tmp_path / "export.gpkg"
    out.write_bytes(export.export_bytes(points, "gpkg", store.units(), store=store))
    with contextlib.closing(sqlite3.connect(out)) as connection:
        rows = connection.execute("SELECT id, point_id, data FROM photos").fetchall()
        listed = connection.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'photos'").fetchone()
    assert [(r[0], r[1]) for r in rows] == [(photo_id, point["id"])] and listed == ("attributes",)
    assert rows[0][2] == store.photo_bytes(photo_id)


def test_a_snapshot_whose_photo_is_not_a_jpeg_or_has_no_point_is_refused(store, tmp_path):
    point = a_point(store)
    store.add_photo(point["id"], photos.prepare(sideways_jpeg(), "a.jpg"), "hj")
    snapshot = backup.backup(store.location, tmp_path / "snap.gpkg")
    with contextlib.closing(sqlite3.connect(snapshot)) as connection, connection:
        connection.execute("UPDATE photos SET data = CAST('<svg onload=alert(1)>' AS BLOB), point_id = 'p-gone'")
    with pytest.raises(backup.BackupError) as refused:
        backup.check_store_file(snapshot, verify_checksum=False)
    assert "不是 JPEG" in str(refused.value) and "p-gone" in str(refused.value)
