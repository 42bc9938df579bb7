"""Inbound: the gateway's events to the core, and catch-up after an outage.

Live messages and caught-up history pass through the same gate: in a channel or thread the
bot posted in (the state's ``known`` list), messages are handled one at a time under that
container's lock, and only if their id is above the container's resume point, which moves
forward after each. So a message is delivered once whether it arrives live, is replayed by
a gateway RESUME, or is read back from history, and in the order people wrote them.

Catch-up runs after every READY (the first connection, and a new session after Discord
dropped the old one); after a RESUME Discord replays what was missed itself. It reads the
known channels and threads, and also every thread under a known channel that it does not
know yet: the active ones (members start threads on any message) and the recently archived
ones, from the parent's resume point (a thread is younger than the messages before it).
A thread a member started under a known channel becomes known itself on its first message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord import inbound
from bot.adapters.discord.inbound import Place
from bot.core.models import InboundEvent

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)

CATCH_UP_LIMIT = 500  # messages read back per channel or thread after an outage
ARCHIVED_LOOK_BACK = 50  # recently archived threads looked at per channel

CONTENT_MISSING = (
    "Discord is withholding message text from pointbot: switch on the privileged "
    "'Message Content Intent' in the Discord developer portal (Applications > your app > "
    "Bot > Privileged Gateway Intents), then restart the bot. Until then it reads only "
    "messages that mention it, and slash commands."
)


class Inbound:
    """Turns gateway events into core events, once each and in order per container."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter
        self._locks: dict[str, asyncio.Lock] = {}
        self._places: dict[int, Place] = {}
        self._catch_up: asyncio.Task[None] | None = None
        self.caught_up = asyncio.Event()
        self.content_missing = False

    def _lock(self, container: str) -> asyncio.Lock:
        return self._locks.setdefault(container, asyncio.Lock())

    async def place(self, channel_id: int, channel: object = None) -> Place:
        """Where a channel id is: from the object, discord.py's cache, or asked over REST."""
        found = inbound.place_of(channel) if channel is not None else None
        if found is None:
            found = self._places.get(channel_id)
        if found is None:
            client = self.adapter.client
            cached = client.get_channel(channel_id)
            found = inbound.place_of(cached) if cached is not None else None
            if found is None:
                try:
                    found = inbound.place_of(await client.fetch_channel(channel_id))
                except discord.HTTPException as exc:
                    log.debug("cannot look up channel %s: %s", channel_id, exc)
            found = found or (str(channel_id), None)
            if len(self._places) > 10_000:
                self._places.clear()
            self._places[channel_id] = found
        return found

    # live events -------------------------------------------------------------------------

    async def message(self, message: discord.Message) -> None:
        if not inbound.is_human(message):
            return
        self._check_content(message)
        self.adapter.note_member(message.author)
        place = inbound.place_of(message.channel) or await self.place(message.channel.id)
        container = place[1] or place[0]
        state = self.adapter.state
        if not state.is_known(container):
            if place[1] is None or not state.is_known(place[0]):
                await self._deliver_message(message, place)
                return
            await state.track(container)  # a member's thread under a channel the bot uses
        async with self._lock(container):
            last = await self.adapter.state.last(container)
            if last is not None and message.id <= last:
                return  # read back by catch-up already
            await self._deliver_message(message, place)
            await self.adapter.state.set_last(container, message.id)

    async def edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        place = await self.place(payload.channel_id, payload.message.channel)
        await self._deliver(inbound.edited(payload, place, self.adapter.bot_id))

    async def delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        place = await self.place(payload.channel_id)
        await self._deliver(inbound.deleted(payload, place))

    async def reaction(self, payload: discord.RawReactionActionEvent) -> None:
        place = await self.place(payload.channel_id)
        await self._deliver(inbound.reacted(payload, place, self.adapter.bot_id))

    async def _deliver_message(self, message: discord.Message, place: Place) -> None:
        reply_place = None
        target = inbound.reply_target(message)
        if target is not None and target[0] != message.channel.id:
            reply_place = await self.place(target[0])
        bot_id = self.adapter.bot_id
        await self._deliver(inbound.incoming(message, place, bot_id, reply_place))

    async def _deliver(self, event: InboundEvent | None) -> None:
        if event is not None:
            await self.adapter.deliver(event)

    def _check_content(self, message: discord.Message) -> None:
        """A guild message with no text, embed, file or sticker: Discord withheld it."""
        if self.content_missing or message.guild is None:
            return
        if message.content or message.embeds or message.attachments or message.stickers:
            return
        if message.poll is not None or getattr(message, "message_snapshots", None):
            return  # a poll, or a forwarded message: no text of its own
        if inbound.mentions(message, self.adapter.bot_id):
            return
        self.content_missing = True
        self.adapter.warn(CONTENT_MISSING)

    # catch-up ----------------------------------------------------------------------------

    def start_catch_up(self) -> None:
        """Read back what was said while the bot had no session (after READY)."""
        if self._catch_up is not None and not self._catch_up.done():
            return  # one pass at a time; it reads up to the newest message anyway
        self.caught_up.clear()
        self._catch_up = asyncio.create_task(self._catch_up_all(), name="discord-catch-up")

    async def stop(self) -> None:
        task, self._catch_up = self._catch_up, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])

    async def _catch_up_all(self) -> None:
        total = 0
        try:
            state = self.adapter.state
            # Resume points before anything moves them: a new thread is read from its
            # parent's, so nothing said there since the bot went away is skipped.
            starts = {c: await state.last(c) for c in state.known}
            containers = list(state.known)
            for thread, start in await self._unknown_threads(starts):
                await state.track(thread, start)
                containers.append(thread)
            for container in containers:
                try:
                    total += await self._catch_up_in(container)
                except asyncio.CancelledError:
                    raise
                except Exception:  # one broken channel must not stop the others
                    log.exception("catch-up failed in %s", container)
        finally:
            self.caught_up.set()
        if total:
            log.info("caught up on %d messages said while the bot was away", total)

    async def _unknown_threads(self, starts: dict[str, int | None]) -> list[tuple[str, int]]:
        """(thread, start) for threads under known channels that catch-up does not know:
        the guilds' active threads and each channel's recently archived public ones, if
        anything was said there after the parent's resume point."""
        client = self.adapter.client
        parents: dict[int, int] = {}
        guilds: dict[int, discord.Guild] = {}
        for container, start in starts.items():
            channel = client.get_channel(int(container)) if container.isdigit() else None
            if isinstance(channel, discord.TextChannel | discord.ForumChannel) and start:
                parents[channel.id] = start
                guilds[channel.guild.id] = channel.guild
        found: dict[int, discord.Thread] = {}
        for guild in guilds.values():
            try:
                for thread in await guild.active_threads():
                    found[thread.id] = thread
            except discord.HTTPException as exc:
                log.warning("cannot list the active threads of %s: %s", guild.id, exc)
        for parent_id in parents:
            parent = client.get_channel(parent_id)
            if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
                continue
            try:
                async for thread in parent.archived_threads(limit=ARCHIVED_LOOK_BACK):
                    found.setdefault(thread.id, thread)
            except discord.HTTPException as exc:  # no Read Message History: active ones only
                log.debug("cannot list the archived threads of %s: %s", parent_id, exc)
        wanted = []
        for thread in found.values():
            start = parents.get(thread.parent_id or 0)
            if start is None or str(thread.id) in starts:
                continue
            if thread.last_message_id is not None and thread.last_message_id <= start:
                continue  # nothing said there since the bot went away
            wanted.append((str(thread.id), start))
        return wanted

    async def _catch_up_in(self, container: str) -> int:
        state = self.adapter.state
        if await state.last(container) is None:
            return 0
        client = self.adapter.client
        channel = client.get_channel(int(container))
        if channel is None:
            try:
                channel = await client.fetch_channel(int(container))
            except (discord.NotFound, discord.Forbidden):
                await state.forget(container)  # deleted, or hidden from the bot now
                return 0
        if not isinstance(channel, discord.abc.Messageable):
            await state.forget(container)
            return 0
        newest = getattr(channel, "last_message_id", None)
        last = await state.last(container)
        if last is not None and newest is not None and newest <= last:
            return 0
        place = inbound.place_of(channel) or (container, None)
        count = 0
        async with self._lock(container):
            last = await state.last(container) or 0
            history = channel.history(
                after=discord.Object(id=last), limit=CATCH_UP_LIMIT, oldest_first=True
            )
            async for message in history:
                if message.id <= last:
                    continue
                if inbound.is_human(message):
                    await self._deliver_message(message, place)
                    count += 1
                await state.set_last(container, message.id)
        return count
