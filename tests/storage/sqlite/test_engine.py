"""The database file: migrations, pragmas, refusing a newer schema."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.sqlite import db as db_module
from bot.storage.sqlite.db import Database, Migration, bundled_migrations
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import StorageError


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


async def test_a_unit_of_work_is_one_atomic_transaction(tmp_path: Path) -> None:
    store = await SqliteStore.open(
        tmp_path / "f.sqlite3", [Migration(1, "0001_a.sql", "CREATE TABLE t (x);")]
    )
    raw = store.db.raw
    async with store.transaction():
        raw.execute("INSERT INTO t VALUES (1)")
        raw.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(RuntimeError):
        async with store.transaction():
            raw.execute("INSERT INTO t VALUES (3)")
            raise RuntimeError("boom")
    rows = await store.db.fetchall("SELECT x FROM t ORDER BY x")
    assert [r[0] for r in rows] == [1, 2]
    await store.close()


@pytest.fixture
async def table_db(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """A store over one table ``t (x)``, closed even when the test fails (an open
    connection's thread would keep the test process alive)."""
    store = await SqliteStore.open(
        tmp_path / "t.sqlite3", [Migration(1, "0001_a.sql", "CREATE TABLE t (x);")]
    )
    yield store
    await store.close()


async def insert(store: SqliteStore, x: object) -> None:
    """``x`` into ``t``, in a unit of work of the store."""
    async with store.transaction():
        store.db.raw.execute("INSERT INTO t VALUES (?)", (x,))


async def test_a_write_waits_for_another_programs_lock_without_blocking_the_loop(
    table_db: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = table_db
    db = store.db
    other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def release_later() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    tick = asyncio.create_task(ticker())
    release = asyncio.create_task(release_later())
    await insert(store, 1)
    await release
    assert ticks >= 10  # the loop ran on while the write waited
    assert [r[0] for r in await db.fetchall("SELECT x FROM t")] == [1]

    other.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(db_module, "BUSY_WAIT", 0.2)
    with pytest.raises(StorageError, match="locked by another program"):
        await insert(store, 2)
    other.execute("ROLLBACK")
    tick.cancel()
    other.close()


async def test_the_wal_is_checkpointed_off_the_loop_and_stays_small(
    table_db: SqliteStore,
) -> None:
    store = table_db
    db = store.db
    row = await db.fetchone("PRAGMA wal_autocheckpoint")
    assert row is not None and row[0] == 0  # no checkpoint inside a commit on the loop
    wal = Path(f"{db.path}-wal")
    blob = "x" * 4000
    every = db_module.CHECKPOINT_EVERY
    sizes = {}
    for i in range(8 * every):
        await insert(store, f"{i}{blob}")
        await asyncio.sleep(0)  # let a due checkpoint run, as the bot's other tasks do
        if i + 1 in (every - 1, 8 * every):
            sizes[i + 1] = (await asyncio.to_thread(wal.stat)).st_size
    # Checkpointed, the WAL is started over once all of it is copied: it holds the commits
    # between two checkpoints and those made while the first step ran beside them. Without
    # checkpoints it would hold all 8 x CHECKPOINT_EVERY of them.
    assert sizes[8 * every] <= 3 * sizes[every - 1]
    verdict = await db.fetchone("PRAGMA integrity_check")
    count = await db.fetchone("SELECT COUNT(*) FROM t")
    assert verdict is not None and verdict[0] == "ok"
    assert count is not None and count[0] == 8 * every
    # The pages reached the database file itself, not only the WAL.
    assert (await asyncio.to_thread(Path(db.path).stat)).st_size > 4 * every * 4000


async def test_units_of_work_go_on_while_a_checkpoint_copies_the_wal(
    table_db: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = table_db
    db = store.db
    copying, go_on = threading.Event(), threading.Event()
    beside = db_module.Database._checkpoint_beside

    def slow_beside(self: Database) -> None:
        beside(self)  # the real checkpoint, on the worker thread
        copying.set()
        go_on.wait(10)  # as if the copy and its fsync calls took long

    monkeypatch.setattr(db_module.Database, "_checkpoint_beside", slow_beside)
    for i in range(db_module.CHECKPOINT_EVERY):
        await insert(store, i)
    await asyncio.sleep(0)  # the checkpoint starts
    assert await asyncio.to_thread(copying.wait, 10)
    # A unit of work commits while the first step holds no lock (it used to wait for it all).
    await asyncio.wait_for(insert(store, "meanwhile"), 5)
    go_on.set()
    row = await db.fetchone("SELECT COUNT(*) FROM t")
    assert row is not None and row[0] == db_module.CHECKPOINT_EVERY + 1


async def test_commits_that_never_let_the_loop_turn_still_checkpoint(
    table_db: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Matrix sync batch handled message after message, none waiting on anything: the
    # scheduled checkpoint task never gets to run. The overdue one keeps the WAL bounded.
    monkeypatch.setattr(db_module, "CHECKPOINT_OVERDUE", 2 * db_module.CHECKPOINT_EVERY)
    store = table_db
    wal = Path(f"{store.db.path}-wal")
    blob = "x" * 4000
    overdue = db_module.CHECKPOINT_OVERDUE
    sizes = []
    for i in range(3 * overdue):
        await insert(store, f"{i}{blob}")  # no sleep: the loop does not turn
        if i + 1 in (overdue * 5 // 4, 3 * overdue):
            sizes.append(os.stat(wal).st_size)  # os.stat: to_thread would let the loop turn
    # Without the overdue checkpoint the WAL would hold every commit: 2.4 times bigger.
    assert sizes[1] <= sizes[0] * 1.05
    row = await store.db.fetchone("SELECT COUNT(*) FROM t")
    assert row is not None and row[0] == 3 * overdue


async def test_a_wal_grown_big_is_cut_back_after_a_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "WAL_SIZE_LIMIT", 256 * 1024)
    monkeypatch.setattr(db_module, "CHECKPOINT_OVERDUE", 10**9)  # let it grow first
    store = await SqliteStore.open(
        tmp_path / "t.sqlite3", [Migration(1, "0001_a.sql", "CREATE TABLE t (x);")]
    )
    try:
        row = await store.db.fetchone("PRAGMA journal_size_limit")
        assert row is not None and row[0] == 256 * 1024
        wal = Path(f"{store.db.path}-wal")
        for i in range(db_module.CHECKPOINT_EVERY + 50):  # no sleep: no checkpoint yet
            await insert(store, f"{i}{'x' * 4000}")
        grown = os.stat(wal).st_size
        assert grown > 4 * 256 * 1024
        for _ in range(500):  # the scheduled checkpoint runs once the loop turns
            await asyncio.sleep(0.01)
            if store.db._checkpoint is None:
                break
        await insert(store, "after")  # the WAL restarts from its start, cut to the limit
        assert os.stat(wal).st_size <= 256 * 1024
    finally:
        await store.close()


def test_migrations_are_read_from_the_dialects_directory_only(tmp_path: Path) -> None:
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "sqlite" / "0001_a.sql").write_text("CREATE TABLE t (x);", "utf-8")
    (tmp_path / "sqlite" / "0002_b.sql").write_text("CREATE TABLE u (x);", "utf-8")
    (tmp_path / "postgresql").mkdir()  # another dialect's files sit beside, untouched
    (tmp_path / "postgresql" / "0001_a.sql").write_text("CREATE TABLE t (x BIGINT);", "utf-8")
    assert [m.name for m in bundled_migrations(tmp_path)] == ["0001_a.sql", "0002_b.sql"]
    (tmp_path / "sqlite" / "0004_d.sql").write_text("SELECT 1;", "utf-8")
    with pytest.raises(StorageError, match=r"0004_d\.sql is out of sequence"):
        bundled_migrations(tmp_path)
    (tmp_path / "sqlite" / "0004_d.sql").unlink()
    (tmp_path / "0003_c.sql").write_text("SELECT 1;", "utf-8")  # left outside any dialect
    with pytest.raises(StorageError, match=r"0003_c\.sql is outside a dialect's directory"):
        bundled_migrations(tmp_path)
