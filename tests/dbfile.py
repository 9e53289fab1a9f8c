"""Opening a store file directly in a test, the way SQLite wants it: committed and *closed* at the end of the block.

`with dbfile.connect(path) as c:` only commits; the connection stays open until the garbage collector finds it,
and an open connection in the test process that still holds a read snapshot can make the next connection in the
same process read a WAL the CLI (another process) has since checkpointed away: "database disk image is malformed".
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager


@contextmanager
def connect(path):
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()
