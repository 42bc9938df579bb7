"""The storage port: what the use cases need from a database, in the core's value types.

A use case opens one unit of work and reaches every aggregate through it::

    async with store.transaction() as tx:
        if await tx.inbound.take(msg.where, now):
            qid = await tx.questions.add(new, now)
            await tx.outbox.add(ack, now)

Everything inside commits together or not at all (an exception rolls it back), and no other
unit of work on the same store runs in between. ``store.read()`` is the same without
writes: a few reads seen together. Neither may be held across anything slow (a platform
call, a fetch): other units of work wait for it.

One repository per aggregate, each owning its reads, its writes and any cache it keeps:
feeds (and their fetch state, seen entries, holds, authors), articles (and points), posts
(and targets), questions (with votes, followers, audit and the open-question index), outbox,
inbound claims (and adapters' resumable state), notifications (authors' choices), FAQ,
leases (which process does what when several share the database), web (the desk's
sign-in links and sessions).
Each is split into its reads (``...Reads``, all that ``read()`` offers) and the writes a
transaction adds, so a write outside a transaction fails type checking.

Implementations: :mod:`bot.storage.sqlite`. The contract they all meet is
``tests/storage/contract/``.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from bot.storage.port.content import (
    ArticleReads,
    Articles,
    FeedReads,
    Feeds,
    PostReads,
    Posts,
)
from bot.storage.port.messages import (
    Inbound,
    InboundReads,
    LeaseReads,
    Leases,
    Outbox,
    OutboxReads,
)
from bot.storage.port.questions import (
    FaqReads,
    FaqStore,
    NotificationReads,
    Notifications,
    QuestionReads,
    Questions,
)
from bot.storage.port.subscriptions import SubscriptionReads, Subscriptions
from bot.storage.port.web import Web, WebReads

__all__ = [
    "ArticleReads",
    "Articles",
    "FaqReads",
    "FaqStore",
    "FeedReads",
    "Feeds",
    "Inbound",
    "InboundReads",
    "LeaseReads",
    "Leases",
    "NotificationReads",
    "Notifications",
    "Outbox",
    "OutboxReads",
    "PostReads",
    "Posts",
    "QuestionReads",
    "Questions",
    "Reads",
    "Store",
    "SubscriptionReads",
    "Subscriptions",
    "Tx",
    "Web",
    "WebReads",
    "backup_database",
    "log_statements",
    "open_store",
]

# the unit of work --------------------------------------------------------------------------


class Reads(Protocol):
    """What :meth:`Store.read` yields: every aggregate's reads."""

    @property
    def feeds(self) -> FeedReads: ...
    @property
    def articles(self) -> ArticleReads: ...
    @property
    def posts(self) -> PostReads: ...
    @property
    def questions(self) -> QuestionReads: ...
    @property
    def outbox(self) -> OutboxReads: ...
    @property
    def inbound(self) -> InboundReads: ...
    @property
    def notifications(self) -> NotificationReads: ...
    @property
    def faq(self) -> FaqReads: ...
    @property
    def subscriptions(self) -> SubscriptionReads: ...
    @property
    def leases(self) -> LeaseReads: ...
    @property
    def web(self) -> WebReads: ...


class Tx(Protocol):
    """What :meth:`Store.transaction` yields: every aggregate, reads and writes."""

    @property
    def feeds(self) -> Feeds: ...
    @property
    def articles(self) -> Articles: ...
    @property
    def posts(self) -> Posts: ...
    @property
    def questions(self) -> Questions: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def inbound(self) -> Inbound: ...
    @property
    def notifications(self) -> Notifications: ...
    @property
    def faq(self) -> FaqStore: ...
    @property
    def subscriptions(self) -> Subscriptions: ...
    @property
    def leases(self) -> Leases: ...
    @property
    def web(self) -> Web: ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A part of the unit of work that an exception undoes alone (the exception goes
        on); the rest of the unit stays, and commits or rolls back as a whole."""


class Store(Protocol):
    """A database the bot keeps everything in."""

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """One unit of work: committed on a clean exit, rolled back on an exception."""

    def read(self) -> AbstractAsyncContextManager[Reads]:
        """Reads seen together, without writes."""

    async def close(self) -> None: ...


def log_statements(on: bool) -> None:
    """Whether the database driver's DEBUG log shows every statement with its values
    (message texts, sync tokens); off unless ``on``."""
    from bot.storage.sqlite.db import driver_logging

    driver_logging(on)


def backup_database(source: Path, dest: Path) -> int:
    """A consistent copy of the database at ``source`` (the bot may be running) at ``dest``;
    its size in bytes. Raises :class:`~bot.storage.types.BackupError` in plain words."""
    from bot.storage.sqlite.backup import backup_file

    return backup_file(source, dest)


async def open_store(path: str | Path) -> Store:
    """The store at ``path`` (a SQLite file: the one implementation so far)."""
    from bot.storage.sqlite.store import SqliteStore

    return await SqliteStore.open(path)
