"""The port's outbox and inbound claims (with adapters' resumable state)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.models import (
    ArticleId,
    ChatRef,
)
from bot.storage.types import (
    OutboxItem,
    OutboxRow,
    OutboxState,
)

# outbox, inbound ---------------------------------------------------------------------------


class OutboxReads(Protocol):
    async def pending(self, limit: int = 500) -> list[OutboxRow]:
        """Undelivered rows in the order they were queued, due or not, with their actions."""

    async def next_due_at(self) -> datetime | None: ...
    async def oldest_pending_at(self, platform: str) -> datetime | None:
        """When the oldest row not yet delivered on ``platform`` was queued (None: none)."""

    async def counts(self) -> dict[str, int]: ...
    async def delivered_on(self, platform: str) -> int:
        """How many messages were delivered on ``platform``, ever."""

    async def delivered(
        self, question_ids: list[int], *, purpose: str, op: str, kind: str | None = None
    ) -> list[tuple[int, ChatRef]]:
        """Where the delivered messages about these questions landed, oldest first.

        ``kind`` narrows them to one kind of message by its key, ``q:<id>:<kind>:…`` (keys
        are fixed when a row is queued, so this holds for rows of every version): an answer
        notice (``answered``) is then told from a merge, dismissal or reopening notice."""

    async def result_of(self, key: str) -> ChatRef | None:
        """Where the message with this key landed, once delivered."""

    async def of_article(self, article_id: ArticleId) -> list[OutboxState]:
        """The summary and thread messages planned for an article, wherever they go."""


class Outbox(OutboxReads, Protocol):
    async def add(self, item: OutboxItem, now: datetime) -> bool:
        """Queue ``item``; False if its key was queued before."""

    async def mark_done(self, row_id: int, ref: ChatRef | None, now: datetime) -> None: ...
    async def mark_retry(self, row_id: int, error: str, next_at: datetime) -> None: ...
    async def mark_failed(self, row_id: int, error: str) -> None: ...

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        platforms: Collection[str] | None = None,
        limit: int = 100,
    ) -> list[OutboxRow]:
        """Due rows for ``worker`` to send, claimed until ``now + lease``, oldest first;
        only rows for ``platforms`` (None: any), the ones this process runs.

        A row is handed out only if it is pending, due, not claimed by another worker whose
        claim is still running, and the oldest undelivered row of its channel (platform,
        channel): messages of one channel go out in order, one at a time, whoever sends them.
        A worker that dies leaves its rows to whoever claims after the lease runs out; the
        row (and its key) is unchanged. ``mark_done``/``mark_retry``/``mark_failed`` end the
        claim."""

    async def release_claims(self, worker: str) -> int:
        """End every claim ``worker`` holds on a row not yet delivered (a process stopping:
        whoever claims next, a restart of this bot included, may send them at once instead
        of after the lease); returns how many."""


class InboundReads(Protocol):
    async def get_state(self, platform: str, name: str) -> str | None: ...
    async def failed(self) -> list[tuple[ChatRef, str]]:
        """Every message claimed as failed, with its error, oldest first."""


class Inbound(InboundReads, Protocol):
    async def take(self, where: ChatRef, now: datetime) -> bool:
        """Record ``where.message`` as handled; False if it had been handled before."""

    async def take_failed(self, where: ChatRef, now: datetime, error: str) -> bool:
        """Record ``where.message`` as failed (not retried); False if it had been claimed."""

    async def set_state(self, platform: str, name: str, value: str) -> None: ...
    async def forget_state_before(self, platform: str, prefix: str, before: float) -> int:
        """Delete ``platform``'s state rows whose name starts with ``prefix`` and whose
        value, a time in seconds since the epoch, is before ``before``; how many. Rows under
        the prefix whose value is not a number are kept."""


# leases ------------------------------------------------------------------------------------


class LeaseReads(Protocol):
    async def holder(self, name: str, now: datetime) -> str | None:
        """Who holds the lease ``name`` at ``now`` (None: nobody, or it ran out)."""


class Leases(LeaseReads, Protocol):
    """Named leases shared by every process on the database: at most one holder at a time."""

    async def acquire(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """Take ``name`` for ``holder`` until ``until`` if it is free, ran out by ``now``, or
        is already ``holder``'s (then it is extended); False if another holds it."""

    async def renew(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """Extend ``holder``'s lease on ``name``; False if it is not (or no longer) theirs."""

    async def release(self, name: str, holder: str) -> None:
        """Give ``name`` up if ``holder`` holds it (nothing otherwise)."""

    async def release_all(self, holder: str) -> int:
        """Give up every lease ``holder`` holds (a clean shutdown); how many there were."""
