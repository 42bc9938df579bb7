"""Opening threads and forum posts without ever opening one twice ("look before you create").

Discord has no idempotency key for creating a thread, so a retried ``open_thread`` (after
a timeout, or a crash between Discord's answer and the outbox marking the row done) must
find the thread the first attempt made:

1. the state store maps a digest of the outbox key to the thread id, written right after
   Discord answers the creation;
2. failing that (a crash in between), the bot's own threads in that channel with the same
   name, active or recently archived, whose opening message carries the key's digest in
   its embed footer ("pointbot · ref 1a2b…"), or that are still empty (the first attempt
   died before posting the opening; the outbox sends a channel's rows one at a time, so
   the empty one is this row's).

Text channels get a standalone public thread (not one started from a message): the
channel stays readable (a one-line "started a thread" notice per point instead of five
long messages), and nothing is left half-made in the channel when thread creation is
refused. The opening message is then posted inside with a nonce. In a forum channel the
thread is a forum post created together with its opening message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import discord

from bot.adapters.base import PermissionFailure
from bot.adapters.discord import guards, render
from bot.adapters.discord.errors import PLATFORM, RejectedFailure, failure_of
from bot.adapters.discord.inbound import ref
from bot.core.models import ChatRef, Rendered

if TYPE_CHECKING:
    from discord.types.threads import ThreadArchiveDuration

    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)

THREAD_PERMISSIONS = (
    "the permissions View Channel, Create Public Threads and Send Messages in Threads"
)
FORUM_PERMISSIONS = "the permissions View Channel and Send Messages (Create Posts)"
SUMMARY_TAGS = ("article", "articles", "summary")
POINT_TAGS = ("point", "points", "discussion")


class ThreadOpener:
    """``open_thread`` and forum posts for one adapter."""

    def __init__(self, adapter: DiscordAdapter, auto_archive_minutes: int) -> None:
        self.adapter = adapter
        self.auto_archive = cast("ThreadArchiveDuration", auto_archive_minutes)

    async def open(
        self, parent_id: str, title: str, first: Rendered, key: str, *, op: str, summary: bool
    ) -> ChatRef:
        """A thread (or forum post) named ``title`` in ``parent_id``, opened by ``first``."""
        parent = await self.adapter.channel(parent_id, op)
        name = render.thread_name(title)
        digest = render.key_ref(key)
        embed: discord.Embed | None = render.embed_of(first, footer=render.footer_for(key))
        text: str | None = None
        if not guards.can_embed(self.adapter.connected, parent_id):
            # Discord would drop the embed and refuse the empty opening, leaving the thread
            # empty: the same card goes out as text, its ref on the last line.
            text = render.split_content(
                render.plain_of(first, footer=render.footer_for(key)), max_parts=1
            )[0]
            embed = None
        hint = FORUM_PERMISSIONS if isinstance(parent, discord.ForumChannel) else THREAD_PERMISSIONS
        try:
            thread = await self._existing(parent, name, digest)
            if isinstance(parent, discord.ForumChannel):
                if thread is None:
                    return await self._forum_post(
                        parent, name, embed, text, digest, summary=summary, announce=first.announce
                    )
                # A forum post's opening message shares the post's id.
                return ref((parent_id, str(thread.id)), thread.id)
            if not isinstance(parent, discord.TextChannel):
                raise RejectedFailure(
                    PLATFORM, op, f"channel {parent_id} cannot hold threads", ids=parent_id
                )
            if thread is None:
                thread = await parent.create_thread(
                    name=name,
                    type=discord.ChannelType.public_thread,
                    auto_archive_duration=self.auto_archive,
                )
                await self.adapter.state.save_thread(digest, thread.id)
                log.info("opened thread %s %r in %s", thread.id, name, parent_id)
            else:
                opening = await self._opening(thread, digest)
                if opening is not None:
                    return ref((parent_id, str(thread.id)), opening.id)
            sent = await thread.send(
                content=text,
                embed=embed,  # type: ignore[arg-type]
                nonce=render.nonce(key),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except Exception as exc:
            raise failure_of(exc, op, parent_id, hint) from exc
        await self.adapter.state.remember(str(thread.id), sent.id)
        return ref((parent_id, str(thread.id)), sent.id)

    async def _forum_post(
        self,
        forum: discord.ForumChannel,
        name: str,
        embed: discord.Embed | None,
        text: str | None,
        digest: str,
        *,
        summary: bool,
        announce: str | None = None,
    ) -> ChatRef:
        tags = _tags(forum, SUMMARY_TAGS if summary else POINT_TAGS, self.adapter.bot_id)
        article = None if summary else await self.adapter.state.get(f"forum/{forum.id}")
        if article is not None:
            # The outbox posts a forum's rows in order, so the newest article post is the
            # one these points belong to: link it, since point posts stand alone in a forum.
            if embed is not None:
                embed.add_field(name="Article", value=f"<#{article}>", inline=False)
            else:
                text = f"Article: <#{article}>\n{text}"
        allowed = discord.AllowedMentions.none()
        if summary and (announced := render.announcement(announce)):
            ping, allowed = announced  # a new article's post pings its announce, only that
            text = f"{ping} {text}" if text else ping
        created = await forum.create_thread(
            name=name,
            content=text,
            embed=embed,  # type: ignore[arg-type]
            allowed_mentions=allowed,
            auto_archive_duration=self.auto_archive,
            applied_tags=tags,
        )
        thread, message = created.thread, created.message
        await self.adapter.state.save_thread(digest, thread.id)
        if summary:
            await self.adapter.state.put(f"forum/{forum.id}", str(thread.id))
        await self.adapter.state.remember(str(thread.id), message.id)
        log.info("opened forum post %s %r in %s", thread.id, name, forum.id)
        return ref((str(forum.id), str(thread.id)), message.id)

    async def _existing(
        self, parent: discord.abc.GuildChannel, name: str, digest: str
    ) -> discord.Thread | None:
        """The thread an earlier attempt for this key opened, if there is one."""
        known = await self.adapter.state.thread_for(digest)
        if known is not None:
            thread = await self._thread(known)
            if thread is not None and thread.parent_id == parent.id:
                return thread
        if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
            return None
        me = self.adapter.bot_id
        candidates = [t for t in parent.threads if t.owner_id == me and t.name == name]
        try:
            async for t in parent.archived_threads(limit=50):
                if t.owner_id == me and t.name == name:
                    candidates.append(t)
        except discord.Forbidden:
            pass  # without Read Message History only the active threads can be checked
        for thread in candidates:
            if await self._opening(thread, digest, empty_matches=True) is not None:
                await self.adapter.state.save_thread(digest, thread.id)
                log.info("found thread %s %r from an earlier attempt", thread.id, name)
                return thread
        return None

    async def _thread(self, thread_id: int) -> discord.Thread | None:
        client = self.adapter.client
        found = client.get_channel(thread_id)
        if found is None:
            try:
                found = await client.fetch_channel(thread_id)
            except (discord.NotFound, discord.Forbidden):
                return None  # deleted, or hidden from the bot: open a new one
        return found if isinstance(found, discord.Thread) else None

    async def _opening(
        self, thread: discord.Thread, digest: str, *, empty_matches: bool = False
    ) -> discord.Message | _Empty | None:
        """The bot's opening message for ``digest`` in ``thread``; with ``empty_matches``,
        a thread with nothing in it also counts (its opening was never posted)."""
        me = self.adapter.bot_id
        anything = False
        async for message in thread.history(limit=10, oldest_first=True):
            if message.type is discord.MessageType.thread_starter_message:
                continue
            anything = True
            if message.author.id == me and digest in render.footer_of(message):
                return message
        return _EMPTY if empty_matches and not anything else None


class _Empty:
    """Stands for "the thread is empty" where a message is expected to be found."""

    id = 0


_EMPTY = _Empty()


def _tags(forum: discord.ForumChannel, names: tuple[str, ...], me: int) -> list[discord.ForumTag]:
    """The forum's tag for this kind of post, if it has one the bot may set (the bot cannot
    create tags; moderated ones need Manage Threads); a forum that requires a tag gets its
    first usable one, and one with none usable is a problem for the admins (the post stays
    in the outbox until they create one)."""
    member = forum.guild.get_member(me)
    manage = member is not None and forum.permissions_for(member).manage_threads
    usable = [t for t in forum.available_tags if manage or not t.moderated]
    for tag in usable:
        if tag.name.lower() in names:
            return [tag]
    if forum.flags.require_tag:
        if usable:
            return [usable[0]]
        raise PermissionFailure(
            PLATFORM,
            "post",
            f"forum {forum.id} requires a tag on every post and all its tags are moderated "
            "(only Manage Threads may set them); create a tag named 'article' and one named "
            "'point' that are not moderated, or give the bot Manage Threads there",
            ids=str(forum.id),
        )
    return []
