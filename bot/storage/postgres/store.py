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
import contextlib
import logging
from types import TracebackType
from typing import Any

import asyncpg

from bot.storage.postgres.articles import PostgresArticles, PostgresPosts
from bot.storage.postgres.db import Database, Migration, Session, connection_lost, is_dead
from bot.storage.postgres.faq import PostgresFaq
from bot.storage.postgres.feeds import PostgresFeeds
from bot.storage.postgres.leases import PostgresLeases
from bot.storage.postgres.notify import PostgresNotifications
from bot.storage.postgres.outbox import PostgresInbound, PostgresOutbox
from bot.storage.postgres.questions import PostgresQuestions
from bot.storage.postgres.subscriptions import PostgresSubscriptions
from bot.storage.postgres.web import PostgresWeb
from bot.storage.types import StorageError

log = logging.getLogger(__name__)


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
        if exc_type is None:
            await self._tr.commit()
        elif not is_dead(self._session.conn):  # a dead one: the unit fails whole (_Unit)
            await self._tr.rollback()


class _Unit:
    """``async with``: the lock, a pooled connection, a transaction; then commit or roll back.

    When the server ends the connection (a restart, ``pg_terminate_backend``, a failover,
    a network cut), the unit fails with a :class:`StorageError` in plain words, chained to
    asyncpg's exception for the log; the server has rolled the transaction back with the
    backend, so no ROLLBACK is attempted on the dead connection (asyncpg would raise
    instead, masking the error that mattered). An exception of the body itself is never
    replaced by a failure of the ROLLBACK or of handing the connection back. The pool drops
    a closed connection, and the lock is released whatever happens, so the next unit runs on
    a fresh connection. A connection that died while idle in the pool is found at the next
    unit's BEGIN, before anything was done on it: that unit starts again on another one.
    """

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
            await self._begin()
        except BaseException:
            store.lock.release()
            raise
        store.session.bind(self._conn)
        return store.unit

    async def _begin(self) -> None:
        """A pooled connection with the unit's transaction begun on it; a connection found
        dead on the way is dropped and another taken (each pooled one at most once, then
        one the pool opens anew)."""
        pool = self._store.db.pool
        attempts = pool.get_max_size() + 1
        for attempt in range(1, attempts + 1):
            try:
                self._conn = await pool.acquire()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                raise StorageError(f"cannot reach database {self._store.path}: {exc}") from exc
            if self._readonly:
                self._tr = self._conn.transaction(isolation="repeatable_read", readonly=True)
            else:
                self._tr = self._conn.transaction()
            try:
                await self._tr.start()
                return
            except BaseException as exc:
                lost = connection_lost(exc, self._conn)
                await self._release()
                if not lost:
                    raise
                if attempt == attempts:
                    raise StorageError(
                        f"lost the connection to database {self._store.path} at BEGIN "
                        f"{attempts} times in a row ({_reason(exc)}); nothing was done"
                    ) from exc
                log.info(
                    "a pooled connection to %s was dead (%s); taking another", self._store.path, exc
                )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        store = self._store
        try:
            if exc is None:
                await self._commit()
            elif connection_lost(exc, self._conn):
                raise StorageError(
                    f"lost the connection to database {store.path} during a unit of work "
                    f"({_reason(exc)}); nothing of it was committed"
                ) from exc
            elif not is_dead(self._conn):  # a dead one was rolled back by the server
                await self._rollback_quietly()
        finally:
            store.session.unbind()
            try:
                await self._release()
            finally:
                store.lock.release()

    async def _commit(self) -> None:
        try:
            await self._tr.commit()
        except BaseException as exc:
            if connection_lost(exc, self._conn):
                raise StorageError(
                    f"lost the connection to database {self._store.path} at COMMIT "
                    f"({_reason(exc)}); nothing of the unit was committed, unless the COMMIT "
                    "had just reached the server"
                ) from exc
            if not is_dead(self._conn) and self._conn.is_in_transaction():
                await self._rollback_quietly()
            raise

    async def _rollback_quietly(self) -> None:
        """ROLLBACK after the body (or COMMIT) raised: a failure here is logged, never
        raised over the exception that is on its way out."""
        try:
            await self._tr.rollback()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning(
                "ROLLBACK on %s failed; the connection is dropped", self._store.path, exc_info=True
            )
            _terminate(self._conn)

    async def _release(self) -> None:
        """Hand the connection back; the pool drops it if it is closed or cannot be reset
        (an error then is logged: the unit's outcome is already decided)."""
        conn, self._conn = self._conn, None
        try:
            await self._store.db.pool.release(conn)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning(
                "returning a connection to the pool of %s failed; it was dropped",
                self._store.path,
                exc_info=True,
            )


def _reason(exc: BaseException) -> str:
    """Why the connection was lost, in words: asyncpg's InterfaceError here only says that
    it had closed the connection already, which is the server's doing."""
    if isinstance(exc, asyncpg.InterfaceError):
        return "the server closed it"
    return str(exc) or type(exc).__name__


def _terminate(conn: Any) -> None:
    with contextlib.suppress(asyncpg.InterfaceError):  # already handed back by asyncpg
        conn.terminate()


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
