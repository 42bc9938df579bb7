"""Stored articles keep how each point was announced (migration 0009)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.core.models import Article, Point
from bot.storage.sqlite.store import SqliteStore


async def test_point_markers_survive_storage_and_a_reopen(tmp_path: Path) -> None:
    article = Article(
        title="Onboarding",
        points=(Point(1, "Laptop ready", "body one", "step"), Point(2, "Pair", "two", "step")),
    )
    path = tmp_path / "a.sqlite3"
    db = await SqliteStore.open(path)
    async with db.transaction() as tx:
        article_id, created = await tx.articles.store(
            None,
            "entry",
            article,
            content_hash="h",
            published_at=None,
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert created
    await db.close()
    db = await SqliteStore.open(path)  # a new store: nothing cached, read from the file
    async with db.read() as r:
        stored = await r.articles.get(article_id)
    await db.close()
    assert stored is not None
    assert [p.marker for p in stored.article.points] == ["step", "step"]
