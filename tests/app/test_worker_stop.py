"""Stopping the background workers always stops them, even when a wake-up arrives in the
same instant as the cancellation (the console bot hung at exit after a crash that way).

On Python 3.11 ``asyncio.wait_for`` returns normally instead of raising ``CancelledError``
when the awaited thing finishes in the same loop iteration as the cancel (gh-86296, fixed in
3.12), so a worker waiting on its wake-up event with it went on looping, and
``bot.runtime.cancel_task`` waited for it forever."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bot.app.delivery import Delivery
from bot.core.models import Platform
from bot.feeds.fetch import Fetcher
from bot.feeds.poller import Poller
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.feeds.conftest import feed_settings


async def _stops_when_woken_and_cancelled_at_once(
    run: Coroutine[Any, Any, None], kick: Callable[[], None]
) -> None:
    task = asyncio.create_task(run)
    for _ in range(20):  # let it reach its wait for a wake-up
        await asyncio.sleep(0.01)
    kick()
    task.cancel()  # in the same instant, as the console runner's exit does after a crash
    done, _ = await asyncio.wait([task], timeout=3)
    if not done:  # clean up what the old code left running, then fail
        task.cancel()
        await asyncio.wait([task], timeout=3)
    assert done, "the worker went on running after it was cancelled"
    assert task.cancelled()


async def test_the_outbox_worker_stops_when_woken_and_cancelled_at_once(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    delivery = Delivery(db, {Platform("fake"): fake}, clock)
    await _stops_when_woken_and_cancelled_at_once(delivery.run(), delivery.kick)


async def test_the_poller_stops_when_woken_and_cancelled_at_once(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    settings = feed_settings()
    bot = Bot(db, {Platform("fake"): fake}, settings, clock)
    poller: Poller = bot.poller
    fetcher: Fetcher = bot.fetcher
    try:
        await _stops_when_woken_and_cancelled_at_once(poller.run(), poller.wake)
    finally:
        await fetcher.close()
