"""The console run: the bot's whole loop in a terminal, with several people typing.

Used when no chat platform is configured. The demo conversation plays first (unless
``--no-demo``, or the world is not new), then lines come from ``--script FILE``, a pipe, or
a person at a terminal. The console's world (messages, threads) is kept in the database at
the end of a run and restored at the next, so a kept database goes on where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.adapters.console import ConsoleAdapter
from bot.adapters.console_session import CONSOLE_HELP, ConsoleSession
from bot.app.adapter_state import AdapterState
from bot.config import Settings, WebSettings
from bot.core.wording import count, plural
from bot.runtime import Bot, bundled_text, publish_configured
from bot.storage.port import Store, open_store

log = logging.getLogger(__name__)

WORLD = "world"  # the console's adapter_state entry holding its snapshot


async def run_console(
    settings: Settings,
    out: Callable[[str], None],
    *,
    script: Path | None = None,
    demo: bool = True,
    stdin: TextIO = sys.stdin,
    web_port: int | None = None,
) -> int:
    """Run on the console until its input ends or the person types /quit.

    ``web_port`` (``--web``): also serve the web desk on 127.0.0.1 (0: a free port) and print
    a sign-in link for the console's author, so a newcomer can open the desk at once."""
    if web_port is not None:
        settings = _with_console_web(settings, web_port)
    async with AsyncExitStack() as stack:
        store = await open_store(settings.database)
        stack.push_async_callback(store.close)
        console = ConsoleAdapter(out)
        state = AdapterState(store)
        earlier = await _restore_world(console, state, store)
        bot = Bot(store, {console.platform: console}, settings)
        feeds = await bot.sync_config_feeds()
        await console.start(bot.conversation.handle)
        stack.push_async_callback(console.close)
        stack.push_async_callback(_keep_world, console, state)
        bot.start_workers(stack)

        out(f"pointbot on the console — database {settings.database}, config: {settings.source}")
        for change in bot.config_changes:
            out(f"config: {change}")
        await publish_configured(bot, feeds, out)
        if web_port is not None and settings.web is not None:
            await _start_console_web(bot, settings.web, stack, out)
        await bot.start_polling(stack, feeds)
        interactive = script is None and stdin.isatty()
        if not interactive:
            await _first_poll(bot, settings, out)
        session = ConsoleSession(console, out, bot.delivery.drain)
        if demo and earlier:
            out(f"— the demo is not played again: {earlier} (--database NEW_FILE plays it) —")
        elif demo:
            out("— playing the demo conversation (bot/data/demo-script.txt) —")
            for line in bundled_text("demo-script.txt").splitlines():
                await session.line(line)
            out("— demo finished —")
        if script is not None:
            with script.open(encoding="utf-8") as lines:
                await _converse(session, lines, interactive=False)
        else:
            await _converse(session, stdin, interactive=stdin.isatty())
        async with store.read() as r:
            pending = (await r.outbox.counts()).get("pending", 0)
        if pending:
            said = f"{count(pending, 'outgoing message')} {plural(pending, 'is')}"
            out(f"{said} still pending and will be sent next run.")
    return 0


def _with_console_web(settings: Settings, port: int) -> Settings:
    """``[web]`` on loopback at ``port`` (0: one the OS says is free now)."""

    if port == 0:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    web = WebSettings("127.0.0.1", port, public_url=f"http://127.0.0.1:{port}")
    return replace(settings, web=web)


async def _start_console_web(
    bot: Bot, web: WebSettings, stack: AsyncExitStack, out: Callable[[str], None]
) -> None:
    from bot.app.signin import issue_link
    from bot.core.models import Platform, UserRef
    from bot.web.server import start_web

    url = await start_web(bot, web, stack)
    out(f"web: the desk at {url}/desk (type !web for a new sign-in link)")
    link = await issue_link(
        bot.store, UserRef(Platform("console"), "author", "Author"), url, bot.clock()
    )
    if link is not None:
        out(f"web: sign in as console:author (once, within 10 minutes): {link}")


async def _restore_world(console: ConsoleAdapter, state: AdapterState, store: Store) -> str:
    """Bring back the world an earlier run on this database left; say what came back (or
    why the world cannot be new), "" for a new world."""
    kept = await state.get_state(str(console.platform), WORLD)
    if kept is not None:
        console.restore(json.loads(kept))
        return (
            f"this database keeps the console world of an earlier run "
            f"({count(len(console.messages), 'message')}, "
            f"{count(len(console.threads), 'thread')})"
        )
    async with store.read() as r:
        sent = await r.outbox.delivered_on(console.platform)
    if sent:
        return "this database holds console messages of an earlier run, but not its world"
    return ""


async def _keep_world(console: ConsoleAdapter, state: AdapterState) -> None:
    try:
        await state.set_state(str(console.platform), WORLD, json.dumps(console.snapshot()))
    except Exception:  # a failed save loses the console's view only, never the bot's data
        log.exception("the console's world could not be kept for the next run")


async def _first_poll(bot: Bot, settings: Settings, out: Callable[[str], None]) -> None:
    """A script or a pipe starts once the first poll of the HTTP feeds has landed (bounded:
    two fetch timeouts, for a feed and its article pages, and a little more)."""
    async with bot.store.read() as r:
        if not await r.feeds.due(bot.clock()):
            return
    bound = 2 * settings.polling.timeout_s + 5
    try:
        await asyncio.wait_for(bot.poller.first_cycle_done.wait(), bound)
    except TimeoutError:
        out(f"— the first poll of the feeds took over {bound:.0f} s; going on without it —")
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
