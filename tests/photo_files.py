"""Photos as phones send them, made by the tests: a JPEG taken sideways in 黄集 (EXIF orientation 6, GPS, time) and
files that are not photos. The sideways JPEG's stored pixels are 300x200 with the top-left quarter red; shown
upright (turned 90° clockwise) it is 200x300 with the red quarter at the top right."""
from __future__ import annotations

import io

from PIL import Image

HUANGJI_EXIF = (112.105, 32.335)  # 112°06′18″E 32°20′06″N, inside 黄集镇
TAKEN = "2026:12:03 09:30:00"
RED = (220, 20, 20)


def sideways_jpeg(gps: bool = True, size: tuple[int, int] = (300, 200)) -> bytes:
    image = Image.new("RGB", size, "white")
    image.paste(RED, (0, 0, size[0] // 2, size[1] // 2))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    exif.get_ifd(0x8769)[0x9003] = TAKEN  # DateTimeOriginal
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (32.0, 20.0, 6.0), 3: "E", 4: (112.0, 6.0, 18.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def is_upright_and_clean(data: bytes) -> tuple[bool, bool]:
    """(shown upright: portrait with red at the top right, carries no EXIF at all) of served image bytes."""
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    pixel = image.convert("RGB").getpixel((int(width * 0.85), int(height * 0.15)))
    upright = height > width and pixel[0] > 180 and pixel[1] < 90 and pixel[2] < 90
    clean = len(image.getexif()) == 0 and "exif" not in image.info
    return upright, clean


def not_an_image() -> bytes:
    return "这不是照片，是一份名单：张三,李四\n".encode() * 20


def truncated_jpeg() -> bytes:
    whole = sideways_jpeg()
    return whole[: len(whole) // 2]
