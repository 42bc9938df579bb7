"""The database file: migrations, pragmas, refusing a newer schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.db import Database, Migration, StorageError, bundled_migrations


async def test_fresh_database_gets_every_migration_and_wal(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.sqlite3")
    assert await db.schema_version() == bundled_migrations()[-1].version
    mode = await db.fetchone("PRAGMA journal_mode")
    fks = await db.fetchone("PRAGMA foreign_keys")
    assert mode is not None and mode[0] == "wal"
    assert fks is not None and fks[0] == 1
    tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "feeds",
        "articles",
        "points",
        "targets",
        "posts",
        "questions",
        "answers",
        "votes",
        "outbox",
        "inbound",
    } <= tables
    await db.close()


async def test_reopening_keeps_data_and_applies_only_new_migrations(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    first = [Migration(1, "0001_a.sql", "CREATE TABLE t (x INTEGER);")]
    db = await Database.open(path, first)
    await db.execute("INSERT INTO t VALUES (?)", (7,))
    await db.close()
    second = [*first, Migration(2, "0002_b.sql", "ALTER TABLE t ADD COLUMN y TEXT;")]
    db = await Database.open(path, second)
    assert await db.schema_version() == 2
    row = await db.fetchone("SELECT x, y FROM t")
    assert row is not None and tuple(row) == (7, None)
    await db.close()


async def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    good = [Migration(1, "0001_a.sql", "CREATE TABLE t (x INTEGER);")]
    db = await Database.open(path, good)
    await db.close()
    broken = [
        *good,
        Migration(2, "0002_b.sql", "CREATE TABLE u (y); SELECT nonsense FROM nowhere;"),
    ]
    with pytest.raises(StorageError):
        await Database.open(path, broken)
    db = await Database.open(path, good)
    assert await db.schema_version() == 1
    assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'u'") is None
    await db.close()


async def test_a_newer_schema_is_refused_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    db = await Database.open(
        path,
        [
            Migration(1, "0001_a.sql", "CREATE TABLE t (x);"),
            Migration(2, "0002_b.sql", "CREATE TABLE u (x);"),
        ],
    )
    await db.close()
    with pytest.raises(StorageError, match="newer than this bot knows"):
        await Database.open(path, [Migration(1, "0001_a.sql", "CREATE TABLE t (x);")])


async def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot use database"):
        await Database.open(path)


async def test_run_is_one_atomic_transaction(tmp_path: Path) -> None:
    db = await Database.open(
        tmp_path / "f.sqlite3", [Migration(1, "0001_a.sql", "CREATE TABLE t (x);")]
    )

    def add_two(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (1)")
        conn.execute("INSERT INTO t VALUES (2)")
        return 2

    def add_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (3)")
        raise RuntimeError("boom")

    assert await db.run(add_two) == 2
    with pytest.raises(RuntimeError):
        await db.run(add_then_fail)
    rows = await db.fetchall("SELECT x FROM t ORDER BY x")
    assert [r[0] for r in rows] == [1, 2]
    await db.close()
