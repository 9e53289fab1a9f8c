"""The settings part of the store contract, written once for both SQL engines (mixed into `SQLStore`).

A setting is one JSON value under a key (e.g. `deadlines`, the time limits an admin sets). Changing one writes an
audit row (`setting`) and moves data_version, so every page and server reads the new value on its next run.
"""
from __future__ import annotations

import json

from .. import clock
from .base import Change


class SettingsStore:
    """Needs `_read`, `_write`, `_audit` and `FOR_UPDATE` of SQLStore."""

    def setting(self, key: str, lock: bool = False):
        """The stored value (parsed JSON), or None when it was never set. `lock` (inside a transaction): other
        writers of settings wait until it ends, so a value checked here is still the one replaced (PostgreSQL locks
        the data_version row, which is there even when the setting is not yet; SQLite has the whole file locked)."""
        with self._read() as c:
            if lock and self.FOR_UPDATE:
                c.execute(f"SELECT value FROM meta WHERE key = 'data_version'{self.FOR_UPDATE}")
            row = c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return json.loads(row[0]) if isinstance(row[0], str) else row[0]

    def set_setting(self, key: str, value, user: str) -> None:
        """Store `value` (anything JSON can hold) under `key`; a value equal to the stored one writes nothing."""
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        with self._write() as c:
            self.setting(key, lock=True)  # two writers of one setting take turns
            row = c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            before = None if row is None else (json.loads(row[0]) if isinstance(row[0], str) else row[0])
            if before == json.loads(text):
                return
            if row is None:
                c.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
                          (key, text, clock.stamp(), user))
            else:
                c.execute("UPDATE settings SET value = ?, updated_at = ?, updated_by = ? WHERE key = ?",
                          (text, clock.stamp(), user, key))
            self._audit(c, Change(None, "setting", user, {key: before}, {key: json.loads(text)}))
