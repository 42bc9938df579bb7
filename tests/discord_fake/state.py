"""In-memory Discord state for the loopback fake: guilds, channels, messages, payloads.

Everything here is synchronous and owned by one event loop.  Side effects that Discord
would announce over the gateway are reported through ``World.emit(event, data)``; the
gateway decides who receives them (intents, sessions).
"""

from __future__ import annotations

import bisect
import copy
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .model import (
    ALL_PERMISSIONS,
    COMMAND_NAME,
    DM_PERMISSIONS,
    JSON,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    ROLE_MENTION,
    SETTABLE_MESSAGE_FLAGS,
    USER_MENTION,
    ApiError,
    Channel,
    ChannelType,
    Guild,
    Member,
    MessageFlag,
    MessageRecord,
    MessageType,
    Perm,
    Snowflakes,
    User,
    form_error,
    iso,
    snowflake_iso,
    unknown,
    validate_components,
    validate_embeds,
)

Emit = Callable[[str, JSON], None]
LINK = re.compile(r"(?<!<)https?://[^\s<>]+")


class World:
    """All guilds, users, channels and messages the fake knows about."""

    def __init__(self, *, token: str, bot_name: str = "pointbot") -> None:
        self.ids = Snowflakes()
        self.token = token
        self.emit: Emit = lambda event, data: None
        app_id = self.ids.next()
        self.bot = User(
            id=app_id, username=bot_name, global_name=None, bot=True, discriminator="0001"
        )
        self.application_id = app_id
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.guilds: dict[int, Guild] = {}
        self.left_guilds: list[Guild] = []  # servers the bot left (DELETE /users/@me/guilds)
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, MessageRecord] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.dm_by_user: dict[int, int] = {}
        self.commands: dict[int | None, dict[int, JSON]] = {None: {}}
        self.nonce_window = 300.0
        # The test clock: wall time plus what the test advanced it by (FakeDiscord.advance).
        # Thread auto-archiving and the nonce window follow it; snowflakes keep wall time.
        self.clock_offset = 0.0

    def now(self) -> float:
        return time.time() + self.clock_offset

    def now_iso(self) -> str:
        return iso(datetime.fromtimestamp(self.now(), UTC))

    def archive_idle_threads(self) -> list[Channel]:
        """Archive every active thread idle for its ``auto_archive_duration`` (THREAD_UPDATE).

        Discord: "Threads automatically archive after a period of inactivity", activity
        being a message, an unarchive, or a new auto-archive time; pinned forum posts never
        archive (not modelled: the fake has no pins)."""
        now = self.now()
        archived = []
        for thread in list(self.channels.values()):
            if not thread.is_thread or thread.archived:
                continue
            if now - thread.last_activity >= thread.auto_archive_duration * 60:
                self.set_archived(thread, True)
                archived.append(thread)
        return archived

    # ---- users, guilds, channels -------------------------------------------------

    def new_user(self, name: str, *, bot: bool = False, accepts_dms: bool = True) -> User:
        user = User(
            id=self.ids.next(),
            username=name.lower().replace(" ", "_"),
            global_name=None if bot else name,
            bot=bot,
            discriminator="0001" if bot else "0",
            accepts_dms=accepts_dms,
        )
        self.users[user.id] = user
        return user

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id is not None else None

    def get_guild(self, guild_id: int) -> Guild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise unknown("Guild")
        return guild

    def get_channel(self, channel_id: int) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise unknown("Channel")
        return channel

    def get_message(self, channel: Channel, message_id: int) -> MessageRecord:
        record = self.messages.get(message_id)
        if record is None or record.deleted or record.channel_id != channel.id:
            raise unknown("Message")
        return record

    def member(self, guild: Guild, user_id: int) -> Member | None:
        return guild.members.get(user_id)

    def add_channel(self, channel: Channel) -> Channel:
        self.channels[channel.id] = channel
        self.channel_messages.setdefault(channel.id, [])
        guild = self.guild_of(channel)
        if guild is not None and not channel.is_thread:
            guild.channel_ids.append(channel.id)
        return channel

    def dm_channel(self, user: User) -> Channel:
        channel_id = self.dm_by_user.get(user.id)
        if channel_id is not None:
            return self.channels[channel_id]
        channel = Channel(id=self.ids.next(), type=ChannelType.DM, name=None, guild_id=None)
        channel.recipient_id = user.id
        self.add_channel(channel)
        self.dm_by_user[user.id] = channel.id
        return channel

    # ---- permissions ---------------------------------------------------------------

    def base_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = int(guild.everyone.permissions)
        for role_id in member.role_ids:
            perms |= int(guild.roles[role_id].permissions)
        if perms & Perm.ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def permissions_for(self, user_id: int, channel: Channel) -> int:
        """Discord's permission algorithm: base role permissions, then overwrites."""
        if channel.is_dm:
            return DM_PERMISSIONS if user_id in (self.bot.id, channel.recipient_id) else 0
        guild = self.guild_of(channel)
        if guild is None:
            return 0
        perms = self.base_permissions(guild, user_id)
        if perms == ALL_PERMISSIONS:
            return perms
        target = (
            self.channels[channel.parent_id] if channel.is_thread and channel.parent_id else channel
        )
        overwrites = target.overwrites
        everyone = overwrites.get(guild.id)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        member = guild.members.get(user_id)
        allow = deny = 0
        for role_id in member.role_ids if member else []:
            overwrite = overwrites.get(role_id)
            if overwrite is not None and overwrite.type == 0:
                allow |= overwrite.allow
                deny |= overwrite.deny
        perms = (perms & ~deny) | allow
        own = overwrites.get(user_id)
        if own is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
        if not perms & Perm.VIEW_CHANNEL:
            return 0
        if not channel.is_thread and not perms & Perm.SEND_MESSAGES:
            perms &= ~(
                Perm.SEND_TTS_MESSAGES
                | Perm.MENTION_EVERYONE
                | Perm.EMBED_LINKS
                | Perm.ATTACH_FILES
            )
        return perms

    def require(self, user_id: int, channel: Channel, needed: int) -> None:
        perms = self.permissions_for(user_id, channel)
        if not perms & Perm.VIEW_CHANNEL:
            raise ApiError(*MISSING_ACCESS)
        if perms & needed != needed:
            raise ApiError(*MISSING_PERMISSIONS)

    def send_permission(self, channel: Channel) -> int:
        return Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES

    # ---- payloads --------------------------------------------------------------------

    def channel_payload(self, channel: Channel, *, for_user: int | None = None) -> JSON:
        if channel.is_dm:
            recipient = self.users[channel.recipient_id or 0]
            return {
                "id": str(channel.id),
                "type": 1,
                "last_message_id": _opt_str(channel.last_message_id),
                "flags": 0,
                "recipients": [recipient.payload()],
            }
        if channel.is_thread:
            return self.thread_payload(channel, for_user=for_user)
        data: JSON = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": [o.payload() for o in channel.overwrites.values()],
            "nsfw": False,
            "parent_id": _opt_str(channel.parent_id),
            "topic": channel.topic,
            "last_message_id": _opt_str(channel.last_message_id),
            "rate_limit_per_user": 0,
            "default_thread_rate_limit_per_user": 0,
            "flags": channel.flags,
        }
        if channel.type == ChannelType.GUILD_FORUM:
            data.update(
                available_tags=copy.deepcopy(channel.available_tags),
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                template="",
            )
        return data

    def thread_payload(self, thread: Channel, *, for_user: int | None = None) -> JSON:
        metadata: JSON = {
            "archived": thread.archived,
            "archive_timestamp": thread.archive_timestamp,
            "auto_archive_duration": thread.auto_archive_duration,
            "locked": thread.locked,
            "create_timestamp": thread.create_timestamp,
        }
        if thread.type == ChannelType.PRIVATE_THREAD:
            metadata["invitable"] = True
        data: JSON = {
            "id": str(thread.id),
            "type": thread.type,
            "guild_id": str(thread.guild_id),
            "parent_id": str(thread.parent_id),
            "owner_id": str(thread.owner_id),
            "name": thread.name,
            "last_message_id": _opt_str(thread.last_message_id),
            "message_count": thread.message_count,
            "member_count": min(len(thread.member_ids), 50),
            "total_message_sent": thread.total_message_sent,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": metadata,
        }
        parent = self.channels.get(thread.parent_id or 0)
        if parent is not None and parent.type == ChannelType.GUILD_FORUM:
            data["applied_tags"] = [str(t) for t in thread.applied_tags]
        if for_user is not None and for_user in thread.member_ids:
            data["member"] = self.thread_member_payload(thread, for_user)
        return data

    def thread_member_payload(self, thread: Channel, user_id: int) -> JSON:
        return {
            "id": str(thread.id),
            "user_id": str(user_id),
            "join_timestamp": thread.member_ids[user_id],
            "flags": 1,
        }

    def guild_payload(self, guild: Guild) -> JSON:
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in guild.roles.values()],
            "emojis": list(guild.emojis.values()),
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "nsfw_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "max_members": 500000,
            "max_video_channel_users": 25,
            "incidents_data": None,
        }

    def guild_create_payload(self, guild: Guild, *, presences_intent: bool) -> JSON:
        """GUILD_CREATE: guild + joined_at, members, channels, threads and the rest.

        Without GUILD_PRESENCES, Discord sends only the bot's own member (and members in
        voice); the fake does the same.
        """
        data = self.guild_payload(guild)
        me = guild.members[self.bot.id]
        members = list(guild.members.values()) if presences_intent else [me]
        visible = [
            self.channels[c]
            for c in guild.channel_ids
            if self.permissions_for(self.bot.id, self.channels[c]) & Perm.VIEW_CHANNEL
        ]
        threads = [
            t
            for t in self.channels.values()
            if t.is_thread
            and t.guild_id == guild.id
            and not t.archived
            and self.permissions_for(self.bot.id, t) & Perm.VIEW_CHANNEL
        ]
        data.update(
            joined_at=me.joined_at,
            large=False,
            unavailable=False,
            member_count=len(guild.members),
            voice_states=[],
            members=[m.payload() for m in members],
            channels=[self.channel_payload(c) for c in visible],
            threads=[self.thread_payload(t, for_user=self.bot.id) for t in threads],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            embedded_activities=[],
            lazy=True,
        )
        return data

    def emoji_payload(self, key: str) -> JSON:
        if ":" in key:
            name, emoji_id = key.split(":", 1)
            return {"id": emoji_id, "name": name, "animated": False}
        return {"id": None, "name": key}

    def message_payload(
        self,
        record: MessageRecord,
        *,
        gateway: bool = False,
        with_nonce: bool = False,
        resolve_reference: bool = True,
    ) -> JSON:
        data = copy.deepcopy(record.data)
        guild = self.guilds.get(record.guild_id) if record.guild_id else None
        mentions = []
        for user_id in record.mention_ids:
            user_payload = self.users[user_id].payload()
            mentioned = guild.members.get(user_id) if guild else None
            if gateway and mentioned is not None:
                user_payload["member"] = mentioned.payload(with_user=False)
            mentions.append(user_payload)
        data["mentions"] = mentions
        if record.reactions:
            data["reactions"] = [
                {
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": self.bot.id in users,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": record.reaction_emoji[key],
                }
                for key, users in record.reactions.items()
                if users
            ]
        if record.thread_id is not None and record.thread_id in self.channels:
            data["thread"] = self.thread_payload(self.channels[record.thread_id])
        if (
            record.reference_id is not None
            and resolve_reference
            and data["type"] == MessageType.REPLY
        ):
            referenced = self.messages.get(record.reference_id)
            data["referenced_message"] = (
                None
                if referenced is None or referenced.deleted
                else self.message_payload(referenced, resolve_reference=False)
            )
        if with_nonce and record.nonce is not None:
            data["nonce"] = record.nonce
        if gateway and guild is not None:
            data["guild_id"] = str(guild.id)
            author = guild.members.get(record.author_id)
            if author is not None and "webhook_id" not in data:
                data["member"] = author.payload(with_user=False)
        return data

    # ---- messages --------------------------------------------------------------------

    def _mentions(
        self,
        content: str,
        *,
        guild: Guild | None,
        channel: Channel,
        allowed: JSON | None,
        reply_author: int | None,
        author_id: int,
    ) -> tuple[list[int], list[int], bool]:
        def known(user_id: int) -> bool:
            if guild is not None:
                return user_id in guild.members
            return user_id in (self.bot.id, channel.recipient_id)

        found_users = [int(u) for u in USER_MENTION.findall(content) if known(int(u))]
        everyone = "@everyone" in content or "@here" in content
        can_everyone = guild is not None and bool(
            self.permissions_for(author_id, channel) & Perm.MENTION_EVERYONE
        )
        # A role is pinged only if it is mentionable, or the author may mention everyone
        # (Discord's permissions docs: MENTION_EVERYONE also "mention all roles").
        found_roles = [
            int(r)
            for r in ROLE_MENTION.findall(content)
            if guild and int(r) in guild.roles and (guild.roles[int(r)].mentionable or can_everyone)
        ]
        if allowed is None:
            users, roles = found_users, found_roles
            mention_everyone = everyone and can_everyone
            replied = reply_author is not None
        else:
            parse = allowed.get("parse") or []
            allowed_users = {int(u) for u in allowed.get("users") or []}
            allowed_roles = {int(r) for r in allowed.get("roles") or []}
            users = [u for u in found_users if "users" in parse or u in allowed_users]
            roles = [r for r in found_roles if "roles" in parse or r in allowed_roles]
            mention_everyone = everyone and can_everyone and "everyone" in parse
            replied = bool(allowed.get("replied_user", False)) and reply_author is not None
        if (
            replied
            and reply_author is not None
            and reply_author != author_id
            and known(reply_author)
        ):
            users.append(reply_author)
        return list(dict.fromkeys(users)), list(dict.fromkeys(roles)), mention_everyone

    def validate_allowed_mentions(self, allowed: Any) -> JSON | None:
        if allowed is None:
            return None
        if not isinstance(allowed, dict):
            raise form_error(
                ["allowed_mentions"], "DICT_TYPE_CONVERT", "Only dictionaries may be used."
            )
        parse = allowed.get("parse") or []
        for bad in parse:
            if bad not in ("users", "roles", "everyone"):
                raise form_error(
                    ["allowed_mentions", "parse"], "BASE_TYPE_CHOICES", f"{bad!r} is not a choice."
                )
        for kind in ("users", "roles"):
            if len(allowed.get(kind) or []) > 100:  # "Array of ... ids (Max size of 100)"
                raise form_error(
                    ["allowed_mentions", kind], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer."
                )
            if kind in parse and allowed.get(kind):
                raise form_error(
                    ["allowed_mentions"],
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
        return allowed

    def find_nonce(self, author_id: int, nonce: str | int) -> MessageRecord | None:
        horizon = self.now() - self.nonce_window
        for record in reversed(list(self.messages.values())):
            if record.created_monotonic < horizon:
                break
            if record.author_id == author_id and record.nonce == nonce and not record.deleted:
                return record
        return None

    def check_message_body(
        self, body: JSON, *, has_attachments: bool = False, system: bool = False
    ) -> tuple[str, list[JSON], JSON | None]:
        """Validate a message create body as Discord does; return content, embeds, mentions."""
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            raise form_error(["content"], "BASE_TYPE_STRING", "Must be a string.")
        content = content or ""
        if len(content) > 2000:
            raise form_error(
                ["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."
            )
        embeds = validate_embeds(body.get("embeds") or [])
        validate_components(body.get("components") or [])
        allowed = self.validate_allowed_mentions(body.get("allowed_mentions"))
        nonce = body.get("nonce")
        if isinstance(nonce, str) and len(nonce) > 25:
            raise form_error(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        has_body = (
            content or embeds or has_attachments or body.get("sticker_ids") or body.get("poll")
        )
        if not system and not has_body:
            raise ApiError(400, 50006, "Cannot send an empty message")
        return content, embeds, allowed

    def create_message(
        self,
        channel: Channel,
        author: User,
        body: JSON,
        *,
        kind: int = MessageType.DEFAULT,
        extra: JSON | None = None,
        attachments: list[JSON] | None = None,
        ephemeral: bool = False,
        request: JSON | None = None,
        emit: bool = True,
        system: bool = False,
        message_id: int | None = None,
        force_flags: int = 0,
    ) -> tuple[MessageRecord, bool]:
        """Create a message; returns (record, created).  ``created`` is False when an
        ``enforce_nonce`` duplicate returned the earlier message instead."""
        attachments = attachments or []
        content, embeds, allowed = self.check_message_body(
            body, has_attachments=bool(attachments), system=system
        )
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self.find_nonce(author.id, nonce)
            if earlier is not None:
                return earlier, False
        guild = self.guild_of(channel)
        reference = body.get("message_reference")
        reference_id: int | None = None
        reply_author: int | None = None
        if reference is not None and kind == MessageType.DEFAULT:
            ref_id = int(reference.get("message_id", 0) or 0)
            referenced = self.messages.get(ref_id)
            ok = (
                referenced is not None
                and not referenced.deleted
                and referenced.channel_id == int(reference.get("channel_id") or channel.id)
                and referenced.channel_id == channel.id
            )
            if ok and referenced is not None:
                reference_id = referenced.id
                reply_author = referenced.author_id
                kind = MessageType.REPLY
            elif reference.get("fail_if_not_exists", True):
                raise form_error(
                    ["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
            else:
                reference = None
        mention_ids, role_ids, everyone = self._mentions(
            content,
            guild=guild,
            channel=channel,
            allowed=allowed,
            reply_author=reply_author,
            author_id=author.id,
        )
        flags = (int(body.get("flags") or 0) & SETTABLE_MESSAGE_FLAGS) | force_flags
        if ephemeral:
            flags |= MessageFlag.EPHEMERAL
        if message_id is None:
            message_id = self.ids.next()
        data: JSON = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": author.payload(),
            "content": content,
            "timestamp": snowflake_iso(message_id),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": everyone,
            "mentions": [],
            "mention_roles": [str(r) for r in role_ids],
            "attachments": attachments,
            "embeds": embeds,
            "pinned": False,
            "type": int(kind),
            "flags": int(flags),
            "components": copy.deepcopy(body.get("components") or []),
        }
        if reference_id is not None and reference is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(reference_id),
                "channel_id": str(channel.id),
            }
            if guild is not None:
                data["message_reference"]["guild_id"] = str(guild.id)
        if extra:
            data.update(copy.deepcopy(extra))
        if channel.is_thread:
            data["position"] = channel.total_message_sent
        record = MessageRecord(
            id=message_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=author.id,
            data=data,
            mention_ids=mention_ids,
            reference_id=reference_id,
            nonce=nonce,
            request=copy.deepcopy(request) if request is not None else None,
            ephemeral=ephemeral,
            created_monotonic=self.now(),
        )
        self.messages[message_id] = record
        if not ephemeral:
            self._append_to_channel(channel, record)
            if emit:
                self.emit(
                    "MESSAGE_CREATE", self.message_payload(record, gateway=True, with_nonce=True)
                )
        return record, True

    def _append_to_channel(self, channel: Channel, record: MessageRecord) -> None:
        order = self.channel_messages.setdefault(channel.id, [])
        bisect.insort(order, record.id)
        channel.last_message_id = max(channel.last_message_id or 0, record.id)
        if channel.is_thread:
            counts = record.id != channel.starter_message_id and record.data["type"] not in (
                MessageType.THREAD_STARTER_MESSAGE,
            )
            if counts:
                channel.message_count += 1
                channel.total_message_sent += 1
            channel.last_activity = self.now()
            if channel.archived and not channel.locked:
                self.set_archived(channel, False)
            parent = self.channels.get(channel.parent_id or 0)
            if parent is not None and parent.type == ChannelType.GUILD_FORUM:
                parent.last_message_id = channel.id

    def edit_message(self, record: MessageRecord, body: JSON) -> MessageRecord:
        data = record.data
        if "content" in body:
            content = body["content"] or ""
            if len(content) > 2000:
                raise form_error(
                    ["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."
                )
            data["content"] = content
            channel = self.channels[record.channel_id]
            allowed = self.validate_allowed_mentions(body.get("allowed_mentions"))
            record.mention_ids, roles, everyone = self._mentions(
                content,
                guild=self.guild_of(channel),
                channel=channel,
                allowed=allowed,
                reply_author=None,
                author_id=record.author_id,
            )
            data["mention_roles"] = [str(r) for r in roles]
            data["mention_everyone"] = everyone
        if "embeds" in body:
            data["embeds"] = validate_embeds(body["embeds"] or [])
        if "flags" in body and body["flags"] is not None:
            kept = int(data["flags"]) & ~SETTABLE_MESSAGE_FLAGS
            data["flags"] = kept | (int(body["flags"]) & SETTABLE_MESSAGE_FLAGS)
        if "components" in body:
            data["components"] = validate_components(body["components"] or [])
        if "attachments" in body and body["attachments"] is not None:
            keep = {str(a.get("id")) for a in body["attachments"]}
            data["attachments"] = [a for a in data["attachments"] if a["id"] in keep]
        if not (data["content"] or data["embeds"] or data["attachments"]):
            raise ApiError(400, 50006, "Cannot send an empty message")
        data["edited_timestamp"] = self.now_iso()
        data["flags"] = int(data["flags"]) & ~MessageFlag.LOADING
        if not record.ephemeral:
            self.emit("MESSAGE_UPDATE", self.message_payload(record, gateway=True))
        return record

    def unfurl(self, record: MessageRecord) -> bool:
        """Add the link preview Discord makes for the first URL in a message, announced by a
        MESSAGE_UPDATE with the full message (``edited_timestamp`` unchanged: it is not an
        edit). ``<url>`` and SUPPRESS_EMBEDS prevent it, as in Discord's client."""
        if int(record.data.get("flags") or 0) & MessageFlag.SUPPRESS_EMBEDS:
            return False
        found = LINK.search(record.content)
        if found is None:
            return False
        url = found.group(0)
        record.data["embeds"] = [
            *record.data.get("embeds", []),
            {"type": "link", "url": url, "title": url},
        ]
        self.emit("MESSAGE_UPDATE", self.message_payload(record, gateway=True))
        return True

    def delete_message(self, record: MessageRecord) -> None:
        record.deleted = True
        order = self.channel_messages.get(record.channel_id, [])
        if record.id in order:
            order.remove(record.id)
        channel = self.channels.get(record.channel_id)
        if channel is not None and channel.is_thread and channel.message_count > 0:
            channel.message_count -= 1
        if record.ephemeral:
            return
        event: JSON = {"id": str(record.id), "channel_id": str(record.channel_id)}
        if record.guild_id is not None:
            event["guild_id"] = str(record.guild_id)
        self.emit("MESSAGE_DELETE", event)

    def history(
        self,
        channel: Channel,
        *,
        limit: int = 50,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
    ) -> list[MessageRecord]:
        """Newest first, as Discord returns them, for every query form."""
        ids = self.channel_messages.get(channel.id, [])
        if around is not None:
            index = bisect.bisect_left(ids, around)
            start = max(0, index - limit // 2)
            chosen = ids[start : start + limit]
        elif after is not None:
            index = bisect.bisect_right(ids, after)
            chosen = ids[index : index + limit]
        elif before is not None:
            index = bisect.bisect_left(ids, before)
            chosen = ids[max(0, index - limit) : index]
        else:
            chosen = ids[-limit:]
        return [self.messages[i] for i in reversed(chosen)]

    # ---- reactions -------------------------------------------------------------------

    def emoji_key(self, guild: Guild | None, raw: str) -> str:
        """Validate a reaction emoji as it appears in the route ('👍' or 'name:id')."""
        if ":" in raw:
            name, _, emoji_id = raw.partition(":")
            known = guild is not None and emoji_id.isdigit() and int(emoji_id) in guild.emojis
            if not known:
                raise unknown("Emoji")
            return f"{name}:{emoji_id}"
        if not raw or raw.isascii():
            raise unknown("Emoji")
        return raw

    def add_reaction(self, record: MessageRecord, user_id: int, key: str) -> bool:
        users = record.reactions.setdefault(key, [])
        if user_id in users:
            return False
        if len([k for k, v in record.reactions.items() if v]) >= 20 and not users:
            raise ApiError(400, 30010, "Maximum number of reactions reached (20)")
        users.append(user_id)
        record.reaction_emoji[key] = self.emoji_payload(key)
        event: JSON = {
            "user_id": str(user_id),
            "type": 0,
            "message_id": str(record.id),
            "message_author_id": str(record.author_id),
            "channel_id": str(record.channel_id),
            "emoji": self.emoji_payload(key),
            "burst": False,
            "burst_colors": [],
        }
        if record.guild_id is not None:
            event["guild_id"] = str(record.guild_id)
            member = self.guilds[record.guild_id].members.get(user_id)
            if member is not None:
                event["member"] = member.payload()
        self.emit("MESSAGE_REACTION_ADD", event)
        return True

    def remove_reaction(self, record: MessageRecord, user_id: int, key: str) -> bool:
        users = record.reactions.get(key, [])
        if user_id not in users:
            return False
        users.remove(user_id)
        if not users:
            del record.reactions[key]
        event: JSON = {
            "user_id": str(user_id),
            "type": 0,
            "message_id": str(record.id),
            "channel_id": str(record.channel_id),
            "emoji": self.emoji_payload(key),
            "burst": False,
        }
        if record.guild_id is not None:
            event["guild_id"] = str(record.guild_id)
        self.emit("MESSAGE_REACTION_REMOVE", event)
        return True

    # ---- threads ---------------------------------------------------------------------

    def create_thread(
        self,
        parent: Channel,
        creator: User,
        *,
        name: Any,
        thread_type: int,
        auto_archive_duration: int | None,
        thread_id: int | None = None,
        applied_tags: list[int] | None = None,
    ) -> Channel:
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise form_error(
                ["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        duration = auto_archive_duration or 1440
        if duration not in (60, 1440, 4320, 10080):
            raise form_error(
                ["auto_archive_duration"],
                "BASE_TYPE_CHOICES",
                "Value must be one of (60, 1440, 4320, 10080).",
            )
        stamp = self.now_iso()
        thread = Channel(
            id=thread_id if thread_id is not None else self.ids.next(),
            type=thread_type,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=creator.id,
            auto_archive_duration=duration,
            archive_timestamp=stamp,
            create_timestamp=stamp,
            applied_tags=list(applied_tags or []),
            last_activity=self.now(),
        )
        thread.member_ids[creator.id] = stamp
        self.add_channel(thread)
        created = self.thread_payload(thread, for_user=self.bot.id)
        created["newly_created"] = True
        self.emit("THREAD_CREATE", created)
        if creator.id == self.bot.id:
            self.emit(
                "THREAD_MEMBERS_UPDATE",
                {
                    "id": str(thread.id),
                    "guild_id": str(thread.guild_id),
                    "member_count": len(thread.member_ids),
                    "added_members": [self.thread_member_payload(thread, self.bot.id)],
                },
            )
        return thread

    def join_thread(self, thread: Channel, user_id: int) -> None:
        if user_id in thread.member_ids:
            return
        thread.member_ids[user_id] = self.now_iso()
        if user_id == self.bot.id:
            self.emit(
                "THREAD_MEMBERS_UPDATE",
                {
                    "id": str(thread.id),
                    "guild_id": str(thread.guild_id),
                    "member_count": len(thread.member_ids),
                    "added_members": [self.thread_member_payload(thread, user_id)],
                },
            )

    def set_archived(self, thread: Channel, archived: bool, *, locked: bool | None = None) -> None:
        was_archived = thread.archived
        thread.archived = archived
        if locked is not None:
            thread.locked = locked
        thread.archive_timestamp = self.now_iso()
        if was_archived and not archived:
            thread.last_activity = self.now()  # unarchiving counts as activity
        self.emit("THREAD_UPDATE", self.thread_payload(thread))

    # ---- application commands --------------------------------------------------------

    def normalize_command(self, raw: Any, guild_id: int | None, index: int | None) -> JSON:
        where: list[str | int] = [] if index is None else [index]
        if not isinstance(raw, dict):
            raise form_error(where, "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
        kind = int(raw.get("type") or 1)
        name = raw.get("name")
        if (
            not isinstance(name, str)
            or not COMMAND_NAME.match(name)
            or (kind == 1 and name != name.lower())
        ):
            raise form_error(
                [*where, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        description = raw.get("description") or ""
        if kind == 1 and not 1 <= len(description) <= 100:
            raise form_error(
                [*where, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        options = raw.get("options") or []
        if len(options) > 25:
            raise form_error(
                [*where, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        seen_optional = False
        for o_index, option in enumerate(options):
            if option.get("type") in (1, 2):
                continue
            if option.get("required"):
                if seen_optional:
                    raise form_error(
                        [*where, "options", o_index],
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                seen_optional = True
        existing = next(
            (
                c
                for c in self.commands.setdefault(guild_id, {}).values()
                if c["name"] == name and c["type"] == kind
            ),
            None,
        )
        permissions = raw.get("default_member_permissions")
        command: JSON = {
            "id": existing["id"] if existing else str(self.ids.next()),
            "application_id": str(self.application_id),
            "version": str(self.ids.next()),
            "type": kind,
            "name": name,
            "name_localizations": raw.get("name_localizations"),
            "description": description,
            "description_localizations": raw.get("description_localizations"),
            "default_member_permissions": None if permissions is None else str(permissions),
            "dm_permission": raw.get("dm_permission", True),
            "contexts": raw.get("contexts"),
            "integration_types": raw.get("integration_types") or [0],
            "nsfw": bool(raw.get("nsfw", False)),
        }
        if options:
            command["options"] = copy.deepcopy(options)
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        return command

    def overwrite_commands(self, guild_id: int | None, raw: Any) -> list[JSON]:
        if not isinstance(raw, list):
            raise form_error([], "BASE_TYPE_ARRAY", "Must be an array.")
        commands = [self.normalize_command(c, guild_id, i) for i, c in enumerate(raw)]
        self.commands[guild_id] = {int(c["id"]): c for c in commands}
        return commands

    def find_command(self, guild_id: int | None, name: str) -> JSON | None:
        for scope in (guild_id, None):
            for command in self.commands.get(scope, {}).values():
                if command["name"] == name and command["type"] == 1:
                    return command
        return None


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


def new_token() -> str:
    return secrets.token_urlsafe(24)
