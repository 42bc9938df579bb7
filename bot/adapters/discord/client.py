"""The discord.py client (minimal intents, no pings by default, events to ``Inbound``) and
the start-up steps: log in, check the Message Content intent, connect, register commands."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.base import PermissionFailure, TemporaryFailure
from bot.adapters.discord.errors import PLATFORM, failure_of
from bot.adapters.discord.slash import build_tree
from bot.adapters.discord.state import DiscordState

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter
    from bot.config import DiscordSettings

log = logging.getLogger(__name__)


def intents(*, content: bool = True) -> discord.Intents:
    """What the bot needs and no more: servers and channels, messages with their text
    (privileged: enabled in the developer portal), reactions, and direct messages."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = content
    wanted.guild_reactions = True
    wanted.dm_messages = True
    return wanted


class PointbotClient(discord.Client):
    """One bot session; every event is handed to the adapter's inbound side."""

    def __init__(
        self,
        adapter: DiscordAdapter,
        *,
        message_content: bool,
        guild_ready_timeout: float,
        reidentify_delay: float,
        max_ratelimit_timeout: float,
        **shards: Any,
    ) -> None:
        super().__init__(
            **shards,
            intents=intents(content=message_content),
            guild_ready_timeout=guild_ready_timeout,
            # Whatever a send forgets, nobody is pinged unless it says so itself.
            allowed_mentions=discord.AllowedMentions.none(),
            # A 429 asking for a longer wait comes back as an error, and the outbox
            # waits it out instead of this send holding the channel's lane.
            max_ratelimit_timeout=max_ratelimit_timeout,
            chunk_guilds_at_startup=False,
        )
        self.adapter = adapter
        self.reidentify_delay = reidentify_delay
        self.tree = build_tree(self, adapter.slash)
        self.ready = asyncio.Event()

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        # discord.py may still announce READY after close() (its guild_ready_timeout
        # timer keeps running); a closed client has no loop to run handlers on.
        if not self.is_closed():
            super().dispatch(event, *args, **kwargs)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord limits how often a bot may IDENTIFY; discord.py waits 5 s before a repeat.
        if not initial and self.reidentify_delay > 0:
            await asyncio.sleep(self.reidentify_delay)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (%d servers)", self.user, len(self.guilds))
        for guild in list(self.guilds):
            await self.adapter.guilds.enforce(guild)
        self.ready.set()
        self.adapter.inbound.start_catch_up()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adapter.guilds.enforce(guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.adapter.guilds.enforce(guild)  # back after an outage: the list may be new

    async def on_resumed(self) -> None:
        log.info("Discord session resumed; missed events are replayed by Discord")

    # Events from a server not allowed are dropped here (the bot is leaving it).

    async def on_message(self, message: discord.Message) -> None:
        if self.adapter.guilds.allows(message.guild.id if message.guild else None):
            await self.adapter.inbound.message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if self.adapter.guilds.allows(payload.guild_id):
            await self.adapter.inbound.edit(payload)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self.adapter.guilds.allows(payload.guild_id):
            await self.adapter.inbound.delete(payload)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if self.adapter.guilds.allows(payload.guild_id):
            await self.adapter.inbound.reaction(payload)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if self.adapter.guilds.allows(payload.guild_id):
            await self.adapter.inbound.reaction(payload)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Slash commands reach the command tree by themselves; a press on one of the bot's
        # buttons is matched here, by its custom_id, whichever process sent the button.
        if interaction.type is discord.InteractionType.component:
            await self.adapter.slash.pressed(interaction)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("error while handling Discord event %s", event_method)


class PointbotShardedClient(PointbotClient, discord.AutoShardedClient):
    """Several shards in this process (``[discord] shard_ids`` lists more than one)."""


def shard_options(settings: DiscordSettings) -> tuple[type[PointbotClient], dict[str, Any]]:
    """The client class and its sharding arguments for ``[discord] shard_count/shard_ids``.

    One shard in all: a plain client (no ``shard`` in IDENTIFY). One of several: a plain
    client with ``shard_id`` and ``shard_count`` (discord.py sends ``shard: [id, count]``).
    Several in this process: discord.py's AutoShardedClient with ``shard_ids``."""
    count, ids = settings.shard_count, settings.shard_ids
    if count == 1:
        return PointbotClient, {}
    if ids is None:
        return PointbotShardedClient, {"shard_count": count}
    if len(ids) == 1:
        return PointbotClient, {"shard_id": ids[0], "shard_count": count}
    return PointbotShardedClient, {"shard_ids": list(ids), "shard_count": count}


async def log_in(
    adapter: DiscordAdapter, options: dict[str, float], *, content: bool
) -> PointbotClient:
    """A client logged in over REST (the token is checked here, before any gateway)."""
    cls, shards = shard_options(adapter.settings)
    client = cls(adapter, message_content=content, **options, **shards)
    try:
        await client.login(adapter.settings.token.reveal())
    except BaseException as exc:
        await client.close()
        if isinstance(exc, discord.LoginFailure):
            raise PermissionFailure(
                PLATFORM,
                "start",
                "Discord refused the bot token (DISCORD_TOKEN): copy it again from the "
                "developer portal (Applications > your app > Bot > Reset Token)",
            ) from exc
        if isinstance(exc, Exception):
            raise failure_of(exc, "start") from exc
        raise
    return client


def content_intent_enabled(client: discord.Client) -> bool:
    """False when the application's flags show the Message Content intent switched off in
    the developer portal (Discord would then refuse an IDENTIFY asking for it)."""
    flags = client.application_flags
    if getattr(flags, "value", None) is None:
        return True  # not told: ask for it, and let the gateway answer
    return bool(flags.gateway_message_content or flags.gateway_message_content_limited)


async def connect(client: PointbotClient, timeout: float) -> asyncio.Task[None]:  # noqa: ASYNC109
    """Run the gateway in a background task; return it once READY arrived.

    Raises ``discord.PrivilegedIntentsRequired`` as it is (the caller retries without the
    Message Content intent), and an AdapterError for anything else that ends the task.
    """
    task = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
    ready = asyncio.create_task(client.ready.wait())
    await asyncio.wait({ready, task}, timeout=timeout, return_when="FIRST_COMPLETED")
    ready.cancel()
    if client.ready.is_set():
        return task
    if not task.done():
        task.cancel()
        await asyncio.wait([task])
        raise TemporaryFailure(PLATFORM, "start", f"Discord's gateway sent no READY in {timeout}s")
    exc = None if task.cancelled() else task.exception()
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        raise exc
    if exc is not None:
        raise failure_of(exc, "start") from exc
    raise TemporaryFailure(PLATFORM, "start", "the gateway connection ended before READY")


async def sync_commands(client: PointbotClient, state: DiscordState) -> str | None:
    """Register the slash commands if they changed since the last sync (Discord limits how
    many a bot may create a day); a problem to show the admin, or None."""
    payload = [c.to_dict(client.tree) for c in client.tree.get_commands()]
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    if await state.get("commands") == digest:
        return None
    try:
        await client.tree.sync()
    except discord.HTTPException as exc:
        return (
            f"the slash commands could not be registered ({exc}); invite the bot with the "
            "applications.commands scope. Text commands keep working."
        )
    await state.put("commands", digest)
    log.info("registered %d slash commands", len(payload))
    return None
