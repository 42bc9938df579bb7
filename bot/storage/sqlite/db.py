"""One SQLite connection, explicit transactions behind a lock, numbered migrations.

Transactions on a shared connection interleave unless serialised (omnilib/aiosqlite#19), so
every use of it holds an asyncio lock: a transaction from ``BEGIN`` to ``COMMIT``, a read for
its statement (on a single connection a read issued while another task's transaction is
open would see its uncommitted rows).

Where the statements run. A trip to aiosqlite's thread costs about 70 µs on this machine,
more than the small indexed statements of the bot's units of work take; those run on the
event loop's thread (the store's transactions and reads over :attr:`Database.raw`, and
:meth:`Database.fetchone`, :meth:`Database.fetchall`), in microseconds, under the same lock.
Nothing there may wait: the connection's busy timeout is 0, and a ``BEGIN`` that finds
another program holding the database's write lock is retried after an asyncio sleep (up to
``BUSY_WAIT`` seconds) instead of blocking the loop (:meth:`Database.begin`). Work that may
take long (migrations, :meth:`Database.execute` for tools and tests) runs on aiosqlite's
thread.

Checkpoints. The WAL is checkpointed every ``CHECKPOINT_EVERY`` commits instead of inside a
commit (``wal_autocheckpoint`` is 0), in two steps. First a ``PASSIVE`` checkpoint on a
worker thread over a second connection of its own, without the lock: it copies what is
committed into the database file and syncs both files while units of work go on (WAL mode
lets a checkpointer run beside the writer). Then, under the lock on aiosqlite's thread, a
second ``PASSIVE`` one for the frames committed meanwhile, so that the whole WAL has been
copied and the next write starts it over; without that step the WAL would only grow. Done
all under the lock, as it was, a checkpoint held every unit of work for about 21 ms every
200 commits on the machine of ``docs/bench-intake.md`` (two ``fsync`` calls over the
megabytes written since the last one); the second step holds them for 6-10 ms.

The checkpoint is a task, so it starts when the event loop next turns. A stretch of commits
that never lets it turn (a Matrix sync batch whose messages are handled one after another
without waiting on anything, a benchmark) would otherwise grow the WAL without bound, about
80 KB a question, and make every read slower (SQLite searches the WAL's index before the
database file). After ``CHECKPOINT_OVERDUE`` commits with no checkpoint run, one runs right
there on the loop's thread: the loop was not turning anyway. ``journal_size_limit`` then
gives the disk back: the next write after a checkpoint cuts the WAL down to
``WAL_SIZE_LIMIT`` bytes instead of leaving it at the biggest size it ever reached.

The schema version is SQLite's own ``PRAGMA user_version``; migration files are named
``NNNN_reason.sql`` under ``bot/storage/migrations/sqlite/`` (another dialect's sit beside
them, in their own directory, with the same numbers) and each is applied in one transaction
together with the version bump.

This is the engine under :class:`bot.storage.sqlite.SqliteStore`; only the SQLite
implementation (and its tests) use it directly.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.sqlite.backup import copy_database
from bot.storage.types import BackupError, StorageError

log = logging.getLogger(__name__)


def driver_logging(log_sql: bool) -> None:
    """aiosqlite logs every call it runs at DEBUG, statements and their values included
    (message texts, sync tokens): keep that out of a DEBUG log unless ``log_sql``."""
    logging.getLogger("aiosqlite").setLevel(logging.DEBUG if log_sql else logging.INFO)


R = TypeVar("R")


async def _now(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` as an awaitable, run right here (for :meth:`Database._wait_for_lock`)."""
    return fn(*args)


_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_WAIT = 5.0  # seconds a statement waits for another program's lock before failing
CHECKPOINT_EVERY = 200  # commits between WAL checkpoints (mostly off the lock)
CHECKPOINT_OVERDUE = 10 * CHECKPOINT_EVERY  # commits after which one runs on the loop
WAL_SIZE_LIMIT = 32 * 1024 * 1024  # bytes the WAL is cut back to after a checkpoint


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


DIALECT = "sqlite"


def bundled_migrations(root: Traversable | None = None) -> list[Migration]:
    """The SQLite migrations shipped in ``bot/storage/migrations/sqlite`` (or under
    ``root``), in version order. A migration file left directly in ``migrations/``, outside
    any dialect's directory, is refused: it would otherwise be skipped without a word."""
    base = root if root is not None else resources.files("bot.storage").joinpath("migrations")
    stray = sorted(e.name for e in base.iterdir() if e.is_file() and e.name.endswith(".sql"))
    if stray:
        raise StorageError(
            f"migration {stray[0]} is outside a dialect's directory; "
            f"move it to migrations/{DIALECT}/ (and write the same change for any other dialect)"
        )
    found: list[Migration] = []
    for entry in base.joinpath(DIALECT).iterdir():
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
        # The sqlite3 connection itself (aiosqlite's one private attribute used here, covered
        # by tests/storage/test_db.py): the hot paths use it from the event loop's thread.
        self._raw: sqlite3.Connection = conn._conn
        self.path = path
        self._lock = asyncio.Lock()
        self._commits = 0  # since a checkpoint last ran
        self._checkpoint: asyncio.Task[None] | None = None
        self._checkpointer: sqlite3.Connection | None = None  # the checkpoints' own connection

    @classmethod
    async def open(
        cls, path: str | Path, migrations: Iterable[Migration] | None = None
    ) -> Database:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            # check_same_thread: the hot paths use the connection from the loop's thread;
            # the lock makes sure only one thread ever uses it at a time.
            conn = await aiosqlite.connect(target, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {target}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, target)
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA wal_autocheckpoint = 0")  # see CHECKPOINT_EVERY
            await conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT:d}")
            # Migrations run on aiosqlite's thread, where waiting for a lock is harmless.
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_WAIT * 1000:.0f}")
            await db._migrate(list(migrations) if migrations is not None else bundled_migrations())
            await conn.execute("PRAGMA busy_timeout = 0")  # from here, waits are asyncio sleeps
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(f"cannot use database {target}: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        await self._conn.close()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self, migrations: list[Migration]) -> None:
        current = await self.schema_version()
        latest = migrations[-1].version if migrations else 0
        if current > latest:
            raise StorageError(
                f"database {self.path} was written by a newer pointbot: its schema version "
                f"is {current}, newer than this bot knows ({latest}). Run that version (or "
                f"a later one), or restore a backup made before the upgrade."
            )
        pending = [mig for mig in migrations if mig.version > current]
        if pending and current > 0 and self.path != ":memory:":
            # Before the first change to a database that holds data: a copy to go back to.
            copy = Path(f"{self.path}.schema-{current}.bak")
            try:
                # On aiosqlite's thread: a copy of a big file must not hold the loop.
                await self._conn._execute(copy_database, self._raw, copy)  # type: ignore[no-untyped-call]
            except BackupError as exc:
                raise StorageError(f"not migrating {self.path}: no backup first ({exc})") from exc
            log.info("backed up %s to %s before migrating it", self.path, copy)
        for mig in pending:
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
        """``BEGIN IMMEDIATE`` .. ``COMMIT`` (``ROLLBACK`` on error), one at a time, on
        aiosqlite's thread: for transactions that await other things in between."""
        async with self._lock:
            await self._wait_for_lock(lambda: self._conn.execute("BEGIN IMMEDIATE"))
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")
            self._committed()

    @property
    def lock(self) -> asyncio.Lock:
        """The lock every use of the connection holds (see the module doc)."""
        return self._lock

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection, for statements on the loop's thread under :attr:`lock`."""
        return self._raw

    async def begin(self) -> None:
        """``BEGIN IMMEDIATE`` on the loop's thread, retried after asyncio sleeps while
        another program holds the write lock (the caller holds :attr:`lock`)."""
        raw = self._raw
        await self._wait_for_lock(lambda: _now(raw.execute, "BEGIN IMMEDIATE"))

    def committed(self) -> None:
        """A transaction committed (counts towards the next WAL checkpoint)."""
        self._committed()

    async def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        """One row of a read outside any transaction (never call inside one: use its conn)."""
        async with self._lock:
            cur = await self._wait_for_lock(lambda: _now(self._raw.execute, sql, params))
            row: sqlite3.Row | None = cur.fetchone()
            cur.close()
            return row

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """All rows of a read outside any transaction (never call inside one: use its conn)."""
        async with self._lock:
            cur = await self._wait_for_lock(lambda: _now(self._raw.execute, sql, params))
            rows: list[sqlite3.Row] = cur.fetchall()
            return rows

    async def _wait_for_lock(self, attempt: Callable[[], Awaitable[R]]) -> R:
        """``attempt()``, retried while another program holds the database locked (the busy
        timeout is 0, so SQLite answers at once); asyncio sleeps in between, so the event
        loop goes on. After ``BUSY_WAIT`` seconds the error is raised in plain words."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_WAIT
        delay = 0.002
        while True:
            try:
                return await attempt()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if loop.time() >= deadline:
                    raise StorageError(
                        f"database {self.path} stayed locked by another program for "
                        f"{BUSY_WAIT:.0f} s: {exc}"
                    ) from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _committed(self) -> None:
        """Count a commit; every ``CHECKPOINT_EVERY``, checkpoint the WAL off the loop, and
        after ``CHECKPOINT_OVERDUE`` with none run, here (the caller holds the lock)."""
        self._commits += 1
        if self._commits >= CHECKPOINT_OVERDUE:
            self._commits = 0
            try:
                self._raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:  # retried after the next commits, as a scheduled one is
                log.warning("WAL checkpoint of %s failed", self.path, exc_info=True)
        elif self._commits >= CHECKPOINT_EVERY and self._checkpoint is None:
            self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())

    async def _run_checkpoint(self) -> None:
        """The two steps of a checkpoint (see the module doc)."""
        self._commits = 0  # commits from here count towards the next one
        try:
            try:
                await asyncio.to_thread(self._checkpoint_beside)
            except sqlite3.Error:  # the locked step below then does all of it
                log.debug("WAL checkpoint beside the writer failed", exc_info=True)
            async with self._lock, self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)") as cur:
                await cur.fetchall()  # read to the end: an open statement would block COMMIT
        except Exception:  # a busy or failed checkpoint is retried after the next commits
            log.warning("WAL checkpoint of %s failed", self.path, exc_info=True)
        finally:
            self._checkpoint = None

    def _checkpoint_beside(self) -> None:
        """On a worker thread, without the lock: only this method uses ``_checkpointer``, and
        one checkpoint task runs at a time."""
        if self.path == ":memory:":  # no WAL; another connection would be another database
            return
        conn = self._checkpointer
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._checkpointer = conn
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One write statement in its own transaction; returns the rows changed."""
        async with self.transaction() as conn, conn.execute(sql, params) as cur:
            return cur.rowcount
