"""What Discord would refuse, handled before or right after it refuses: embeds where the bot
lacks Embed Links (Discord drops them, then refuses the empty message), and archived
threads (Discord refuses edits and reactions there with 50083 until they are reopened)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

from bot.adapters.discord.errors import THREAD_ARCHIVED, failure_of

log = logging.getLogger(__name__)
T = TypeVar("T")


def can_embed(client: discord.Client | None, container: str) -> bool:
    """Whether the bot may show embeds in channel or thread ``container`` (Embed Links;
    True where discord.py cannot tell, e.g. a DM or a channel not cached)."""
    channel = client.get_channel(int(container)) if client and container.isdigit() else None
    guild = getattr(channel, "guild", None)
    if channel is None or guild is None or guild.me is None:
        return True
    return bool(channel.permissions_for(guild.me).embed_links)  # type: ignore[union-attr]


def announce_refusal(client: discord.Client | None, container: str, announce: str) -> str | None:
    """Why the bot's messages in ``container`` could not ping ``announce`` (``here`` or
    ``role:<id>``), or None. Discord drops such a ping silently, so it is said when an admin
    sets it: @here takes Mention Everyone; a role must exist in the server and be
    mentionable, or the bot needs Mention Everyone."""
    channel = client.get_channel(int(container)) if client and container.isdigit() else None
    guild = getattr(channel, "guild", None)
    if channel is None or guild is None or guild.me is None:
        return "I cannot see that channel now"
    everyone = bool(channel.permissions_for(guild.me).mention_everyone)  # type: ignore[union-attr]
    if announce == "here":
        return None if everyone else "I need the Mention Everyone permission there to ping @here"
    role = guild.get_role(int(announce[5:])) if announce[5:].isdigit() else None
    if role is None:
        return "there is no such role in that server"
    if role.mentionable or everyone:
        return None
    return (
        f"the role {role.name} cannot be mentioned by me: make it mentionable (Server "
        "Settings, Roles) or give me Mention Everyone"
    )


async def unarchived(
    client: discord.Client, container: str, op: str, action: Callable[[], Awaitable[T]]
) -> T:
    """Run ``action`` in thread ``container``; if Discord says the thread is archived
    (50083), unarchive it (the bot is a member of its own threads, which is all Discord
    asks) and run it again. The thread archives again by itself after its idle time. A
    locked thread raises :class:`~bot.adapters.discord.errors.ThreadLockedFailure`."""
    try:
        return await action()
    except discord.HTTPException as exc:
        if exc.code != THREAD_ARCHIVED:
            raise
    try:
        await client.http.edit_channel(int(container), archived=False)
    except Exception as exc:
        raise failure_of(exc, op, container) from exc
    log.info("unarchived thread %s to %s there", container, op.replace("_", " "))
    return await action()
