"""Feeds: their fetch state, the entries each has shown (seen), held batches, authors.

The SQL of :mod:`bot.storage.sqlite.feeds` in PostgreSQL's terms. Every write is one
statement whose condition is in its ``WHERE`` (pause once, resume once), so two processes
doing the same thing at once do it once. The two URL changes (:meth:`PostgresFeeds.move`,
:meth:`PostgresFeeds.set_url`) run in a savepoint: the URL's uniqueness is the database's
to enforce, and another process taking the URL first is a plain False, not an aborted unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import asyncpg

from bot.core.models import FeedId
from bot.storage.postgres import rows
from bot.storage.postgres.db import Session, affected
from bot.storage.types import EntryRecord, FeedRow, FetchOk, SeenEntry

_HTTP = "(url LIKE 'http://%' OR url LIKE 'https://%')"


class PostgresFeeds:
    """All SQL about feeds, their fetch state, seen entries, holds and authors."""

    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    # reads -------------------------------------------------------------------------

    async def get(self, feed_id: int) -> FeedRow | None:
        row = await self._s.conn.fetchrow("SELECT * FROM feeds WHERE id = $1", feed_id)
        return rows.feed(row) if row else None

    async def by_url(self, url: str) -> FeedRow | None:
        row = await self._s.conn.fetchrow("SELECT * FROM feeds WHERE url = $1", url)
        return rows.feed(row) if row else None

    async def all(self) -> list[FeedRow]:
        return [rows.feed(r) for r in await self._s.conn.fetch("SELECT * FROM feeds ORDER BY id")]

    async def due(self, now: datetime) -> list[FeedRow]:
        """Unpaused HTTP feeds whose next poll is now or past, the most overdue first."""
        found = await self._s.conn.fetch(
            f"SELECT * FROM feeds WHERE NOT paused AND {_HTTP} "
            "AND (next_poll_at IS NULL OR next_poll_at <= $1) "
            "ORDER BY next_poll_at IS NOT NULL, next_poll_at, id",
            now,
        )
        return [rows.feed(r) for r in found]

    async def next_due_at(self, now: datetime) -> datetime | None:
        """When the next unpaused HTTP feed falls due (``now`` if one never was polled)."""
        row = await self._s.conn.fetchrow(
            "SELECT count(*), count(*) FILTER (WHERE next_poll_at IS NULL), min(next_poll_at) "
            f"FROM feeds WHERE NOT paused AND {_HTTP}"
        )
        if row is None or not row[0]:
            return None
        if row[1] or row[2] is None:
            return now
        found: datetime = row[2]
        return found

    async def seen(self, feed_id: FeedId) -> dict[str, SeenEntry]:
        found = await self._s.conn.fetch("SELECT * FROM feed_entries WHERE feed_id = $1", feed_id)
        return {r["entry_key"]: rows.seen_entry(r) for r in found}

    async def recent(self, feed_id: FeedId, limit: int = 5) -> list[SeenEntry]:
        """The entries seen most recently, newest first (by date, then when first seen)."""
        found = await self._s.conn.fetch(
            "SELECT * FROM feed_entries WHERE feed_id = $1 "
            "ORDER BY coalesce(published_at, first_seen_at) DESC, first_seen_at DESC LIMIT $2",
            feed_id,
            limit,
        )
        return [rows.seen_entry(r) for r in found]

    async def open_hold(self, feed_id: FeedId) -> tuple[int, int, datetime] | None:
        """The open held batch: ``(hold id, entries held, since)``."""
        row = await self._s.conn.fetchrow(
            "SELECT id, new_entries, created_at FROM feed_holds WHERE feed_id = $1 AND "
            "status = 'open' ORDER BY id DESC LIMIT 1",
            feed_id,
        )
        return (int(row[0]), int(row[1]), row[2]) if row else None

    # writes ------------------------------------------------------------------------

    async def ensure(self, url: str, *, title: str, source: str, now: datetime) -> FeedId:
        conn = self._s.conn
        # Looked up first (see PostgresArticles.store); if absent, a concurrent insert of the
        # same URL makes ours wait and do nothing, and the second SELECT (a new snapshot under
        # READ COMMITTED) then sees the committed row.
        found = await conn.fetchval("SELECT id FROM feeds WHERE url = $1", url)
        if found is None:
            await conn.execute(
                "INSERT INTO feeds (url, title, source, added_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (url) DO NOTHING",
                url,
                title,
                source,
                now,
            )
            found = await conn.fetchval("SELECT id FROM feeds WHERE url = $1", url)
        assert found is not None
        return FeedId(found)

    async def record_ok(self, feed_id: FeedId, ok: FetchOk, now: datetime) -> None:
        """A good read: failures cleared, validators and next poll stored."""
        await self._s.conn.execute(
            "UPDATE feeds SET last_fetch_at = $1, last_ok_at = $1, last_status = $2, "
            "last_error = NULL, failures = 0, etag = $3, last_modified = $4, "
            "body_hash = coalesce($5, body_hash), next_poll_at = $6, "
            "title = CASE WHEN title = '' THEN $7 ELSE title END, "
            "site_link = CASE WHEN $8 = '' THEN site_link ELSE $8 END WHERE id = $9",
            now,
            ok.status,
            ok.etag,
            ok.last_modified,
            ok.body_hash,
            ok.next_poll_at,
            ok.title,
            ok.site_link,
            feed_id,
        )

    async def record_failure(
        self,
        feed_id: FeedId,
        *,
        status: int | None,
        error: str,
        next_poll_at: datetime,
        now: datetime,
    ) -> int:
        """A failed read; returns the failures in a row, this one included."""
        found = await self._s.conn.fetchval(
            "UPDATE feeds SET last_fetch_at = $1, last_status = $2, last_error = $3, "
            "failures = failures + 1, next_poll_at = $4 WHERE id = $5 RETURNING failures",
            now,
            status,
            error,
            next_poll_at,
            feed_id,
        )
        return int(found) if found is not None else 0

    async def pause(self, feed_id: FeedId, reason: str) -> int | None:
        """Pause an unpaused feed; returns its pause number (None: it was paused already)."""
        found = await self._s.conn.fetchval(
            "UPDATE feeds SET paused = true, pause_reason = $1, pauses = pauses + 1 "
            "WHERE id = $2 AND NOT paused RETURNING pauses",
            reason,
            feed_id,
        )
        return int(found) if found is not None else None

    async def resume(self, feed_id: FeedId, now: datetime) -> bool:
        """Unpause and poll at once, with the failure count cleared."""
        status = await self._s.conn.execute(
            "UPDATE feeds SET paused = false, pause_reason = NULL, failures = 0, "
            "next_poll_at = $1 WHERE id = $2 AND paused",
            now,
            feed_id,
        )
        return affected(status) == 1

    async def _change_url(self, sql: str, *args: object) -> bool | None:
        """``sql`` (an UPDATE of a feed's url) in a savepoint: whether it changed a row, or
        None if another feed has the url (another process may have taken it meanwhile)."""
        conn = self._s.conn
        try:
            async with conn.transaction():
                return affected(await conn.execute(sql, *args)) == 1
        except asyncpg.UniqueViolationError:
            return None

    async def move(self, feed_id: FeedId, url: str) -> bool:
        return bool(
            await self._change_url(
                "UPDATE feeds SET url = $1, etag = NULL, last_modified = NULL, "
                "body_hash = NULL, failures = 0, next_poll_at = NULL WHERE id = $2 "
                "AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = $1)",
                url,
                feed_id,
            )
        )

    async def set_url(self, feed_id: FeedId, url: str) -> bool:
        """Move the feed to ``url`` (a permanent redirect); False if another feed has it."""
        taken = await self._s.conn.fetchval("SELECT 1 FROM feeds WHERE url = $1", url)
        if taken is not None:
            return False
        changed = await self._change_url("UPDATE feeds SET url = $1 WHERE id = $2", url, feed_id)
        return changed is not None

    async def pause_for(self, feed_id: FeedId, reason: str) -> None:
        await self._s.conn.execute(
            "UPDATE feeds SET pauses = pauses + CASE WHEN paused THEN 0 ELSE 1 END, "
            "paused = true, pause_reason = $1 WHERE id = $2",
            reason,
            feed_id,
        )

    async def resume_paused_for(self, feed_id: FeedId, reason: str) -> bool:
        status = await self._s.conn.execute(
            "UPDATE feeds SET paused = false, pause_reason = NULL, next_poll_at = NULL "
            "WHERE id = $1 AND paused AND pause_reason = $2",
            feed_id,
            reason,
        )
        return affected(status) == 1

    async def configure(
        self,
        feed_id: FeedId,
        *,
        interval_s: int | None,
        full_article: str | None,
        backfill: int | None = None,
        added_by: str | None = None,
    ) -> None:
        await self._s.conn.execute(
            "UPDATE feeds SET interval_s = $1, full_article = $2, "
            "backfill = coalesce($3, backfill), added_by = coalesce(added_by, $4) WHERE id = $5",
            interval_s,
            full_article,
            backfill,
            added_by,
            feed_id,
        )

    async def mark_primed(self, feed_id: FeedId, now: datetime) -> None:
        await self._s.conn.execute(
            "UPDATE feeds SET primed_at = coalesce(primed_at, $1) WHERE id = $2", now, feed_id
        )

    async def save_entries(
        self, feed_id: FeedId, records: Iterable[EntryRecord], now: datetime
    ) -> None:
        """Remember entries (insert, or update what became of them)."""
        args = [
            (
                feed_id,
                r.key,
                r.content_hash,
                r.title,
                r.link,
                r.published_at,
                now,
                r.article_id,
                r.status,
                r.reason,
                r.hold_id,
            )
            for r in records
        ]
        if not args:
            return
        await self._s.conn.executemany(
            "INSERT INTO feed_entries AS e (feed_id, entry_key, content_hash, title, link, "
            "published_at, first_seen_at, updated_at, article_id, status, reason, hold_id) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11) "
            "ON CONFLICT (feed_id, entry_key) DO UPDATE SET "
            "content_hash = excluded.content_hash, title = excluded.title, "
            "link = excluded.link, published_at = excluded.published_at, "
            "updated_at = excluded.updated_at, status = excluded.status, "
            "article_id = coalesce(excluded.article_id, e.article_id), "
            "reason = excluded.reason, hold_id = coalesce(excluded.hold_id, e.hold_id)",
            args,
        )

    async def touch_entry(
        self, feed_id: FeedId, key: str, content_hash: str, now: datetime
    ) -> None:
        """An entry changed in the feed; what became of it stays as it was."""
        await self._s.conn.execute(
            "UPDATE feed_entries SET content_hash = $1, updated_at = $2 "
            "WHERE feed_id = $3 AND entry_key = $4",
            content_hash,
            now,
            feed_id,
            key,
        )

    async def create_hold(
        self, feed_id: FeedId, new_entries: int, total: int, now: datetime
    ) -> int:
        found = await self._s.conn.fetchval(
            "INSERT INTO feed_holds (feed_id, new_entries, total, created_at) "
            "VALUES ($1, $2, $3, $4) RETURNING id",
            feed_id,
            new_entries,
            total,
            now,
        )
        return int(found)

    async def release_holds(self, feed_id: FeedId, by: str, now: datetime) -> int:
        status = await self._s.conn.execute(
            "UPDATE feed_holds SET status = 'released', resolved_at = $1, resolved_by = $2 "
            "WHERE feed_id = $3 AND status = 'open'",
            now,
            by,
            feed_id,
        )
        return affected(status)

    async def set_site_link(self, feed_id: FeedId, link: str) -> None:
        """The site's home page, if none is known yet (OPML's htmlUrl)."""
        await self._s.conn.execute(
            "UPDATE feeds SET site_link = $1 WHERE id = $2 AND site_link = ''", link, feed_id
        )

    async def delete(self, feed_id: FeedId) -> bool:
        status = await self._s.conn.execute("DELETE FROM feeds WHERE id = $1", feed_id)
        return affected(status) == 1
