"""Unpacking an uploaded zip safely: nothing lands outside the temporary folder, and no archive bombs; and checking
an .xlsx (a zip of XML) before any XML parser sees it.

Refused: absolute paths, drive letters, `..` components, symlinks and other special files (a member whose mode
carries file-type bits other than a regular file or a directory; `ZipFile.writestr` leaves no type bits at all, which
is a plain file), more than `MAX_MEMBERS` members, more than `MAX_TOTAL_BYTES` uncompressed, and any member that
expands more than `MAX_RATIO` times (checked on the header and again while extracting, since headers can lie).

`check_xlsx` applies the same kind of limits to a workbook (`XLSX_MAX_MEMBERS`, `MAX_TOTAL_BYTES`, `XLSX_MAX_RATIO`;
every member is read through the zip with a cap) and refuses any member with a DOCTYPE or ENTITY declaration
(entity-expansion "billion laughs" bombs and external entities: Excel never writes one) or an XML encoding other
than UTF-8/UTF-16/ASCII/Latin-1 (which could hide a declaration from the scan).
"""
from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .core import ImportFileError, size_text

MAX_MEMBERS = 200
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024  # small members may compress well (a .prj of one repeated line); only check above this
# A workbook has a few files per sheet (sheet, its relations, drawings, comments); Excel's own XML compresses 10 to 20
# times, sheets of formatted empty rows somewhat more. A zip bomb of zeros reaches 1000 times.
XLSX_MAX_MEMBERS = 2_000
XLSX_MAX_RATIO = 200
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
    file_type = stat.S_IFMT(info.external_attr >> 16)  # 0: no type recorded (writestr, DOS/Windows zips) = a file
    if file_type and file_type not in (stat.S_IFREG, stat.S_IFDIR):
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


def _bomb(archive: str, member: str, ratio: int = MAX_RATIO, what: str = "压缩包") -> ImportFileError:
    return ImportFileError(f"{what}「{archive}」中的「{member}」压缩比异常（解压后超过压缩大小的 {ratio} 倍）"
                           f"或解压后过大，疑似压缩炸弹，已拒绝")


def zlib_error():
    import zlib

    return zlib.error


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


# Checking an .xlsx before it is parsed ---------------------------------------------------------------------------
_DECLARATIONS = (b"doctype", b"entity")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_ASCII_LIKE = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso8859-1"}


def check_xlsx(data: bytes, name: str) -> None:
    """Refuse a workbook that could hurt an XML parser, before one sees it (ImportFileError naming the file and the
    part): too many members, too large or too compressed (zip bomb), a DOCTYPE/ENTITY declaration in any member
    (entity bomb) or an unexpected XML encoding. Every member is read through the zip, capped."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(f"文件「{name}」不是有效的 Excel（.xlsx）文件（已损坏）") from None
    with zf:
        members = zf.infolist()
        if len(members) > XLSX_MAX_MEMBERS:
            raise ImportFileError(f"文件「{name}」内部有 {len(members)} 个部件，超过 {XLSX_MAX_MEMBERS} 个上限，"
                                  f"不像是正常的 Excel 文件，已拒绝")
        declared = sum(m.file_size for m in members)
        if declared > MAX_TOTAL_BYTES:
            raise ImportFileError(f"文件「{name}」解压后有 {size_text(declared)}，超过 {size_text(MAX_TOTAL_BYTES)} 上限，"
                                  f"请拆分后分批导入")
        total = 0
        for info in members:
            if info.is_dir():
                continue
            if info.file_size > RATIO_FLOOR_BYTES and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1):
                raise _bomb(name, info.filename, XLSX_MAX_RATIO, "文件")
            total = _scan_member(zf, info, name, total)


def _scan_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, total: int) -> int:
    """Read one member in chunks (at most its declared size, the ratio and the total cap) looking for a DOCTYPE or
    ENTITY declaration; return the running total of bytes read."""
    read = 0
    encoding = None
    tail = b""
    try:
        with zf.open(info) as member:
            while chunk := member.read(_CHUNK):
                read += len(chunk)
                total += len(chunk)
                if read > info.file_size or total > MAX_TOTAL_BYTES or (
                        read > RATIO_FLOOR_BYTES and read > XLSX_MAX_RATIO * max(info.compress_size, 1)):
                    raise _bomb(name, info.filename, XLSX_MAX_RATIO, "文件")
                if encoding is None:
                    encoding = _xml_encoding(chunk, name, info.filename)
                window = tail + chunk
                if _declares(window, encoding):
                    raise ImportFileError(
                        f"文件「{name}」中的「{info.filename}」含有 DOCTYPE/ENTITY 声明（Excel 不会写入这种内容，"
                        f"可能是恶意构造的实体炸弹），已拒绝")
                tail = window[-32:]
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, zlib_error(), EOFError, OSError, RuntimeError, NotImplementedError, ValueError):
        raise ImportFileError(f"文件「{name}」已损坏：其中的「{info.filename}」无法解压，"
                              f"请在 Excel 中打开后重新保存再导入") from None
    return total


def _xml_encoding(head: bytes, name: str, member: str) -> str:
    """'utf-16-le', 'utf-16-be' or 'ascii' (any encoding in which `<!DOCTYPE` is plain ASCII bytes)."""
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    match = _ENCODING.match(head[:400].lstrip(b"\xef\xbb\xbf"))
    if match and match.group(1).decode("ascii").lower() not in _ASCII_LIKE and not match.group(1).lower().startswith(
            b"utf-16"):
        raise ImportFileError(f"文件「{name}」中的「{member}」声明了不支持的文字编码「{match.group(1).decode('ascii')}」"
                              f"（Excel 只写 UTF-8），已拒绝")
    return "ascii"


def _declares(window: bytes, encoding: str) -> bool:
    """Whether `window` holds `<!DOCTYPE` or `<!ENTITY` (any case) in the member's encoding."""
    if encoding != "ascii":
        text = window.decode(encoding, errors="ignore").lower()
        return "<!doctype" in text or "<!entity" in text
    at = window.find(b"<!")
    while at >= 0:
        word = window[at + 2: at + 9].lower()
        if word.startswith(_DECLARATIONS):
            return True
        at = window.find(b"<!", at + 2)
    return False
