"""Resends after Discord's nonce window: find the first attempt's message instead.

``enforce_nonce`` makes Discord return the earlier message for a repeated nonce, but only
"in the past few minutes". An outbox row retried later (after an outage, a long backoff,
or a crash between Discord's answer and the row being marked done) would post twice. So
the first attempt of each key is noted in the state store (``sent/<nonce>``, its time);
a resend older than ``nonce_window`` first reads the channel's history since that time
for the bot's own message with the same content (or the same embed): Discord does not
return nonces in history, so the content is what identifies it.

A note outlives its use once its row is delivered, and there is one per message the bot
ever sent: at start and every :data:`PRUNE_EVERY` first attempts, the notes older than the
oldest undelivered Discord row (less an hour for clock skew between processes) are
deleted (``AdapterState.forget_send_notes``): a note is written after its row was queued,
so such a note's row is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord import render

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)

LOOK_BACK = 100  # messages read after the first attempt's time
PRUNE_EVERY = 1000  # first attempts noted between two prunings of the old notes


class SentBefore:
    """Notes first attempts and finds their messages after the nonce window."""

    def __init__(self, adapter: DiscordAdapter, window: float, clock: Callable[[], float]) -> None:
        self.adapter = adapter
        self.window = window
        self.clock = clock
        self.noted = 0

    async def find(
        self, target: Any, key: str, content: str | None, embed: discord.Embed | None
    ) -> int | None:
        """The id of the message an attempt older than the window already sent for
        ``key``, or None (then the caller sends; a first attempt is noted here)."""
        name = f"sent/{render.nonce(key)}"
        state = self.adapter.state
        raw = await state.get(name)
        now = self.clock()
        if raw is None:
            await state.put(name, repr(now))
            self.noted += 1
            if self.noted % PRUNE_EVERY == 0:
                await self.prune()
            return None
        try:
            first = float(raw)
        except ValueError:
            return None
        if now - first < self.window:
            return None  # Discord still enforces the nonce itself
        since = discord.utils.time_snowflake(datetime.fromtimestamp(first - 1, UTC))
        me = self.adapter.bot_id
        async for message in target.history(after=discord.Object(id=since), limit=LOOK_BACK):
            if message.author.id != me:
                continue
            if _same(message, content, embed):
                log.info("found the message a first attempt sent for %s: %s", name, message.id)
                await state.remember(str(target.id), message.id)
                return int(message.id)
        return None

    async def prune(self) -> None:
        """Delete notes no undelivered row can need (one per message ever sent, else);
        a failure is logged, the notes kept."""
        try:
            forgotten = await self.adapter.state.forget_send_notes()
        except Exception:
            log.warning("could not delete old first-attempt notes", exc_info=True)
            return
        if forgotten:
            log.info("deleted %d first-attempt notes no undelivered row needs", forgotten)


def _same(message: discord.Message, content: str | None, embed: discord.Embed | None) -> bool:
    if (message.content or "") != (content or ""):
        return False
    if embed is None:
        return not message.embeds
    if not message.embeds:
        return False
    shown = message.embeds[0]
    return (shown.title, shown.description) == (embed.title, embed.description)
