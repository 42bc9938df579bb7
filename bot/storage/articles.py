"""Feeds, targets, articles, points and posts: what was published, and where."""

from __future__ import annotations

import sqlite3
import weakref
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.core.models import Article, ArticleId, ChatRef, FeedId, Platform, Point
from bot.storage.db import Database, iso


@dataclass(frozen=True, slots=True)
class Target:
    id: int
    feed_id: FeedId
    platform: Platform
    channel: str
    subscription_id: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Target:
        return cls(
            row["id"],
            FeedId(row["feed_id"]),
            Platform(row["platform"]),
            row["channel"],
            row["subscription_id"],
        )

    @property
    def ref(self) -> ChatRef:
        return ChatRef(self.platform, self.channel)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: ArticleId
    feed_id: FeedId | None
    article: Article


@dataclass(frozen=True, slots=True)
class ThreadPost:
    """A point's (or a whole article's, point 0) discussion thread on one platform."""

    article_id: ArticleId
    point: int
    ref: ChatRef


@dataclass
class _Cache:
    """What every chat message looks up, kept per database (shared by all repositories)."""

    articles: dict[ArticleId, StoredArticle] = field(default_factory=dict)
    latest: dict[tuple[str, str], ArticleId | None] = field(default_factory=dict)


_CACHES: weakref.WeakKeyDictionary[Database, _Cache] = weakref.WeakKeyDictionary()
_MAX_CACHED_ARTICLES = 256


class ArticleRepository:
    """Feeds, targets, articles, points and posts.

    Stored articles and the latest article of each channel are cached (every chat message
    needs them). Code that changes an article's rows calls :meth:`forget_article`; recording
    a summary post calls :meth:`forget_channel`.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache = _CACHES.setdefault(db, _Cache())

    def forget_article(self, article_id: ArticleId) -> None:
        self._cache.articles.pop(article_id, None)

    def forget_channel(self, where: ChatRef) -> None:
        self._cache.latest.pop((where.platform, where.channel), None)

    # feeds and targets -------------------------------------------------------------

    async def ensure_feed(
        self, conn: aiosqlite.Connection, url: str, *, title: str, source: str, now: datetime
    ) -> FeedId:
        """The feed with this URL, created if new (inside the caller's transaction)."""
        await conn.execute(
            "INSERT INTO feeds (url, title, source, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (url) DO NOTHING",
            (url, title, source, iso(now)),
        )
        async with conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)) as cur:
            row = await cur.fetchone()
        assert row is not None
        return FeedId(row[0])

    async def ensure_target(
        self, conn: aiosqlite.Connection, feed_id: FeedId, where: ChatRef, subscription_id: int
    ) -> Target:
        """The feed's target at ``where``, created in ``subscription_id`` if new (a target
        that exists keeps the subscription it has)."""
        await conn.execute(
            "INSERT INTO targets (feed_id, platform, channel, subscription_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (feed_id, where.platform, where.channel, subscription_id),
        )
        async with conn.execute(
            "SELECT * FROM targets WHERE feed_id = ? AND platform = ? AND channel = ?",
            (feed_id, where.platform, where.channel),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return Target.from_row(row)

    async def targets_of(self, feed_id: FeedId, *, active: bool = False) -> list[Target]:
        """The feed's targets (``active``: only those of unpaused subscriptions)."""
        paused = (
            "AND subscription_id NOT IN (SELECT id FROM subscriptions WHERE paused = 1) "
            if active
            else ""
        )
        rows = await self.db.fetchall(
            f"SELECT * FROM targets WHERE feed_id = ? {paused}ORDER BY id", (feed_id,)
        )
        return [Target.from_row(r) for r in rows]

    async def subscription_targets(self, subscription_id: int) -> list[Target]:
        rows = await self.db.fetchall(
            "SELECT * FROM targets WHERE subscription_id = ? ORDER BY id", (subscription_id,)
        )
        return [Target.from_row(r) for r in rows]

    async def authors_where(self, article_id: ArticleId, where: ChatRef) -> set[str]:
        """Who answers questions on the article asked in ``where``: the authors of the
        subscription that posts it there."""
        rows = await self.db.fetchall(
            "SELECT sa.user_key FROM subscription_authors sa "
            "JOIN targets t ON t.subscription_id = sa.subscription_id "
            "JOIN articles a ON a.feed_id = t.feed_id "
            "WHERE a.id = ? AND t.platform = ? AND t.channel = ?",
            (article_id, where.platform, where.channel),
        )
        return {r[0] for r in rows}

    async def is_any_author(self, user_key: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM subscription_authors WHERE user_key = ? LIMIT 1", (user_key,)
        )
        return row is not None

    # articles ----------------------------------------------------------------------

    async def store(
        self,
        conn: aiosqlite.Connection,
        feed_id: FeedId | None,
        entry_key: str,
        article: Article,
        *,
        content_hash: str,
        published_at: datetime | None,
        now: datetime,
    ) -> tuple[ArticleId, bool]:
        """Store an article and its points; ``(id, created)``. An entry is stored once."""
        async with conn.execute(
            "INSERT INTO articles (feed_id, entry_key, title, link, author, subtitle, intro, "
            "conclusion, content_hash, published_at, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (
                feed_id,
                entry_key,
                article.title,
                article.link,
                article.author,
                article.subtitle,
                article.intro,
                article.conclusion,
                content_hash,
                iso(published_at) if published_at else None,
                iso(now),
            ),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            async with conn.execute(
                "SELECT id FROM articles WHERE feed_id IS ? AND entry_key = ?",
                (feed_id, entry_key),
            ) as cur:
                existing = await cur.fetchone()
            assert existing is not None
            return ArticleId(existing[0]), False
        article_id = ArticleId(row[0])
        await conn.executemany(
            "INSERT INTO points (article_id, number, title, body, marker) VALUES (?, ?, ?, ?, ?)",
            [(article_id, p.number, p.title, p.body, p.marker) for p in article.points],
        )
        return article_id, True

    async def get(self, article_id: ArticleId) -> StoredArticle | None:
        cached = self._cache.articles.get(article_id)
        if cached is not None:
            return cached
        found = await self._load(article_id)
        if found is not None:
            if len(self._cache.articles) >= _MAX_CACHED_ARTICLES:
                self._cache.articles.pop(next(iter(self._cache.articles)))
            self._cache.articles[article_id] = found
        return found

    async def _load(self, article_id: ArticleId) -> StoredArticle | None:
        row = await self.db.fetchone("SELECT * FROM articles WHERE id = ?", (article_id,))
        if row is None:
            return None
        points = await self.db.fetchall(
            "SELECT number, title, body, marker FROM points WHERE article_id = ? ORDER BY number",
            (article_id,),
        )
        article = Article(
            title=row["title"],
            link=row["link"],
            author=row["author"],
            subtitle=row["subtitle"],
            intro=row["intro"],
            points=tuple(Point(p[0], p[1], p[2], p[3]) for p in points),
            conclusion=row["conclusion"],
        )
        feed = row["feed_id"]
        return StoredArticle(article_id, FeedId(feed) if feed is not None else None, article)

    # posts -------------------------------------------------------------------------

    @staticmethod
    def record_post(
        raw: sqlite3.Connection,
        *,
        article_id: ArticleId,
        target_id: int | None,
        kind: str,
        point: int,
        ref: ChatRef,
        now: datetime,
    ) -> None:
        raw.execute(
            "INSERT INTO posts (article_id, target_id, platform, channel, kind, point, thread, "
            "message, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                article_id,
                target_id,
                ref.platform,
                ref.channel,
                kind,
                point,
                ref.thread,
                ref.message,
                iso(now),
            ),
        )

    async def thread_at(self, where: ChatRef) -> ThreadPost | None:
        """The point thread ``where`` is in, if it is one of ours."""
        if where.thread is None:
            return None
        row = await self.db.fetchone(
            # A forum's article post is a summary that is itself a thread (point 0).
            "SELECT article_id, point FROM posts WHERE platform = ? AND thread = ? "
            "ORDER BY kind = 'thread' DESC LIMIT 1",
            (where.platform, where.thread),
        )
        if row is None:
            return None
        return ThreadPost(ArticleId(row[0]), row[1], where.container())

    async def latest_article_in(self, where: ChatRef) -> ArticleId | None:
        """The article most recently posted in this channel or room."""
        key = (where.platform, where.channel)
        if key in self._cache.latest:
            return self._cache.latest[key]
        row = await self.db.fetchone(
            "SELECT article_id FROM posts WHERE platform = ? AND channel = ? AND kind = 'summary' "
            "ORDER BY posted_at DESC, id DESC LIMIT 1",
            (where.platform, where.channel),
        )
        found = ArticleId(row[0]) if row else None
        if len(self._cache.latest) >= 4096:
            self._cache.latest.clear()
        self._cache.latest[key] = found
        return found

    async def point_threads(self, article_id: ArticleId, point: int | None) -> list[ChatRef]:
        """The threads of one point of an article, in every channel and room it went to."""
        if point is None:
            return []
        rows = await self.db.fetchall(
            "SELECT platform, channel, thread FROM posts WHERE article_id = ? AND kind = 'thread' "
            "AND point = ? AND thread IS NOT NULL ORDER BY id",
            (article_id, point),
        )
        return [ChatRef(Platform(r[0]), r[1], r[2], None) for r in rows]

    async def threads_of(self, article_id: ArticleId, where: ChatRef) -> dict[int, ChatRef]:
        """Point number -> thread ref, for the article's threads in this channel."""
        rows = await self.db.fetchall(
            "SELECT point, thread, message FROM posts WHERE article_id = ? AND platform = ? "
            "AND channel = ? AND kind = 'thread'",
            (article_id, where.platform, where.channel),
        )
        return {r[0]: ChatRef(where.platform, where.channel, r[1], r[2]) for r in rows if r[1]}
