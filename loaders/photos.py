"""Photos from the field: the bytes a phone sends turned into what the store keeps.

Staff report before/after with photos taken on a phone: JPEG or PNG, and HEIC from iPhones (read by the PyPI package
pillow-heif). What is kept is a new JPEG: turned upright as the phone meant it (EXIF orientation), at most
`LONG_EDGE` pixels on its long edge, with a `THUMB_EDGE` thumbnail, and *no metadata at all* -- a phone's EXIF holds
where the photo was taken and the phone's make, which must not travel with a photo shown on a public screen. The
position and time the EXIF recorded are read first and returned, so a page can offer them (never apply them).

The type is judged from the bytes, never from the file name. Every refusal is a `PhotoError` naming the file.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from . import model
from .clock import TZ

try:  # HEIC/HEIF from iPhones; without the package such a file is refused like any unknown type
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - requirements.txt installs it
    pillow_heif = None

MAX_BYTES = 15 * 1024 * 1024  # a 48-megapixel phone JPEG is 8-12 MB; more is not a phone photo
MAX_PIXELS = 60_000_000  # decoding more would take ~180 MB of memory for one upload
LONG_EDGE = 1600  # sharp on a phone and on the 大屏, ~300 KB as JPEG
THUMB_EDGE = 320
QUALITY = 85
FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "HEIF": "HEIC"}  # what Pillow calls them -> what we say
MAX_NAME = 100


class PhotoError(model.ValidationError):
    """A file that cannot be stored as a photo; the message names the file (Chinese)."""

    def __init__(self, name: str, problem: str):
        super().__init__([f"照片「{name}」{problem}"])


@dataclass(frozen=True)
class Photo:
    full: bytes  # JPEG, upright, long edge <= LONG_EDGE, no metadata
    thumb: bytes  # JPEG, long edge <= THUMB_EDGE
    width: int
    height: int
    name: str  # the file name as the user chose it, cleaned
    taken_at: dt.datetime | None  # EXIF DateTimeOriginal, as Beijing time
    lonlat: tuple[float, float] | None  # EXIF GPS, WGS-84

    @property
    def size(self) -> int:
        return len(self.full)


def clean_name(name: str | None) -> str:
    text = model.clean_text(str(name or "")) or "照片"
    return text[:MAX_NAME]


def prepare(raw: bytes, name: str) -> Photo:
    """Check and convert one uploaded file; raises PhotoError (nothing is stored by this function)."""
    name = clean_name(name)
    if not raw:
        raise PhotoError(name, "是空文件")
    if len(raw) > MAX_BYTES:
        raise PhotoError(name, f"有 {len(raw) / 1048576:,.1f} MB，超过 {MAX_BYTES // 1048576} MB 的上限，请换一张或压缩后再传")
    image = _open(raw, name)
    taken_at, lonlat = _exif_time(image), _exif_position(image)
    try:
        upright = ImageOps.exif_transpose(image)
        upright.load()
    except (OSError, ValueError, SyntaxError) as error:
        raise PhotoError(name, "不完整或已损坏，无法读取（可能没有传完），请重新拍摄或选择") from error
    full = _flatten(upright)
    full.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    thumb = full.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return Photo(_jpeg(full), _jpeg(thumb), full.width, full.height, name, taken_at, lonlat)


def _open(raw: bytes, name: str) -> Image.Image:
    known = "、".join(dict.fromkeys(FORMATS.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw))
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            if isinstance(error, UnidentifiedImageError):
                raise PhotoError(name, f"不是照片（能保存的是 {known} 格式的图片）") from error
            raise PhotoError(name, "的像素太多，不是手机照片，已拒绝") from error
        except (OSError, ValueError, SyntaxError) as error:
            raise PhotoError(name, "不完整或已损坏，无法读取，请重新拍摄或选择") from error
    if image.format not in FORMATS:
        raise PhotoError(name, f"是 {image.format or '未知'} 格式，能保存的是 {known} 格式的照片")
    if image.width * image.height > MAX_PIXELS or min(image.size) < 1:
        raise PhotoError(name, f"有 {image.width:,}×{image.height:,} 像素，不是手机照片，已拒绝")
    try:
        image.load()  # decode it all now: a truncated file fails here, not later on someone's screen
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise PhotoError(name, "不完整或已损坏，无法读取（可能没有传完），请重新拍摄或选择") from error
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and a transparent PNG would turn black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif=, no icc_profile=: nothing but pixels
    return out.getvalue()


def _exif_time(image: Image.Image) -> dt.datetime | None:
    try:
        exif = image.getexif()
        text = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)  # DateTimeOriginal, else DateTime
        moment = dt.datetime.strptime(str(text).strip("\0 "), "%Y:%m:%d %H:%M:%S")
    except (ValueError, TypeError, AttributeError, KeyError, OSError):
        return None
    if not (2000 <= moment.year <= 2100):
        return None
    return moment.replace(tzinfo=TZ)  # phones write local time without a zone; staff are in Beijing time


def _exif_position(image: Image.Image) -> tuple[float, float] | None:
    try:
        gps = image.getexif().get_ifd(0x8825)
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, OSError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)) or (lon == 0 and lat == 0):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return round(lon, 7), round(lat, 7)


def _degrees(dms, ref, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).strip("\0 ").upper() == negative else value
