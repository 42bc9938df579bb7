"""Subscriptions: what one community sees of a shared feed (its targets, authors, backfill,
pause), and the authorship questions the rest of the bot asks about them.

A community is ``discord:<guild id>``, ``matrix:<room id>``, ``console:<channel>``, or
``config`` for the config file's feeds (see migration 0008).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.core.models import ChatRef, FeedId, Platform
from bot.storage.sqlite import rows
from bot.storage.sqlite.db import iso
from bot.storage.types import FilterRow, SubEntry, Subscription

AUTHORED_BY = (
    "EXISTS (SELECT 1 FROM targets t JOIN subscription_authors sa "
    "ON sa.subscription_id = t.subscription_id WHERE t.feed_id = {article}.feed_id "
    "AND t.platform = {question}.platform AND t.channel = {question}.channel "
    "AND sa.user_key = ?)"
)
"""SQL: the question (alias ``question``) on the article (alias ``article``) was asked where a
subscription the bound user authors posts. Format the aliases in, bind the user's key."""


class SqliteSubscriptions:
    """All SQL about subscriptions and their authors."""

    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def _one(self, sql: str, params: tuple[object, ...]) -> Subscription | None:
        row = self._raw.execute(sql, params).fetchone()
        return rows.subscription(row) if row else None

    # reads -------------------------------------------------------------------------

    async def get(self, sub_id: int) -> Subscription | None:
        return self._one("SELECT * FROM subscriptions WHERE id = ?", (sub_id,))

    async def of_feed(self, feed_id: FeedId) -> list[Subscription]:
        found = self._raw.execute(
            "SELECT * FROM subscriptions WHERE feed_id = ? ORDER BY id", (feed_id,)
        )
        return [rows.subscription(r) for r in found]

    async def in_community(self, feed_id: FeedId, community: str) -> Subscription | None:
        return self._one(
            "SELECT * FROM subscriptions WHERE feed_id = ? AND community = ?",
            (feed_id, community),
        )

    async def feeds_of_community(self, community: str) -> list[FeedId]:
        found = self._raw.execute(
            "SELECT feed_id FROM subscriptions WHERE community = ? ORDER BY feed_id",
            (community,),
        )
        return [FeedId(r[0]) for r in found]

    async def of_target(self, feed_id: FeedId, where: ChatRef) -> Subscription | None:
        return self._one(
            "SELECT s.* FROM subscriptions s JOIN targets t ON t.subscription_id = s.id "
            "WHERE t.feed_id = ? AND t.platform = ? AND t.channel = ?",
            (feed_id, where.platform, where.channel),
        )

    async def authors(self, sub_id: int) -> list[str]:
        found = self._raw.execute(
            "SELECT user_key FROM subscription_authors WHERE subscription_id = ? ORDER BY user_key",
            (sub_id,),
        )
        return [r[0] for r in found]

    async def unplaced(self) -> list[tuple[int, FeedId, Platform, str]]:
        found = self._raw.execute(
            "SELECT s.id, s.feed_id, t.platform, t.channel FROM subscriptions s "
            "JOIN targets t ON t.subscription_id = s.id WHERE s.community IS NULL "
            "GROUP BY s.id ORDER BY s.id"
        )
        return [(r[0], FeedId(r[1]), Platform(r[2]), r[3]) for r in found]

    async def filters(self, sub_id: int) -> list[FilterRow]:
        found = self._raw.execute(
            "SELECT kind, field, pattern FROM subscription_filters WHERE subscription_id = ? "
            "ORDER BY id",
            (sub_id,),
        )
        return [(r[0], r[1], r[2]) for r in found]

    async def filters_of_feed(self, feed_id: FeedId) -> dict[int, list[FilterRow]]:
        found: dict[int, list[FilterRow]] = {}
        for r in self._raw.execute(
            "SELECT f.subscription_id, f.kind, f.field, f.pattern FROM subscription_filters f "
            "JOIN subscriptions s ON s.id = f.subscription_id WHERE s.feed_id = ? ORDER BY f.id",
            (feed_id,),
        ):
            found.setdefault(r[0], []).append((r[1], r[2], r[3]))
        return found

    async def all_filters(self) -> dict[FeedId, dict[int, list[FilterRow]]]:
        found: dict[FeedId, dict[int, list[FilterRow]]] = {}
        for r in self._raw.execute(
            "SELECT s.feed_id, f.subscription_id, f.kind, f.field, f.pattern "
            "FROM subscription_filters f JOIN subscriptions s ON s.id = f.subscription_id "
            "ORDER BY f.id"
        ):
            found.setdefault(FeedId(r[0]), {}).setdefault(r[1], []).append((r[2], r[3], r[4]))
        return found

    async def capped(self) -> list[Subscription]:
        found = self._raw.execute(
            "SELECT * FROM subscriptions WHERE max_per_day IS NOT NULL ORDER BY id"
        )
        return [rows.subscription(r) for r in found]

    async def held(self, sub_id: int, keys: Iterable[str]) -> dict[str, SubEntry]:
        wanted = list(keys)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        found = self._raw.execute(
            "SELECT * FROM subscription_entries WHERE subscription_id = ? "
            f"AND status != 'posted' AND entry_key IN ({marks})",
            (sub_id, *wanted),
        )
        return {r["entry_key"]: rows.sub_entry(r) for r in found}

    async def posted_since(self, sub_id: int, since: datetime) -> int:
        row = self._raw.execute(
            "SELECT COUNT(*) FROM subscription_entries WHERE subscription_id = ? "
            "AND status = 'posted' AND at >= ?",
            (sub_id, iso(since)),
        ).fetchone()
        return int(row[0])

    async def waiting(self) -> list[SubEntry]:
        found = self._raw.execute(
            "SELECT * FROM subscription_entries WHERE status = 'waiting' "
            "ORDER BY subscription_id, at, entry_key"
        )
        return [rows.sub_entry(r) for r in found]

    # writes ------------------------------------------------------------------------

    async def add_filter(self, sub_id: int, row: FilterRow) -> bool:
        cur = self._raw.execute(
            "INSERT INTO subscription_filters (subscription_id, kind, field, pattern) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (sub_id, *row),
        )
        return cur.rowcount == 1

    async def clear_filters(self, sub_id: int) -> int:
        cur = self._raw.execute(
            "DELETE FROM subscription_filters WHERE subscription_id = ?", (sub_id,)
        )
        return cur.rowcount

    async def replace_filters(self, sub_id: int, rows: Iterable[FilterRow]) -> None:
        self._raw.execute("DELETE FROM subscription_filters WHERE subscription_id = ?", (sub_id,))
        self._raw.executemany(
            "INSERT INTO subscription_filters (subscription_id, kind, field, pattern) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(sub_id, *row) for row in dict.fromkeys(rows)],
        )

    async def record_entries(self, entries: Iterable[SubEntry], now: datetime) -> None:
        self._raw.executemany(
            "INSERT INTO subscription_entries "
            "(subscription_id, entry_key, status, reason, article_id, at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET status = excluded.status, "
            "reason = excluded.reason, article_id = excluded.article_id, at = excluded.at",
            [
                (e.subscription_id, e.entry_key, e.status, e.reason, e.article_id, iso(now))
                for e in entries
            ],
        )

    async def set_max_per_day(self, sub_id: int, cap: int | None) -> None:
        self._raw.execute("UPDATE subscriptions SET max_per_day = ? WHERE id = ?", (cap, sub_id))

    async def set_template(self, sub_id: int, template: str | None) -> None:
        self._raw.execute("UPDATE subscriptions SET template = ? WHERE id = ?", (template, sub_id))

    async def ensure(
        self,
        feed_id: FeedId,
        community: str,
        *,
        added_by: str | None,
        backfill: int,
        now: datetime,
    ) -> int:
        self._raw.execute(
            "INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (feed_id, community) "
            "WHERE community IS NOT NULL DO NOTHING",
            (feed_id, community, added_by, iso(now), backfill),
        )
        row = self._raw.execute(
            "SELECT id FROM subscriptions WHERE feed_id = ? AND community = ?",
            (feed_id, community),
        ).fetchone()
        assert row is not None
        return int(row[0])

    async def ensure_offline(
        self, feed_id: FeedId, where: ChatRef, *, added_by: str, backfill: int, now: datetime
    ) -> int:
        if where.platform != "discord":
            community = f"{where.platform}:{where.channel}"
            return await self.ensure(
                feed_id, community, added_by=added_by, backfill=backfill, now=now
            )
        row = self._raw.execute(
            "SELECT subscription_id FROM targets WHERE feed_id = ? AND platform = ? "
            "AND channel = ?",
            (feed_id, where.platform, where.channel),
        ).fetchone()
        if row is not None and row[0] is not None:
            return int(row[0])
        row = self._raw.execute(
            "INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill) "
            "VALUES (?, NULL, ?, ?, ?) RETURNING id",
            (feed_id, added_by, iso(now), backfill),
        ).fetchone()
        assert row is not None
        return int(row[0])

    async def add_authors(self, sub_id: int, user_keys: Iterable[str]) -> list[str]:
        added = []
        for key in dict.fromkeys(user_keys):
            cur = self._raw.execute(
                "INSERT INTO subscription_authors (subscription_id, user_key) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                (sub_id, key),
            )
            if cur.rowcount == 1:
                added.append(key)
        return added

    async def set_authors(self, sub_id: int, user_keys: list[str]) -> None:
        self._raw.execute("DELETE FROM subscription_authors WHERE subscription_id = ?", (sub_id,))
        self._raw.executemany(
            "INSERT INTO subscription_authors (subscription_id, user_key) VALUES (?, ?)",
            [(sub_id, key) for key in dict.fromkeys(user_keys)],
        )

    async def set_paused(self, sub_id: int, reason: str | None) -> bool:
        paused = 1 if reason is not None else 0
        cur = self._raw.execute(
            "UPDATE subscriptions SET paused = ?, pause_reason = ? WHERE id = ? AND paused != ?",
            (paused, reason, sub_id, paused),
        )
        return cur.rowcount == 1

    async def delete(self, sub_id: int) -> None:
        self._raw.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))

    async def place(self, sub_id: int, community: str) -> None:
        raw = self._raw
        row = raw.execute(
            "SELECT o.id FROM subscriptions o JOIN subscriptions s ON s.feed_id = o.feed_id "
            "WHERE s.id = ? AND o.community = ?",
            (sub_id, community),
        ).fetchone()
        if row is None:
            raw.execute("UPDATE subscriptions SET community = ? WHERE id = ?", (community, sub_id))
            return
        into = row[0]
        raw.execute(
            "UPDATE targets SET subscription_id = ? WHERE subscription_id = ?", (into, sub_id)
        )
        raw.execute(
            "INSERT INTO subscription_authors (subscription_id, user_key) "
            "SELECT ?, user_key FROM subscription_authors WHERE subscription_id = ? "
            "ON CONFLICT DO NOTHING",
            (into, sub_id),
        )
        raw.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))
