"""Articles and their points; posts and targets: what was published, and where.

No cache, unlike SQLite's store. SQLite's cache is right because one store is the only
writer its process knows of and it forgets what its own units change or undo; on a shared
PostgreSQL server another process edits an article or posts a newer summary in a channel
without this one hearing of it, and a cached answer would then be wrong (a question filed
under the previous article). So each lookup is one indexed statement: :meth:`get` reads the
article with its points in one round trip (a join), :meth:`latest_article_in` uses
``posts_by_channel``.

Across processes, an entry is stored once and a target made once: a ``SELECT``, and if
nothing is there ``INSERT .. ON CONFLICT DO NOTHING`` and a ``SELECT`` again (READ COMMITTED
gives that statement a new snapshot, so it sees the row another process committed while
ours waited on it). The first look-up keeps ids without gaps, as SQLite's are: an INSERT
that meets a conflict still uses up an identity value.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.models import Article, ArticleId, ChatRef, FeedId, Platform, Point
from bot.storage.postgres import rows
from bot.storage.postgres.db import Session
from bot.storage.types import StoredArticle, Target, ThreadPost


class PostgresArticles:
    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def get(self, article_id: ArticleId) -> StoredArticle | None:
        found = await self._s.conn.fetch(
            "SELECT a.feed_id, a.title, a.link, a.author, a.subtitle, a.intro, a.conclusion, "
            "a.image, p.number, p.title AS p_title, p.body AS p_body, p.marker AS p_marker "
            "FROM articles a LEFT JOIN points p ON p.article_id = a.id "
            "WHERE a.id = $1 ORDER BY p.number",
            article_id,
        )
        if not found:
            return None
        row = found[0]
        article = Article(
            title=row["title"],
            link=row["link"],
            author=row["author"],
            subtitle=row["subtitle"],
            intro=row["intro"],
            points=tuple(
                Point(p["number"], p["p_title"], p["p_body"], p["p_marker"])
                for p in found
                if p["number"] is not None
            ),
            conclusion=row["conclusion"],
            image=row["image"],
        )
        feed = row["feed_id"]
        return StoredArticle(article_id, FeedId(feed) if feed is not None else None, article)

    async def content_hash(self, article_id: ArticleId) -> str | None:
        found: str | None = await self._s.conn.fetchval(
            "SELECT content_hash FROM articles WHERE id = $1", article_id
        )
        return found

    async def ids(self) -> list[int]:
        return [int(r[0]) for r in await self._s.conn.fetch("SELECT id FROM articles ORDER BY id")]

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
        conn = self._s.conn
        key_sql = "SELECT id FROM articles WHERE feed_id IS NOT DISTINCT FROM $1 AND entry_key = $2"
        # Looked up first: a conflicting INSERT would use up an id (identity values are
        # never given back), and SQLite's ids, which the contract sees, have no gaps.
        existing = await conn.fetchval(key_sql, feed_id, entry_key) if feed_id is not None else None
        if existing is not None:
            return ArticleId(existing), False
        new = await conn.fetchval(
            "INSERT INTO articles (feed_id, entry_key, title, link, author, subtitle, intro, "
            "conclusion, content_hash, published_at, stored_at, image) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
            "ON CONFLICT DO NOTHING RETURNING id",
            feed_id,
            entry_key,
            article.title,
            article.link,
            article.author,
            article.subtitle,
            article.intro,
            article.conclusion,
            content_hash,
            published_at,
            now,
            article.image,
        )
        if new is None:  # another process stored it since the look-up
            existing = await conn.fetchval(key_sql, feed_id, entry_key)
            assert existing is not None
            return ArticleId(existing), False
        article_id = ArticleId(new)
        if article.points:
            await conn.executemany(
                "INSERT INTO points (article_id, number, title, body, marker) "
                "VALUES ($1, $2, $3, $4, $5)",
                [(article_id, p.number, p.title, p.body, p.marker) for p in article.points],
            )
        return article_id, True

    async def update(self, article_id: ArticleId, article: Article, content_hash: str) -> None:
        conn = self._s.conn
        await conn.execute(
            "UPDATE articles SET title = $1, subtitle = $2, intro = $3, conclusion = $4, "
            "content_hash = $5, image = $6 WHERE id = $7",
            article.title,
            article.subtitle,
            article.intro,
            article.conclusion,
            content_hash,
            article.image,
            article_id,
        )
        if article.points:
            await conn.executemany(
                "INSERT INTO points (article_id, number, title, body, marker) "
                "VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (article_id, number) DO UPDATE SET title = excluded.title, "
                "body = excluded.body, marker = excluded.marker",
                [(article_id, p.number, p.title, p.body, p.marker) for p in article.points],
            )


class PostgresPosts:
    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def ensure_target(self, feed_id: FeedId, where: ChatRef, subscription_id: int) -> Target:
        conn = self._s.conn
        args = (feed_id, where.platform, where.channel)
        key_sql = "SELECT * FROM targets WHERE feed_id = $1 AND platform = $2 AND channel = $3"
        row = await conn.fetchrow(key_sql, *args)  # first: see PostgresArticles.store
        if row is None:
            await conn.execute(
                "INSERT INTO targets (feed_id, platform, channel, subscription_id) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                *args,
                subscription_id,
            )
            row = await conn.fetchrow(key_sql, *args)
        assert row is not None
        return rows.target(row)

    async def set_announce(self, target_id: int, announce: str | None) -> None:
        await self._s.conn.execute(
            "UPDATE targets SET announce = $1 WHERE id = $2", announce, target_id
        )

    async def targets_of(self, feed_id: FeedId, *, active: bool = False) -> list[Target]:
        paused = (
            "AND subscription_id NOT IN (SELECT id FROM subscriptions WHERE paused) "
            if active
            else ""
        )
        found = await self._s.conn.fetch(
            f"SELECT * FROM targets WHERE feed_id = $1 {paused}ORDER BY id", feed_id
        )
        return [rows.target(r) for r in found]

    async def subscription_targets(self, subscription_id: int) -> list[Target]:
        found = await self._s.conn.fetch(
            "SELECT * FROM targets WHERE subscription_id = $1 ORDER BY id", subscription_id
        )
        return [rows.target(r) for r in found]

    async def authors_where(self, article_id: ArticleId, where: ChatRef) -> set[str]:
        found = await self._s.conn.fetch(
            "SELECT sa.user_key FROM subscription_authors sa "
            "JOIN targets t ON t.subscription_id = sa.subscription_id "
            "JOIN articles a ON a.feed_id = t.feed_id "
            "WHERE a.id = $1 AND t.platform = $2 AND t.channel = $3",
            article_id,
            where.platform,
            where.channel,
        )
        return {r[0] for r in found}

    async def is_any_author(self, user_key: str) -> bool:
        found = await self._s.conn.fetchval(
            "SELECT 1 FROM subscription_authors WHERE user_key = $1 LIMIT 1", user_key
        )
        return found is not None

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
        await self._s.conn.execute(
            "INSERT INTO posts (article_id, target_id, platform, channel, kind, point, thread, "
            "message, posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT DO NOTHING",
            article_id,
            target_id,
            ref.platform,
            ref.channel,
            kind,
            point,
            ref.thread,
            ref.message,
            now,
        )

    async def thread_at(self, where: ChatRef) -> ThreadPost | None:
        if where.thread is None:
            return None
        row = await self._s.conn.fetchrow(
            # A forum's article post is a summary that is itself a thread (point 0).
            "SELECT article_id, point FROM posts WHERE platform = $1 AND thread = $2 "
            "ORDER BY kind = 'thread' DESC LIMIT 1",
            where.platform,
            where.thread,
        )
        if row is None:
            return None
        return ThreadPost(ArticleId(row[0]), row[1], where.container())

    async def latest_article_in(self, where: ChatRef) -> ArticleId | None:
        found = await self._s.conn.fetchval(
            "SELECT article_id FROM posts WHERE platform = $1 AND channel = $2 "
            "AND kind = 'summary' ORDER BY posted_at DESC, id DESC LIMIT 1",
            where.platform,
            where.channel,
        )
        return ArticleId(found) if found is not None else None

    async def point_threads(self, article_id: ArticleId, point: int | None) -> list[ChatRef]:
        if point is None:
            return []
        found = await self._s.conn.fetch(
            "SELECT platform, channel, thread FROM posts WHERE article_id = $1 "
            "AND kind = 'thread' AND point = $2 AND thread IS NOT NULL ORDER BY id",
            article_id,
            point,
        )
        return [ChatRef(Platform(r[0]), r[1], r[2], None) for r in found]

    async def threads_of(self, article_id: ArticleId, where: ChatRef) -> dict[int, ChatRef]:
        found = await self._s.conn.fetch(
            "SELECT point, thread, message FROM posts WHERE article_id = $1 AND platform = $2 "
            "AND channel = $3 AND kind = 'thread'",
            article_id,
            where.platform,
            where.channel,
        )
        return {r[0]: ChatRef(where.platform, where.channel, r[1], r[2]) for r in found if r[1]}

    async def summary_posts(self, article_id: ArticleId) -> list[ChatRef]:
        found = await self._s.conn.fetch(
            "SELECT platform, channel, thread, message FROM posts WHERE article_id = $1 AND "
            "kind = 'summary' ORDER BY id",
            article_id,
        )
        return [ChatRef(Platform(r[0]), r[1], r[2], r[3]) for r in found]
