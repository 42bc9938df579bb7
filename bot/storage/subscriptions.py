"""Subscriptions: what one community sees of a shared feed (its targets, authors, backfill,
pause), and the authorship questions the rest of the bot asks about them.

A community is ``discord:<guild id>``, ``matrix:<room id>``, ``console:<channel>``, or
``config`` for the config file's feeds (see migration 0008).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.core.models import ChatRef, FeedId, Platform
from bot.storage.db import Database, iso

CONFIG = "config"

AUTHORED_BY = (
    "EXISTS (SELECT 1 FROM targets t JOIN subscription_authors sa "
    "ON sa.subscription_id = t.subscription_id WHERE t.feed_id = {article}.feed_id "
    "AND t.platform = {question}.platform AND t.channel = {question}.channel "
    "AND sa.user_key = ?)"
)
"""SQL: the question (alias ``question``) on the article (alias ``article``) was asked where a
subscription the bound user authors posts. Format the aliases in, bind the user's key."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    feed_id: FeedId
    community: str | None
    added_by: str | None
    backfill: int
    paused: bool
    pause_reason: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Subscription:
        return cls(
            row["id"],
            FeedId(row["feed_id"]),
            row["community"],
            row["added_by"],
            row["backfill"],
            bool(row["paused"]),
            row["pause_reason"],
        )


class SubscriptionRepository:
    """All SQL about subscriptions and their authors."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # reads -------------------------------------------------------------------------

    async def get(self, sub_id: int) -> Subscription | None:
        row = await self.db.fetchone("SELECT * FROM subscriptions WHERE id = ?", (sub_id,))
        return Subscription.from_row(row) if row else None

    async def of_feed(self, feed_id: FeedId) -> list[Subscription]:
        rows = await self.db.fetchall(
            "SELECT * FROM subscriptions WHERE feed_id = ? ORDER BY id", (feed_id,)
        )
        return [Subscription.from_row(r) for r in rows]

    async def in_community(self, feed_id: FeedId, community: str) -> Subscription | None:
        row = await self.db.fetchone(
            "SELECT * FROM subscriptions WHERE feed_id = ? AND community = ?",
            (feed_id, community),
        )
        return Subscription.from_row(row) if row else None

    async def feeds_of_community(self, community: str) -> list[FeedId]:
        rows = await self.db.fetchall(
            "SELECT feed_id FROM subscriptions WHERE community = ? ORDER BY feed_id",
            (community,),
        )
        return [FeedId(r[0]) for r in rows]

    async def of_target(self, feed_id: FeedId, where: ChatRef) -> Subscription | None:
        row = await self.db.fetchone(
            "SELECT s.* FROM subscriptions s JOIN targets t ON t.subscription_id = s.id "
            "WHERE t.feed_id = ? AND t.platform = ? AND t.channel = ?",
            (feed_id, where.platform, where.channel),
        )
        return Subscription.from_row(row) if row else None

    async def authors(self, sub_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT user_key FROM subscription_authors WHERE subscription_id = ? ORDER BY user_key",
            (sub_id,),
        )
        return [r[0] for r in rows]

    async def unplaced(self) -> list[tuple[int, FeedId, Platform, str]]:
        """Subscriptions whose community is not known yet, with one of their channels."""
        rows = await self.db.fetchall(
            "SELECT s.id, s.feed_id, t.platform, t.channel FROM subscriptions s "
            "JOIN targets t ON t.subscription_id = s.id WHERE s.community IS NULL "
            "GROUP BY s.id ORDER BY s.id"
        )
        return [(r[0], FeedId(r[1]), Platform(r[2]), r[3]) for r in rows]

    # writes --------------------------------------------------------------------------

    @staticmethod
    async def ensure(
        conn: aiosqlite.Connection,
        feed_id: FeedId,
        community: str,
        *,
        added_by: str | None,
        backfill: int,
        now: datetime,
    ) -> int:
        """The feed's subscription in ``community``, created if new (caller's transaction)."""
        await conn.execute(
            "INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (feed_id, community) "
            "WHERE community IS NOT NULL DO NOTHING",
            (feed_id, community, added_by, iso(now), backfill),
        )
        async with conn.execute(
            "SELECT id FROM subscriptions WHERE feed_id = ? AND community = ?",
            (feed_id, community),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    @staticmethod
    async def ensure_offline(
        conn: aiosqlite.Connection,
        feed_id: FeedId,
        where: ChatRef,
        *,
        added_by: str,
        backfill: int,
        now: datetime,
    ) -> int:
        """A subscription for a target named with no platform connected (the command line):
        a Matrix room or console channel is its own community; a Discord channel's server is
        unknown until the bot runs (community NULL, placed then)."""
        if where.platform != "discord":
            return await SubscriptionRepository.ensure(
                conn,
                feed_id,
                f"{where.platform}:{where.channel}",
                added_by=added_by,
                backfill=backfill,
                now=now,
            )
        async with conn.execute(
            "SELECT subscription_id FROM targets WHERE feed_id = ? AND platform = ? "
            "AND channel = ?",
            (feed_id, where.platform, where.channel),
        ) as cur:
            row = await cur.fetchone()
        if row is not None and row[0] is not None:
            return int(row[0])
        async with conn.execute(
            "INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill) "
            "VALUES (?, NULL, ?, ?, ?) RETURNING id",
            (feed_id, added_by, iso(now), backfill),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    @staticmethod
    def add_authors(raw: sqlite3.Connection, sub_id: int, user_keys: Iterable[str]) -> list[str]:
        """More people who answer the subscription's readers; returns those who are new."""
        added = []
        for key in dict.fromkeys(user_keys):
            cur = raw.execute(
                "INSERT INTO subscription_authors (subscription_id, user_key) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                (sub_id, key),
            )
            if cur.rowcount == 1:
                added.append(key)
        return added

    @staticmethod
    def authors_now(raw: sqlite3.Connection, sub_id: int) -> list[str]:
        """The subscription's authors (inside a transaction)."""
        rows = raw.execute(
            "SELECT user_key FROM subscription_authors WHERE subscription_id = ? ORDER BY user_key",
            (sub_id,),
        ).fetchall()
        return [r[0] for r in rows]

    @staticmethod
    async def set_authors(conn: aiosqlite.Connection, sub_id: int, user_keys: list[str]) -> None:
        """Exactly these authors (the config file's list for its subscription)."""
        await conn.execute("DELETE FROM subscription_authors WHERE subscription_id = ?", (sub_id,))
        await conn.executemany(
            "INSERT INTO subscription_authors (subscription_id, user_key) VALUES (?, ?)",
            [(sub_id, key) for key in dict.fromkeys(user_keys)],
        )

    async def set_paused(self, sub_id: int, reason: str | None) -> bool:
        """Pause (a reason) or resume (None); False if it already was so."""
        paused = 1 if reason is not None else 0
        return (
            await self.db.execute(
                "UPDATE subscriptions SET paused = ?, pause_reason = ? "
                "WHERE id = ? AND paused != ?",
                (paused, reason, sub_id, paused),
            )
            == 1
        )

    async def delete(self, sub_id: int) -> None:
        await self.db.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))

    async def place(self, sub_id: int, community: str) -> None:
        """Record a carried-over subscription's community, merging it into the feed's
        subscription there if one exists (its targets and authors move over)."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT o.id FROM subscriptions o JOIN subscriptions s ON s.feed_id = o.feed_id "
                "WHERE s.id = ? AND o.community = ?",
                (sub_id, community),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                await conn.execute(
                    "UPDATE subscriptions SET community = ? WHERE id = ?", (community, sub_id)
                )
                return
            into = row[0]
            await conn.execute(
                "UPDATE targets SET subscription_id = ? WHERE subscription_id = ?", (into, sub_id)
            )
            await conn.execute(
                "INSERT INTO subscription_authors (subscription_id, user_key) "
                "SELECT ?, user_key FROM subscription_authors WHERE subscription_id = ? "
                "ON CONFLICT DO NOTHING",
                (into, sub_id),
            )
            await conn.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))


FilterRow = tuple[str, str, str]
"""A stored filter: (kind, field, pattern); :mod:`bot.feeds.filters` gives it meaning."""


class SubscriptionFilters:
    """All SQL about a subscription's filters and the entries they held back."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def of(self, sub_id: int) -> list[FilterRow]:
        rows = await self.db.fetchall(
            "SELECT kind, field, pattern FROM subscription_filters WHERE subscription_id = ? "
            "ORDER BY id",
            (sub_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def of_feed(self, feed_id: FeedId) -> dict[int, list[FilterRow]]:
        """Every subscription of the feed that has filters, with them."""
        rows = await self.db.fetchall(
            "SELECT f.subscription_id, f.kind, f.field, f.pattern FROM subscription_filters f "
            "JOIN subscriptions s ON s.id = f.subscription_id WHERE s.feed_id = ? ORDER BY f.id",
            (feed_id,),
        )
        found: dict[int, list[FilterRow]] = {}
        for r in rows:
            found.setdefault(r[0], []).append((r[1], r[2], r[3]))
        return found

    async def add(self, sub_id: int, row: FilterRow) -> bool:
        """False when the subscription had that filter already."""
        return (
            await self.db.execute(
                "INSERT INTO subscription_filters (subscription_id, kind, field, pattern) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (sub_id, *row),
            )
            == 1
        )

    async def clear(self, sub_id: int) -> int:
        return await self.db.execute(
            "DELETE FROM subscription_filters WHERE subscription_id = ?", (sub_id,)
        )

    @staticmethod
    async def replace(conn: aiosqlite.Connection, sub_id: int, rows: Iterable[FilterRow]) -> None:
        """Exactly these filters (the config file's list for its subscription)."""
        await conn.execute("DELETE FROM subscription_filters WHERE subscription_id = ?", (sub_id,))
        await conn.executemany(
            "INSERT INTO subscription_filters (subscription_id, kind, field, pattern) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(sub_id, *row) for row in dict.fromkeys(rows)],
        )

    @staticmethod
    def record_held(
        raw: sqlite3.Connection, held: Iterable[tuple[int, str, str]], now: datetime
    ) -> None:
        """Entries filters held back: (subscription id, entry key, reason)."""
        raw.executemany(
            "INSERT INTO subscription_entries (subscription_id, entry_key, status, reason, at) "
            "VALUES (?, ?, 'excluded', ?, ?) ON CONFLICT DO UPDATE SET "
            "status = excluded.status, reason = excluded.reason, at = excluded.at",
            [(sub_id, key, reason, iso(now)) for sub_id, key, reason in held],
        )

    async def held(self, sub_id: int, keys: Iterable[str]) -> dict[str, str]:
        """Of ``keys``, the entries the subscription's filters held back, with the reason."""
        wanted = list(keys)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        rows = await self.db.fetchall(
            "SELECT entry_key, reason FROM subscription_entries WHERE subscription_id = ? "
            f"AND status = 'excluded' AND entry_key IN ({marks})",
            (sub_id, *wanted),
        )
        return {r[0]: r[1] or "filtered" for r in rows}
