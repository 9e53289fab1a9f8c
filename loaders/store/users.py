"""Users and sign-in sessions, kept in the same GeoPackage file as the points.

Two attribute tables, registered in gpkg_contents so the file stays a valid GeoPackage:
`users` (name, role, unit codes, bcrypt hash, disabled, failed sign-ins, locked until, last sign-in) and
`sessions` (the SHA-256 of each token, never the token itself, so a copied or backed-up file holds no live session).
A store file made before these tables existed gets them the first time it is opened here (`ensure_schema`).

This module is storage only: rules (password policy, lockout, roles) live in `loaders.auth`. Writes here do not
move the store's data_version: signing in must not invalidate the pages' data caches.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import sqlite

USER_COLUMNS: tuple[str, ...] = (
    "name", "role", "units", "password_hash", "disabled", "failed_count", "locked_until", "last_sign_in",
    "created_at", "updated_at",
)

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


def _path_of(store_or_path) -> Path:
    return Path(getattr(store_or_path, "path", store_or_path))


def ensure_schema(store_or_path) -> None:
    """Add the users and sessions tables to a store that lacks them (idempotent, one transaction)."""
    path = _path_of(store_or_path)
    with sqlite.reading(path) as connection:
        present = {r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'sessions')")}
    if present == {"users", "sessions"}:
        return
    with sqlite.transaction(path) as connection:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)


def _row_to_user(row) -> dict:
    record = dict(zip(USER_COLUMNS, row))
    record["units"] = tuple(json.loads(record["units"] or "[]"))
    record["disabled"] = bool(record["disabled"])
    return record


class UserTable:
    """Plain reads and writes of the users and sessions tables of one store file."""

    def __init__(self, store_or_path):
        self.path = _path_of(store_or_path)
        ensure_schema(self.path)

    def _read(self):
        return sqlite.reading(self.path)

    def write(self):
        """One short write transaction (no bcrypt work inside it: other writers wait while it is open)."""
        return sqlite.transaction(self.path)

    # Users ----------------------------------------------------------------------------------------------
    def get(self, name: str, connection=None) -> dict | None:
        sql = f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE name = ?"
        if connection is not None:
            row = connection.execute(sql, (name,)).fetchone()
        else:
            with self._read() as c:
                row = c.execute(sql, (name,)).fetchone()
        return _row_to_user(row) if row else None

    def all(self) -> list[dict]:
        with self._read() as c:
            rows = c.execute(f"SELECT {', '.join(USER_COLUMNS)} FROM users ORDER BY fid").fetchall()
        return [_row_to_user(r) for r in rows]

    def insert(self, connection, record: dict) -> None:
        row = {k: record.get(k) for k in USER_COLUMNS if k in record}
        row["units"] = json.dumps(list(row.get("units") or ()), ensure_ascii=False)
        connection.execute(f"INSERT INTO users ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                           list(row.values()))

    def set(self, connection, name: str, **values) -> None:
        if "units" in values:
            values["units"] = json.dumps(list(values["units"] or ()), ensure_ascii=False)
        connection.execute(f"UPDATE users SET {', '.join(f'{k} = ?' for k in values)} WHERE name = ?",
                           [*values.values(), name])

    def count_active_admins(self, connection=None) -> int:
        sql = "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0"
        if connection is not None:
            return connection.execute(sql).fetchone()[0]
        with self._read() as c:
            return c.execute(sql).fetchone()[0]

    # Sessions -------------------------------------------------------------------------------------------
    def add_session(self, connection, token_hash: str, user: str, created_at: str, expires_at: str) -> None:
        connection.execute("INSERT INTO sessions (token_hash, user, created_at, expires_at) VALUES (?, ?, ?, ?)",
                           (token_hash, user, created_at, expires_at))

    def session(self, token_hash: str) -> dict | None:
        with self._read() as c:
            row = c.execute("SELECT user, created_at, expires_at FROM sessions WHERE token_hash = ?",
                            (token_hash,)).fetchone()
        return dict(zip(("user", "created_at", "expires_at"), row)) if row else None

    def delete_sessions(self, connection, *, token_hash: str | None = None, user: str | None = None,
                        expired_before: str | None = None) -> None:
        if token_hash is not None:
            connection.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
        if user is not None:
            connection.execute("DELETE FROM sessions WHERE user = ?", (user,))
        if expired_before is not None:
            connection.execute("DELETE FROM sessions WHERE expires_at <= ?", (expired_before,))
