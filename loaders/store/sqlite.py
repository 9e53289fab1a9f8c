"""The two ways this project opens the SQLite file -- a short read and one write transaction -- and what it says when
the file cannot be used.

Neither ever creates a file: the store is opened with `mode=rw`, so a page view or a sign-in against a missing store
gets a message instead of leaving a 0-byte file behind (after which `init` would believe the store existed).
SQLite's own errors about the file itself (missing, not a database, damaged, read-only, missing tables, locked) become
`StoreUnavailable` with a Chinese message saying what is wrong and what the administrator should run; every other
error (a constraint, a bug) passes through unchanged.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from .base import StoreUnavailable

SQLITE_HEADER = b"SQLite format 3\x00"


def connect(path: Path, **options) -> sqlite3.Connection:
    """A connection to an existing file; never creates one."""
    return sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=rw", uri=True, timeout=30, **options)


@contextmanager
def reading(path: Path):
    with translated(path):
        connection = connect(path)
        try:
            yield connection
        finally:
            connection.close()


@contextmanager
def transaction(path: Path, before_commit=None):
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception; `before_commit(connection)` runs last inside it,
    when something was written."""
    with translated(path):
        connection = connect(path, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            if before_commit is not None and connection.total_changes:  # a transaction that wrote nothing
                before_commit(connection)  # leaves data_version (and the pages' caches) alone
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()


class Connections:
    """The connections of one store object to its file: a short one per read, and per thread at most one open
    write transaction, which reads and writes on that thread join (so a batch sees its own uncommitted rows and
    callers never pass a connection around)."""

    def __init__(self, path: Path, before_commit=None):
        self.path = Path(path)
        self._before_commit = before_commit
        self._local = threading.local()

    @property
    def current(self) -> sqlite3.Connection | None:
        return getattr(self._local, "connection", None)

    @contextmanager
    def reading(self):
        if self.current is not None:
            yield self.current
            return
        with reading(self.path) as connection:
            yield connection

    @contextmanager
    def snapshot(self):
        """Reads on this thread inside the block see one consistent state of the file (a read transaction)."""
        if self.current is not None:
            yield
            return
        with reading(self.path) as connection:
            connection.execute("BEGIN")
            self._local.connection = connection
            try:
                yield
            finally:
                self._local.connection = None
                connection.rollback()

    @contextmanager
    def writing(self):
        """The open transaction of this thread, or a new one that commits when the block ends."""
        if self.current is not None:
            yield self.current
            return
        with transaction(self.path, self._before_commit) as connection:
            self._local.connection = connection
            try:
                yield connection
            finally:
                self._local.connection = None


def problem(path: Path) -> str | None:
    """Why the file at `path` cannot be a store, judged without opening it for writing; None when it may be one."""
    path = Path(path)
    if not path.exists():
        return missing_message(path)
    if not path.is_file():
        return f"数据文件的位置 {path} 不是文件。请管理员检查 XZMAP_STORE 设置"
    size = path.stat().st_size
    if size == 0:
        return damaged_message(path, "文件是空的（0 字节）")
    with open(path, "rb") as handle:
        if handle.read(16) != SQLITE_HEADER:
            return damaged_message(path, "不是 SQLite/GeoPackage 文件")
    return None


@contextmanager
def translated(path: Path):
    """Turn SQLite's complaints about the file into StoreUnavailable (Chinese, with what to do)."""
    try:
        yield
    except sqlite3.Error as error:
        message = unavailable_message(path, error)
        if message is None:
            raise
        raise StoreUnavailable(message) from error


def unavailable_message(path: Path, error: sqlite3.Error) -> str | None:
    text = str(error).lower()
    path = Path(path)
    if "unable to open database" in text:
        if not path.exists():
            return missing_message(path)
        return (f"无法打开数据文件 {path}：运行仪表盘的账号可能没有读写这个文件或其所在文件夹的权限。"
                "请管理员检查文件权限")
    if "readonly" in text or "read-only" in text:
        return (f"数据文件 {path} 是只读的，无法保存（登录、编辑和导入都需要写入）。"
                "请管理员检查文件及其所在文件夹的写权限")
    if "not a database" in text or "malformed" in text or "disk i/o" in text or "file is encrypted" in text:
        return damaged_message(path, str(error))
    if "no such table" in text or "no such column" in text:
        return (f"数据文件 {path} 不完整，不是本系统可用的数据文件（{error}）。请管理员用 "
                "python -m loaders restore 备份文件 恢复，或用 python -m loaders init --force 重建（会先备份原文件）")
    if "locked" in text or "busy" in text:
        return f"数据文件 {path} 正被其他操作长时间占用（如备份、恢复或大批量导入），请稍后再试"
    return None


def missing_message(path: Path) -> str:
    return (f"数据文件不存在：{path}。请管理员在服务器上运行 python -m loaders init 创建，"
            "或用 python -m loaders restore 备份文件 恢复")


def damaged_message(path: Path, detail: str) -> str:
    return (f"数据文件 {path} 已损坏或不是本系统的数据文件（{detail}）。请管理员用 "
            "python -m loaders restore 备份文件 恢复最近的备份，或用 python -m loaders init --force 重建（会先备份原文件）")
