"""The web desk's sign-in links and sessions on PostgreSQL (hashed tokens only).

Several bot processes (and their web desks) share the database, so a link must be spent at
most once across all of them. :meth:`PostgresWeb.use_link` decides that race in one
conditional statement: ``UPDATE web_links SET used = now WHERE token_hash = $1 AND used IS
NULL AND expires > now RETURNING identity, display``. Under READ COMMITTED a second
``UPDATE`` of the same row waits for the first one's transaction; once that commits, the
waiter re-evaluates its ``WHERE`` on the row as committed (``used`` is no longer NULL), so
it updates nothing and returns no row. If the first transaction rolls back instead, the link
was never spent, and the waiter may spend it. No read-then-write, no lock to take by hand.

The rest needs no such care: a session is a plain row looked up by its hash and by time;
links and sessions are inserted under fresh random hashes (a clash is a primary-key error,
as on SQLite); ``end_sessions`` is one ``DELETE``. :meth:`PostgresWeb.prune` deletes only
rows that can sign nobody in (used or expired links, expired sessions), chosen with
``FOR UPDATE SKIP LOCKED``: a row another process is spending or pruning right now is left
for the next prune instead of waited for.
"""

from __future__ import annotations

from datetime import datetime

from bot.storage.postgres.db import Session, affected


class PostgresWeb:
    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def session(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        row = await self._s.conn.fetchrow(
            "SELECT identity, display FROM web_sessions WHERE token_hash = $1 AND expires > $2",
            token_hash,
            now,
        )
        return (str(row[0]), str(row[1])) if row else None

    async def links_since(self, identity: str, since: datetime) -> int:
        count = await self._s.conn.fetchval(
            "SELECT count(*) FROM web_links WHERE identity = $1 AND created >= $2",
            identity,
            since,
        )
        return int(count)

    async def add_link(
        self, token_hash: str, identity: str, display: str, expires: datetime, now: datetime
    ) -> None:
        await self._s.conn.execute(
            "INSERT INTO web_links (token_hash, identity, display, created, expires) "
            "VALUES ($1, $2, $3, $4, $5)",
            token_hash,
            identity,
            display,
            now,
            expires,
        )

    async def use_link(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        # One statement decides who spends the link (see the module doc).
        row = await self._s.conn.fetchrow(
            "UPDATE web_links SET used = $2 WHERE token_hash = $1 AND used IS NULL "
            "AND expires > $2 RETURNING identity, display",
            token_hash,
            now,
        )
        return (str(row[0]), str(row[1])) if row else None

    async def add_session(
        self, token_hash: str, identity: str, display: str, expires: datetime, now: datetime
    ) -> None:
        await self._s.conn.execute(
            "INSERT INTO web_sessions (token_hash, identity, display, created, expires) "
            "VALUES ($1, $2, $3, $4, $5)",
            token_hash,
            identity,
            display,
            now,
            expires,
        )

    async def end_sessions(self, identity: str) -> int:
        status = await self._s.conn.execute(
            "DELETE FROM web_sessions WHERE identity = $1", identity
        )
        return affected(status)

    async def prune(self, now: datetime, links_before: datetime, limit: int) -> tuple[int, int]:
        links = await self._s.conn.execute(
            "DELETE FROM web_links WHERE token_hash IN (SELECT token_hash FROM web_links"
            " WHERE created < $1 AND (used IS NOT NULL OR expires <= $2)"
            " LIMIT $3 FOR UPDATE SKIP LOCKED)",
            links_before,
            now,
            limit,
        )
        sessions = await self._s.conn.execute(
            "DELETE FROM web_sessions WHERE token_hash IN (SELECT token_hash FROM web_sessions"
            " WHERE expires <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
            now,
            limit,
        )
        return affected(links), affected(sessions)
