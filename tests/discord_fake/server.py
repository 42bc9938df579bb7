"""``FakeDiscord``: a loopback Discord (REST v10 + gateway) for tests that drive discord.py.

    fake = FakeDiscord()
    await fake.start()
    with fake.point_discord_py_here():
        guild = fake.add_guild("Writers")
        ...
    await fake.stop()

See docs/testing-discord.md for what is covered.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord.gateway
import discord.http
import yarl
from aiohttp import web

from .gateway import Gateway, ReconnectPolicy
from .model import (
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    JSON,
    REQUIRE_TAG,
    Channel,
    ChannelType,
    Guild,
    Member,
    MessageRecord,
    Overwrite,
    Perm,
    Role,
    User,
    buttons_of,
    now_iso,
)
from .rest import API, RateLimitRule, RequestRecord, Rest, check_forum_tags
from .state import World, new_token

T = TypeVar("T")
# Channels and messages may be given as the fake's objects, payload dicts, ids, or any
# object with an ``id`` attribute (discord.py's TextChannel, Thread, Message...).
ChannelRef = Channel | int | str | JSON | Any
MessageRef = MessageRecord | int | str | JSON | Any
# Application flags: presence/members/message-content intents enabled (the *_LIMITED
# variants Discord sets for bots in fewer than 100 guilds) and APPLICATION_COMMAND_BADGE.
APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)
OPTION_TYPES = {3: str, 4: int, 5: bool, 10: float}


@dataclass
class BotSend:
    """A message the bot created (channel message, forum post, interaction reply)."""

    message: JSON  # the message as Discord stored it (REST shape)
    request: JSON  # the JSON body as received (nonce, allowed_mentions, message_reference...)
    route: str
    created: bool  # False when enforce_nonce returned an earlier message


@dataclass
class InteractionRecord:
    """One INTERACTION_CREATE the fake sent, and what the bot answered."""

    id: int
    token: str
    payload: JSON
    channel_id: int
    guild_id: int | None
    user: User
    command_name: str  # for a button press: its custom_id
    created_at: float
    kind: int = 2  # 2: application command, 3: message component (a button press)
    message_id: int | None = None  # the message whose button was pressed
    callbacks: list[JSON] = field(default_factory=list)
    edits: list[JSON] = field(default_factory=list)
    original: MessageRecord | None = None
    followups: list[MessageRecord] = field(default_factory=list)
    acknowledged: bool = False
    responded: asyncio.Event = field(default_factory=asyncio.Event)

    async def response(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """The bot's first callback body ({"type": 4, "data": {...}}), once it arrives."""
        await asyncio.wait_for(self.responded.wait(), timeout)
        return self.callbacks[0]

    @property
    def ephemeral(self) -> bool:
        return self.original is not None and bool(int(self.original.data["flags"]) & 64)

    @property
    def content(self) -> str | None:
        return None if self.original is None else self.original.content

    def metadata(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.kind,
            "user": self.user.payload(),
            "authorizing_integration_owners": {"0": str(self.guild_id or 0)},
        }
        if self.kind == 2:
            data.update(name=self.command_name, command_type=1)
        else:
            data["interacted_message_id"] = str(self.message_id)
        if self.original is not None:
            data["original_response_message_id"] = str(self.original.id)
        return data

    def legacy_interaction(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": 2,
            "name": self.command_name,
            "user": self.user.payload(),
        }
        member = self.payload.get("member")
        if member is not None:
            data["member"] = {k: v for k, v in member.items() if k not in ("user", "permissions")}
        return data


class FakeDiscord:
    """A Discord API v10 + gateway on 127.0.0.1 for one bot application."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_name: str = "pointbot",
        heartbeat_interval_ms: int = 41_250,
        interaction_deadline: float = 3.0,
    ) -> None:
        self.world = World(token=token or new_token(), bot_name=bot_name)
        self.gateway = Gateway(
            self.world,
            heartbeat_interval_ms=heartbeat_interval_ms,
            notify=self.notify,
            application_flags=APPLICATION_FLAGS,
        )
        self.world.emit = self.gateway.dispatch
        self.rest = Rest(self)
        self.interaction_deadline = interaction_deadline
        self.requests: list[RequestRecord] = []
        self.rate_limits: list[RateLimitRule] = []
        self.bot_sends: list[BotSend] = []
        self.bot_edits: list[tuple[int, JSON]] = []
        self.interactions: list[InteractionRecord] = []
        self.interactions_by_id: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.attachment_blobs: dict[int, bytes] = {}
        self.internal_errors: list[Exception] = []  # handler crashes (answered as 400s)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._tick = asyncio.Event()
        self._saved_discord: tuple[Any, Any] | None = None

    # ---- lifecycle ---------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self.rest.middleware])
        for method, path, handler in self.rest.routes():
            app.router.add_route(method, path, handler)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume-gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        app.router.add_route("*", API + "/{tail:.*}", self._no_route)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self.gateway.resume_url = f"ws://127.0.0.1:{self._port}/resume-gateway"
        return self

    async def stop(self) -> None:
        self.uninstall()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _no_route(self, request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    async def _attachment(self, request: web.Request) -> web.Response:
        blob = self.attachment_blobs.get(int(request.match_info["attachment_id"]))
        if blob is None:
            raise web.HTTPNotFound()
        return web.Response(body=blob, content_type="application/octet-stream")

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """What discord.http.Route.BASE must be set to."""
        return self.root_url + API

    @property
    def gateway_url(self) -> str:
        """What DiscordWebSocket.DEFAULT_GATEWAY must be set to."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    def install(self) -> None:
        """Point discord.py (REST, webhooks, gateway) at this server until uninstall()."""
        if self._saved_discord is None:
            self._saved_discord = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        discord.http.Route.BASE = self.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def uninstall(self) -> None:
        if self._saved_discord is None:
            return
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
            self._saved_discord
        )
        self._saved_discord = None

    @contextlib.contextmanager
    def point_discord_py_here(self) -> Iterator[FakeDiscord]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()

    @contextlib.asynccontextmanager
    async def run_client(
        self,
        client: Any,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain bound, like wait_until's
    ) -> AsyncIterator[Any]:
        """Start a discord.Client against the fake, wait for on_ready, close it afterwards."""
        task = asyncio.create_task(client.start(self.token))
        try:
            await self.wait_until(lambda: client.is_ready() or task.done(), timeout)
            if task.done():
                task.result()
                raise RuntimeError("discord client stopped before it was ready")
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout)

    # ---- waiting -------------------------------------------------------------------

    def notify(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def wait_until(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Return predicate()'s first truthy value; re-checked on every request, frame
        and dispatch (and every 50 ms, for state the fake cannot see)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), min(0.05, remaining))

    async def wait_for_gateway(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until a bot session holds an open gateway connection."""
        await self.wait_until(lambda: self.gateway.connected, timeout)

    async def flush(self, within: float = 5.0) -> None:
        """Wait (at most ``within`` s) until every queued gateway frame has been written."""
        await self.gateway.flush(within)

    # ---- identity --------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def bot(self) -> User:
        return self.world.bot

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def bot_mention(self) -> str:
        return f"<@{self.world.bot.id}>"

    def application_payload(self) -> JSON:
        return {
            "id": str(self.world.application_id),
            "name": self.world.bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": APPLICATION_FLAGS,
            "owner": self._owner_user.payload(),
            "team": None,
            "bot": self.world.bot.payload(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "approximate_guild_count": len(self.world.guilds),
            "integration_types_config": {"0": {}},
        }

    @property
    def _owner_user(self) -> User:
        owner = next((u for u in self.world.users.values() if not u.bot), None)
        return owner or self.world.bot

    # ---- building the world ------------------------------------------------------------

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        owner_name: str = "Owner",
        text_channels: Iterable[str] = (),
    ) -> Guild:
        """A guild with @everyone, an owner member, and the bot (with its managed role);
        ``text_channels`` exist before the bot hears of the guild (its GUILD_CREATE has them,
        as when someone adds the bot to a server that has channels)."""
        world = self.world
        owner = world.new_user(owner_name)
        guild = Guild(id=world.ids.next(), name=name, owner_id=owner.id)
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", int(everyone_permissions), 0)
        bot_role = Role(
            world.ids.next(),
            guild.id,
            world.bot.username,
            int(bot_permissions),
            1,
            True,
            world.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        stamp = now_iso()
        guild.members[owner.id] = Member(owner, guild.id, [], stamp)
        guild.members[world.bot.id] = Member(world.bot, guild.id, [bot_role.id], stamp)
        world.guilds[guild.id] = guild
        for channel_name in text_channels:
            self.add_text_channel(guild, channel_name)
        if self.gateway.sessions:
            payload = world.guild_create_payload(guild, presences_intent=False)
            # A guild the bot has just joined: its GUILD_CREATE carries no `unavailable`
            # (the field is optional and marks outages; discord.py tells a join from an
            # outage ending by its absence and fires on_guild_join).
            payload.pop("unavailable", None)
            self.gateway.dispatch("GUILD_CREATE", payload)
        return guild

    def add_role(
        self, guild: Guild, name: str, *, permissions: int = 0, mentionable: bool = False
    ) -> Role:
        role = Role(
            self.world.ids.next(),
            guild.id,
            name,
            int(permissions),
            len(guild.roles),
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        self.world.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()})
        return role

    def add_member(
        self,
        guild: Guild,
        name: str,
        *,
        manage_guild: bool = False,
        roles: Iterable[Role] = (),
        nick: str | None = None,
        accepts_dms: bool = True,
        bot: bool = False,
    ) -> Member:
        """A member; ``manage_guild=True`` gives them a "Moderators" role with MANAGE_GUILD."""
        user = self.world.new_user(name, bot=bot, accepts_dms=accepts_dms)
        role_ids = [r.id for r in roles]
        if manage_guild:
            moderators = next((r for r in guild.roles.values() if r.name == "Moderators"), None)
            if moderators is None:
                moderators = self.add_role(guild, "Moderators", permissions=Perm.MANAGE_GUILD)
            role_ids.append(moderators.id)
        member = Member(user, guild.id, role_ids, now_iso(), nick)
        guild.members[user.id] = member
        self.world.emit("GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(guild.id)})
        return member

    def _add_channel(
        self, guild: Guild, channel_type: int, name: str, topic: str | None
    ) -> Channel:
        channel = Channel(
            id=self.world.ids.next(),
            type=channel_type,
            name=name,
            guild_id=guild.id,
            position=len(guild.channel_ids),
            topic=topic,
        )
        self.world.add_channel(channel)
        self.world.emit("CHANNEL_CREATE", self.world.channel_payload(channel))
        return channel

    def add_text_channel(self, guild: Guild, name: str, *, topic: str | None = None) -> Channel:
        return self._add_channel(guild, ChannelType.GUILD_TEXT, name, topic)

    def add_forum_channel(
        self,
        guild: Guild,
        name: str,
        *,
        topic: str | None = None,
        tags: Iterable[str] = (),
        moderated: Iterable[str] = (),
        require_tag: bool = False,
    ) -> Channel:
        """A forum; ``moderated`` names the tags only Manage Threads may apply, and
        ``require_tag`` sets the REQUIRE_TAG flag (posts without a tag are refused)."""
        channel = Channel(
            id=self.world.ids.next(),
            type=ChannelType.GUILD_FORUM,
            name=name,
            guild_id=guild.id,
            position=len(guild.channel_ids),
            topic=topic,
            flags=REQUIRE_TAG if require_tag else 0,
        )
        moderated = set(moderated)
        channel.available_tags = [
            {
                "id": str(self.world.ids.next()),
                "name": tag,
                "moderated": tag in moderated,
                "emoji_id": None,
                "emoji_name": None,
            }
            for tag in tags
        ]
        self.world.add_channel(channel)
        self.world.emit("CHANNEL_CREATE", self.world.channel_payload(channel))
        return channel

    def add_emoji(self, guild: Guild, name: str) -> JSON:
        emoji_id = self.world.ids.next()
        emoji = {
            "id": str(emoji_id),
            "name": name,
            "roles": [],
            "require_colons": True,
            "managed": False,
            "animated": False,
            "available": True,
        }
        guild.emojis[emoji_id] = emoji
        self.world.emit(
            "GUILD_EMOJIS_UPDATE",
            {"guild_id": str(guild.id), "emojis": list(guild.emojis.values())},
        )
        return emoji

    def set_permissions(
        self, channel: ChannelRef, target: Role | Member | User, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a channel permission overwrite (role or member) and announce CHANNEL_UPDATE."""
        ch = self.channel(channel)
        kind = 0 if isinstance(target, Role) else 1
        ch.overwrites[target.id] = Overwrite(target.id, kind, int(allow), int(deny))
        self.world.emit("CHANNEL_UPDATE", self.world.channel_payload(ch))

    def set_bot_permissions(self, channel: ChannelRef, *, allow: int = 0, deny: int = 0) -> None:
        """Per-channel bot permissions, e.g. ``deny=Perm.CREATE_PUBLIC_THREADS`` -> 403/50013."""
        self.set_permissions(channel, self.world.bot, allow=allow, deny=deny)

    def dm_channel(self, member: Member | User) -> Channel:
        user = member.user if isinstance(member, Member) else member
        return self.world.dm_channel(user)

    async def advance(self, seconds: float) -> list[JSON]:
        """Move the test clock forward: threads idle for their ``auto_archive_duration``
        archive (THREAD_UPDATE), and the nonce window moves on. Returns the archived ones."""
        self.world.clock_offset += seconds
        archived = self.world.archive_idle_threads()
        await self.flush()
        return [self.world.thread_payload(t) for t in archived]

    async def archive_thread(self, thread: ChannelRef, *, locked: bool = False) -> JSON:
        ch = self.channel(thread)
        self.world.set_archived(ch, True, locked=locked)
        await self.flush()
        return self.world.thread_payload(ch)

    # ---- what members do -------------------------------------------------------------

    def _author_can(self, member: Member | User, channel: Channel, needed: int) -> User:
        user = member.user if isinstance(member, Member) else member
        perms = self.world.permissions_for(user.id, channel)
        if perms & needed != needed:
            raise PermissionError(f"{user.username} lacks {Perm(needed)!r} in channel {channel.id}")
        return user

    async def member_says(
        self,
        member: Member | User,
        channel: ChannelRef,
        content: str,
        *,
        reply_to: MessageRef | None = None,
        mention_author: bool = True,
        embeds: list[JSON] | None = None,
        unfurl: bool = True,
    ) -> JSON:
        """Post a message as a member (MESSAGE_CREATE to the bot); returns it as stored.

        A URL in it gets Discord's link preview: a MESSAGE_UPDATE with the full message
        follows the create (``unfurl=False`` stands for a link Discord did not preview)."""
        ch = self.channel(channel)
        user = self._author_can(member, ch, int(self.world.send_permission(ch) | Perm.VIEW_CHANNEL))
        body: JSON = {"content": content}
        if embeds:
            body["embeds"] = embeds
        if reply_to is not None:
            body["message_reference"] = {
                "message_id": str(self._message(reply_to).id),
                "channel_id": str(ch.id),
            }
            if not mention_author:
                body["allowed_mentions"] = {
                    "parse": ["users", "roles", "everyone"],
                    "replied_user": False,
                }
        if ch.is_thread:
            self.world.join_thread(ch, user.id)
        record, _ = self.world.create_message(ch, user, body)
        if unfurl:
            self.world.unfurl(record)
        await self.flush()
        return self.world.message_payload(record)

    async def member_edits(self, member: Member | User, message: MessageRef, content: str) -> JSON:
        record = self._message(message)
        user = member.user if isinstance(member, Member) else member
        if record.author_id != user.id:
            raise PermissionError("members can only edit their own messages")
        self.world.edit_message(record, {"content": content})
        await self.flush()
        return self.world.message_payload(record)

    async def member_deletes(self, member: Member | User, message: MessageRef) -> None:
        record = self._message(message)
        user = member.user if isinstance(member, Member) else member
        if record.author_id != user.id:
            self._author_can(member, self.world.channels[record.channel_id], Perm.MANAGE_MESSAGES)
        self.world.delete_message(record)
        await self.flush()

    async def member_reacts(self, member: Member | User, message: MessageRef, emoji: str) -> None:
        record = self._message(message)
        channel = self.world.channels[record.channel_id]
        key = self.world.emoji_key(self.world.guild_of(channel), emoji)
        user = self._author_can(member, channel, Perm.READ_MESSAGE_HISTORY | Perm.VIEW_CHANNEL)
        self.world.add_reaction(record, user.id, key)
        await self.flush()

    async def member_unreacts(self, member: Member | User, message: MessageRef, emoji: str) -> None:
        record = self._message(message)
        channel = self.world.channels[record.channel_id]
        user = member.user if isinstance(member, Member) else member
        self.world.remove_reaction(
            record, user.id, self.world.emoji_key(self.world.guild_of(channel), emoji)
        )
        await self.flush()

    async def member_creates_thread(
        self, member: Member, channel: ChannelRef, name: str, *, message: MessageRef | None = None
    ) -> JSON:
        """A public thread, from ``message`` (thread id == message id) or standalone."""
        ch = self.channel(channel)
        user = self._author_can(member, ch, Perm.CREATE_PUBLIC_THREADS | Perm.VIEW_CHANNEL)
        if message is not None:
            record = self._message(message)
            if record.thread_id is not None:
                raise ValueError("that message already has a thread")
            thread = self.world.create_thread(
                ch,
                user,
                name=name,
                thread_type=ChannelType.PUBLIC_THREAD,
                auto_archive_duration=None,
                thread_id=record.id,
            )
            record.thread_id = thread.id
            record.data["flags"] = int(record.data["flags"]) | 32
            # The parent message now carries `thread` and HAS_THREAD; Discord announces that
            # with a MESSAGE_UPDATE of the full message (not an edit: no edited_timestamp).
            self.world.emit("MESSAGE_UPDATE", self.world.message_payload(record, gateway=True))
        else:
            thread = self.world.create_thread(
                ch,
                user,
                name=name,
                thread_type=ChannelType.PUBLIC_THREAD,
                auto_archive_duration=None,
            )
        await self.flush()
        return self.world.thread_payload(thread)

    async def member_posts_in_forum(
        self,
        member: Member,
        forum: ChannelRef,
        title: str,
        content: str,
        *,
        tags: Iterable[str] = (),
    ) -> tuple[JSON, JSON]:
        """A forum post: a thread plus its first message, which shares the thread's id."""
        ch = self.channel(forum)
        user = self._author_can(member, ch, Perm.SEND_MESSAGES | Perm.VIEW_CHANNEL)
        by_name = {t["name"]: int(t["id"]) for t in ch.available_tags}
        check_forum_tags(
            ch,
            [by_name[t] for t in tags],
            manage=bool(self.world.permissions_for(user.id, ch) & Perm.MANAGE_THREADS),
        )
        self.world.check_message_body({"content": content})
        thread = self.world.create_thread(
            ch,
            user,
            name=title,
            thread_type=ChannelType.PUBLIC_THREAD,
            auto_archive_duration=None,
            applied_tags=[by_name[t] for t in tags],
        )
        thread.starter_message_id = thread.id
        record, _ = self.world.create_message(
            thread, user, {"content": content}, message_id=thread.id
        )
        await self.flush()
        return self.world.thread_payload(thread), self.world.message_payload(record)

    async def member_slash_command(
        self,
        member: Member,
        channel: ChannelRef,
        name: str,
        options: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        """Invoke a registered chat-input command ("name" or "group sub") as ``member``.

        Raises LookupError for an unregistered command and PermissionError when the
        command's default_member_permissions hide it from the member (as Discord's client
        would)."""
        ch = self.channel(channel)
        guild = self.world.guild_of(ch)
        parts = name.split()
        if guild is None:
            # The bot's DM: only global commands whose `contexts` include BOT_DM (1), or,
            # with no `contexts`, whose deprecated `dm_permission` is not false.
            command = self.world.find_command(None, parts[0])
            if command is not None and not _usable_in(command, context=1):
                raise LookupError(f"command {parts[0]!r} is not available in DMs")
        else:
            command = self.world.find_command(guild.id, parts[0])
            if command is not None and not _usable_in(command, context=0):
                raise LookupError(f"command {parts[0]!r} is not available in servers")
        if command is None:
            raise LookupError(
                f"command {parts[0]!r} is not registered (did the bot sync its tree?)"
            )
        member_perms = self.world.permissions_for(member.id, ch)
        required = command.get("default_member_permissions")
        if (
            guild is not None
            and required is not None
            and member_perms & int(required) != int(required)
        ):
            raise PermissionError(f"{member.name} may not use /{name}")
        resolved: JSON = {}
        data_options = self._build_options(
            command.get("options") or [], parts[1:], options or {}, resolved
        )
        data: JSON = {"id": command["id"], "name": parts[0], "type": 1, "options": data_options}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return await self._interact(member, ch, guild, 2, data, name)

    async def member_presses_button(
        self,
        member: Member,
        message: MessageRef,
        *,
        custom_id: str | None = None,
        label: str | None = None,
    ) -> InteractionRecord:
        """Press a button of a bot message (INTERACTION_CREATE type 3) as ``member``.

        The button is found by ``custom_id`` or ``label`` (the only button if neither is
        given); LookupError if it is not there, PermissionError if the member cannot see the
        channel or the message is an ephemeral one shown to someone else."""
        record = self._message(message)
        if record.deleted:
            raise LookupError(f"message {record.id} was deleted")
        ch = self.world.channels[record.channel_id]
        guild = self.world.guild_of(ch)
        if guild is None:
            raise NotImplementedError("buttons in DMs are not modelled")
        self._author_can(member, ch, int(Perm.VIEW_CHANNEL))
        payload = self.world.message_payload(record)
        shown_to = ((payload.get("interaction_metadata") or {}).get("user") or {}).get("id")
        if record.ephemeral and shown_to != str(member.id):
            raise PermissionError(f"{member.name} cannot see ephemeral message {record.id}")
        buttons = [
            b
            for b in buttons_of(payload)
            if (custom_id is None or b.get("custom_id") == custom_id)
            and (label is None or b.get("label") == label)
        ]
        if len(buttons) != 1 or "custom_id" not in buttons[0]:
            raise LookupError(f"no single button {custom_id or label!r} on message {record.id}")
        data: JSON = {"custom_id": buttons[0]["custom_id"], "component_type": 2}
        return await self._interact(
            member, ch, guild, 3, data, buttons[0]["custom_id"], message=payload
        )

    async def replay_interaction(self, record: InteractionRecord) -> None:
        """Send the same INTERACTION_CREATE again (as a gateway replay would)."""
        self.gateway.dispatch("INTERACTION_CREATE", copy.deepcopy(record.payload))
        await self.flush()

    async def _interact(
        self,
        member: Member,
        ch: Channel,
        guild: Guild | None,
        kind: int,
        data: JSON,
        name: str,
        *,
        message: JSON | None = None,
    ) -> InteractionRecord:
        member_perms = self.world.permissions_for(member.id, ch)
        interaction_id = self.world.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        channel_payload = self.world.channel_payload(ch)
        channel_payload["permissions"] = str(member_perms)
        member_payload = member.payload()
        member_payload["permissions"] = str(member_perms)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.world.application_id),
            "type": kind,
            "data": data,
            "channel_id": str(ch.id),
            "channel": channel_payload,
            "token": token,
            "version": 1,
            "app_permissions": str(self.world.permissions_for(self.world.bot.id, ch)),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                member=member_payload,
                guild_locale="en-US",
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            # In the bot's DM Discord sends `user` instead of `member`, context BOT_DM (1);
            # the owner of a guild install used there is "0" (a guess: the docs describe
            # the key, not its value outside a server).
            payload.update(
                user=member.user.payload(), authorizing_integration_owners={"0": "0"}, context=1
            )
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            payload=payload,
            channel_id=ch.id,
            guild_id=guild.id if guild is not None else None,
            user=member.user,
            command_name=name,
            created_at=asyncio.get_running_loop().time(),
            kind=kind,
            message_id=int(message["id"]) if message is not None else None,
        )
        self.interactions.append(record)
        self.interactions_by_id[interaction_id] = record
        self.interactions_by_token[token] = record
        self.gateway.dispatch("INTERACTION_CREATE", copy.deepcopy(payload))
        await self.flush()
        return record

    def _build_options(
        self, definitions: list[JSON], path: list[str], values: dict[str, Any], resolved: JSON
    ) -> list[JSON]:
        if path:
            sub = next(
                (d for d in definitions if d["name"] == path[0] and d.get("type") in (1, 2)), None
            )
            if sub is None:
                raise LookupError(f"no subcommand {path[0]!r}")
            inner = self._build_options(sub.get("options") or [], path[1:], values, resolved)
            return [{"name": sub["name"], "type": sub["type"], "options": inner}]
        by_name = {d["name"]: d for d in definitions}
        unknown_names = set(values) - set(by_name)
        if unknown_names:
            raise LookupError(f"unknown options {sorted(unknown_names)}")
        built: list[JSON] = []
        for definition in definitions:
            if definition["name"] not in values:
                if definition.get("required"):
                    raise ValueError(f"option {definition['name']!r} is required")
                continue
            value = values[definition["name"]]
            kind = int(definition["type"])
            if kind in OPTION_TYPES:
                value = OPTION_TYPES[kind](value)
                choices = [c["value"] for c in definition.get("choices") or []]
                if choices and value not in choices:
                    raise ValueError(f"{value!r} is not one of the choices {choices}")
            else:
                value = str(self._resolve(kind, value, resolved))
            built.append({"name": definition["name"], "type": kind, "value": value})
        return built

    def _resolve(self, kind: int, value: Any, resolved: JSON) -> int:
        if kind in (6, 9) and isinstance(value, Member | User):
            member = value if isinstance(value, Member) else None
            user = value.user if isinstance(value, Member) else value
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if member is not None:
                resolved.setdefault("members", {})[str(user.id)] = member.payload(with_user=False)
            return user.id
        if kind in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return value.id
        if kind == 7:
            ch = self.channel(value)
            data = self.world.channel_payload(ch)
            data["permissions"] = str(self.world.permissions_for(self.world.bot.id, ch))
            resolved.setdefault("channels", {})[str(ch.id)] = data
            return ch.id
        raise ValueError(f"cannot build an option of type {kind} from {value!r}")

    # ---- reading state ----------------------------------------------------------------

    def channel(self, ref: ChannelRef) -> Channel:
        if isinstance(ref, Channel):
            return self.world.channels[ref.id]
        return self.world.channels[_ref_id(ref)]

    def _message(self, ref: MessageRef) -> MessageRecord:
        if isinstance(ref, MessageRecord):
            return ref
        return self.world.messages[_ref_id(ref)]

    def message(self, ref: MessageRef) -> JSON:
        return self.world.message_payload(self._message(ref))

    def messages_in(self, channel: ChannelRef) -> list[JSON]:
        """Messages in a channel or thread, oldest first (deleted ones excluded)."""
        ch = self.channel(channel)
        return [
            self.world.message_payload(self.world.messages[i])
            for i in self.world.channel_messages[ch.id]
        ]

    def threads_in(self, channel: ChannelRef) -> list[JSON]:
        """Threads (active and archived) whose parent is ``channel``, oldest first."""
        ch = self.channel(channel)
        return [
            self.world.thread_payload(t)
            for t in sorted(self.world.channels.values(), key=lambda c: c.id)
            if t.is_thread and t.parent_id == ch.id
        ]

    def sent_by_bot(self, channel: ChannelRef | None = None) -> list[BotSend]:
        if channel is None:
            return list(self.bot_sends)
        channel_id = self.channel(channel).id
        return [s for s in self.bot_sends if s.message["channel_id"] == str(channel_id)]

    def record_bot_send(
        self, record: MessageRecord, request: JSON, route: str, created: bool
    ) -> None:
        self.bot_sends.append(
            BotSend(self.world.message_payload(record), copy.deepcopy(request), route, created)
        )

    def reactions_on(self, message: MessageRef) -> dict[str, list[int]]:
        return {k: list(v) for k, v in self._message(message).reactions.items() if v}

    def commands(self, guild: Guild | None = None) -> list[JSON]:
        return list(self.world.commands.get(guild.id if guild else None, {}).values())

    def requests_to(self, method: str, path_prefix: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    @property
    def rate_limited_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.status == 429]

    # ---- fault injection ---------------------------------------------------------------

    def rate_limit_next(
        self,
        method: str,
        path_prefix: str,
        count: int = 1,
        retry_after: float = 0.25,
        *,
        is_global: bool = False,
        scope: str = "user",
    ) -> RateLimitRule:
        """Answer the next ``count`` matching requests (path relative to /api/v10, e.g.
        f"/channels/{cid}/messages"; method "*" for any) with 429 and Discord's headers."""
        if path_prefix.startswith(API):
            path_prefix = path_prefix[len(API) :]
        rule = RateLimitRule(method.upper(), path_prefix, count, retry_after, is_global, scope)
        self.rate_limits.append(rule)
        return rule

    async def disconnect_gateway(
        self,
        *,
        code: int = 4000,
        abrupt: bool = False,
        resumable: bool = True,
        then: ReconnectPolicy = "allow",
    ) -> None:
        """Drop every gateway connection.

        code: close code (4000 "unknown error" lets discord.py RESUME); abrupt: cut the TCP
        connection without a close frame.  resumable=False forgets the sessions, so a RESUME
        gets INVALID_SESSION and events in between are never delivered.  then: "allow"
        reconnects at once, "hold" parks reconnect handshakes until allow_reconnects(),
        "refuse" answers them with HTTP 503 (discord.py backs off and retries)."""
        await self.gateway.disconnect(code=code, abrupt=abrupt, resumable=resumable, then=then)

    def allow_reconnects(self) -> None:
        self.gateway.allow_reconnects()

    def request_reconnect(self) -> None:
        self.gateway.request_reconnect()

    def invalidate_sessions(self) -> None:
        self.gateway.invalidate_sessions()


def _usable_in(command: JSON, *, context: int) -> bool:
    """Whether Discord's client offers ``command`` in an interaction context (0 a server,
    1 the bot's DM): its `contexts` if set, else the deprecated `dm_permission`."""
    contexts = command.get("contexts")
    if contexts is not None:
        return context in contexts
    if context == 1:
        return "guild_id" not in command and command.get("dm_permission", True) is not False
    return True


def _ref_id(ref: Any) -> int:
    if isinstance(ref, dict):
        return int(ref["id"])
    if isinstance(ref, int | str):
        return int(ref)
    return int(ref.id)
