"""The PostgreSQL store: the port's unit of work on a pooled asyncpg connection.

Units of work on one store are serialised, as the port promises: an asyncio lock is held
from ``BEGIN`` to ``COMMIT`` (and around each :meth:`PostgresStore.read`), so within one
process no unit runs while another is open, exactly as on SQLite, and a read falls between
units, never inside one. A weaker in-process rule (units in parallel on several pooled
connections) would need every read-then-write in every repository to be safe under READ
COMMITTED against a concurrent unit of the same process; the lock keeps the promise without
that proof, and its cost is small next to a round trip (units hold nothing slow, by the
port's rule). Throughput past one unit at a time comes from more processes, which is what
issue 13 is for.

Across processes the lock does nothing: there correctness comes from SQL, as it must on a
shared server. Single statements carry it wherever they can (``INSERT .. ON CONFLICT``,
``UPDATE .. WHERE`` with the condition in it, ``FOR UPDATE SKIP LOCKED`` for the outbox
claim); where a repository must read, decide, then write, it takes a row lock
(``SELECT .. FOR UPDATE``) or a transaction-scoped advisory lock on the key it decides
about (``pg_advisory_xact_lock``), released by the commit. Transactions are READ COMMITTED
(PostgreSQL's default): the repositories are written for it, and a serialisation failure
never has to be retried.

A read is a ``READ ONLY REPEATABLE READ`` transaction: its statements see one snapshot
(the port: "reads seen together"). :meth:`savepoint` is an asyncpg nested transaction
(``SAVEPOINT`` .. ``RELEASE``, ``ROLLBACK TO`` on an exception, which goes on).

Nothing is cached in the process (see :mod:`bot.storage.postgres.articles`): another
process may change any row. Part B's repositories (questions, outbox, inbound,
notifications, FAQ, leases, web) are built the same way: ``Cls(session)``.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from bot.storage.postgres.articles import PostgresArticles, PostgresPosts
from bot.storage.postgres.db import Database, Migration, Session
from bot.storage.postgres.faq import PostgresFaq
from bot.storage.postgres.feeds import PostgresFeeds
from bot.storage.postgres.leases import PostgresLeases
from bot.storage.postgres.notify import PostgresNotifications
from bot.storage.postgres.outbox import PostgresInbound, PostgresOutbox
from bot.storage.postgres.questions import PostgresQuestions
from bot.storage.postgres.subscriptions import PostgresSubscriptions
from bot.storage.postgres.web import PostgresWeb


class PostgresUnit:
    """Every repository, bound to the store's session (what a unit of work yields)."""

    __slots__ = (
        "_session",
        "articles",
        "faq",
        "feeds",
        "inbound",
        "leases",
        "notifications",
        "outbox",
        "posts",
        "questions",
        "subscriptions",
        "web",
    )

    def __init__(self, session: Session) -> None:
        self._session = session
        self.feeds = PostgresFeeds(session)
        self.articles = PostgresArticles(session)
        self.posts = PostgresPosts(session)
        self.questions = PostgresQuestions(session)
        self.outbox = PostgresOutbox(session)
        self.inbound = PostgresInbound(session)
        self.notifications = PostgresNotifications(session)
        self.faq = PostgresFaq(session)
        self.subscriptions = PostgresSubscriptions(session)
        self.leases = PostgresLeases(session)
        self.web = PostgresWeb(session)

    def savepoint(self) -> _Savepoint:
        return _Savepoint(self._session)


class _Savepoint:
    """A nested asyncpg transaction: ``SAVEPOINT`` .. ``RELEASE`` or ``ROLLBACK TO``."""

    __slots__ = ("_session", "_tr")

    def __init__(self, session: Session) -> None:
        self._session = session
        self._tr: Any = None

    async def __aenter__(self) -> None:
        self._tr = self._session.conn.transaction()
        await self._tr.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            await self._tr.rollback()
        else:
            await self._tr.commit()


class _Unit:
    """``async with``: the lock, a pooled connection, a transaction; then commit or roll back."""

    __slots__ = ("_conn", "_readonly", "_store", "_tr")

    def __init__(self, store: PostgresStore, *, readonly: bool) -> None:
        self._store = store
        self._readonly = readonly
        self._conn: Any = None
        self._tr: Any = None

    async def __aenter__(self) -> PostgresUnit:
        store = self._store
        await store.lock.acquire()
        try:
            self._conn = await store.db.pool.acquire()
            try:
                if self._readonly:
                    self._tr = self._conn.transaction(isolation="repeatable_read", readonly=True)
                else:
                    self._tr = self._conn.transaction()
                await self._tr.start()
            except BaseException:
                await store.db.pool.release(self._conn)
                raise
        except BaseException:
            store.lock.release()
            raise
        store.session.bind(self._conn)
        return store.unit

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        store = self._store
        try:
            if exc_type is None:
                try:
                    await self._tr.commit()
                except BaseException:
                    if not self._conn.is_closed() and self._conn.is_in_transaction():
                        await self._tr.rollback()
                    raise
            else:
                await self._tr.rollback()
        finally:
            store.session.unbind()
            try:
                await store.db.pool.release(self._conn)
            finally:
                store.lock.release()


class PostgresStore:
    """The bot's store in one PostgreSQL database. Open with :meth:`open`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.lock = asyncio.Lock()
        self.session = Session()
        self.unit = PostgresUnit(self.session)

    @classmethod
    async def open(
        cls, dsn: str, migrations: list[Migration] | None = None, *, pool_size: int = 4
    ) -> PostgresStore:
        """Connect to the database at ``dsn`` (``postgresql://user:pass@host/db``), its schema
        brought up to date."""
        return cls(await Database.open(dsn, migrations, max_size=pool_size))

    @property
    def path(self) -> str:
        """Where the store is, password left out (what SQLite's store calls its path)."""
        return self.db.where

    def transaction(self) -> _Unit:
        return _Unit(self, readonly=False)

    def read(self) -> _Unit:
        return _Unit(self, readonly=True)

    async def close(self) -> None:
        await self.db.close()
