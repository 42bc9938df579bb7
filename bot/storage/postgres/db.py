"""The PostgreSQL engine: an asyncpg pool, the connection a unit of work runs on, migrations.

Why asyncpg rather than psycopg 3. Both are maintained and async. asyncpg speaks the wire
protocol itself (binary format, statements prepared and cached per connection, no libpq
underneath) and returns ``timestamptz`` as aware datetimes and ``bytea`` as bytes with no
adapters to register; psycopg 3's async mode runs over libpq (or its pure-Python fallback)
and is the better fit for code that also wants a synchronous API, which the bot does not.
Measured under load on this shared 2-core machine (other helpers running; numbers noisy, see
the report of issue 13): asyncpg only was measured here; a psycopg 3 comparison was not run
in the time given, so the choice rests on the reasons above and on asyncpg's published
benchmarks, not on a figure from this machine. The driver stays behind this module and the
repositories' SQL, so swapping it is local.

Sessions. Repositories are built once per store and bound to a :class:`Session`: the holder
of the connection the current unit of work (or read) runs on. The store sets it when a unit
begins and clears it when it ends; a repository method used outside a unit fails loudly
instead of running on no transaction.

Times are ``timestamptz`` (aware datetimes in and out, UTC on the way out); flags are
``boolean``; ids are ``bigint`` identity columns that accept explicit values (so a copy
from SQLite keeps its ids).

Migrations are ``bot/storage/migrations/postgresql/NNNN_reason.sql``, applied in version
order, each in one transaction together with its row in ``schema_version``; concurrent
starters of several processes are serialised by an advisory transaction lock, so exactly
one applies each migration. Number mapping to the SQLite migrations: PostgreSQL 0001 is
the schema SQLite 0001..0012 build together (the PostgreSQL store was first written when
SQLite had twelve); from then on each change gets the next free number in each dialect's
directory, and the two numbers need not match (this docstring lists any pairing that is
not obvious from the file names). PostgreSQL 0002 (images, templates, web) is SQLite
0013 (lead images), 0014 (templates, announcements) and 0015 (web sessions) together.
PostgreSQL 0003 (Discord message links, private replies) is SQLite 0016.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import asyncpg

from bot.storage.dsn import is_dsn, redact
from bot.storage.types import StorageError

__all__ = [
    "Database",
    "Migration",
    "Session",
    "affected",
    "bundled_migrations",
    "connection_lost",
    "is_dead",
    "is_dsn",
    "redact",
]

log = logging.getLogger(__name__)

DIALECT = "postgresql"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any 64-bit key, fixed: taken by every process that migrates this database.
MIGRATION_LOCK = 0x706F696E74626F74  # "pointbot"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations(root: Traversable | None = None) -> list[Migration]:
    """The PostgreSQL migrations shipped in ``bot/storage/migrations/postgresql`` (or under
    ``root``), in version order, without gaps."""
    base = root if root is not None else resources.files("bot.storage").joinpath("migrations")
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


class Session:
    """The connection the current unit of work runs on (see the module doc)."""

    __slots__ = ("_conn",)

    def __init__(self) -> None:
        self._conn: Any = None

    @property
    def conn(self) -> Any:
        """The current unit's ``asyncpg.Connection``; outside a unit, a StorageError."""
        conn = self._conn
        if conn is None:
            raise StorageError("a PostgreSQL repository was used outside a unit of work")
        return conn

    def bind(self, conn: Any) -> None:
        self._conn = conn

    def unbind(self) -> None:
        self._conn = None


# What the server says as it ends a session (SQLSTATE 57P01..57P05, 25P03, class 08), and
# what asyncpg raises once the socket is gone. Not the rest of class 57: 57014 is a
# cancelled statement (statement_timeout) on a connection that lives on.
_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.IdleSessionTimeoutError,
    asyncpg.IdleInTransactionSessionTimeoutError,
    OSError,
)


def connection_lost(exc: BaseException, conn: Any) -> bool:
    """Whether ``exc``, raised while ``conn`` (a pooled connection) was in use, says the
    connection is gone: the server ended it, the socket closed, or asyncpg refused a call
    because it had already closed the connection and handed it back to its pool."""
    if isinstance(exc, _LOST):
        return True
    return isinstance(exc, asyncpg.InterfaceError) and is_dead(conn)


def is_dead(conn: Any) -> bool:
    """Whether the pooled connection ``conn`` is closed (or was handed back to the pool by
    asyncpg on closing it, when its proxy raises InterfaceError)."""
    if conn is None:
        return True
    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:
        return True


async def _init_connection(conn: Any) -> None:
    """Every pooled connection talks UTC, so ``timestamptz`` comes back as UTC datetimes."""
    await conn.execute("SET TIME ZONE 'UTC'")


class Database:
    """The bot's PostgreSQL database: a pool, migrated. Open with :meth:`open`."""

    def __init__(self, pool: Any, dsn: str) -> None:
        self.pool = pool
        self.dsn = dsn

    @property
    def where(self) -> str:
        """The database's address without its password."""
        return redact(self.dsn)

    @classmethod
    async def open(
        cls,
        dsn: str,
        migrations: list[Migration] | None = None,
        *,
        min_size: int = 1,
        max_size: int = 4,
    ) -> Database:
        """Connect to ``dsn`` and bring its schema up to date."""
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=min_size, max_size=max_size, init=_init_connection
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StorageError(f"cannot open database {redact(dsn)}: {exc}") from exc
        db = cls(pool, dsn)
        try:
            await db._migrate(migrations if migrations is not None else bundled_migrations())
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self.pool.close()

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await _version(conn))

    async def _migrate(self, migrations: list[Migration]) -> None:
        latest = migrations[-1].version if migrations else 0
        async with self.pool.acquire() as conn:
            async with conn.transaction():  # two processes starting at once: one creates it
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
            for mig in migrations:
                try:
                    async with conn.transaction():
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                        current = await _version(conn)
                        if current > latest:
                            raise StorageError(
                                f"database {self.where} was written by a newer pointbot: its "
                                f"schema version is {current}, newer than this bot knows "
                                f"({latest}). Run that version (or a later one)."
                            )
                        if mig.version <= current:
                            continue
                        log.info("applying migration %s to %s", mig.name, self.where)
                        await conn.execute(mig.sql)
                        await conn.execute(
                            "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                            mig.version,
                            mig.name,
                        )
                except asyncpg.PostgresError as exc:
                    raise StorageError(f"migration {mig.name} failed: {exc}") from exc
            if not migrations:
                current = await _version(conn)
                if current > latest:
                    raise StorageError(
                        f"database {self.where} was written by a newer pointbot "
                        f"(schema version {current})"
                    )


async def _version(conn: Any) -> int:
    value = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
    return int(value)


def affected(status: str) -> int:
    """The rows an ``INSERT``/``UPDATE``/``DELETE`` changed, from asyncpg's status text
    (``"UPDATE 3"``, ``"INSERT 0 1"``)."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0
