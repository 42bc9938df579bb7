"""Named leases shared by every process on the database file."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.storage.sqlite.db import iso


class SqliteLeases:
    """One row per lease name: its holder and until when. Writes run inside a unit of work,
    which holds SQLite's write lock, so two processes never both win an ``acquire``."""

    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def holder(self, name: str, now: datetime) -> str | None:
        row = self._raw.execute(
            "SELECT holder FROM leases WHERE name = ? AND until > ?", (name, iso(now))
        ).fetchone()
        return str(row[0]) if row else None

    async def acquire(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        cur = self._raw.execute(
            "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until "
            "WHERE leases.holder = excluded.holder OR leases.until <= ?",
            (name, holder, iso(until), iso(now)),
        )
        return cur.rowcount == 1

    async def renew(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        cur = self._raw.execute(
            "UPDATE leases SET until = ? WHERE name = ? AND holder = ? AND until > ?",
            (iso(until), name, holder, iso(now)),
        )
        return cur.rowcount == 1

    async def release(self, name: str, holder: str) -> None:
        self._raw.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def release_all(self, holder: str) -> int:
        return self._raw.execute("DELETE FROM leases WHERE holder = ?", (holder,)).rowcount
