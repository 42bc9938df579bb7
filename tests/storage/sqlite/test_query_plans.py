"""The statements run for every message taken read through an index, never a table scan
that grows with the database (the figures are in bench/bench_intake.py, not here)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.storage.sqlite.store import SqliteStore

PER_MESSAGE = [
    # the hourly limit: questions asked, and edits made, by one member in the last hour
    "SELECT COUNT(*) FROM questions WHERE asker_platform = ? AND asker_id = ? AND asked_at >= ?",
    "SELECT COUNT(*) FROM question_events WHERE actor_key = ? "
    "AND note = 'edited by the asker' AND at >= ?",
]


async def test_the_hourly_limit_reads_through_indexes(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SqliteStore.open(path)
    await store.close()
    raw = sqlite3.connect(path)
    try:
        for sql in PER_MESSAGE:
            params = (None,) * sql.count("?")
            plan = " ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (sql, plan)
            assert "SCAN" not in plan, (sql, plan)
    finally:
        raw.close()
