"""Who is an admin on Discord (Manage Server), and telling admins about permission problems."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING

import discord

from bot.adapters.base import AdapterError
from bot.core.models import ChatRef, Role, UserRef

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)

ROLE_TTL = 300.0  # seconds a member's Manage Server permission is trusted without asking
REPORT_EVERY = 3600.0  # seconds between two notices to admins about the same channel


class Roles:
    """Members' Manage Server permission, from events seen or over REST."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter
        self._seen: dict[tuple[int, int], tuple[bool, float]] = {}

    def note(self, member: object) -> None:
        """Remember whether a member seen in an event (message, slash command) may manage
        the server: their roles came with the event, so no request is needed later."""
        if isinstance(member, discord.Member):
            allowed = member.guild_permissions.manage_guild
            self._seen[(member.guild.id, member.id)] = (allowed, time.monotonic())

    def community_of(self, where: ChatRef) -> str | None:
        client = self.adapter.connected
        if client is None or not where.channel.isdigit():
            return None
        guild = getattr(client.get_channel(int(where.channel)), "guild", None)
        return f"discord:{guild.id}" if guild is not None else None

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        """ADMIN for a member with Manage Server in the channel's server, else MEMBER."""
        client = self.adapter.connected
        if client is None or not where.channel.isdigit() or not user.id.isdigit():
            return Role.MEMBER
        guild = getattr(client.get_channel(int(where.channel)), "guild", None)
        if guild is None:
            return Role.MEMBER  # a direct message, or a channel the bot cannot see
        seen = self._seen.get((guild.id, int(user.id)))
        if seen is not None and time.monotonic() - seen[1] < ROLE_TTL:
            return Role.ADMIN if seen[0] else Role.MEMBER
        try:
            member = await guild.fetch_member(int(user.id))
        except discord.NotFound:
            return Role.MEMBER
        except Exception as exc:  # unknown for now: grant nothing, and say why
            log.warning("could not read %s's permissions in %s: %s", user.id, guild.id, exc)
            return Role.MEMBER
        self.note(member)
        return Role.ADMIN if member.guild_permissions.manage_guild else Role.MEMBER


class AdminNotices:
    """Direct messages to the configured admins when the bot lacks a permission somewhere
    (at most hourly per channel): the outbox keeps the work, someone has to fix the cause."""

    def __init__(self, adapter: DiscordAdapter, admins: frozenset[str]) -> None:
        self.adapter = adapter
        self.admins = sorted(a for a in admins if a.isdigit())
        self._told: dict[str, float] = {}

    async def tell(self, failure: AdapterError) -> None:
        """Tell the admins (hourly per channel while the work is kept; once for work that
        is given up, such as edits in a locked thread)."""
        now = time.monotonic()
        if failure.ids in self._told and not failure.retryable:
            return
        if now - self._told.get(failure.ids, -REPORT_EVERY) < REPORT_EVERY:
            return
        self._told[failure.ids] = now
        client = self.adapter.connected
        if client is None:
            return
        outcome = (
            "The message is kept and sent once this is fixed."
            if failure.retryable
            else "That message was given up; later ones there will fail the same way."
        )
        text = (
            f"pointbot cannot {failure.operation.replace('_', ' ')} on Discord: "
            f"{failure.detail}. {outcome}"
        )
        for admin in self.admins:
            with contextlib.suppress(Exception):  # best effort: the log has it too
                person = client.get_user(int(admin)) or await client.fetch_user(int(admin))
                await person.send(text, allowed_mentions=discord.AllowedMentions.none())
