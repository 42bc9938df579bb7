"""The SQLite store: the port's unit of work over one connection.

A unit of work (:meth:`SqliteStore.transaction`) holds the connection's lock from
``BEGIN IMMEDIATE`` to ``COMMIT``; its repositories run their statements right there, on
the event loop's thread, as plain synchronous calls inside ``async def`` methods that never
suspend: awaiting one costs well under a microsecond, a trip to aiosqlite's thread about
70 µs (``docs/bench-intake.md``). ``BEGIN`` never blocks the loop: the busy timeout is 0
and a write lock held by another program is retried after asyncio sleeps. Migrations and
WAL checkpoints run on aiosqlite's thread (:class:`~bot.storage.sqlite.db.Database`).

A read (:meth:`SqliteStore.read`) holds the lock without ``BEGIN``: each statement sees what
is committed when it runs. Both hand out the same repositories (one set per store, bound to
the connection), typed as reads only for ``read()``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

from bot.storage.sqlite.articles import ArticleCache, SqliteArticles, SqlitePosts
from bot.storage.sqlite.db import Database, Migration
from bot.storage.sqlite.faq import SqliteFaq
from bot.storage.sqlite.feeds import SqliteFeeds
from bot.storage.sqlite.leases import SqliteLeases
from bot.storage.sqlite.notify import SqliteNotifications
from bot.storage.sqlite.open_questions import OpenQuestionIndex
from bot.storage.sqlite.outbox import SqliteInbound, SqliteOutbox
from bot.storage.sqlite.questions import SqliteQuestions
from bot.storage.sqlite.subscriptions import SqliteSubscriptions
from bot.storage.sqlite.web import SqliteWeb


class SqliteUnit:
    """Every repository, bound to the store's connection (what a unit of work yields)."""

    __slots__ = (
        "_cache",
        "_raw",
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

    def __init__(self, db: Database, cache: ArticleCache, index: OpenQuestionIndex) -> None:
        raw = db.raw
        self._raw = raw
        self._cache = cache
        self.feeds = SqliteFeeds(raw)
        self.articles = SqliteArticles(raw, cache)
        self.posts = SqlitePosts(raw, cache)
        self.questions = SqliteQuestions(raw, index)
        self.outbox = SqliteOutbox(raw)
        self.inbound = SqliteInbound(raw)
        self.notifications = SqliteNotifications(raw)
        self.faq = SqliteFaq(raw)
        self.subscriptions = SqliteSubscriptions(raw)
        self.leases = SqliteLeases(raw)
        self.web = SqliteWeb(raw)

    def savepoint(self) -> _Savepoint:
        return _Savepoint(self._raw, self._cache)


class _Savepoint:
    """``SAVEPOINT`` .. ``RELEASE``; on an exception ``ROLLBACK TO`` first (it goes on)."""

    __slots__ = ("_cache", "_raw")

    def __init__(self, raw: sqlite3.Connection, cache: ArticleCache) -> None:
        self._raw = raw
        self._cache = cache

    async def __aenter__(self) -> None:
        self._raw.execute("SAVEPOINT part")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._raw.execute("ROLLBACK TO part")
            self._cache.clear()  # it may have cached what it undid
        self._raw.execute("RELEASE part")


class _Transaction:
    """``async with``: the lock, ``BEGIN IMMEDIATE``, then ``COMMIT`` or ``ROLLBACK``."""

    __slots__ = ("_store",)

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def __aenter__(self) -> SqliteUnit:
        db = self._store.db
        await db.lock.acquire()
        try:
            await db.begin()
        except BaseException:
            db.lock.release()
            raise
        return self._store.unit

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        store = self._store
        db = store.db
        try:
            if exc_type is None:
                try:
                    db.raw.execute("COMMIT")
                except BaseException:
                    db.raw.execute("ROLLBACK")
                    store.cache.clear()
                    raise
                db.committed()
            else:
                db.raw.execute("ROLLBACK")
                # The unit may have cached what it then undid.
                store.cache.clear()
        finally:
            db.lock.release()


class _Read:
    __slots__ = ("_store",)

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def __aenter__(self) -> SqliteUnit:
        await self._store.db.lock.acquire()
        return self._store.unit

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._store.db.lock.release()


class SqliteStore:
    """The bot's store in one SQLite file. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.cache = ArticleCache()
        self.open_questions = OpenQuestionIndex()
        self.unit = SqliteUnit(db, self.cache, self.open_questions)

    @classmethod
    async def open(cls, path: str | Path, migrations: list[Migration] | None = None) -> SqliteStore:
        """Open (creating if needed) the database at ``path``, its schema brought up to date."""
        return cls(await Database.open(path, migrations))

    @property
    def path(self) -> str:
        return self.db.path

    def transaction(self) -> _Transaction:
        return _Transaction(self)

    def read(self) -> _Read:
        return _Read(self)

    async def close(self) -> None:
        await self.db.close()
