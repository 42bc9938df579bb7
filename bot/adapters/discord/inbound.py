"""discord.py messages and raw events as the core's neutral events. Pure; no I/O.

A place is ``(channel, thread)``: for a message in a thread, ``channel`` is the thread's
parent channel and ``thread`` the thread's id (a forum post is a thread of its forum);
elsewhere ``thread`` is None. The caller resolves places (from discord.py's cache, or
over REST for a thread it has not seen), so these functions only translate.
"""

from __future__ import annotations

import re

import discord

from bot.core.models import (
    ChatRef,
    IncomingMessage,
    MessageDeleted,
    MessageEdited,
    Platform,
    ReactionAdded,
    UserRef,
)

PLATFORM = Platform("discord")
Place = tuple[str, str | None]

# Only what people write: replies included; joins, pins, thread notices and the like not.
HUMAN_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def place_of(channel: object) -> Place | None:
    """The place of a discord.py channel object, or None when it cannot be told here
    (a thread discord.py has not cached arrives as a bare PartialMessageable)."""
    if isinstance(channel, discord.Thread):
        return str(channel.parent_id), str(channel.id)
    if isinstance(channel, discord.abc.GuildChannel | discord.DMChannel | discord.GroupChannel):
        return str(getattr(channel, "id", "")), None
    return None


def ref(place: Place, message_id: int | str | None, server: str | None = None) -> ChatRef:
    channel, thread = place
    message = None if message_id is None else str(message_id)
    return ChatRef(PLATFORM, channel, thread, message, server=server)


def server_of(message: discord.Message) -> str | None:
    """The ``server`` of a message's ref: its guild's id, ``@me`` in a direct message (as
    Discord's message links spell it), None when it cannot be told. Not discord.py's
    ``jump_url``, which says ``@me`` for a server message whose guild it has not cached."""
    if isinstance(message.channel, discord.DMChannel):
        return "@me"
    guild = getattr(message.guild, "id", None) or getattr(message.channel, "guild_id", None)
    return None if guild is None else str(guild)


def user_of(user: discord.abc.User | discord.Member) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.display_name)


def strip_mention(text: str, bot_id: int) -> str:
    """``text`` without the bot's mention at its start ("@pointbot !ask ..." -> "!ask ...")."""
    return re.sub(rf"^\s*<@!?{bot_id}>[\s,:]*", "", text, count=1)


def mentions(message: discord.Message, bot_id: int) -> bool:
    if any(u.id == bot_id for u in message.mentions):
        return True
    return re.search(rf"<@!?{bot_id}>", message.content) is not None


def is_human(message: discord.Message) -> bool:
    """A message a person wrote (not a bot, a webhook or a system notice)."""
    return not message.author.bot and message.webhook_id is None and message.type in HUMAN_TYPES


def reply_target(message: discord.Message) -> tuple[int, int] | None:
    """(channel id, message id) of the message this one replies to, if it is a reply."""
    reference = message.reference
    if message.type is not discord.MessageType.reply or reference is None:
        return None
    if reference.message_id is None:
        return None
    return reference.channel_id or message.channel.id, reference.message_id


def incoming(
    message: discord.Message, place: Place, bot_id: int, reply_place: Place | None = None
) -> IncomingMessage:
    """A person's message; ``reply_place`` is where the message it replies to lives."""
    target = reply_target(message)
    reply_to = None
    if target is not None:
        reply_to = ref(reply_place or place, target[1])
    return IncomingMessage(
        author=user_of(message.author),
        where=ref(place, message.id, server_of(message)),
        text=strip_mention(message.content, bot_id),
        reply_to=reply_to,
        mentions_bot=mentions(message, bot_id),
        is_direct=isinstance(message.channel, discord.DMChannel),
    )


def edited(
    payload: discord.RawMessageUpdateEvent, place: Place, bot_id: int
) -> MessageEdited | None:
    """A person's edit of their message's text; None for bots' edits and for updates that
    leave the text alone. Discord sends the full message on every MESSAGE_UPDATE: when it
    adds a link preview, when someone starts a thread on the message, on a pin; only an
    edit sets ``edited_timestamp``, and the text must differ from the one seen before
    (discord.py's cached copy, when it has one)."""
    data = payload.data
    if "content" not in data or not data.get("edited_timestamp"):
        return None
    message = payload.message
    if not is_human(message):
        return None
    before = payload.cached_message
    if before is not None and before.content == message.content:
        return None
    return MessageEdited(
        author=user_of(message.author),
        where=ref(place, payload.message_id),
        text=strip_mention(message.content, bot_id),
    )


def deleted(payload: discord.RawMessageDeleteEvent, place: Place) -> MessageDeleted:
    return MessageDeleted(where=ref(place, payload.message_id))


def reacted(
    payload: discord.RawReactionActionEvent, place: Place, bot_id: int
) -> ReactionAdded | None:
    """A person's reaction added or removed; None for the bot's own."""
    if payload.user_id == bot_id:
        return None
    member = payload.member
    author = user_of(member) if member is not None else UserRef(PLATFORM, str(payload.user_id))
    return ReactionAdded(
        author=author,
        where=ref(place, payload.message_id),
        emoji=str(payload.emoji),
        removed=payload.event_type == "REACTION_REMOVE",
    )
