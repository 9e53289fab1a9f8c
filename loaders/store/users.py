"""Users and sign-in sessions: the `UserStore` interface, and its GeoPackage implementation (two attribute tables in
the same file as the points).

`users` (name, role, unit codes, bcrypt hash, disabled, failed sign-ins, locked until, last sign-in) and `sessions`
(the SHA-256 of each token, never the token itself, so a copied or backed-up store holds no live session). A store
file made before these tables existed gets them the first time it is opened here (`ensure_schema`).

This module is storage only: rules (password policy, lockout, roles) live in `loaders.auth`. Writes here do not move
the store's data_version: signing in must not invalidate the pages' data caches.
"""
from __future__ import annotations

import abc
import json
from pathlib import Path

from . import sqlite

USER_COLUMNS: tuple[str, ...] = (
    "name", "role", "units", "password_hash", "disabled", "failed_count", "locked_until", "last_sign_in",
    "created_at", "updated_at",
)
SESSION_COLUMNS: tuple[str, ...] = ("token_hash", "user", "created_at", "expires_at")


class UserStore(abc.ABC):
    """Users and sessions of one store. `with users.transaction():` makes several calls one atomic change."""

    @abc.abstractmethod
    def transaction(self):
        """Context manager: the calls inside it (same thread) land together or not at all."""

    @abc.abstractmethod
    def get(self, name: str) -> dict | None: ...

    @abc.abstractmethod
    def all(self) -> list[dict]: ...

    @abc.abstractmethod
    def insert(self, record: dict) -> None: ...

    @abc.abstractmethod
    def set(self, name: str, **values) -> None: ...

    @abc.abstractmethod
    def count_active_admins(self) -> int: ...

    @abc.abstractmethod
    def add_session(self, token_hash: str, user: str, created_at: str, expires_at: str) -> None: ...

    @abc.abstractmethod
    def session(self, token_hash: str) -> dict | None: ...

    @abc.abstractmethod
    def delete_sessions(self, *, token_hash: str | None = None, user: str | None = None,
                        expired_before: str | None = None) -> None: ...


def user_record(row) -> dict:
    """A users row (in USER_COLUMNS order) as the dict auth expects: units as a tuple, disabled as a bool."""
    record = dict(zip(USER_COLUMNS, row))
    units = record["units"]
    record["units"] = tuple(json.loads(units) if isinstance(units, str) else (units or ()))
    record["disabled"] = bool(record["disabled"])
    return record


SCHEMA = """
CREATE TABLE IF NOT EXISTS users (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL, units TEXT NOT NULL DEFAULT '[]', password_hash TEXT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT 0, failed_count INTEGER NOT NULL DEFAULT 0, locked_until TEXT,
  last_sign_in TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
  user TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('users', 'attributes', 'users', '用户（密码为 bcrypt 散列）', NULL),
  ('sessions', 'attributes', 'sessions', '登录会话（仅存令牌散列）', NULL);
"""


def ensure_schema(path: Path) -> None:
    """Add the users and sessions tables to a store file that lacks them (idempotent, one transaction)."""
    with sqlite.reading(path) as connection:
        present = {r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'sessions')")}
    if present == {"users", "sessions"}:
        return
    with sqlite.transaction(path) as connection:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)


class SQLUsers(UserStore):
    """The users and sessions tables in SQL both engines accept; an engine supplies `_read`/`_write`."""

    JSON_IN = "?"

    @abc.abstractmethod
    def _read(self): ...

    @abc.abstractmethod
    def _write(self): ...

    def transaction(self):
        """One short write transaction (no bcrypt work inside it: other writers wait while it is open)."""
        return self._write()

    def get(self, name: str) -> dict | None:
        with self._read() as c:
            row = c.execute(f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE name = ?", (name,)).fetchone()
        return user_record(row) if row else None

    def all(self) -> list[dict]:
        with self._read() as c:
            rows = c.execute(f"SELECT {', '.join(USER_COLUMNS)} FROM users ORDER BY fid").fetchall()
        return [user_record(r) for r in rows]

    def insert(self, record: dict) -> None:
        row = {k: record.get(k) for k in USER_COLUMNS if k in record}
        row["units"] = json.dumps(list(row.get("units") or ()), ensure_ascii=False)
        values = ", ".join(self.JSON_IN if k == "units" else "?" for k in row)
        with self._write() as c:
            c.execute(f"INSERT INTO users ({', '.join(row)}) VALUES ({values})", list(row.values()))

    def set(self, name: str, **values) -> None:
        if "units" in values:
            values["units"] = json.dumps(list(values["units"] or ()), ensure_ascii=False)
        assignments = ", ".join(f"{k} = {self.JSON_IN if k == 'units' else '?'}" for k in values)
        with self._write() as c:
            c.execute(f"UPDATE users SET {assignments} WHERE name = ?", [*values.values(), name])

    def count_active_admins(self) -> int:
        with self._read() as c:
            return c.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled").fetchone()[0]

    def add_session(self, token_hash: str, user: str, created_at: str, expires_at: str) -> None:
        with self._write() as c:
            c.execute('INSERT INTO sessions (token_hash, "user", created_at, expires_at) VALUES (?, ?, ?, ?)',
                      (token_hash, user, created_at, expires_at))

    def session(self, token_hash: str) -> dict | None:
        with self._read() as c:
            row = c.execute('SELECT "user", created_at, expires_at FROM sessions WHERE token_hash = ?',
                            (token_hash,)).fetchone()
        return dict(zip(("user", "created_at", "expires_at"), row)) if row else None

    def delete_sessions(self, *, token_hash: str | None = None, user: str | None = None,
                        expired_before: str | None = None) -> None:
        with self._write() as c:
            if token_hash is not None:
                c.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
            if user is not None:
                c.execute('DELETE FROM sessions WHERE "user" = ?', (user,))
            if expired_before is not None:
                c.execute("DELETE FROM sessions WHERE expires_at <= ?", (expired_before,))


class GeoPackageUsers(SQLUsers):
    """The users and sessions tables of one GeoPackage store file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        ensure_schema(self.path)
        self._connections = sqlite.Connections(self.path)  # no data_version bump: see the module docstring

    def _read(self):
        return self._connections.reading()

    def _write(self):
        return self._connections.writing()
