"""Feeds: their fetch state, the entries each has shown (seen), held batches, authors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.core.models import FeedId
from bot.storage.sqlite import rows
from bot.storage.sqlite.db import from_iso, iso
from bot.storage.types import EntryRecord, FeedRow, FetchOk, SeenEntry


class SqliteFeeds:
    """All SQL about feeds, their fetch state, seen entries, holds and authors."""

    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def _one(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._raw.execute(sql, params).fetchone()
        return row

    def _all(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self._raw.execute(sql, params).fetchall()

    # reads -------------------------------------------------------------------------

    async def get(self, feed_id: int) -> FeedRow | None:
        row = self._one("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return rows.feed(row) if row else None

    async def by_url(self, url: str) -> FeedRow | None:
        row = self._one("SELECT * FROM feeds WHERE url = ?", (url,))
        return rows.feed(row) if row else None

    async def all(self) -> list[FeedRow]:
        return [rows.feed(r) for r in self._all("SELECT * FROM feeds ORDER BY id")]

    async def due(self, now: datetime) -> list[FeedRow]:
        """Unpaused HTTP feeds whose next poll is now or past, the most overdue first."""
        found = self._all(
            "SELECT * FROM feeds WHERE paused = 0 AND (url LIKE 'http://%' OR url LIKE "
            "'https://%') AND (next_poll_at IS NULL OR next_poll_at <= ?) "
            "ORDER BY next_poll_at IS NOT NULL, next_poll_at, id",
            (iso(now),),
        )
        return [rows.feed(r) for r in found]

    async def next_due_at(self, now: datetime) -> datetime | None:
        """When the next unpaused HTTP feed falls due (``now`` if one never was polled)."""
        row = self._one(
            "SELECT COUNT(*), SUM(next_poll_at IS NULL), MIN(next_poll_at) FROM feeds "
            "WHERE paused = 0 AND (url LIKE 'http://%' OR url LIKE 'https://%')"
        )
        if row is None or not row[0]:
            return None
        if row[1] or row[2] is None:
            return now
        return from_iso(row[2])

    async def seen(self, feed_id: FeedId) -> dict[str, SeenEntry]:
        found = self._all("SELECT * FROM feed_entries WHERE feed_id = ?", (feed_id,))
        return {r["entry_key"]: rows.seen_entry(r) for r in found}

    async def recent(self, feed_id: FeedId, limit: int = 5) -> list[SeenEntry]:
        """The entries seen most recently, newest first (by date, then when first seen)."""
        found = self._all(
            "SELECT * FROM feed_entries WHERE feed_id = ? "
            "ORDER BY COALESCE(published_at, first_seen_at) DESC, first_seen_at DESC LIMIT ?",
            (feed_id, limit),
        )
        return [rows.seen_entry(r) for r in found]

    async def open_hold(self, feed_id: FeedId) -> tuple[int, int, datetime] | None:
        """The open held batch: ``(hold id, entries held, since)``."""
        row = self._one(
            "SELECT id, new_entries, created_at FROM feed_holds WHERE feed_id = ? AND "
            "status = 'open' ORDER BY id DESC LIMIT 1",
            (feed_id,),
        )
        return (row[0], row[1], from_iso(row[2])) if row else None

    # writes ---------------------------------------

    async def record_ok(self, feed_id: FeedId, ok: FetchOk, now: datetime) -> None:
        """A good read: failures cleared, validators and next poll stored."""
        self._raw.execute(
            "UPDATE feeds SET last_fetch_at = ?, last_ok_at = ?, last_status = ?, "
            "last_error = NULL, failures = 0, etag = ?, last_modified = ?, "
            "body_hash = COALESCE(?, body_hash), next_poll_at = ?, "
            "title = CASE WHEN title = '' THEN ? ELSE title END, "
            "site_link = CASE WHEN ? = '' THEN site_link ELSE ? END WHERE id = ?",
            (
                iso(now),
                iso(now),
                ok.status,
                ok.etag,
                ok.last_modified,
                ok.body_hash,
                iso(ok.next_poll_at),
                ok.title,
                ok.site_link,
                ok.site_link,
                feed_id,
            ),
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
        row = self._raw.execute(
            "UPDATE feeds SET last_fetch_at = ?, last_status = ?, last_error = ?, "
            "failures = failures + 1, next_poll_at = ? WHERE id = ? RETURNING failures",
            (iso(now), status, error, iso(next_poll_at), feed_id),
        ).fetchone()
        return int(row[0]) if row else 0

    async def pause(self, feed_id: FeedId, reason: str) -> int | None:
        """Pause an unpaused feed; returns its pause number (None: it was paused already)."""
        row = self._raw.execute(
            "UPDATE feeds SET paused = 1, pause_reason = ?, pauses = pauses + 1 "
            "WHERE id = ? AND paused = 0 RETURNING pauses",
            (reason, feed_id),
        ).fetchone()
        return int(row[0]) if row else None

    async def resume(self, feed_id: FeedId, now: datetime) -> bool:
        """Unpause and poll at once, with the failure count cleared."""
        cur = self._raw.execute(
            "UPDATE feeds SET paused = 0, pause_reason = NULL, failures = 0, next_poll_at = ? "
            "WHERE id = ? AND paused = 1",
            (iso(now), feed_id),
        )
        return cur.rowcount == 1

    async def move(self, feed_id: FeedId, url: str) -> bool:
        cur = self._raw.execute(
            "UPDATE feeds SET url = ?, etag = NULL, last_modified = NULL, body_hash = NULL, "
            "failures = 0, next_poll_at = NULL WHERE id = ? "
            "AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?)",
            (url, feed_id, url),
        )
        return cur.rowcount == 1

    async def pause_for(self, feed_id: FeedId, reason: str) -> None:
        self._raw.execute(
            "UPDATE feeds SET paused = 1, pause_reason = ?, pauses = pauses + (1 - paused) "
            "WHERE id = ?",
            (reason, feed_id),
        )

    async def resume_paused_for(self, feed_id: FeedId, reason: str) -> bool:
        cur = self._raw.execute(
            "UPDATE feeds SET paused = 0, pause_reason = NULL, next_poll_at = NULL "
            "WHERE id = ? AND paused = 1 AND pause_reason = ?",
            (feed_id, reason),
        )
        return cur.rowcount == 1

    async def set_url(self, feed_id: FeedId, url: str) -> bool:
        """Move the feed to ``url`` (a permanent redirect); False if another feed has it."""
        taken = self._raw.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        if taken is not None:
            return False
        self._raw.execute("UPDATE feeds SET url = ? WHERE id = ?", (url, feed_id))
        return True

    async def configure(
        self,
        feed_id: FeedId,
        *,
        interval_s: int | None,
        full_article: str | None,
        backfill: int | None = None,
        added_by: str | None = None,
    ) -> None:
        self._raw.execute(
            "UPDATE feeds SET interval_s = ?, full_article = ?, backfill = COALESCE(?, backfill), "
            "added_by = COALESCE(added_by, ?) WHERE id = ?",
            (interval_s, full_article, backfill, added_by, feed_id),
        )

    async def mark_primed(self, feed_id: FeedId, now: datetime) -> None:
        self._raw.execute(
            "UPDATE feeds SET primed_at = COALESCE(primed_at, ?) WHERE id = ?", (iso(now), feed_id)
        )

    async def save_entries(
        self, feed_id: FeedId, records: Iterable[EntryRecord], now: datetime
    ) -> None:
        """Remember entries (insert, or update what became of them)."""
        self._raw.executemany(
            "INSERT INTO feed_entries (feed_id, entry_key, content_hash, title, link, "
            "published_at, first_seen_at, updated_at, article_id, status, reason, hold_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (feed_id, entry_key) DO UPDATE SET "
            "content_hash = excluded.content_hash, title = excluded.title, "
            "link = excluded.link, published_at = excluded.published_at, "
            "updated_at = excluded.updated_at, status = excluded.status, "
            "article_id = COALESCE(excluded.article_id, article_id), reason = excluded.reason, "
            "hold_id = COALESCE(excluded.hold_id, hold_id)",
            [
                (
                    feed_id,
                    r.key,
                    r.content_hash,
                    r.title,
                    r.link,
                    iso(r.published_at) if r.published_at else None,
                    iso(now),
                    iso(now),
                    r.article_id,
                    r.status,
                    r.reason,
                    r.hold_id,
                )
                for r in records
            ],
        )

    async def touch_entry(
        self, feed_id: FeedId, key: str, content_hash: str, now: datetime
    ) -> None:
        """An entry changed in the feed; what became of it stays as it was."""
        self._raw.execute(
            "UPDATE feed_entries SET content_hash = ?, updated_at = ? "
            "WHERE feed_id = ? AND entry_key = ?",
            (content_hash, iso(now), feed_id, key),
        )

    async def create_hold(
        self, feed_id: FeedId, new_entries: int, total: int, now: datetime
    ) -> int:
        row = self._raw.execute(
            "INSERT INTO feed_holds (feed_id, new_entries, total, created_at) "
            "VALUES (?, ?, ?, ?) RETURNING id",
            (feed_id, new_entries, total, iso(now)),
        ).fetchone()
        return int(row[0])

    async def release_holds(self, feed_id: FeedId, by: str, now: datetime) -> int:
        cur = self._raw.execute(
            "UPDATE feed_holds SET status = 'released', resolved_at = ?, resolved_by = ? "
            "WHERE feed_id = ? AND status = 'open'",
            (iso(now), by, feed_id),
        )
        return cur.rowcount

    async def set_site_link(self, feed_id: FeedId, link: str) -> None:
        """The site's home page, if none is known yet (OPML's htmlUrl)."""
        self._raw.execute(
            "UPDATE feeds SET site_link = ? WHERE id = ? AND site_link = ''", (link, feed_id)
        )

    async def delete(self, feed_id: FeedId) -> bool:
        return self._raw.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)).rowcount == 1

    async def ensure(self, url: str, *, title: str, source: str, now: datetime) -> FeedId:
        self._raw.execute(
            "INSERT INTO feeds (url, title, source, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (url) DO NOTHING",
            (url, title, source, iso(now)),
        )
        row = self._one("SELECT id FROM feeds WHERE url = ?", (url,))
        assert row is not None
        return FeedId(row[0])
