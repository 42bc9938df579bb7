"""Placeholder (part A of issue 13 is writing it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.models import ArticleId
from bot.storage.postgres.db import Session
from bot.storage.types import StoredArticle


@dataclass(slots=True)
class ArticleCache:
    """What every chat message looks up, kept per store."""

    articles: dict[ArticleId, StoredArticle] = field(default_factory=dict)
    latest: dict[tuple[str, str], ArticleId | None] = field(default_factory=dict)

    def clear(self) -> None:
        self.articles.clear()
        self.latest.clear()


class PostgresArticles:
    """Placeholder."""

    def __init__(self, session: Session, cache: ArticleCache) -> None:
        self._s = session
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"PostgresArticles.{name}")


class PostgresPosts:
    """Placeholder."""

    def __init__(self, session: Session, cache: ArticleCache) -> None:
        self._s = session
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"PostgresPosts.{name}")
