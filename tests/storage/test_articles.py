"""Stored articles keep how each point was announced (migration 0009)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.core.models import Article, Point
from bot.storage.articles import ArticleRepository
from bot.storage.db import Database


async def test_point_markers_survive_storage_and_a_reopen(tmp_path: Path) -> None:
    article = Article(
        title="Onboarding",
        points=(Point(1, "Laptop ready", "body one", "step"), Point(2, "Pair", "two", "step")),
    )
    path = tmp_path / "a.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as conn:
        article_id, created = await ArticleRepository(db).store(
            conn,
            None,
            "entry",
            article,
            content_hash="h",
            published_at=None,
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert created
    await db.close()
    db = await Database.open(path)
    stored = await ArticleRepository(db).get(article_id)
    await db.close()
    assert stored is not None
    assert [p.marker for p in stored.article.points] == ["step", "step"]
