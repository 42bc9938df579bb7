"""Shared fixtures: a real SQLite file per test, a fake platform, a clock we move by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import FeedSettings, Settings
from bot.core.models import Platform
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from tests import pg_server
from tests.fakes import FakeChatAdapter

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed-article.txt"


class Clock:
    """Injected time: tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg_server.Server]:
    """A real PostgreSQL server for the whole session (see :mod:`tests.pg_server`): skipped
    when none can be had, failed instead when ``POINTBOT_REQUIRE_POSTGRES=1``."""
    try:
        with pg_server.server() as srv:
            yield srv
    except pg_server.PostgresUnavailable as exc:
        if pg_server.required():
            pytest.fail(f"PostgreSQL is required here: {exc}")
        pytest.skip(f"no PostgreSQL: {exc}")


@pytest.fixture
async def postgres_dsn(postgres_server: pg_server.Server) -> AsyncIterator[str]:
    """A fresh empty database on the session's server, dropped after the test."""
    name, dsn = await pg_server.fresh_database(postgres_server)
    yield dsn
    await pg_server.drop_database(postgres_server, name)


@pytest.fixture
def fake() -> FakeChatAdapter:
    return FakeChatAdapter()


def seed_settings(platform: str = "fake") -> Settings:
    return Settings(
        database=Path("unused"),
        admins=frozenset({f"{platform}:admin"}),
        feeds=(
            FeedSettings(
                url="bundled:example-feed.xml",
                targets=(f"{platform}:#general",),
                authors=(f"{platform}:author",),
            ),
        ),
    )


@pytest.fixture
async def bot(db: SqliteStore, fake: FakeChatAdapter, clock: Clock) -> Bot:
    """The composed bot on the fake platform, with the seed article published."""
    app = Bot(db, {Platform("fake"): fake}, seed_settings(), clock)
    await fake.start(app.conversation.handle)
    for _feed, fid, targets in await app.sync_config_feeds():
        await app.publish_bundled(fid, targets)
    await app.delivery.drain()
    return app
