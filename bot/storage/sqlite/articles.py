"""Articles and their points; posts and targets: what was published, and where.

Stored articles and the latest article of each channel are cached per store (every chat
message needs them). The cache is this module's business: storing an edit of an article
forgets it, recording a summary post forgets its channel, and a rolled-back unit of work
forgets everything (it may have cached what it then undid).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.models import Article, ArticleId, ChatRef, FeedId, Platform, Point
from bot.storage.sqlite import rows
from bot.storage.sqlite.db import iso
from bot.storage.types import StoredArticle, Target, ThreadPost

_MAX_CACHED_ARTICLES = 256
_MAX_CACHED_CHANNELS = 4096


@dataclass
class ArticleCache:
    """What every chat message looks up, kept per store."""

    articles: dict[ArticleId, StoredArticle] = field(default_factory=dict)
    latest: dict[tuple[str, str], ArticleId | None] = field(default_factory=dict)

    def clear(self) -> None:
        self.articles.clear()
        self.latest.clear()


class SqliteArticles:
    __slots__ = ("_cache", "_raw")

    def __init__(self, raw: sqlite3.Connection, cache: ArticleCache) -> None:
        self._raw = raw
        self._cache = cache

    async def get(self, article_id: ArticleId) -> StoredArticle | None:
        cached = self._cache.articles.get(article_id)
        if cached is not None:
            return cached
        found = self._load(article_id)
        if found is not None:
            if len(self._cache.articles) >= _MAX_CACHED_ARTICLES:
                self._cache.articles.pop(next(iter(self._cache.articles)))
            self._cache.articles[article_id] = found
        return found

    def _load(self, article_id: ArticleId) -> StoredArticle | None:
        raw = self._raw
        row = raw.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            return None
        points = raw.execute(
            "SELECT number, title, body, marker FROM points WHERE article_id = ? ORDER BY number",
            (article_id,),
        ).fetchall()
        article = Article(
            title=row["title"],
            link=row["link"],
            author=row["author"],
            subtitle=row["subtitle"],
            intro=row["intro"],
            points=tuple(Point(p[0], p[1], p[2], p[3]) for p in points),
            conclusion=row["conclusion"],
            image=row["image"],
        )
        feed = row["feed_id"]
        return StoredArticle(article_id, FeedId(feed) if feed is not None else None, article)

    async def content_hash(self, article_id: ArticleId) -> str | None:
        row = self._raw.execute(
            "SELECT content_hash FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return row[0] if row else None

    async def ids(self) -> list[int]:
        return [int(r[0]) for r in self._raw.execute("SELECT id FROM articles ORDER BY id")]

    async def store(
        self,
        feed_id: FeedId | None,
        entry_key: str,
        article: Article,
        *,
        content_hash: str,
        published_at: datetime | None,
        now: datetime,
    ) -> tuple[ArticleId, bool]:
        raw = self._raw
        row = raw.execute(
            "INSERT INTO articles (feed_id, entry_key, title, link, author, subtitle, intro, "
            "conclusion, content_hash, published_at, stored_at, image) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
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
                article.image,
            ),
        ).fetchone()
        if row is None:
            existing = raw.execute(
                "SELECT id FROM articles WHERE feed_id IS ? AND entry_key = ?",
                (feed_id, entry_key),
            ).fetchone()
            assert existing is not None
            return ArticleId(existing[0]), False
        article_id = ArticleId(row[0])
        raw.executemany(
            "INSERT INTO points (article_id, number, title, body, marker) VALUES (?, ?, ?, ?, ?)",
            [(article_id, p.number, p.title, p.body, p.marker) for p in article.points],
        )
        return article_id, True

    async def update(self, article_id: ArticleId, article: Article, content_hash: str) -> None:
        self._cache.articles.pop(article_id, None)
        self._raw.execute(
            "UPDATE articles SET title = ?, subtitle = ?, intro = ?, conclusion = ?, "
            "content_hash = ?, image = ? WHERE id = ?",
            (
                article.title,
                article.subtitle,
                article.intro,
                article.conclusion,
                content_hash,
                article.image,
                article_id,
            ),
        )
        self._raw.executemany(
            "INSERT INTO points (article_id, number, title, body, marker) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (article_id, number) DO UPDATE SET title = excluded.title, "
            "body = excluded.body, marker = excluded.marker",
            [(article_id, p.number, p.title, p.body, p.marker) for p in article.points],
        )


class SqlitePosts:
    __slots__ = ("_cache", "_raw")

    def __init__(self, raw: sqlite3.Connection, cache: ArticleCache) -> None:
        self._raw = raw
        self._cache = cache

    async def ensure_target(self, feed_id: FeedId, where: ChatRef, subscription_id: int) -> Target:
        raw = self._raw
        raw.execute(
            "INSERT INTO targets (feed_id, platform, channel, subscription_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (feed_id, where.platform, where.channel, subscription_id),
        )
        row = raw.execute(
            "SELECT * FROM targets WHERE feed_id = ? AND platform = ? AND channel = ?",
            (feed_id, where.platform, where.channel),
        ).fetchone()
        assert row is not None
        return rows.target(row)

    async def set_announce(self, target_id: int, announce: str | None) -> None:
        self._raw.execute("UPDATE targets SET announce = ? WHERE id = ?", (announce, target_id))

    async def targets_of(self, feed_id: FeedId, *, active: bool = False) -> list[Target]:
        paused = (
            "AND subscription_id NOT IN (SELECT id FROM subscriptions WHERE paused = 1) "
            if active
            else ""
        )
        found = self._raw.execute(
            f"SELECT * FROM targets WHERE feed_id = ? {paused}ORDER BY id", (feed_id,)
        )
        return [rows.target(r) for r in found]

    async def subscription_targets(self, subscription_id: int) -> list[Target]:
        found = self._raw.execute(
            "SELECT * FROM targets WHERE subscription_id = ? ORDER BY id", (subscription_id,)
        )
        return [rows.target(r) for r in found]

    async def authors_where(self, article_id: ArticleId, where: ChatRef) -> set[str]:
        found = self._raw.execute(
            "SELECT sa.user_key FROM subscription_authors sa "
            "JOIN targets t ON t.subscription_id = sa.subscription_id "
            "JOIN articles a ON a.feed_id = t.feed_id "
            "WHERE a.id = ? AND t.platform = ? AND t.channel = ?",
            (article_id, where.platform, where.channel),
        )
        return {r[0] for r in found}

    async def is_any_author(self, user_key: str) -> bool:
        row = self._raw.execute(
            "SELECT 1 FROM subscription_authors WHERE user_key = ? LIMIT 1", (user_key,)
        ).fetchone()
        return row is not None

    async def record(
        self,
        *,
        article_id: ArticleId,
        target_id: int | None,
        kind: str,
        point: int,
        ref: ChatRef,
        now: datetime,
    ) -> None:
        if kind == "summary":
            self._cache.latest.pop((ref.platform, ref.channel), None)
        self._raw.execute(
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
        if where.thread is None:
            return None
        row = self._raw.execute(
            # A forum's article post is a summary that is itself a thread (point 0).
            "SELECT article_id, point FROM posts WHERE platform = ? AND thread = ? "
            "ORDER BY kind = 'thread' DESC LIMIT 1",
            (where.platform, where.thread),
        ).fetchone()
        if row is None:
            return None
        return ThreadPost(ArticleId(row[0]), row[1], where.container())

    async def latest_article_in(self, where: ChatRef) -> ArticleId | None:
        key = (where.platform, where.channel)
        latest = self._cache.latest
        if key in latest:
            return latest[key]
        row = self._raw.execute(
            "SELECT article_id FROM posts WHERE platform = ? AND channel = ? AND kind = 'summary' "
            "ORDER BY posted_at DESC, id DESC LIMIT 1",
            key,
        ).fetchone()
        found = ArticleId(row[0]) if row else None
        if len(latest) >= _MAX_CACHED_CHANNELS:
            latest.clear()
        latest[key] = found
        return found

    async def point_threads(self, article_id: ArticleId, point: int | None) -> list[ChatRef]:
        if point is None:
            return []
        found = self._raw.execute(
            "SELECT platform, channel, thread FROM posts WHERE article_id = ? AND kind = 'thread' "
            "AND point = ? AND thread IS NOT NULL ORDER BY id",
            (article_id, point),
        )
        return [ChatRef(Platform(r[0]), r[1], r[2], None) for r in found]

    async def threads_of(self, article_id: ArticleId, where: ChatRef) -> dict[int, ChatRef]:
        found = self._raw.execute(
            "SELECT point, thread, message FROM posts WHERE article_id = ? AND platform = ? "
            "AND channel = ? AND kind = 'thread'",
            (article_id, where.platform, where.channel),
        )
        return {r[0]: ChatRef(where.platform, where.channel, r[1], r[2]) for r in found if r[1]}

    async def summary_posts(self, article_id: ArticleId) -> list[ChatRef]:
        found = self._raw.execute(
            "SELECT platform, channel, thread, message FROM posts WHERE article_id = ? AND "
            "kind = 'summary' ORDER BY id",
            (article_id,),
        )
        return [ChatRef(Platform(r[0]), r[1], r[2], r[3]) for r in found]
