"""The two ways this project opens the SQLite file: a short read, and one write transaction."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def reading(path: Path):
    connection = sqlite3.connect(path, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def transaction(path: Path, before_commit=None):
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception; `before_commit(connection)` runs last inside it."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield connection
        if before_commit is not None:
            before_commit(connection)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()
