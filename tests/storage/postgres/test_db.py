"""The PostgreSQL engine: its schema matches SQLite's by name, migrations run once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from bot.storage.postgres.db import Database, Migration, bundled_migrations, redact
from bot.storage.postgres.store import PostgresStore
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import StorageError


async def _pg_columns(dsn: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["table_name"], set()).add(r["column_name"])
    return found


async def test_same_tables_and_columns_as_sqlite(postgres_dsn: str, tmp_path: Path) -> None:
    """``bot db migrate --to postgresql://`` copies tables by name: every SQLite table and
    column exists in PostgreSQL under the same name (PostgreSQL adds only its bookkeeping)."""
    lite = await SqliteStore.open(tmp_path / "s.sqlite3")
    try:
        tables = await lite.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        sqlite_cols: dict[str, set[str]] = {}
        for t in tables:
            cols = await lite.db.fetchall(f"PRAGMA table_info({t['name']})")
            sqlite_cols[t["name"]] = {c["name"] for c in cols}
    finally:
        await lite.close()
    pg = await PostgresStore.open(postgres_dsn)
    await pg.close()
    pg_cols = await _pg_columns(postgres_dsn)
    assert pg_cols.pop("schema_version") >= {"version", "name"}
    assert pg_cols == sqlite_cols


async def test_migrates_once_and_records_versions(postgres_dsn: str) -> None:
    store = await PostgresStore.open(postgres_dsn)
    try:
        latest = bundled_migrations()[-1].version
        assert await store.db.schema_version() == latest
    finally:
        await store.close()
    again = await PostgresStore.open(postgres_dsn)  # nothing to apply, nothing fails
    await again.close()


async def test_concurrent_first_starts_migrate_once(postgres_dsn: str) -> None:
    """Four processes' first starts at once (four pools here): one applies each migration,
    the others wait on the advisory lock and then find it applied."""
    extra = Migration(
        2, "0002_counter.sql", "CREATE TABLE applied (n integer); INSERT INTO applied VALUES (1);"
    )
    migs = [*bundled_migrations()[:1], extra]
    dbs = await asyncio.gather(*(Database.open(postgres_dsn, migs) for _ in range(4)))
    try:
        async with dbs[0].pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM applied") == 1
            assert await conn.fetchval("SELECT count(*) FROM schema_version") == 2
    finally:
        for db in dbs:
            await db.close()


async def test_failed_migration_leaves_nothing(postgres_dsn: str) -> None:
    bad = Migration(2, "0002_bad.sql", "CREATE TABLE half (n integer); SELECT nonsense();")
    with pytest.raises(StorageError, match=r"0002_bad\.sql"):
        await Database.open(postgres_dsn, [*bundled_migrations()[:1], bad])
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await conn.fetchval("SELECT max(version) FROM schema_version") == 1
        assert await conn.fetchval("SELECT to_regclass('half')") is None
    finally:
        await conn.close()


async def test_newer_schema_is_refused(postgres_dsn: str) -> None:
    db = await Database.open(postgres_dsn)
    async with db.pool.acquire() as conn:
        await conn.execute("INSERT INTO schema_version (version, name) VALUES (99, 'future')")
    await db.close()
    with pytest.raises(StorageError, match="newer pointbot"):
        await Database.open(postgres_dsn)


def test_redact_hides_the_password() -> None:
    assert redact("postgresql://bot:s3cret@db.example:5432/pb") == (
        "postgresql://bot:***@db.example:5432/pb"
    )
    assert "s3cret" not in redact("postgres://bot:s3cret@h/pb?sslmode=require")
    assert redact("postgresql://bot@h/pb") == "postgresql://bot@h/pb"


def test_redact_hides_a_password_given_as_a_parameter() -> None:
    assert redact("postgresql://h/pb?sslmode=require&password=s3cret") == (
        "postgresql://h/pb?sslmode=require&password=***"
    )


async def test_open_store_picks_postgresql_for_a_dsn(postgres_dsn: str) -> None:
    from bot.storage.port import open_store

    store = await open_store(postgres_dsn)
    try:
        assert isinstance(store, PostgresStore)
    finally:
        await store.close()


def test_backup_of_a_postgresql_database_is_refused_with_pg_dump_named(tmp_path: Path) -> None:
    from bot.storage.port import backup_database
    from bot.storage.types import BackupError

    with pytest.raises(BackupError, match="pg_dump") as caught:
        backup_database("postgresql://bot:s3cret@h/pb", tmp_path / "copy")
    assert "s3cret" not in str(caught.value)
