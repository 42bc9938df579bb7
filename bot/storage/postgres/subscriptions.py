"""Subscriptions: what one community sees of a shared feed (its targets, authors, backfill,
pause, filters, daily cap), the SQL of :mod:`bot.storage.sqlite.subscriptions` in
PostgreSQL's terms.

Across processes. Creating is a look-up, then ``INSERT .. ON CONFLICT DO NOTHING`` and the
look-up again (see :mod:`bot.storage.postgres.articles`). Replacing a set (authors,
filters) and :meth:`PostgresSubscriptions.place` read and then write, so they first lock
the subscription's row (``SELECT .. FOR UPDATE``): two processes replacing the same
subscription's authors end with one process's list, never a mix, and a subscription being
merged away is not written to meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.models import ChatRef, FeedId, Platform
from bot.storage.postgres import rows
from bot.storage.postgres.db import Session, affected
from bot.storage.types import FilterRow, SubEntry, Subscription

AUTHORED_BY = (
    "EXISTS (SELECT 1 FROM targets t JOIN subscription_authors sa "
    "ON sa.subscription_id = t.subscription_id WHERE t.feed_id = {article}.feed_id "
    "AND t.platform = {question}.platform AND t.channel = {question}.channel "
    "AND sa.user_key = ${param})"
)
"""SQL: the question (alias ``question``) on the article (alias ``article``) was asked where a
subscription the bound user authors posts. Format the aliases and the parameter's number in
(``param``), bind the user's key there."""


class PostgresSubscriptions:
    """All SQL about subscriptions and their authors."""

    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def _one(self, sql: str, *args: object) -> Subscription | None:
        row = await self._s.conn.fetchrow(sql, *args)
        return rows.subscription(row) if row else None

    async def _lock(self, sub_id: int) -> None:
        await self._s.conn.execute("SELECT 1 FROM subscriptions WHERE id = $1 FOR UPDATE", sub_id)

    # reads -------------------------------------------------------------------------

    async def get(self, sub_id: int) -> Subscription | None:
        return await self._one("SELECT * FROM subscriptions WHERE id = $1", sub_id)

    async def of_feed(self, feed_id: FeedId) -> list[Subscription]:
        found = await self._s.conn.fetch(
            "SELECT * FROM subscriptions WHERE feed_id = $1 ORDER BY id", feed_id
        )
        return [rows.subscription(r) for r in found]

    async def in_community(self, feed_id: FeedId, community: str) -> Subscription | None:
        return await self._one(
            "SELECT * FROM subscriptions WHERE feed_id = $1 AND community = $2",
            feed_id,
            community,
        )

    async def feeds_of_community(self, community: str) -> list[FeedId]:
        found = await self._s.conn.fetch(
            "SELECT feed_id FROM subscriptions WHERE community = $1 ORDER BY feed_id", community
        )
        return [FeedId(r[0]) for r in found]

    async def of_target(self, feed_id: FeedId, where: ChatRef) -> Subscription | None:
        return await self._one(
            "SELECT s.* FROM subscriptions s JOIN targets t ON t.subscription_id = s.id "
            "WHERE t.feed_id = $1 AND t.platform = $2 AND t.channel = $3",
            feed_id,
            where.platform,
            where.channel,
        )

    async def authors(self, sub_id: int) -> list[str]:
        found = await self._s.conn.fetch(
            "SELECT user_key FROM subscription_authors WHERE subscription_id = $1 "
            'ORDER BY user_key COLLATE "C"',
            sub_id,
        )
        return [r[0] for r in found]

    async def unplaced(self) -> list[tuple[int, FeedId, Platform, str]]:
        # SQLite's GROUP BY picks one target per subscription; here: its first.
        found = await self._s.conn.fetch(
            "SELECT DISTINCT ON (s.id) s.id, s.feed_id, t.platform, t.channel "
            "FROM subscriptions s JOIN targets t ON t.subscription_id = s.id "
            "WHERE s.community IS NULL ORDER BY s.id, t.id"
        )
        return [(int(r[0]), FeedId(r[1]), Platform(r[2]), r[3]) for r in found]

    async def filters(self, sub_id: int) -> list[FilterRow]:
        found = await self._s.conn.fetch(
            "SELECT kind, field, pattern FROM subscription_filters WHERE subscription_id = $1 "
            "ORDER BY id",
            sub_id,
        )
        return [(r[0], r[1], r[2]) for r in found]

    async def filters_of_feed(self, feed_id: FeedId) -> dict[int, list[FilterRow]]:
        found: dict[int, list[FilterRow]] = {}
        for r in await self._s.conn.fetch(
            "SELECT f.subscription_id, f.kind, f.field, f.pattern FROM subscription_filters f "
            "JOIN subscriptions s ON s.id = f.subscription_id WHERE s.feed_id = $1 "
            "ORDER BY f.id",
            feed_id,
        ):
            found.setdefault(r[0], []).append((r[1], r[2], r[3]))
        return found

    async def all_filters(self) -> dict[FeedId, dict[int, list[FilterRow]]]:
        found: dict[FeedId, dict[int, list[FilterRow]]] = {}
        for r in await self._s.conn.fetch(
            "SELECT s.feed_id, f.subscription_id, f.kind, f.field, f.pattern "
            "FROM subscription_filters f JOIN subscriptions s ON s.id = f.subscription_id "
            "ORDER BY f.id"
        ):
            found.setdefault(FeedId(r[0]), {}).setdefault(r[1], []).append((r[2], r[3], r[4]))
        return found

    async def capped(self) -> list[Subscription]:
        found = await self._s.conn.fetch(
            "SELECT * FROM subscriptions WHERE max_per_day IS NOT NULL ORDER BY id"
        )
        return [rows.subscription(r) for r in found]

    async def held(self, sub_id: int, keys: Iterable[str]) -> dict[str, SubEntry]:
        wanted = list(keys)
        if not wanted:
            return {}
        found = await self._s.conn.fetch(
            "SELECT * FROM subscription_entries WHERE subscription_id = $1 "
            "AND status != 'posted' AND entry_key = ANY($2::text[])",
            sub_id,
            wanted,
        )
        return {r["entry_key"]: rows.sub_entry(r) for r in found}

    async def posted_since(self, sub_id: int, since: datetime) -> int:
        found = await self._s.conn.fetchval(
            "SELECT count(*) FROM subscription_entries WHERE subscription_id = $1 "
            "AND status = 'posted' AND at >= $2",
            sub_id,
            since,
        )
        return int(found)

    async def waiting(self) -> list[SubEntry]:
        found = await self._s.conn.fetch(
            # COLLATE "C": entry keys in byte order, as SQLite sorts them.
            "SELECT * FROM subscription_entries WHERE status = 'waiting' "
            'ORDER BY subscription_id, at, entry_key COLLATE "C"'
        )
        return [rows.sub_entry(r) for r in found]

    # writes ------------------------------------------------------------------------

    async def add_filter(self, sub_id: int, row: FilterRow) -> bool:
        status = await self._s.conn.execute(
            "INSERT INTO subscription_filters (subscription_id, kind, field, pattern) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            sub_id,
            *row,
        )
        return affected(status) == 1

    async def clear_filters(self, sub_id: int) -> int:
        status = await self._s.conn.execute(
            "DELETE FROM subscription_filters WHERE subscription_id = $1", sub_id
        )
        return affected(status)

    async def replace_filters(self, sub_id: int, rows: Iterable[FilterRow]) -> None:
        conn = self._s.conn
        await self._lock(sub_id)
        await conn.execute("DELETE FROM subscription_filters WHERE subscription_id = $1", sub_id)
        wanted = [(sub_id, *row) for row in dict.fromkeys(rows)]
        if wanted:
            await conn.executemany(
                "INSERT INTO subscription_filters (subscription_id, kind, field, pattern) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                wanted,
            )

    async def record_entries(self, entries: Iterable[SubEntry], now: datetime) -> None:
        args = [
            (e.subscription_id, e.entry_key, e.status, e.reason, e.article_id, now) for e in entries
        ]
        if not args:
            return
        await self._s.conn.executemany(
            "INSERT INTO subscription_entries "
            "(subscription_id, entry_key, status, reason, article_id, at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subscription_id, entry_key) "
            "DO UPDATE SET status = excluded.status, reason = excluded.reason, "
            "article_id = excluded.article_id, at = excluded.at",
            args,
        )

    async def set_max_per_day(self, sub_id: int, cap: int | None) -> None:
        await self._s.conn.execute(
            "UPDATE subscriptions SET max_per_day = $1 WHERE id = $2", cap, sub_id
        )

    async def set_template(self, sub_id: int, template: str | None) -> None:
        await self._s.conn.execute(
            "UPDATE subscriptions SET template = $1 WHERE id = $2", template, sub_id
        )

    async def ensure(
        self,
        feed_id: FeedId,
        community: str,
        *,
        added_by: str | None,
        backfill: int,
        now: datetime,
    ) -> int:
        conn = self._s.conn
        key_sql = "SELECT id FROM subscriptions WHERE feed_id = $1 AND community = $2"
        found = await conn.fetchval(key_sql, feed_id, community)  # see PostgresArticles.store
        if found is None:
            await conn.execute(
                "INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (feed_id, community) "
                "WHERE community IS NOT NULL DO NOTHING",
                feed_id,
                community,
                added_by,
                now,
                backfill,
            )
            found = await conn.fetchval(key_sql, feed_id, community)
        assert found is not None
        return int(found)

    async def ensure_offline(
        self, feed_id: FeedId, where: ChatRef, *, added_by: str, backfill: int, now: datetime
    ) -> int:
        if where.platform != "discord":
            community = f"{where.platform}:{where.channel}"
            return await self.ensure(
                feed_id, community, added_by=added_by, backfill=backfill, now=now
            )
        conn = self._s.conn
        existing = await conn.fetchval(
            "SELECT subscription_id FROM targets WHERE feed_id = $1 AND platform = $2 "
            "AND channel = $3",
            feed_id,
            where.platform,
            where.channel,
        )
        if existing is not None:
            return int(existing)
        new = await conn.fetchval(
            "INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill) "
            "VALUES ($1, NULL, $2, $3, $4) RETURNING id",
            feed_id,
            added_by,
            now,
            backfill,
        )
        return int(new)

    async def add_authors(self, sub_id: int, user_keys: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(user_keys))
        if not wanted:
            return []
        found = await self._s.conn.fetch(
            "INSERT INTO subscription_authors (subscription_id, user_key) "
            "SELECT $1, k FROM unnest($2::text[]) WITH ORDINALITY AS u (k, n) ORDER BY n "
            "ON CONFLICT DO NOTHING RETURNING user_key",
            sub_id,
            wanted,
        )
        added = {r[0] for r in found}
        return [key for key in wanted if key in added]

    async def set_authors(self, sub_id: int, user_keys: list[str]) -> None:
        conn = self._s.conn
        await self._lock(sub_id)
        await conn.execute("DELETE FROM subscription_authors WHERE subscription_id = $1", sub_id)
        await conn.execute(
            "INSERT INTO subscription_authors (subscription_id, user_key) "
            "SELECT $1, k FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING",
            sub_id,
            list(dict.fromkeys(user_keys)),
        )

    async def set_paused(self, sub_id: int, reason: str | None) -> bool:
        paused = reason is not None
        status = await self._s.conn.execute(
            "UPDATE subscriptions SET paused = $1, pause_reason = $2 "
            "WHERE id = $3 AND paused != $1",
            paused,
            reason,
            sub_id,
        )
        return affected(status) == 1

    async def delete(self, sub_id: int) -> None:
        await self._s.conn.execute("DELETE FROM subscriptions WHERE id = $1", sub_id)

    async def place(self, sub_id: int, community: str) -> None:
        conn = self._s.conn
        await self._lock(sub_id)
        into = await conn.fetchval(
            "SELECT o.id FROM subscriptions o JOIN subscriptions s ON s.feed_id = o.feed_id "
            "WHERE s.id = $1 AND o.community = $2 FOR UPDATE OF o",
            sub_id,
            community,
        )
        if into is None:
            await conn.execute(
                "UPDATE subscriptions SET community = $1 WHERE id = $2", community, sub_id
            )
            return
        await conn.execute(
            "UPDATE targets SET subscription_id = $1 WHERE subscription_id = $2", into, sub_id
        )
        await conn.execute(
            "INSERT INTO subscription_authors (subscription_id, user_key) "
            "SELECT $1, user_key FROM subscription_authors WHERE subscription_id = $2 "
            "ON CONFLICT DO NOTHING",
            into,
            sub_id,
        )
        await conn.execute("DELETE FROM subscriptions WHERE id = $1", sub_id)
