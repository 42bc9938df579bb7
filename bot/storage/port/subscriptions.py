"""The port's subscriptions: what one community sees of a shared feed (migration 0008)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from bot.core.models import ChatRef, FeedId, Platform
from bot.storage.types import FilterRow, SubEntry, Subscription


class SubscriptionReads(Protocol):
    async def get(self, sub_id: int) -> Subscription | None: ...
    async def of_feed(self, feed_id: FeedId) -> list[Subscription]: ...
    async def in_community(self, feed_id: FeedId, community: str) -> Subscription | None: ...
    async def feeds_of_community(self, community: str) -> list[FeedId]: ...
    async def of_target(self, feed_id: FeedId, where: ChatRef) -> Subscription | None:
        """The subscription whose target is the feed's at ``where``."""

    async def authors(self, sub_id: int) -> list[str]: ...
    async def unplaced(self) -> list[tuple[int, FeedId, Platform, str]]:
        """Subscriptions whose community is not known yet, with one of their channels."""

    async def filters(self, sub_id: int) -> list[FilterRow]:
        """The subscription's filters, oldest first (migration 0011)."""

    async def filters_of_feed(self, feed_id: FeedId) -> dict[int, list[FilterRow]]:
        """Every subscription of the feed that has filters, with them."""

    async def all_filters(self) -> dict[FeedId, dict[int, list[FilterRow]]]:
        """Every subscription's filters, by feed then subscription (one read a poll cycle)."""

    async def capped(self) -> list[Subscription]:
        """The subscriptions with a daily cap."""

    async def held(self, sub_id: int, keys: Iterable[str]) -> dict[str, SubEntry]:
        """Of the entry ``keys``, those the subscription did not post (excluded, waiting)."""

    async def posted_since(self, sub_id: int, since: datetime) -> int:
        """How many entries were posted to the (capped) subscription since ``since``."""

    async def waiting(self) -> list[SubEntry]:
        """Every entry waiting for a later day, oldest first."""


class Subscriptions(SubscriptionReads, Protocol):
    async def ensure(
        self,
        feed_id: FeedId,
        community: str,
        *,
        added_by: str | None,
        backfill: int,
        now: datetime,
    ) -> int:
        """The feed's subscription in ``community``, created if new."""

    async def ensure_offline(
        self, feed_id: FeedId, where: ChatRef, *, added_by: str, backfill: int, now: datetime
    ) -> int:
        """A subscription for a target named with no platform connected (the command line):
        a Matrix room or console channel is its own community; a Discord channel's server is
        unknown until the bot runs (community None, placed then)."""

    async def add_authors(self, sub_id: int, user_keys: Iterable[str]) -> list[str]:
        """More people who answer the subscription's readers; returns those who are new."""

    async def set_authors(self, sub_id: int, user_keys: list[str]) -> None:
        """Exactly these authors (the config file's list for its subscription)."""

    async def set_paused(self, sub_id: int, reason: str | None) -> bool:
        """Pause (a reason) or resume (None); False if it already was so."""

    async def add_filter(self, sub_id: int, row: FilterRow) -> bool:
        """False when the subscription had that filter already."""

    async def clear_filters(self, sub_id: int) -> int:
        """Remove them all; how many there were."""

    async def replace_filters(self, sub_id: int, rows: Iterable[FilterRow]) -> None:
        """Exactly these filters (the config file's list for its subscription)."""

    async def record_entries(self, entries: Iterable[SubEntry], now: datetime) -> None:
        """What became of entries in subscriptions (replacing what was recorded before)."""

    async def set_max_per_day(self, sub_id: int, cap: int | None) -> None: ...

    async def set_template(self, sub_id: int, template: str | None) -> None:
        """The summary template (JSON of bot.core.template.Template), None for the default
        (migration 0013)."""

    async def delete(self, sub_id: int) -> None: ...
    async def place(self, sub_id: int, community: str) -> None:
        """Record a carried-over subscription's community, merging it into the feed's
        subscription there if one exists (its targets and authors move over)."""
