"""The storage contract's fixtures: every test in this package runs once per implementation.

An implementation joins by adding one fixture below and its name to ``IMPLEMENTATIONS``;
nothing else changes. ``postgres_store`` runs on a fresh database of the session's real
PostgreSQL server (``tests/pg_server.py``; skipped when there is none, unless
``POINTBOT_REQUIRE_POSTGRES=1``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.models import Article, ArticleId, ChatRef, FeedId, Platform, Point, UserRef
from bot.storage.port import Store
from bot.storage.postgres.store import PostgresStore
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import CONFIG, NewQuestion, Target

IMPLEMENTATIONS = ["sqlite_store", "postgres_store"]

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FAKE = Platform("fake")
GENERAL = ChatRef(FAKE, "#general")
ARTICLE = Article(
    title="Seven points",
    link="https://example.org/a",
    author="Author",
    subtitle="",
    intro="An intro.",
    points=(Point(1, "One", "Body one."), Point(2, "Two", "Body two."), Point(3, "Three", "B3.")),
    conclusion="",
)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await SqliteStore.open(tmp_path / "contract.sqlite3")
    yield store
    await store.close()


@pytest.fixture
async def postgres_store(postgres_dsn: str) -> AsyncIterator[Store]:
    store = await PostgresStore.open(postgres_dsn)
    yield store
    await store.close()


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> Store:
    """An empty store with the current schema, of each implementation in turn."""
    found: Store = request.getfixturevalue(request.param)
    return found


def user(name: str) -> UserRef:
    return UserRef(FAKE, name, name.title())


def asked(
    n: int,
    text: str = "What do you mean?",
    point: int | None = 1,
    who: str = "dana",
    article: int = 1,
) -> NewQuestion:
    """Question ``n`` (its message id is ``m{n}``) by ``who``."""
    where = ChatRef(FAKE, "#general", None, f"m{n}")
    return NewQuestion(ArticleId(article), point, user(who), where, text)


async def seeded(store: Store, *, authors: tuple[str, ...] = ("fake:author",)) -> Target:
    """A feed (id 1) with its config subscription (id 1, ``authors``), a target in #general
    and its article (id 1)."""
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure("https://example.org/feed", title="F", source="config", now=NOW)
        sub = await tx.subscriptions.ensure(fid, CONFIG, added_by=None, backfill=1, now=NOW)
        await tx.subscriptions.set_authors(sub, list(authors))
        target = await tx.posts.ensure_target(fid, GENERAL, sub)
        await tx.articles.store(fid, "e1", ARTICLE, content_hash="h1", published_at=None, now=NOW)
    return target


async def second_article(store: Store) -> ArticleId:
    async with store.transaction() as tx:
        aid, _ = await tx.articles.store(
            FeedId(1), "e2", ARTICLE, content_hash="h2", published_at=None, now=NOW
        )
    return aid
