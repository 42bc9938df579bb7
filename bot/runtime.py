"""The composition root, as a library: :class:`Bot` wires the store, the adapters and the
use cases; :func:`run_platforms` serves Matrix and Discord. The ``bot`` command
(:mod:`bot.cli`) chooses between it and the console (:mod:`bot.console_main`).

``run_platforms`` owns the lifecycle: everything it opens is entered on one
``AsyncExitStack`` and closed in reverse order, also on Ctrl-C or a crash.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from importlib import resources

from bot import datapath
from bot.adapters.base import AdapterError, ChatAdapter
from bot.app.adapter_state import AdapterState
from bot.app.cluster import LeaseKeeper, process_identity
from bot.app.config_feeds import reconcile
from bot.app.conversation import Conversation
from bot.app.delivery import Delivery
from bot.app.feed_admin import FeedAdmin
from bot.app.notify import Digests
from bot.app.observe import Observer
from bot.app.publishing import Publisher
from bot.config import BUNDLED_FEED, FeedSettings, Settings
from bot.core.models import FeedId, Platform
from bot.feeds.document import FeedError, article_of, parse_feed
from bot.feeds.fetch import Fetcher
from bot.feeds.poller import Poller
from bot.storage.port import Store, open_store
from bot.storage.types import Target

log = logging.getLogger(__name__)


def utc_clock() -> datetime:
    return datetime.now(UTC)


def bundled_text(name: str) -> str:
    return resources.files("bot").joinpath("data", name).read_text("utf-8")


class Bot:
    """The composed application: storage, delivery, conversation, publishing."""

    def __init__(
        self,
        store: Store,
        adapters: dict[Platform, ChatAdapter],
        settings: Settings,
        clock: Callable[[], datetime] = utc_clock,
    ) -> None:
        self.store = store
        self.settings = settings
        self.adapters = adapters
        self.clock = clock
        # Several processes may share the database: this one's name in leases and claims.
        self.identity = process_identity()
        cluster = settings.cluster
        self.leases = LeaseKeeper(
            store, self.identity, clock, timedelta(seconds=cluster.lease_seconds)
        )
        self.delivery = Delivery(
            store,
            adapters,
            clock,
            worker=self.identity,
            lease=timedelta(seconds=cluster.outbox_lease_seconds),
        )
        self.publisher = Publisher(store, self.delivery, clock)
        self.fetcher = Fetcher(settings.polling, clock)
        self.poller = Poller(
            store,
            self.fetcher,
            self.publisher,
            adapters,
            clock,
            settings=settings.polling,
            prefix=settings.command_prefix,
        )
        self.poller.leases = self.leases
        self.feed_admin = FeedAdmin(
            store,
            self.poller,
            clock,
            adapters,
            admins=settings.admins,
            prefix=settings.command_prefix,
        )
        self.conversation = Conversation(
            store,
            self.delivery,
            adapters,
            clock,
            prefix=settings.command_prefix,
            admins=settings.admins,
            acknowledge=settings.acknowledge,
            limits=settings.questions,
            feed_commands=self.feed_admin,
        )
        if settings.web is not None:
            self.conversation.public_url = settings.web.public_url
        self.digests = Digests(store, self.delivery, clock, prefix=settings.command_prefix)
        self.config_changes: list[str] = []

    def set_observer(self, observer: Observer) -> None:
        """Report events (questions, sends, poll cycles) to ``observer`` from now on."""
        self.delivery.observer = observer
        self.poller.observer = observer
        self.conversation.observer = observer
        self.conversation.desk.observer = observer

    def start_workers(self, stack: AsyncExitStack) -> None:
        """The outbox worker and the authors' digests, running until ``stack`` closes."""
        for name, job in (("outbox", self.delivery.run()), ("digests", self.digests.run())):
            task = asyncio.create_task(job, name=name)
            stack.push_async_callback(cancel_task, task)

    async def start_polling(
        self,
        stack: AsyncExitStack,
        feeds: list[tuple[FeedSettings, FeedId, list[Target]]],
    ) -> None:
        """Poll the HTTP feeds (config and chat) until ``stack`` closes."""
        await self.poller.apply_config([(spec, fid) for spec, fid, _ in feeds])
        stack.push_async_callback(self.fetcher.close)
        task = asyncio.create_task(self.poller.run(), name="poller")
        stack.push_async_callback(cancel_task, task)

    async def sync_config_feeds(self) -> list[tuple[FeedSettings, FeedId, list[Target]]]:
        """Make the database's feeds match the config's (see :mod:`bot.app.config_feeds`);
        what changed is in ``config_changes``."""
        done = await reconcile(self.store, self.settings.feeds, self.clock)
        self.config_changes = done.changes
        return done.feeds

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


def build_adapters(settings: Settings, store: Store) -> dict[Platform, ChatAdapter]:
    """The configured platforms' adapters (platform libraries are imported only here)."""
    state = AdapterState(store)
    adapters: dict[Platform, ChatAdapter] = {}
    if settings.matrix is not None:
        from bot.adapters.matrix import MatrixAdapter

        matrix = MatrixAdapter.from_settings(settings, state, is_author=state.is_any_author)
        adapters[matrix.platform] = matrix
    if settings.discord is not None:
        from bot.adapters.discord import DiscordAdapter

        discord = DiscordAdapter.from_settings(settings, state)
        adapters[discord.platform] = discord
    return adapters


async def run_platforms(settings: Settings, out: Callable[[str], None]) -> int:
    """Serve Matrix and/or Discord until SIGINT or SIGTERM."""
    async with AsyncExitStack() as stack:
        store = await open_store(settings.database)
        stack.push_async_callback(store.close)
        adapters = build_adapters(settings, store)
        bot = Bot(store, adapters, settings)
        if settings.web is not None:
            from bot.web.server import start_web  # aiohttp's server only when asked for

            try:
                url = await start_web(bot, settings.web, stack)
            except OSError as exc:
                out(
                    f"could not listen on {settings.web.host}:{settings.web.port} "
                    f"([web] listen): {exc.strerror or exc}"
                )
                return 3
            out(f"web: {url}/metrics and {url}/healthz")
            if settings.web.public_url is not None:
                out(f"web desk: {settings.web.public_url}/desk (sign in with !web)")
        feeds = await bot.sync_config_feeds()
        for change in bot.config_changes:
            out(f"config: {change}")
        stack.push_async_callback(bot.leases.release_all)
        # Runs after the adapters closed and the outbox worker stopped (the stack unwinds).
        stack.push_async_callback(bot.delivery.release)
        matrix = adapters.pop(Platform("matrix"), None)
        for adapter in adapters.values():
            try:
                await adapter.start(bot.conversation.handle)
            except AdapterError as exc:
                out(f"could not start on {adapter.platform}: {exc.detail}")
                return 3
            stack.push_async_callback(adapter.close)
            for warning in getattr(adapter, "warnings", ()):
                out(warning)
        if matrix is not None:
            role = MatrixRole(bot, matrix, out)
            task = asyncio.create_task(role.run(), name="matrix-lease")
            stack.push_async_callback(cancel_task, task)
            stack.push_async_callback(role.stop)
            await role.first_try.wait()
            if role.failed is not None:
                return 3
        bot.start_workers(stack)
        await publish_configured(bot, feeds, out)
        await bot.start_polling(stack, feeds)
        out(
            f"pointbot running on {', '.join(settings.platforms)} — database "
            f"{datapath.shown(settings.database)}, config: {settings.source}. Ctrl-C stops it."
        )
        await _until_stopped()
        out("stopping: finishing what is in hand; pending messages stay queued for next time")
    return 0


class MatrixRole:
    """Matrix runs in exactly one process: the holder of the ``matrix`` lease. This one
    tries for it every renewal period; once it holds it, it starts the adapter (and adds it
    to the bot's adapters, so delivery claims Matrix rows); if it loses it (it could not
    renew in time: another process took over), it closes the adapter again."""

    def __init__(self, bot: Bot, adapter: ChatAdapter, out: Callable[[str], None]) -> None:
        self.bot = bot
        self.adapter = adapter
        self.out = out
        self.running = False
        self.failed: str | None = None
        self.first_try = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                held = await self.bot.leases.hold("matrix")
                if held and not self.running:
                    await self.adapter.start(self.bot.conversation.handle)
                    self.running = True
                    self.bot.adapters[self.adapter.platform] = self.adapter
                    for warning in getattr(self.adapter, "warnings", ()):
                        self.out(warning)
                    self.bot.delivery.kick()
                elif not held and self.running:
                    self.out("matrix: another process holds the Matrix lease now; stopping here")
                    await self.stop()
                elif not held and not self.first_try.is_set():
                    self.out("matrix: another process runs Matrix; this one stands by")
            except AdapterError as exc:
                self.failed = exc.detail
                self.out(f"could not start on {self.adapter.platform}: {exc.detail}")
                self.first_try.set()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("matrix lease: trying again shortly")
            self.first_try.set()
            await asyncio.sleep(self.bot.leases.renew_every)

    async def stop(self) -> None:
        if self.running:
            self.running = False
            self.bot.adapters.pop(self.adapter.platform, None)
            await self.adapter.close()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def publish_configured(
    bot: Bot, feeds: list[tuple[FeedSettings, FeedId, list[Target]]], out: Callable[[str], None]
) -> None:
    for feed, fid, targets in feeds:
        if feed.url.startswith("bundled:"):
            try:
                await bot.publish_bundled(fid, targets)
            except FeedError as exc:
                out(f"the bundled feed could not be read: {exc}")
    await bot.delivery.drain()


async def cancel_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.wait([task])  # waits without re-raising the task's CancelledError
