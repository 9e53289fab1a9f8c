"""The photos part of the store contract, written once for both SQL engines (mixed into `SQLStore`).

A photo belongs to a point, and optionally to one of its follow-ups. Adding and deleting one writes an audit row
(`photo_add`, `photo_delete`) like every other change, and moves data_version so cached pages show it. Deleting a
point soft-deletes its photos with the same time stamp, so restoring the point brings back exactly those.
"""
from __future__ import annotations

import secrets

from .. import clock
from .base import Change, NotFoundError, StoreError

PHOTO_COLUMNS = ("id", "point_id", "follow_up_fid", "name", "width", "height", "size", "taken_at", "lon", "lat",
                 "created_at", "created_by", "deleted_at")


def new_photo_id() -> str:
    return "ph-" + secrets.token_hex(8)


class PhotoStore:
    """Needs `_read`, `_write`, `_point` and `_audit` of SQLStore."""

    def photos(self, point_id: str, include_deleted: bool = False) -> list[dict]:
        """The point's photos (metadata, no bytes), oldest first."""
        sql = f"SELECT {', '.join(PHOTO_COLUMNS)} FROM photos WHERE point_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        with self._read() as c:
            rows = c.execute(sql + " ORDER BY created_at, id", (point_id,)).fetchall()
        return [dict(zip(PHOTO_COLUMNS, row)) for row in rows]

    def photo_bytes(self, photo_id: str, thumb: bool = False) -> bytes | None:
        """The stored JPEG (or its thumbnail); None for an unknown or deleted photo."""
        column = "thumb" if thumb else "data"
        with self._read() as c:
            row = c.execute(f"SELECT {column} FROM photos WHERE id = ? AND deleted_at IS NULL", (photo_id,)).fetchone()
        return bytes(row[0]) if row else None

    def add_photo(self, point_id: str, photo, user: str, follow_up_fid: int | None = None) -> str:
        """Store a prepared `loaders.photos.Photo` for a point (or one of its follow-ups); returns its id."""
        with self._write() as c:
            return self._add_photo(c, point_id, photo, user, follow_up_fid)

    def _add_photo(self, connection, point_id: str, photo, user: str, follow_up_fid: int | None) -> str:
        point = self._point(connection, point_id, lock=True)
        if point is None or point.get("deleted_at"):
            raise NotFoundError(f"找不到编号为「{point_id}」的点位（可能已被删除），照片没有保存")
        if follow_up_fid is not None and connection.execute(
                "SELECT 1 FROM follow_ups WHERE fid = ? AND point_id = ?", (int(follow_up_fid), point_id)).fetchone() is None:
            raise NotFoundError(f"找不到这条跟踪督办记录（{follow_up_fid}），照片没有保存")
        photo_id = new_photo_id()
        lon, lat = photo.lonlat or (None, None)
        taken = photo.taken_at.isoformat(timespec="seconds") if photo.taken_at else None
        connection.execute(
            "INSERT INTO photos (id, point_id, follow_up_fid, name, content_type, width, height, size, taken_at, lon, "
            "lat, data, thumb, created_at, created_by) VALUES (?, ?, ?, ?, 'image/jpeg', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (photo_id, point_id, follow_up_fid, photo.name, photo.width, photo.height, len(photo.full), taken, lon, lat,
             photo.full, photo.thumb, clock.stamp(), user))
        self._audit(connection, Change(point_id, "photo_add", user, {},
                                       {"photo": photo_id, "name": photo.name, "follow_up_fid": follow_up_fid}))
        return photo_id

    def photo(self, photo_id: str) -> dict | None:
        with self._read() as c:
            row = c.execute(f"SELECT {', '.join(PHOTO_COLUMNS)} FROM photos WHERE id = ?", (photo_id,)).fetchone()
        return dict(zip(PHOTO_COLUMNS, row)) if row else None

    def delete_photo(self, photo_id: str, user: str) -> None:
        with self._write() as c:
            row = c.execute("SELECT point_id, name, deleted_at FROM photos WHERE id = ?", (photo_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"找不到编号为「{photo_id}」的照片")
            point_id, name, deleted_at = row
            if deleted_at:
                raise StoreError(f"照片「{name}」已经删除")
            # To the microsecond, unlike the point's stamp: restoring the point must not match a photo deleted alone
            # within the same second.
            stamp = clock.now().isoformat(timespec="microseconds")
            c.execute("UPDATE photos SET deleted_at = ? WHERE id = ?", (stamp, photo_id))
            self._audit(c, Change(point_id, "photo_delete", user, {"photo": photo_id, "deleted_at": None},
                                  {"photo": photo_id, "name": name, "deleted_at": stamp}))

    def _photos_follow_point(self, connection, point_id: str, deleted_at: str | None, was: str | None = None) -> None:
        """A point deleted (`deleted_at` its stamp) takes its photos with it; restored (`was` the stamp it had)
        brings back those, not photos someone deleted on their own before."""
        if deleted_at:
            connection.execute("UPDATE photos SET deleted_at = ? WHERE point_id = ? AND deleted_at IS NULL",
                               (deleted_at, point_id))
        elif was:
            connection.execute("UPDATE photos SET deleted_at = NULL WHERE point_id = ? AND deleted_at = ?",
                               (point_id, was))
