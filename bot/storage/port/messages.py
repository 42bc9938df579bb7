"""The port's outbox and inbound claims (with adapters' resumable state)."""

from __future__ import annotations

from datetime import datetime
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
