"""Feeds served by a real aiohttp server on loopback, and a bot that polls them."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import PollSettings, Settings
from bot.core.models import Platform
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK = ("127.0.0.0/8",)
WORDS = [
    "the",
    "partnership",
    "between",
    "both",
    "countries",
    "will",
    "shape",
    "regional",
    "security",
    "talks",
    "while",
    "leaders",
    "discuss",
    "air",
    "defense",
    "systems",
    "sanctions",
    "trade",
    "corridors",
    "energy",
    "prices",
    "and",
    "the",
    "balance",
]


def paragraphs(seed: str, count: int = 4) -> str:
    """Readable HTML of about 40 words a paragraph, different for each seed."""
    n = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    out = []
    for p in range(count):
        words = [WORDS[(n >> (i + p)) % len(WORDS)] for i in range(40)]
        out.append("<p>" + " ".join(words).capitalize() + ".</p>")
    return "".join(out)


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    date: str = "Mon, 05 Jan 2026 08:00:00 GMT"
    content: str = ""

    def body(self) -> str:
        return self.content or paragraphs(self.guid + self.title)


def rss20(items: list[Item], title: str = "Test feed") -> bytes:
    parts = [
        f"<item><title>{i.title}</title><guid isPermaLink='false'>{i.guid}</guid>"
        f"<link>https://example.org/{i.guid}</link><pubDate>{i.date}</pubDate>"
        f"<description><![CDATA[{i.body()}]]></description></item>"
        for i in items
    ]
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link>{''.join(parts)}</channel></rss>"
    ).encode()


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    """Routes by path; records every request so tests can count fetches."""

    base: str = ""
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def count(self, path: str) -> int:
        return sum(1 for h in self.hits if h.path == path)

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml",
        etag: bool = True,
        headers: dict[str, str] | None = None,
    ) -> str:
        """A static answer that honours If-None-Match (and can be replaced later)."""
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

        async def handler(request: web.Request) -> web.StreamResponse:
            if etag and request.headers.get("If-None-Match") == tag:
                return web.Response(status=304, headers={"ETag": tag})
            extra = {"ETag": tag} if etag else {}
            return web.Response(
                body=body, headers={"Content-Type": content_type, **extra, **(headers or {})}
            )

        return self.route(path, handler)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(Hit(request.path, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such page")
        return await handler(request)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", srv.dispatch)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    srv.base = f"http://127.0.0.1:{port}"
    yield srv
    await runner.cleanup()


def feed_settings(**polling: object) -> Settings:
    base = PollSettings(
        allow_private_addresses=LOOPBACK,
        failures_before_pause=3,
        timeout_s=2.0,
        max_bytes=300_000,
        contact="mailto:admin@example.org",
    )
    return Settings(
        database=Path("unused"),
        admins=frozenset({"fake:admin"}),
        polling=replace(base, **polling),  # type: ignore[arg-type]
    )


class FeedBot:
    """A bot on the fake platform with no configured feeds, and helpers to drive it."""

    def __init__(self, app: Bot, fake: FakeChatAdapter, clock: Clock) -> None:
        self.app = app
        self.fake = fake
        self.clock = clock

    async def admin(self, text: str, channel: str = "#general") -> str:
        """An admin says ``text``; returns the bot's reply once everything is delivered."""
        before = len(self.fake.sent)
        await self.fake.say(self.fake.user("admin"), text, channel=channel)
        await self.app.delivery.drain()
        replies = [s for s in self.fake.sent[before:] if s.op == "reply"]
        assert replies, f"no reply to {text!r}"
        return replies[-1].text

    async def poll(self, advance: float = 0) -> None:
        self.clock.advance(advance)
        await self.app.poller.poll_due()
        await self.app.delivery.drain()

    def summaries(self, channel: str | None = None) -> list[str]:
        return [
            s.text
            for s in self.fake.sent
            if s.op == "post"
            and s.key.endswith(":summary")
            and (channel is None or s.where.channel == channel)
        ]

    def notices(self) -> list[str]:
        return [s.text for s in self.fake.sent if s.op == "post" and s.key.startswith("feed:")]


async def make_feedbot(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock, settings: Settings
) -> FeedBot:
    app = Bot(db, {Platform("fake"): fake}, settings, clock)
    await fake.start(app.conversation.handle)
    return FeedBot(app, fake, clock)


@pytest.fixture
async def feedbot(db: SqliteStore, fake: FakeChatAdapter, clock: Clock) -> AsyncIterator[FeedBot]:
    fb = await make_feedbot(db, fake, clock, feed_settings())
    yield fb
    await fb.app.fetcher.close()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
