"""``bot db migrate --to postgresql://``: a real SQLite database (the console demo's, plus
votes, a merge and an outbox row with actions) copied into a real PostgreSQL database, then
read back through the PostgreSQL store as the bot would."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from bot.core.models import Action, ChatRef, Platform, Rendered
from bot.storage.postgres.store import PostgresStore
from bot.storage.sqlite.store import SqliteStore
from bot.storage.transfer import copy_sqlite_to_postgres
from bot.storage.types import OutboxItem, StorageError
from tests.storage.contract.conftest import NOW, asked

ROOT = Path(__file__).resolve().parents[2]
DISCORD_Q = ChatRef(Platform("discord"), "222", None, "333", server="111")


def demo_database(path: Path) -> Path:
    """The console demo's database: the seed article, its threads, questions and answers."""
    subprocess.run(
        [sys.executable, "-m", "bot", "--database", str(path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


async def enrich(path: Path) -> None:
    store = await SqliteStore.open(path)
    async with store.transaction() as tx:
        a = await tx.questions.add(asked(101, "What is meant by point 2?", point=2), NOW)
        b = await tx.questions.add(asked(102, "What's meant by point 2??", point=2, who="eli"), NOW)
        assert a is not None and b is not None
        assert await tx.questions.add_vote(a, "console:sam", NOW)
        assert await tx.questions.set_merged(b, a, NOW)
        in_server = replace(asked(103, "Where is point 3?", point=3), where=DISCORD_Q)
        assert await tx.questions.add(in_server, NOW) is not None
        await tx.outbox.add(
            OutboxItem("private", "reply", DISCORD_Q, Rendered("a link", private=True), "response"),
            NOW,
        )
        await tx.outbox.add(
            OutboxItem(
                "with-actions",
                "post",
                ChatRef(Platform("console"), "#general"),
                Rendered("pick", actions=(Action("Yes", "!yes"), Action("No", "!no"))),
                "response",
            ),
            NOW,
        )
    await store.close()


async def snapshot(store: SqliteStore | PostgresStore) -> dict[str, object]:
    async with store.read() as r:
        return {
            "questions": await r.questions.all_of(None),
            # Not part of a ref's equality (ChatRef.server): compared on its own.
            "servers": [q.question.where.server for q in await r.questions.all_of(None)],
            "history": [
                await r.questions.history(q.question.id) for q in await r.questions.all_of(None)
            ],
            "pending": await r.outbox.pending(),
            "counts": await r.outbox.counts(),
            "feeds": await r.feeds.all(),
            "state": await r.inbound.get_state("console", "demo"),
        }


async def test_everything_arrives_and_reads_back_the_same(
    tmp_path: Path, postgres_dsn: str
) -> None:
    source = demo_database(tmp_path / "demo.sqlite3")
    await enrich(source)
    counts, total = await copy_sqlite_to_postgres(source, postgres_dsn)
    assert total > 50
    assert all(c.sqlite_rows == c.postgres_rows for c in counts)
    assert {c.table for c in counts if c.sqlite_rows} >= {
        "feeds",
        "articles",
        "points",
        "posts",
        "questions",
        "answers",
        "votes",
        "outbox",
        "outbox_actions",
        "question_events",
        "inbound",
        "subscriptions",
        "targets",
    }
    lite = await SqliteStore.open(source)
    pg = await PostgresStore.open(postgres_dsn)
    try:
        assert await snapshot(pg) == await snapshot(lite)
        assert "111" in (await snapshot(pg))["servers"]  # type: ignore[operator]
        # Ids go on after the copied ones: new rows do not collide with old.
        async with pg.transaction() as tx:
            qid = await tx.questions.add(asked(900, "A new question on point 1?", point=1), NOW)
            assert qid is not None and qid > max(
                q.question.id for q in await tx.questions.all_of(None) if q.question.id != qid
            )
            assert await tx.outbox.add(
                OutboxItem(
                    "new-row", "post", ChatRef(Platform("console"), "#g"), Rendered("x"), "response"
                ),
                NOW,
            )
    finally:
        await lite.close()
        await pg.close()


async def test_a_database_in_use_is_refused_and_left_alone(
    tmp_path: Path, postgres_dsn: str
) -> None:
    source = demo_database(tmp_path / "demo.sqlite3")
    await copy_sqlite_to_postgres(source, postgres_dsn)
    conn = await asyncpg.connect(postgres_dsn)
    before = await conn.fetchval("SELECT count(*) FROM outbox")
    with pytest.raises(StorageError, match="already holds data"):
        await copy_sqlite_to_postgres(source, postgres_dsn)
    assert await conn.fetchval("SELECT count(*) FROM outbox") == before
    await conn.close()


def test_the_command_shows_progress_and_counts(tmp_path: Path, postgres_dsn: str) -> None:
    source = demo_database(tmp_path / "demo.sqlite3")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "db",
            "migrate",
            "--database",
            str(source),
            "--to",
            postgres_dsn,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rows copied" in done.stderr  # the progress, a line every tenth when not a terminal
    assert "every table's count matches" in done.stdout
    assert "questions" in done.stdout


def test_the_command_explains_a_bad_address(tmp_path: Path) -> None:
    source = demo_database(tmp_path / "demo.sqlite3")
    for to, says in (
        ("mysql://x/y", "needs a postgresql:// address"),
        ("postgresql://nobody:pw@127.0.0.1:1/none", "cannot"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "db", "migrate", "--database", str(source), "--to", to],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode != 0
        assert says in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert "pw@" not in done.stderr  # the password is never printed
