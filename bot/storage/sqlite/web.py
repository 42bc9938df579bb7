"""The web desk's sign-in links and sessions (hashed tokens only)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.storage.sqlite.db import iso


class SqliteWeb:
    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def session(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        row = self._raw.execute(
            "SELECT identity, display FROM web_sessions WHERE token_hash = ? AND expires > ?",
            (token_hash, iso(now)),
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    async def links_since(self, identity: str, since: datetime) -> int:
        row = self._raw.execute(
            "SELECT COUNT(*) FROM web_links WHERE identity = ? AND created >= ?",
            (identity, iso(since)),
        ).fetchone()
        return int(row[0])

    async def add_link(
        self, token_hash: str, identity: str, display: str, expires: datetime, now: datetime
    ) -> None:
        self._raw.execute(
            "INSERT INTO web_links (token_hash, identity, display, created, expires) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, identity, display, iso(now), iso(expires)),
        )

    async def use_link(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        row = self._raw.execute(
            "UPDATE web_links SET used = ? WHERE token_hash = ? AND used IS NULL "
            "AND expires > ? RETURNING identity, display",
            (iso(now), token_hash, iso(now)),
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    async def add_session(
        self, token_hash: str, identity: str, display: str, expires: datetime, now: datetime
    ) -> None:
        self._raw.execute(
            "INSERT INTO web_sessions (token_hash, identity, display, created, expires) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, identity, display, iso(now), iso(expires)),
        )

    async def end_sessions(self, identity: str) -> int:
        return self._raw.execute(
            "DELETE FROM web_sessions WHERE identity = ?", (identity,)
        ).rowcount

    async def prune(self, now: datetime, links_before: datetime, limit: int) -> tuple[int, int]:
        at = iso(now)
        links = self._raw.execute(
            "DELETE FROM web_links WHERE token_hash IN (SELECT token_hash FROM web_links"
            " WHERE created < ? AND (used IS NOT NULL OR expires <= ?) LIMIT ?)",
            (iso(links_before), at, limit),
        ).rowcount
        sessions = self._raw.execute(
            "DELETE FROM web_sessions WHERE token_hash IN"
            " (SELECT token_hash FROM web_sessions WHERE expires <= ? LIMIT ?)",
            (at, limit),
        ).rowcount
        return links, sessions
