"""One aiosqlite connection, explicit transactions behind a lock, numbered migrations.

Transactions on a shared aiosqlite connection interleave unless serialised
(omnilib/aiosqlite#19), so every write goes through :meth:`Database.transaction`, which
holds an asyncio lock from ``BEGIN`` to ``COMMIT``. Reads outside a transaction see the
last committed state: they take the same lock, because on a single connection a read
issued while another task's transaction is open would see its uncommitted rows.

The schema version is SQLite's own ``PRAGMA user_version``; migration files are named
``NNNN_reason.sql`` and each is applied in one transaction together with the version bump.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """The database cannot be used (unreadable file, newer schema than this code)."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/storage/migrations``, in version order."""
    found: list[Migration] = []
    for entry in resources.files("bot.storage").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda mig: mig.version)
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise StorageError(f"migration {mig.name} is out of sequence (expected {expected:04d})")
    return found


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=64)
def iso(moment: datetime) -> str:
    """An aware datetime as the ISO-8601 UTC text stored in every *_at column.

    Cached: one transaction stamps a dozen columns with the same moment."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Database:
    """The bot's SQLite database. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: str | Path, migrations: Iterable[Migration] | None = None
    ) -> Database:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = await aiosqlite.connect(target, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {target}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, target)
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            await db._migrate(list(migrations) if migrations is not None else bundled_migrations())
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(f"cannot use database {target}: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self, migrations: list[Migration]) -> None:
        current = await self.schema_version()
        latest = migrations[-1].version if migrations else 0
        if current > latest:
            raise StorageError(
                f"database {self.path} has schema version {current}, newer than this bot "
                f"knows ({latest}); upgrade the bot or use another database file"
            )
        for mig in migrations:
            if mig.version <= current:
                continue
            log.info("applying migration %s to %s", mig.name, self.path)
            async with self._lock:
                # executescript commits first; wrap the script and the bump in one BEGIN.
                try:
                    await self._conn.executescript(
                        f"BEGIN;\n{mig.sql}\nPRAGMA user_version = {mig.version:d};\nCOMMIT;"
                    )
                except sqlite3.Error as exc:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise StorageError(f"migration {mig.name} failed: {exc}") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` .. ``COMMIT`` (``ROLLBACK`` on error), one at a time."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` as one transaction in a single trip to the database thread.

        For hot paths: ``fn`` is plain synchronous code over the sqlite3 connection, so the
        whole transaction costs one thread hop instead of one per statement. aiosqlite has
        no public call for this; ``Connection._execute`` (queue a callable on its thread)
        is the one private use, kept here and covered by tests/storage/test_db.py.
        """

        def in_transaction() -> T:
            raw = self._conn._conn  # the sqlite3 connection, on its own thread
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = fn(raw)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
            return result

        async with self._lock:
            result: T = await self._conn._execute(in_transaction)  # type: ignore[no-untyped-call]
            return result

    @staticmethod
    async def on_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
        """Run synchronous ``fn(raw_connection, *args)`` inside an open :meth:`transaction`."""
        result: T = await conn._execute(lambda: fn(conn._conn, *args))  # type: ignore[no-untyped-call]
        return result

    async def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        """One row of a read outside any transaction (never call inside one: use its conn)."""
        async with self._lock, self._conn.execute(sql, params) as cur:
            row: sqlite3.Row | None = await cur.fetchone()
            return row

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """All rows of a read outside any transaction (never call inside one: use its conn)."""
        async with self._lock:
            rows = await self._conn.execute_fetchall(sql, params)
        return list(rows)

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One write statement in its own transaction; returns the rows changed."""
        async with self.transaction() as conn, conn.execute(sql, params) as cur:
            return cur.rowcount
