"""Feeds' fetch state, the entries each feed has shown (seen), and held batches.

Writes are synchronous functions over the raw sqlite3 connection, so the poller records a
whole feed's outcome in one :meth:`Database.run` trip; reads are async and take the lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import Article, ArticleId, ChatRef, FeedId, Platform
from bot.storage.db import Database, from_iso, iso


def _when(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One feed as stored: where it is, how it is read, and how its last fetches went."""

    id: FeedId
    url: str
    title: str
    source: str  # 'config' | 'chat' | 'builtin'
    added_by: str | None
    paused: bool
    pause_reason: str | None
    interval_s: int | None
    etag: str | None
    last_modified: str | None
    last_fetch_at: datetime | None
    last_status: int | None
    last_error: str | None
    failures: int
    next_poll_at: datetime | None
    site_link: str
    full_article: str | None
    backfill: int
    primed_at: datetime | None
    body_hash: str | None
    last_ok_at: datetime | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> FeedRow:
        return cls(
            id=FeedId(row["id"]),
            url=row["url"],
            title=row["title"],
            source=row["source"],
            added_by=row["added_by"],
            paused=bool(row["paused"]),
            pause_reason=row["pause_reason"],
            interval_s=row["interval_s"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_fetch_at=_when(row["last_fetch_at"]),
            last_status=row["last_status"],
            last_error=row["last_error"],
            failures=row["failures"],
            next_poll_at=_when(row["next_poll_at"]),
            site_link=row["site_link"],
            full_article=row["full_article"],
            backfill=row["backfill"],
            primed_at=_when(row["primed_at"]),
            body_hash=row["body_hash"],
            last_ok_at=_when(row["last_ok_at"]),
        )

    @property
    def name(self) -> str:
        """How admins are shown the feed: its title, else its URL."""
        return self.title or self.url


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """An entry identity the feed has shown, and what became of it."""

    key: str
    content_hash: str
    status: str  # 'posted' | 'skipped' | 'held' | 'rejected'
    title: str
    link: str
    published_at: datetime | None
    first_seen_at: datetime
    article_id: ArticleId | None
    reason: str | None
    hold_id: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SeenEntry:
        article = row["article_id"]
        return cls(
            key=row["entry_key"],
            content_hash=row["content_hash"],
            status=row["status"],
            title=row["title"],
            link=row["link"],
            published_at=_when(row["published_at"]),
            first_seen_at=from_iso(row["first_seen_at"]),
            article_id=ArticleId(article) if article is not None else None,
            reason=row["reason"],
            hold_id=row["hold_id"],
        )


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """What to remember about one entry after a read."""

    key: str
    content_hash: str
    title: str
    link: str
    published_at: datetime | None
    status: str
    article_id: ArticleId | None = None
    reason: str | None = None
    hold_id: int | None = None


@dataclass(frozen=True, slots=True)
class FetchOk:
    """A successful read's new fetch state (a 200 that parsed, or a 304)."""

    status: int
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    next_poll_at: datetime
    title: str = ""
    site_link: str = ""


@dataclass(frozen=True, slots=True)
class OutboxState:
    """One planned message of an article, as the outbox knows it."""

    platform: Platform
    channel: str
    purpose: str
    status: str  # 'pending' | 'done' | 'failed'
    attempts: int
    last_error: str | None
    next_attempt_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxState:
        return cls(
            Platform(row["platform"]),
            row["channel"],
            row["purpose"],
            row["status"],
            row["attempts"],
            row["last_error"],
            from_iso(row["next_attempt_at"]),
        )


class FeedRepository:
    """All SQL about feeds' fetch state, seen entries and holds."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # reads -------------------------------------------------------------------------

    async def get(self, feed_id: int) -> FeedRow | None:
        row = await self.db.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return FeedRow.from_row(row) if row else None

    async def by_url(self, url: str) -> FeedRow | None:
        row = await self.db.fetchone("SELECT * FROM feeds WHERE url = ?", (url,))
        return FeedRow.from_row(row) if row else None

    async def all(self) -> list[FeedRow]:
        return [
            FeedRow.from_row(r) for r in await self.db.fetchall("SELECT * FROM feeds ORDER BY id")
        ]

    async def due(self, now: datetime) -> list[FeedRow]:
        """Unpaused HTTP feeds whose next poll is now or past, the most overdue first."""
        rows = await self.db.fetchall(
            "SELECT * FROM feeds WHERE paused = 0 AND (url LIKE 'http://%' OR url LIKE "
            "'https://%') AND (next_poll_at IS NULL OR next_poll_at <= ?) "
            "ORDER BY next_poll_at IS NOT NULL, next_poll_at, id",
            (iso(now),),
        )
        return [FeedRow.from_row(r) for r in rows]

    async def next_due_at(self, now: datetime) -> datetime | None:
        """When the next unpaused HTTP feed falls due (``now`` if one never was polled)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*), SUM(next_poll_at IS NULL), MIN(next_poll_at) FROM feeds "
            "WHERE paused = 0 AND (url LIKE 'http://%' OR url LIKE 'https://%')"
        )
        if row is None or not row[0]:
            return None
        if row[1] or row[2] is None:
            return now
        return from_iso(row[2])

    async def seen(self, feed_id: FeedId) -> dict[str, SeenEntry]:
        rows = await self.db.fetchall("SELECT * FROM feed_entries WHERE feed_id = ?", (feed_id,))
        return {r["entry_key"]: SeenEntry.from_row(r) for r in rows}

    async def recent(self, feed_id: FeedId, limit: int = 5) -> list[SeenEntry]:
        """The entries seen most recently, newest first (by date, then when first seen)."""
        rows = await self.db.fetchall(
            "SELECT * FROM feed_entries WHERE feed_id = ? "
            "ORDER BY COALESCE(published_at, first_seen_at) DESC, first_seen_at DESC LIMIT ?",
            (feed_id, limit),
        )
        return [SeenEntry.from_row(r) for r in rows]

    async def open_hold(self, feed_id: FeedId) -> tuple[int, int, datetime] | None:
        """The open held batch: ``(hold id, entries held, since)``."""
        row = await self.db.fetchone(
            "SELECT id, new_entries, created_at FROM feed_holds WHERE feed_id = ? AND "
            "status = 'open' ORDER BY id DESC LIMIT 1",
            (feed_id,),
        )
        return (row[0], row[1], from_iso(row[2])) if row else None

    async def outbox_of(self, article_id: ArticleId) -> list[OutboxState]:
        """The summary and thread messages planned for an article, wherever they go."""
        rows = await self.db.fetchall(
            "SELECT platform, channel, purpose, status, attempts, last_error, next_attempt_at "
            "FROM outbox WHERE article_id = ? AND purpose IN ('summary', 'thread') ORDER BY id",
            (article_id,),
        )
        return [OutboxState.from_row(r) for r in rows]

    async def summary_posts(self, article_id: ArticleId) -> list[ChatRef]:
        """Where the article's summary landed (platform-confirmed posts)."""
        rows = await self.db.fetchall(
            "SELECT platform, channel, thread, message FROM posts WHERE article_id = ? AND "
            "kind = 'summary' ORDER BY id",
            (article_id,),
        )
        return [ChatRef(Platform(r[0]), r[1], r[2], r[3]) for r in rows]

    async def article_hash(self, article_id: ArticleId) -> str | None:
        row = await self.db.fetchone(
            "SELECT content_hash FROM articles WHERE id = ?", (article_id,)
        )
        return row[0] if row else None

    # writes (synchronous, inside Database.run) ---------------------------------------

    @staticmethod
    def record_ok(raw: sqlite3.Connection, feed_id: FeedId, ok: FetchOk, now: datetime) -> None:
        """A good read: failures cleared, validators and next poll stored."""
        raw.execute(
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

    @staticmethod
    def record_failure(
        raw: sqlite3.Connection,
        feed_id: FeedId,
        *,
        status: int | None,
        error: str,
        next_poll_at: datetime,
        now: datetime,
    ) -> int:
        """A failed read; returns the failures in a row, this one included."""
        row = raw.execute(
            "UPDATE feeds SET last_fetch_at = ?, last_status = ?, last_error = ?, "
            "failures = failures + 1, next_poll_at = ? WHERE id = ? RETURNING failures",
            (iso(now), status, error, iso(next_poll_at), feed_id),
        ).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def pause(raw: sqlite3.Connection, feed_id: FeedId, reason: str) -> int | None:
        """Pause an unpaused feed; returns its pause number (None: it was paused already)."""
        row = raw.execute(
            "UPDATE feeds SET paused = 1, pause_reason = ?, pauses = pauses + 1 "
            "WHERE id = ? AND paused = 0 RETURNING pauses",
            (reason, feed_id),
        ).fetchone()
        return int(row[0]) if row else None

    @staticmethod
    def resume(raw: sqlite3.Connection, feed_id: FeedId, now: datetime) -> bool:
        """Unpause and poll at once, with the failure count cleared."""
        cur = raw.execute(
            "UPDATE feeds SET paused = 0, pause_reason = NULL, failures = 0, next_poll_at = ? "
            "WHERE id = ? AND paused = 1",
            (iso(now), feed_id),
        )
        return cur.rowcount == 1

    @staticmethod
    def set_url(raw: sqlite3.Connection, feed_id: FeedId, url: str) -> bool:
        """Move the feed to ``url`` (a permanent redirect); False if another feed has it."""
        taken = raw.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        if taken is not None:
            return False
        raw.execute("UPDATE feeds SET url = ? WHERE id = ?", (url, feed_id))
        return True

    @staticmethod
    def configure(
        raw: sqlite3.Connection,
        feed_id: FeedId,
        *,
        interval_s: int | None,
        full_article: str | None,
        backfill: int | None = None,
        added_by: str | None = None,
    ) -> None:
        raw.execute(
            "UPDATE feeds SET interval_s = ?, full_article = ?, backfill = COALESCE(?, backfill), "
            "added_by = COALESCE(added_by, ?) WHERE id = ?",
            (interval_s, full_article, backfill, added_by, feed_id),
        )

    @staticmethod
    def mark_primed(raw: sqlite3.Connection, feed_id: FeedId, now: datetime) -> None:
        raw.execute(
            "UPDATE feeds SET primed_at = COALESCE(primed_at, ?) WHERE id = ?", (iso(now), feed_id)
        )

    @staticmethod
    def save_entries(
        raw: sqlite3.Connection, feed_id: FeedId, records: Iterable[EntryRecord], now: datetime
    ) -> None:
        """Remember entries (insert, or update what became of them)."""
        raw.executemany(
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

    @staticmethod
    def touch_entry(
        raw: sqlite3.Connection, feed_id: FeedId, key: str, content_hash: str, now: datetime
    ) -> None:
        """An entry changed in the feed; what became of it stays as it was."""
        raw.execute(
            "UPDATE feed_entries SET content_hash = ?, updated_at = ? "
            "WHERE feed_id = ? AND entry_key = ?",
            (content_hash, iso(now), feed_id, key),
        )

    @staticmethod
    def create_hold(
        raw: sqlite3.Connection, feed_id: FeedId, new_entries: int, total: int, now: datetime
    ) -> int:
        row = raw.execute(
            "INSERT INTO feed_holds (feed_id, new_entries, total, created_at) "
            "VALUES (?, ?, ?, ?) RETURNING id",
            (feed_id, new_entries, total, iso(now)),
        ).fetchone()
        return int(row[0])

    @staticmethod
    def release_holds(raw: sqlite3.Connection, feed_id: FeedId, by: str, now: datetime) -> int:
        cur = raw.execute(
            "UPDATE feed_holds SET status = 'released', resolved_at = ?, resolved_by = ? "
            "WHERE feed_id = ? AND status = 'open'",
            (iso(now), by, feed_id),
        )
        return cur.rowcount

    @staticmethod
    def update_article(
        raw: sqlite3.Connection, article_id: ArticleId, article: Article, content_hash: str
    ) -> None:
        """The stored article follows its entry's edit (its points keep their numbers)."""
        raw.execute(
            "UPDATE articles SET title = ?, subtitle = ?, intro = ?, conclusion = ?, "
            "content_hash = ? WHERE id = ?",
            (
                article.title,
                article.subtitle,
                article.intro,
                article.conclusion,
                content_hash,
                article_id,
            ),
        )
        raw.executemany(
            "INSERT INTO points (article_id, number, title, body, marker) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (article_id, number) DO UPDATE SET title = excluded.title, "
            "body = excluded.body, marker = excluded.marker",
            [(article_id, p.number, p.title, p.body, p.marker) for p in article.points],
        )

    @staticmethod
    def set_site_link(raw: sqlite3.Connection, feed_id: FeedId, link: str) -> None:
        """The site's home page, if none is known yet (OPML's htmlUrl)."""
        raw.execute(
            "UPDATE feeds SET site_link = ? WHERE id = ? AND site_link = ''", (link, feed_id)
        )

    async def delete(self, feed_id: FeedId) -> bool:
        return await self.db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)) == 1
