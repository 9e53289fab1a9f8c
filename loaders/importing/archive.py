"""Unpacking an uploaded zip safely: nothing lands outside the temporary folder, and no archive bombs.

Refused: absolute paths, drive letters, `..` components, symlinks and other special files, more than
`MAX_MEMBERS` members, more than `MAX_TOTAL_BYTES` uncompressed, and any member that expands more than
`MAX_RATIO` times (checked on the header and again while extracting, since headers can lie).
"""
from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .core import ImportFileError, size_text

MAX_MEMBERS = 200
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024  # small members may compress well (a .prj of one repeated line); only check above this
_CHUNK = 1024 * 1024


def _member_path(name: str, info: zipfile.ZipInfo, archive: str) -> PurePosixPath:
    raw = info.filename
    if "\x00" in raw:
        raise ImportFileError(f"压缩包「{archive}」中的文件名「{raw!r}」含有非法字符，已拒绝")
    unified = raw.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise ImportFileError(f"压缩包「{archive}」中的「{raw}」是绝对路径，已拒绝（不安全的压缩包）")
    parts = PurePosixPath(unified).parts
    if any(p == ".." for p in parts):
        raise ImportFileError(f"压缩包「{archive}」中的「{raw}」指向解压目录之外，已拒绝（不安全的压缩包）")
    mode = info.external_attr >> 16
    if mode and (stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
        raise ImportFileError(f"压缩包「{archive}」中的「{raw}」是符号链接或特殊文件，已拒绝")
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def safe_extract(data: bytes, destination: Path, archive: str = "压缩包") -> list[Path]:
    """Extract a zip given as bytes into `destination` (which must exist); return the files written."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError(f"文件「{archive}」不是有效的 zip 压缩包") from None
    destination = destination.resolve()
    written: list[Path] = []
    with zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise ImportFileError(f"压缩包「{archive}」有 {len(members)} 个文件，超过 {MAX_MEMBERS} 个上限")
        declared = sum(m.file_size for m in members)
        if declared > MAX_TOTAL_BYTES:
            raise ImportFileError(f"压缩包「{archive}」解压后有 {size_text(declared)}，超过 {size_text(MAX_TOTAL_BYTES)} 上限")
        plan = []
        for info in members:
            relative = _member_path(info.filename, info, archive)
            if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise _bomb(archive, info.filename)
            target = (destination / relative).resolve()
            if target != destination and destination not in target.parents:
                raise ImportFileError(f"压缩包「{archive}」中的「{info.filename}」指向解压目录之外，已拒绝")
            plan.append((info, target))
        total = 0
        for info, target in plan:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            limit = info.file_size
            written_here = 0
            try:
                with zf.open(info) as source, open(target, "xb") as sink:
                    while chunk := source.read(_CHUNK):
                        written_here += len(chunk)
                        total += len(chunk)
                        if written_here > limit or total > MAX_TOTAL_BYTES:
                            raise _bomb(archive, info.filename)
                        if written_here > RATIO_FLOOR_BYTES and written_here > MAX_RATIO * max(info.compress_size, 1):
                            raise _bomb(archive, info.filename)
                        sink.write(chunk)
            except FileExistsError:
                raise ImportFileError(f"压缩包「{archive}」中的「{info.filename}」重复出现，已拒绝") from None
            except (zipfile.BadZipFile, zlib_error(), RuntimeError, NotImplementedError) as error:
                raise ImportFileError(f"压缩包「{archive}」中的「{info.filename}」无法解压：{error}") from None
            written.append(target)
    return written


def _bomb(archive: str, member: str) -> ImportFileError:
    return ImportFileError(f"压缩包「{archive}」中的「{member}」压缩比异常（解压后超过压缩大小的 {MAX_RATIO} 倍）"
                           f"或解压后过大，疑似压缩炸弹，已拒绝")


def zlib_error():
    import zlib

    return zlib.error


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()
