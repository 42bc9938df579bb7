"""Acting on one inbound message: claim it, change what it changes, queue the replies.

Every handler ends in :meth:`Replies.act`: one transaction (`Database.run`),
that records the message as handled (so a second delivery of it does nothing), applies the
handler's writes and queues its outgoing messages in the outbox. Reply keys derive from the
inbound message's id, so they too are stable across retries.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from bot.app import texts
from bot.app.delivery import Delivery
from bot.core.models import Action, IncomingMessage, Rendered
from bot.storage.db import Database
from bot.storage.outbox import InboundRepository, OutboxItem, OutboxRepository

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
    """What a handler's write function gets: the raw connection, the time, a way to queue."""

    def __init__(self, raw: sqlite3.Connection, now: datetime, msg: IncomingMessage) -> None:
        self.raw = raw
        self.now = now
        self.msg = msg

    def queue(self, item: OutboxItem) -> None:
        OutboxRepository.add(self.raw, item, self.now)

    def respond(self, text: str, purpose: str = "response") -> None:
        self.queue(reply_to(self.msg, text, purpose))


class Replies:
    def __init__(self, db: Database, delivery: Delivery, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.delivery = delivery
        self.clock = clock

    async def act(
        self, msg: IncomingMessage, write: Callable[[Transaction], T]
    ) -> tuple[bool, T | None]:
        """Claim ``msg`` and run ``write`` in one transaction; ``(False, None)`` if it had
        been handled before. Wakes the outbox worker afterwards."""
        now = self.clock()

        def run(raw: sqlite3.Connection) -> tuple[bool, T | None]:
            if not InboundRepository.take(raw, msg.where, now):
                return False, None
            return True, write(Transaction(raw, now, msg))

        result = await self.db.run(run)
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

        def record(raw: sqlite3.Connection) -> None:
            if InboundRepository.take_failed(raw, msg.where, now, error):
                OutboxRepository.add(raw, reply_to(msg, texts.WENT_WRONG), now)

        try:
            await self.db.run(record)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database itself is failing: the log is all that is left
            log.exception("could not record the failure of message %s", msg.where.message)
            return
        self.delivery.kick()
