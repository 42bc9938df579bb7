"""Acting on one inbound message: claim it, change what it changes, queue the replies.

Every handler ends in :meth:`Replies.act`: one unit of work (``store.transaction()``)
that records the message as handled (so a second delivery of it does nothing), applies the
handler's writes and queues its outgoing messages in the outbox. Reply keys derive from the
inbound message's id, so they too are stable across retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from bot.app import texts
from bot.app.delivery import Delivery
from bot.core.models import Action, IncomingMessage, Rendered
from bot.storage.port import Store, Tx
from bot.storage.types import OutboxItem

T = TypeVar("T")

log = logging.getLogger(__name__)


def reply_key(msg: IncomingMessage, purpose: str) -> str:
    """The outbox key of ``msg``'s reply for ``purpose`` (one per purpose per message)."""
    w = msg.where
    return f"in:{w.platform}:{w.channel}:{w.message}:{purpose}"


def reply_to(msg: IncomingMessage, text: str, purpose: str = "response") -> OutboxItem:
    """A reply to ``msg`` where it was said."""
    return OutboxItem(
        key=reply_key(msg, purpose),
        op="reply",
        where=msg.where,
        message=Rendered(text),
        purpose=purpose,
    )


def with_actions(item: OutboxItem, actions: tuple[Action, ...]) -> OutboxItem:
    """``item`` offering ``actions`` (buttons, where the platform has them)."""
    return replace(item, message=replace(item.message, actions=actions))


class Transaction:
    """What a handler's write function gets: the unit of work's repositories (it is a
    :class:`~bot.storage.port.Tx`), the time, the message, and a way to queue replies."""

    __slots__ = (
        "_tx",
        "articles",
        "faq",
        "feeds",
        "inbound",
        "leases",
        "msg",
        "notifications",
        "now",
        "outbox",
        "posts",
        "questions",
        "subscriptions",
        "web",
    )

    def __init__(self, tx: Tx, now: datetime, msg: IncomingMessage) -> None:
        self._tx = tx
        self.feeds = tx.feeds
        self.articles = tx.articles
        self.posts = tx.posts
        self.questions = tx.questions
        self.outbox = tx.outbox
        self.inbound = tx.inbound
        self.notifications = tx.notifications
        self.faq = tx.faq
        self.subscriptions = tx.subscriptions
        self.leases = tx.leases
        self.web = tx.web
        self.now = now
        self.msg = msg

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._tx.savepoint()

    async def queue(self, item: OutboxItem) -> None:
        await self.outbox.add(item, self.now)

    async def respond(self, text: str, purpose: str = "response") -> None:
        await self.outbox.add(reply_to(self.msg, text, purpose), self.now)


class Replies:
    def __init__(self, store: Store, delivery: Delivery, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock

    async def act(
        self, msg: IncomingMessage, write: Callable[[Transaction], Awaitable[T]]
    ) -> tuple[bool, T | None]:
        """Claim ``msg`` and run ``write`` in one unit of work; ``(False, None)`` if it had
        been handled before. Wakes the outbox worker afterwards."""
        now = self.clock()
        claimed = None
        async with self.store.transaction() as tx:
            if not await tx.inbound.take(msg.where, now):
                result: tuple[bool, T | None] = (False, None)
            else:
                result = (True, await write(Transaction(tx, now, msg)))
                # The replies just queued, claimed for this process's delivery in this unit.
                claimed = await self.delivery.claim_in(tx)
        self.delivery.offer(claimed)
        self.delivery.kick()
        return result

    async def say(self, msg: IncomingMessage, text: str) -> None:
        """Only reply (no other change)."""
        await self.act(msg, lambda tx: tx.respond(text))

    async def failed(self, msg: IncomingMessage, exc: Exception) -> None:
        """Claim ``msg`` as failed (a replay of it does nothing) and tell its sender, once;
        nothing if it had been claimed already (the failure came after its commit)."""
        now = self.clock()
        error = f"{type(exc).__name__}: {exc}"

        try:
            async with self.store.transaction() as tx:
                if await tx.inbound.take_failed(msg.where, now, error):
                    await tx.outbox.add(reply_to(msg, texts.WENT_WRONG), now)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database itself is failing: the log is all that is left
            log.exception("could not record the failure of message %s", msg.where.message)
            return
        self.delivery.kick()
