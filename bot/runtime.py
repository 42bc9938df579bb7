"""The bot's main job: open the database, start the adapters, publish, converse.

``run`` owns the lifecycle: everything it opens is entered on one ``AsyncExitStack`` and
closed in reverse order, also on Ctrl-C or a crash.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

from bot.adapters.base import ChatAdapter
from bot.adapters.console import ConsoleAdapter
from bot.adapters.console_session import CONSOLE_HELP, ConsoleSession
from bot.app.conversation import Conversation
from bot.app.delivery import Delivery
from bot.app.feed_admin import FeedAdmin
from bot.app.publishing import Publisher
from bot.config import BUNDLED_FEED, FeedSettings, Settings
from bot.core.models import ChatRef, FeedId, Platform
from bot.feeds.document import FeedError, article_of, parse_feed
from bot.feeds.fetch import Fetcher
from bot.feeds.poller import Poller
from bot.storage.articles import ArticleRepository, Target
from bot.storage.db import Database

log = logging.getLogger(__name__)


def utc_clock() -> datetime:
    return datetime.now(UTC)


def bundled_text(name: str) -> str:
    return resources.files("bot").joinpath("data", name).read_text("utf-8")


class Bot:
    """The composed application: storage, delivery, conversation, publishing."""

    def __init__(
        self,
        db: Database,
        adapters: dict[Platform, ChatAdapter],
        settings: Settings,
        clock: Callable[[], datetime] = utc_clock,
    ) -> None:
        self.db = db
        self.settings = settings
        self.adapters = adapters
        self.clock = clock
        self.delivery = Delivery(db, adapters, clock)
        self.publisher = Publisher(db, self.delivery, clock)
        self.fetcher = Fetcher(settings.polling, clock)
        self.poller = Poller(
            db,
            self.fetcher,
            self.publisher,
            adapters,
            clock,
            settings=settings.polling,
            prefix=settings.command_prefix,
        )
        self.feed_admin = FeedAdmin(
            db, self.poller, clock, tuple(adapters), prefix=settings.command_prefix
        )
        self.conversation = Conversation(
            db,
            self.delivery,
            adapters,
            clock,
            prefix=settings.command_prefix,
            admins=settings.admins,
            feed_commands=self.feed_admin,
        )
        self.articles = ArticleRepository(db)

    async def start_polling(
        self,
        stack: AsyncExitStack,
        feeds: list[tuple[FeedSettings, FeedId, list[Target]]],
    ) -> None:
        """Poll the HTTP feeds (config and chat) until ``stack`` closes."""
        await self.poller.apply_config([(spec, fid) for spec, fid, _ in feeds])
        stack.push_async_callback(self.fetcher.close)
        task = asyncio.create_task(self.poller.run(), name="poller")
        stack.push_async_callback(_cancel, task)

    async def sync_config_feeds(self) -> list[tuple[FeedSettings, FeedId, list[Target]]]:
        """Make the database's feeds, authors and targets include those in the config."""
        found: list[tuple[FeedSettings, FeedId, list[Target]]] = []
        async with self.db.transaction() as conn:
            for feed in self.settings.feeds:
                source = "builtin" if feed.url.startswith("bundled:") else "config"
                fid = await self.articles.ensure_feed(
                    conn, feed.url, title=feed.title, source=source, now=self.clock()
                )
                await self.articles.set_feed_authors(conn, fid, list(feed.authors))
                targets = []
                for spec in feed.targets:
                    platform, _, channel = spec.partition(":")
                    where = ChatRef(Platform(platform), channel)
                    targets.append(await self.articles.ensure_target(conn, fid, where))
                found.append((feed, fid, targets))
        return found

    async def publish_bundled(self, feed_id: FeedId, targets: list[Target]) -> int:
        """Publish every entry of the bundled example feed; returns outbox rows queued."""
        doc = parse_feed(bundled_text(BUNDLED_FEED.removeprefix("bundled:")).encode())
        queued = 0
        for entry in doc.entries:
            article = article_of(entry)
            _, n = await self.publisher.publish(
                feed_id, entry.key, article, targets, published_at=entry.published
            )
            queued += n
        return queued


async def run(
    settings: Settings,
    *,
    script: Path | None = None,
    demo: bool = True,
    stdin: TextIO = sys.stdin,
    write: Callable[[str], None] | None = None,
) -> int:
    """Run the bot until its input ends (console) or it is stopped (chat platforms)."""
    out = write or (lambda text: print(text, flush=True))
    if settings.platforms:
        out(f"platforms configured: {', '.join(settings.platforms)}")
        out("the Matrix and Discord adapters are not built yet (issues 4 and 5); stopping.")
        return 2
    async with AsyncExitStack() as stack:
        db = await Database.open(settings.database)
        stack.push_async_callback(db.close)
        console = ConsoleAdapter(out)
        bot = Bot(db, {console.platform: console}, settings)
        feeds = await bot.sync_config_feeds()
        await console.start(bot.conversation.handle)
        stack.push_async_callback(console.close)
        worker = asyncio.create_task(bot.delivery.run(), name="outbox")
        stack.push_async_callback(_cancel, worker)

        out(f"pointbot on the console — database {settings.database}, config: {settings.source}")
        await _publish_configured(bot, feeds, out)
        await bot.start_polling(stack, feeds)
        session = ConsoleSession(console, out, bot.delivery.drain)
        if demo:
            out("— playing the demo conversation (bot/data/demo-script.txt) —")
            for line in bundled_text("demo-script.txt").splitlines():
                await session.line(line)
            out("— demo finished —")
        if script is not None:
            with script.open(encoding="utf-8") as lines:
                await _converse(session, lines, interactive=False)
        else:
            await _converse(session, stdin, interactive=stdin.isatty())
        pending = (await bot.delivery.outbox.counts()).get("pending", 0)
        if pending:
            out(f"{pending} outgoing messages are still pending and will be sent next run.")
    return 0


async def _publish_configured(
    bot: Bot, feeds: list[tuple[FeedSettings, FeedId, list[Target]]], out: Callable[[str], None]
) -> None:
    for feed, fid, targets in feeds:
        if feed.url.startswith("bundled:"):
            try:
                await bot.publish_bundled(fid, targets)
            except FeedError as exc:
                out(f"the bundled feed could not be read: {exc}")
    await bot.delivery.drain()


async def _converse(session: ConsoleSession, source: TextIO, *, interactive: bool) -> None:
    """Feed the session the lines of ``source`` until it ends or the person quits."""
    if interactive:
        session.write(CONSOLE_HELP)
    reader = _LineReader(source)
    while not session.finished:
        if interactive:
            sys.stdout.write(session.prompt())
            sys.stdout.flush()
        line = await reader.next()
        if line is None:
            break
        await session.line(line)


class _LineReader:
    """Lines of a blocking text stream, read on a daemon thread so Ctrl-C never hangs."""

    def __init__(self, stream: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=self._pump, args=(stream.readline,), daemon=True).start()

    def _pump(self, readline: Callable[[], str]) -> None:
        while True:
            try:
                line = readline()
            except (OSError, ValueError):
                line = ""
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line or None)
            if not line:
                return

    async def next(self) -> str | None:
        return await self._queue.get()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.wait([task])  # waits without re-raising the task's CancelledError
