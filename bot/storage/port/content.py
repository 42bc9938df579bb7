"""The port's feeds, articles (with points) and posts (with targets)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from bot.core.models import (
    Article,
    ArticleId,
    ChatRef,
    FeedId,
)
from bot.storage.types import (
    EntryRecord,
    FeedRow,
    FetchOk,
    SeenEntry,
    StoredArticle,
    Target,
    ThreadPost,
)

# feeds -------------------------------------------------------------------------------------


class FeedReads(Protocol):
    async def get(self, feed_id: int) -> FeedRow | None: ...
    async def by_url(self, url: str) -> FeedRow | None: ...
    async def all(self) -> list[FeedRow]: ...
    async def due(self, now: datetime) -> list[FeedRow]:
        """Unpaused HTTP feeds whose next poll is now or past, the most overdue first."""

    async def next_due_at(self, now: datetime) -> datetime | None:
        """When the next unpaused HTTP feed falls due (``now`` if one never was polled)."""

    async def seen(self, feed_id: FeedId) -> dict[str, SeenEntry]: ...
    async def recent(self, feed_id: FeedId, limit: int = 5) -> list[SeenEntry]:
        """The entries seen most recently, newest first (by date, then when first seen)."""

    async def open_hold(self, feed_id: FeedId) -> tuple[int, int, datetime] | None:
        """The open held batch: ``(hold id, entries held, since)``."""


class Feeds(FeedReads, Protocol):
    async def ensure(self, url: str, *, title: str, source: str, now: datetime) -> FeedId:
        """The feed with this URL, created if new."""

    async def record_ok(self, feed_id: FeedId, ok: FetchOk, now: datetime) -> None: ...
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

    async def pause(self, feed_id: FeedId, reason: str) -> int | None:
        """Pause an unpaused feed; returns its pause number (None: it was paused already)."""

    async def resume(self, feed_id: FeedId, now: datetime) -> bool: ...
    async def move(self, feed_id: FeedId, url: str) -> bool:
        """The feed is the same one at ``url`` (the config says so): its validators and
        failures are cleared and it is polled at once; False if another feed has ``url``."""

    async def pause_for(self, feed_id: FeedId, reason: str) -> None:
        """Pause the feed with ``reason``, paused or not (its pause number counts a new
        pause only)."""

    async def resume_paused_for(self, feed_id: FeedId, reason: str) -> bool:
        """Unpause the feed if it is paused with exactly ``reason``; polled at once."""

    async def set_url(self, feed_id: FeedId, url: str) -> bool:
        """Move the feed to ``url`` (a permanent redirect); False if another feed has it."""

    async def configure(
        self,
        feed_id: FeedId,
        *,
        interval_s: int | None,
        full_article: str | None,
        backfill: int | None = None,
        added_by: str | None = None,
    ) -> None: ...
    async def mark_primed(self, feed_id: FeedId, now: datetime) -> None: ...
    async def save_entries(
        self, feed_id: FeedId, records: Iterable[EntryRecord], now: datetime
    ) -> None: ...
    async def touch_entry(
        self, feed_id: FeedId, key: str, content_hash: str, now: datetime
    ) -> None: ...
    async def create_hold(
        self, feed_id: FeedId, new_entries: int, total: int, now: datetime
    ) -> int: ...
    async def release_holds(self, feed_id: FeedId, by: str, now: datetime) -> int: ...
    async def set_site_link(self, feed_id: FeedId, link: str) -> None: ...
    async def delete(self, feed_id: FeedId) -> bool: ...


# articles and points -----------------------------------------------------------------------


class ArticleReads(Protocol):
    async def get(self, article_id: ArticleId) -> StoredArticle | None: ...
    async def content_hash(self, article_id: ArticleId) -> str | None: ...
    async def ids(self) -> list[int]: ...


class Articles(ArticleReads, Protocol):
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
        """Store an article and its points; ``(id, created)``. An entry is stored once."""

    async def update(self, article_id: ArticleId, article: Article, content_hash: str) -> None:
        """The stored article follows its entry's edit (its points keep their numbers)."""


# posts and targets -------------------------------------------------------------------------


class PostReads(Protocol):
    async def targets_of(self, feed_id: FeedId, *, active: bool = False) -> list[Target]:
        """The feed's targets (``active``: only those of unpaused subscriptions)."""

    async def subscription_targets(self, subscription_id: int) -> list[Target]: ...
    async def authors_where(self, article_id: ArticleId, where: ChatRef) -> set[str]:
        """Who answers questions on the article asked in ``where``: the authors of the
        subscription that posts it there."""

    async def is_any_author(self, user_key: str) -> bool:
        """Whether ``user_key`` authors any subscription."""

    async def thread_at(self, where: ChatRef) -> ThreadPost | None:
        """The point thread ``where`` is in, if it is one of ours."""

    async def latest_article_in(self, where: ChatRef) -> ArticleId | None:
        """The article most recently posted in this channel or room."""

    async def point_threads(self, article_id: ArticleId, point: int | None) -> list[ChatRef]:
        """The threads of one point of an article, in every channel and room it went to."""

    async def threads_of(self, article_id: ArticleId, where: ChatRef) -> dict[int, ChatRef]:
        """Point number -> thread ref, for the article's threads in this channel."""

    async def summary_posts(self, article_id: ArticleId) -> list[ChatRef]: ...


class Posts(PostReads, Protocol):
    async def ensure_target(self, feed_id: FeedId, where: ChatRef, subscription_id: int) -> Target:
        """The feed's target at ``where``, created in ``subscription_id`` if new (a target
        that exists keeps the subscription it has)."""

    async def set_announce(self, target_id: int, announce: str | None) -> None:
        """Who the target's new-article summaries mention: 'role:<id>', 'here', 'room', or
        None for nobody (migration 0013)."""

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
        """A summary or thread the platform confirmed."""
