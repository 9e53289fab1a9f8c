"""Photos: thumbnails in every detail panel (full size on tap), and choosing photos -- from the phone's camera or
album -- for a point or a follow-up.

The bytes shown are the ones the store keeps: resized, turned upright and stripped of EXIF by `loaders.photos`, so
nothing served carries the phone's position. EXIF position and time are only *offered* (a button), never applied.
"""
from __future__ import annotations

import streamlit as st

from loaders import clock
from loaders import photos as photo_files
from loaders.model import ValidationError
from loaders.photos import Photo, PhotoError
from loaders.store import StoreError

from .. import data
from . import coordinput
from .editform import messages, save_refusal
from .safe import md_text

TYPES = ["jpg", "jpeg", "png", "heic", "heif"]
PER_ROW = 3
_PREPARED = "_xz_prepared_photos"  # picker key -> {upload id: Photo or its refusal}
# Thumbnails stay three to a row on a phone too (Streamlit stacks columns below 640 px: one photo per screen).
GALLERY_CSS = """<style>
[class*="st-key-gallery_"] [data-testid="stHorizontalBlock"] { flex-wrap: nowrap !important; gap: .5rem; }
[class*="st-key-gallery_"] [data-testid="stColumn"] { min-width: 0 !important; flex: 1 1 0 !important;
  width: auto !important; }
[class*="st-key-gallery_"] button { min-height: 44px; padding: 0 .3rem; }
</style>"""


# Keyed on the store's location and data version as data.py's caches are: two stores share no entry.
@st.cache_data(show_spinner=False, max_entries=512)
def _stored(location: str, photo_id: str, thumb: bool, data_version: int) -> bytes | None:
    return data.store().photo_bytes(photo_id, thumb=thumb)


def _bytes(photo_id: str, thumb: bool, data_version: int) -> bytes | None:
    return _stored(data.store().location, photo_id, thumb, data_version)


@st.dialog("照片", width="large")
def _full_size(photo_id: str, caption: str) -> None:
    image = _bytes(photo_id, False, data.version())
    if image is None:
        st.warning("这张照片已被删除。")
        return
    st.image(image, caption=caption, width="stretch")


def caption(photo: dict) -> str:
    taken = f"拍摄于 {photo['taken_at'][:16].replace('T', ' ')}" if photo.get("taken_at") else ""
    added = f"{photo.get('created_by') or ''} 上传于 {str(photo.get('created_at') or '')[:16].replace('T', ' ')}"
    return "　".join(part for part in (taken, added) if part.strip())


def gallery(photos: list[dict], key: str) -> None:
    """Thumbnails, three to a row; tapping 放大 opens the photo full size."""
    if not photos:
        return
    version = data.version()
    box = st.container(key=f"gallery_{key}")
    box.html(GALLERY_CSS)
    for start in range(0, len(photos), PER_ROW):
        for column, photo in zip(box.columns(PER_ROW), photos[start:start + PER_ROW]):
            thumb = _bytes(photo["id"], True, version)
            if thumb is None:
                continue
            with column:
                st.image(thumb, width="stretch")
                st.button("放大", key=f"{key}_{photo['id']}", on_click=_full_size,
                          args=(photo["id"], caption(photo)), icon=":material/zoom_in:", width="stretch")


@st.cache_data(show_spinner=False, max_entries=256)
def _listed(location: str, point_id: str, data_version: int) -> list[dict]:
    return data.store().photos(point_id)


def listed(point_id: str, data_version: int) -> list[dict]:
    """A point's photos (its own and its follow-ups'), oldest first; cached per store and data version."""
    return _listed(data.store().location, point_id, data_version)


def of_point(point_id: str) -> tuple[list[dict], dict[int, list[dict]]]:
    """The point's own photos, and those of each follow-up (by the follow-up's fid)."""
    own: list[dict] = []
    by_follow_up: dict[int, list[dict]] = {}
    for photo in listed(point_id, data.version()):
        if photo.get("follow_up_fid") is None:
            own.append(photo)
        else:
            by_follow_up.setdefault(int(photo["follow_up_fid"]), []).append(photo)
    return own, by_follow_up


def chooser(label: str, key: str) -> None:
    """The file picker: on a phone it offers the camera or the album. Several at once."""
    st.file_uploader(label, type=TYPES, accept_multiple_files=True, key=key,
                     help="可直接拍照，或从相册选择多张（JPG、PNG，苹果手机的 HEIC 也可以）。照片会缩小到长边 1600 像素，"
                          "并去掉其中记录的位置等信息后保存。")


def prepared(key: str) -> tuple[list[Photo], list[str]]:
    """The chosen files as photos ready to store, and a Chinese refusal for each file that is not one. Each file is
    decoded once (kept by its upload id, per picker): every rerun of the form would otherwise decode a dozen
    48-megapixel photos again."""
    ss = st.session_state
    cache = {k: v for k, v in ss.get(_PREPARED, {}).items() if k in ss}  # pickers no longer drawn let go
    before = cache.get(key, {})
    now = {}
    ready, refused = [], []
    for upload in ss.get(key) or []:
        if upload.file_id not in before:
            try:
                before[upload.file_id] = photo_files.prepare(upload.getvalue(), upload.name)
            except PhotoError as error:
                before[upload.file_id] = error.messages
        now[upload.file_id] = result = before[upload.file_id]
        if isinstance(result, list):
            refused.extend(result)
        else:
            ready.append(result)
    cache[key] = now
    ss[_PREPARED] = cache
    return ready, refused


def offers(ready: list[Photo]) -> tuple[tuple[float, float] | None, str | None]:
    """The first position and the first shooting date the photos' EXIF carries (to offer, never to apply)."""
    where = next((p.lonlat for p in ready if p.lonlat), None)
    when = next((p.taken_at.date().isoformat() for p in ready  # a camera clock set in the future is no date
                 if p.taken_at and p.taken_at.date() <= clock.today()), None)
    return where, when


def refusals(lines: list[str]) -> None:
    if lines:
        st.error("以下照片没有保存：\n" + "\n".join(f"- {md_text(line)}" for line in lines))


# The 照片 tab of the editing page -----------------------------------------------------------------------------
def _save(editor, point_id: str, key: str) -> None:
    ss = st.session_state
    ready, refused = prepared(key)
    if refused or not ready:
        ss[f"{key}_result"] = ("error", refused or ["请先拍照或选择照片。"])
        return
    try:
        editor.add_photos(point_id, ready)
    except (ValidationError, StoreError) as error:
        ss[f"{key}_result"] = save_refusal(error)
        return
    ss[f"{key}_result"] = ("ok", [f"已保存 {len(ready)} 张照片。"])
    ss[f"{key}_round"] = ss.get(f"{key}_round", 0) + 1  # a fresh, empty picker


def _delete(editor, photo_id: str, key: str) -> None:
    try:
        editor.delete_photo(photo_id)
    except StoreError as error:
        st.session_state[f"{key}_result"] = ("error", [f"没有删除：{error}"])
        return
    st.session_state[f"{key}_result"] = ("ok", ["已删除这张照片（与点位一样可由管理员找回）。"])


def _use_position(prefix: str, lonlat: tuple[float, float], geography) -> None:
    position = coordinput.check(*lonlat, geography, "照片的拍摄位置（EXIF）")
    coordinput.set_candidate(prefix, position)
    st.session_state[coordinput.CENTER_REQUEST] = (position.lon, position.lat)


def position_offer(ready: list[Photo], prefix: str, geography, key: str) -> None:
    """If a chosen photo recorded where it was taken, offer that as the position (the user confirms on the map)."""
    where, _ = offers(ready)
    if where:
        st.button(f"用照片的拍摄位置 {where[0]:.6f}, {where[1]:.6f}", key=f"{key}_use_gps",
                  on_click=_use_position, args=(prefix, where, geography), icon=":material/photo_camera:")


def section(editor, record: dict, editable: bool) -> None:
    """The point's own photos; an editor adds (camera or album) and deletes them."""
    key = "pt_photos"
    own, _ = of_point(record["id"])
    messages(st.session_state.pop(f"{key}_result", None))
    if not own:
        st.caption("还没有照片。")
    gallery(own, key="pt_photo")
    if not editable:
        return
    if own:
        with st.expander("删除照片"):
            for photo in own:
                st.button(f"删除 {md_text(photo['name'])}", key=f"{key}_del_{photo['id']}", on_click=_delete,
                          args=(editor, photo["id"], key), icon=":material/delete:")
    picker_key = f"{key}_files_{st.session_state.get(f'{key}_round', 0)}"
    chooser("添加照片（拍照或从相册选择）", picker_key)
    ready, refused = prepared(picker_key)
    refusals(refused)
    if ready:
        position_offer(ready, "mv", editor.store.geography(), picker_key)
        st.caption("拍摄位置只作参考：点上面的按钮后，会在「位置」中作为待确认的新位置显示。")
    st.button("保存照片", key=f"{key}_save", type="primary", disabled=not ready, on_click=_save,
              args=(editor, record["id"], picker_key), icon=":material/add_a_photo:", width="stretch")
