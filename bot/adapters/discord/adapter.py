"""The Discord adapter: the contract's verbs over discord.py, and the gateway feeding the core.

``start`` logs in over REST (a refused token fails here, in plain words), connects the
gateway in a background task and returns once Discord says READY; without the Message
Content intent it still starts, without it, and says how to switch it on. Sends use the
outbox key, hashed, as the message nonce with ``enforce_nonce``, so a retried send within
Discord's nonce window returns the first message, and a resend after it looks for that
message first (``sent``); threads are looked for before they are created (``threads``).
Cards go out as text where the bot lacks Embed Links; edits and reactions in an archived
thread unarchive it first, and a locked thread fails the work once, telling the admins.
Whatever the text, only the person the bot answers can be pinged (``render``). Slash
commands and presses on the bot's buttons come back through the core as text commands
(``slash``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.adapters.base import (
    AdapterError,
    Capabilities,
    MessageHandler,
    NotFoundFailure,
    PermissionFailure,
    TemporaryFailure,
)
from bot.adapters.discord import guards, render
from bot.adapters.discord.client import (
    PointbotClient,
    connect,
    content_intent_enabled,
    log_in,
    sync_commands,
)
from bot.adapters.discord.errors import PLATFORM as PLATFORM_NAME
from bot.adapters.discord.errors import ThreadLockedFailure, failure_of
from bot.adapters.discord.events import CONTENT_MISSING, Inbound
from bot.adapters.discord.guilds import GuildGate
from bot.adapters.discord.inbound import PLATFORM
from bot.adapters.discord.roles import AdminNotices, Roles
from bot.adapters.discord.sent import SentBefore
from bot.adapters.discord.slash import SlashCommands
from bot.adapters.discord.state import DiscordState, StateStore
from bot.adapters.discord.threads import ThreadOpener
from bot.config import DiscordSettings, Settings
from bot.core.models import ChatRef, InboundEvent, Rendered, Role, UserRef

log = logging.getLogger(__name__)

ARCHIVE_CHOICES = (60, 1440, 4320, 10080)  # minutes Discord accepts for auto-archiving
SEND_PERMISSIONS = "the permissions View Channel, Send Messages (in threads too) and Embed Links"


def snowflake(value: str, op: str) -> int:
    """A Discord id from a ref; a name where an id belongs (``discord:#general`` in the
    config) is a mistake retrying cannot fix."""
    if not value.isdigit():
        raise NotFoundFailure(
            PLATFORM_NAME,
            op,
            f"'{value}' is not a Discord id: use the numeric id (Discord settings > Advanced >"
            " Developer Mode, then right-click > Copy Channel ID / Copy User ID)",
            ids=value,
        )
    return int(value)


class DiscordAdapter:
    """A :class:`~bot.adapters.base.ChatAdapter` for one Discord bot account.

    ``admins`` are user keys (``discord:<user id>``) told by direct message when the bot
    lacks a permission somewhere; ``prefix`` is the core's command prefix (slash commands
    are translated into text commands with it).
    """

    platform = PLATFORM
    capabilities = Capabilities(
        max_message_chars=2000, max_thread_title_chars=100, private_slash_replies=True
    )

    def __init__(
        self,
        settings: DiscordSettings,
        state: StateStore,
        *,
        admins: frozenset[str] = frozenset(),
        prefix: str = "!",
        guild_ready_timeout: float = 2.0,
        auto_archive_minutes: int = 1440,
        ready_timeout: float = 60.0,
        reidentify_delay: float = 5.0,
        max_ratelimit_timeout: float = 60.0,
        nonce_window: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if auto_archive_minutes not in ARCHIVE_CHOICES:
            raise ValueError(f"auto_archive_minutes must be one of {ARCHIVE_CHOICES}")
        self.settings = settings
        self.state = DiscordState(state)
        self.prefix = prefix
        self.ready_timeout = ready_timeout
        self._options: dict[str, float] = {
            "guild_ready_timeout": guild_ready_timeout,
            "reidentify_delay": reidentify_delay,
            "max_ratelimit_timeout": max_ratelimit_timeout,
        }
        self.inbound = Inbound(self)
        self.slash = SlashCommands(self, prefix)
        self.threads = ThreadOpener(self, auto_archive_minutes)
        self.roles = Roles(self)
        self.guilds = GuildGate(settings.allowed_guilds)
        self.sent_before = SentBefore(self, nonce_window, clock)
        discord_admins = frozenset(a.removeprefix("discord:") for a in admins)
        self.notices = AdminNotices(self, discord_admins)
        self.warnings: list[str] = []
        self._client: PointbotClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._handler: MessageHandler | None = None

    @classmethod
    def from_settings(cls, settings: Settings, state: StateStore, **options: Any) -> DiscordAdapter:
        """The adapter as the bot composes it: token from DISCORD_TOKEN, admins and
        prefix from ``[bot]``."""
        if settings.discord is None:
            raise ValueError("DISCORD_TOKEN is not set")
        return cls(
            settings.discord,
            state,
            admins=settings.admins,
            prefix=settings.command_prefix,
            auto_archive_minutes=settings.discord.auto_archive_minutes,
            **options,
        )

    # lifecycle -------------------------------------------------------------------------

    @property
    def client(self) -> PointbotClient:
        """The connected client; raises TemporaryFailure when there is none."""
        if self._client is None or self._client.is_closed():
            raise TemporaryFailure(PLATFORM_NAME, "send", "not connected to Discord")
        return self._client

    @property
    def is_connected(self) -> bool:
        """Whether the gateway session is up (the contract's cheap health property)."""
        c = self._client
        return c is not None and not c.is_closed() and c.is_ready()

    @property
    def connected(self) -> PointbotClient | None:
        """The client if there is one, without raising."""
        return self._client

    @property
    def bot_id(self) -> int:
        user = self.client.user
        return user.id if user is not None else 0

    async def start(self, on_message: MessageHandler) -> None:
        """Log in, connect the gateway, return once READY (see the module docstring).

        Without the Message Content intent (switched off in the developer portal) the bot
        still starts, without it, and says so: slash commands and messages that mention
        it keep working.
        """
        if self._client is not None:
            raise RuntimeError("DiscordAdapter.start() called twice")
        self._handler = on_message
        try:
            client = await log_in(self, self._options, content=True)
            self._client = client
            await self.state.load(self.bot_id)
            await self.sent_before.prune()  # the notes of rows delivered since last time
            if not content_intent_enabled(client):
                self.warn(CONTENT_MISSING)
                client = await self._log_in_again(client)
            try:
                self._task = await connect(client, self.ready_timeout)
            except discord.PrivilegedIntentsRequired:
                self.warn(CONTENT_MISSING)
                client = await self._log_in_again(client)
                self._task = await connect(client, self.ready_timeout)
            problem = await sync_commands(client, self.state)
            if problem:
                self.warn(problem)
        except BaseException:
            await self.close()
            raise

    async def _log_in_again(self, old: PointbotClient) -> PointbotClient:
        """A new client without the Message Content intent (discord.py fixes intents at
        construction)."""
        await old.close()
        self._client = None
        self._client = await log_in(self, self._options, content=False)
        return self._client

    async def close(self) -> None:
        """Stop catch-up, close the client and await the gateway task. Idempotent."""
        await self.inbound.stop()
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        task, self._task = self._task, None
        if task is not None:
            done, _ = await asyncio.wait([task], timeout=10)
            if not done:
                task.cancel()
                await asyncio.wait([task])
            elif not task.cancelled() and task.exception() is not None:
                log.debug("gateway task ended with %r", task.exception())

    def warn(self, text: str) -> None:
        """A problem the person running the bot must fix: logged, and kept for the CLI."""
        if text not in self.warnings:
            self.warnings.append(text)
            log.warning("%s", text)

    async def deliver(self, event: InboundEvent) -> None:
        if self._handler is not None:
            await self._handler(event)

    async def channel(self, channel_id: str, op: str) -> Any:
        """A channel object, from the cache or over REST."""
        client = self.client
        found = client.get_channel(snowflake(channel_id, op))
        if found is not None:
            return found
        try:
            return await client.fetch_channel(int(channel_id))
        except Exception as exc:
            raise failure_of(exc, op, channel_id, SEND_PERMISSIONS) from exc

    # sending ---------------------------------------------------------------------------

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        if where.thread is None:
            parent = await self.channel(where.channel, "post")
            if isinstance(parent, discord.ForumChannel):
                title = message.title or message.text.strip().split("\n", 1)[0]
                return await self._reported_(
                    self.threads.open(where.channel, title, message, key, op="post", summary=True)
                )
        return await self._reported_(self._send("post", where.container(), message, key))

    async def open_thread(
        self, where: ChatRef, title: str, first: Rendered, *, key: str
    ) -> ChatRef:
        return await self._reported_(
            self.threads.open(where.channel, title, first, key, op="open_thread", summary=False)
        )

    async def reply(
        self, to: ChatRef, message: Rendered, *, mention: UserRef | None, key: str
    ) -> ChatRef:
        if self.slash.is_interaction(to.message):
            return await self._reported_(self.slash.reply(to, message, mention, key))
        target = int(to.message) if to.message and to.message.isdigit() else None
        return await self._reported_(self.send_reply(to.container(), message, mention, key, target))

    async def send_reply(
        self,
        where: ChatRef,
        message: Rendered,
        mention: UserRef | None,
        key: str,
        reference: int | None,
    ) -> ChatRef:
        """A reply to message ``reference`` in ``where`` (a plain message if None),
        pinging ``mention`` and nobody else."""
        return await self._send("reply", where, message, key, mention=mention, reference=reference)

    async def _send(
        self,
        op: str,
        where: ChatRef,
        message: Rendered,
        key: str,
        *,
        mention: UserRef | None = None,
        reference: int | None = None,
    ) -> ChatRef:
        container = where.thread or where.channel
        target = self.client.get_partial_messageable(snowflake(container, op))
        ping = f"<@{snowflake(mention.id, op)}>" if mention is not None else None
        replied = self._replied_user(reference, mention)
        allowed = render.mentions_only(mention, replied_user=replied)
        if mention is None and (announced := render.announcement(message.announce)):
            ping, allowed = announced
        parts: list[tuple[str | None, discord.Embed | None]]
        if message.title and guards.can_embed(self.connected, container):
            parts = [(ping, render.embed_of(message))]
        else:
            # Without Embed Links Discord drops an embed (and refuses the then empty
            # message): the card goes out as the same text instead.
            texts = render.split_content(render.plain_of(message), render.CONTENT_LIMIT - 32)
            texts[0] = f"{ping} {texts[0]}" if ping else texts[0]
            parts = [(text, None) for text in texts]
        view = render.view_of(message.actions, self.prefix)  # buttons under the last part
        first: discord.Message | None = None
        try:
            earlier = await self.sent_before.find(target, key, parts[0][0], parts[0][1])
            if earlier is not None:
                return ChatRef(PLATFORM, where.channel, where.thread, str(earlier))
            for i, (content, embed) in enumerate(parts):
                reply_to = None
                if reference is not None and i == 0:
                    reply_to = discord.MessageReference(
                        message_id=reference, channel_id=int(container), fail_if_not_exists=False
                    )
                sent = await target.send(
                    content=content,
                    embed=embed,  # type: ignore[arg-type]
                    nonce=render.nonce(key, i),
                    allowed_mentions=allowed,
                    reference=reply_to,  # type: ignore[arg-type]
                    view=view if i == len(parts) - 1 else None,  # type: ignore[arg-type]
                )
                first = first or sent
        except Exception as exc:
            raise failure_of(exc, op, container, SEND_PERMISSIONS) from exc
        assert first is not None
        await self.state.remember(container, first.id)
        return ChatRef(PLATFORM, where.channel, where.thread, str(first.id))

    def _replied_user(self, reference: int | None, mention: UserRef | None) -> bool:
        """Let the reply ping the replied-to author only if that is who we mean to ping."""
        if reference is None or mention is None or self._client is None:
            return False
        cached = discord.utils.get(self._client.cached_messages, id=reference)
        return cached is None or str(cached.author.id) == mention.id

    async def react(self, to: ChatRef, emoji: str, *, key: str) -> None:
        if self.slash.is_interaction(to.message):
            await self.slash.react(to, emoji, key)
            return
        if to.message is None or not to.message.isdigit():
            return
        container = to.thread or to.channel
        target = self.client.get_partial_messageable(snowflake(container, "react"))
        try:
            # Adding the same reaction twice is a no-op on Discord: no key needed.
            partial = target.get_partial_message(int(to.message))
            await guards.unarchived(
                self.client, container, "react", lambda: partial.add_reaction(emoji)
            )
        except Exception as exc:
            hint = "Add Reactions and Read Message History"
            raise await self._told_if_locked(failure_of(exc, "react", container, hint)) from exc

    async def edit(self, ref: ChatRef, message: Rendered) -> None:
        if ref.message is None or not ref.message.isdigit():
            return
        container = ref.thread or ref.channel
        target = self.client.get_partial_messageable(snowflake(container, "edit"))
        partial = target.get_partial_message(int(ref.message))
        view = render.view_of(message.actions, self.prefix)  # None: no buttons left either

        async def edit_once() -> None:
            if message.title and guards.can_embed(self.connected, container):
                await partial.edit(content=None, embed=render.embed_of(message), view=view)
            else:
                text = render.split_content(render.plain_of(message), max_parts=1)[0]
                await partial.edit(content=text, embeds=[], view=view)

        try:
            await guards.unarchived(self.client, container, "edit", edit_once)
        except Exception as exc:
            raise await self._told_if_locked(failure_of(exc, "edit", container)) from exc

    async def direct_message(self, user: UserRef, message: Rendered, *, key: str) -> ChatRef:
        try:
            client = self.client
            uid = snowflake(user.id, "direct_message")
            person = client.get_user(uid) or await client.fetch_user(uid)
            dm = person.dm_channel or await person.create_dm()
        except Exception as exc:
            raise failure_of(exc, "direct_message", user.id) from exc
        return await self._send("direct_message", ChatRef(PLATFORM, str(dm.id)), message, key)

    async def announce_refusal(self, where: ChatRef, announce: str) -> str | None:
        """Why summaries in ``where`` could not ping ``announce``; None when they can."""
        if announce == "room":
            return "@room is Matrix's; on Discord use @here or a role"
        return guards.announce_refusal(self.connected, where.channel, announce)

    # roles ---------------------------------------------------------------------------------

    def note_member(self, member: object) -> None:
        self.roles.note(member)

    async def community_of(self, where: ChatRef) -> str | None:
        """``discord:<guild id>`` of the channel's server (None: a DM, or unseen)."""
        return self.roles.community_of(where)

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        """ADMIN for a member with Manage Server in the channel's server, else MEMBER."""
        return await self.roles.role_of(user, where)

    async def _told_if_locked(self, failure: AdapterError) -> AdapterError:
        """``failure``, after telling the admins (once) when it is a locked thread."""
        if isinstance(failure, ThreadLockedFailure):
            await self.notices.tell(failure)
        return failure

    async def _reported_(self, sending: Awaitable[ChatRef]) -> ChatRef:
        """Await a send; on a permission problem, tell the admins before the outbox keeps
        the row for later."""
        try:
            return await sending
        except (PermissionFailure, ThreadLockedFailure) as exc:
            await self.notices.tell(exc)
            raise
