"""Whose ``!feed`` command this is, and what it may reach.

Bot admins (the config's ``[bot] admins``) govern every feed and subscription. A community
admin (Discord Manage Server, Matrix power level) governs only the subscriptions of the
community the command was given in: that Discord server, that Matrix room.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.adapters.base import ChatAdapter
from bot.core.models import ChatRef, IncomingMessage, Platform, Rendered
from bot.storage.port import Store, Tx
from bot.storage.types import FeedRow, OutboxItem, Subscription


@dataclass(frozen=True, slots=True)
class Scope:
    """A bot admin's (``community`` None: everything) or one community's admin's reach."""

    community: str | None

    @property
    def bot_admin(self) -> bool:
        return self.community is None

    def governs(self, sub: Subscription) -> bool:
        return self.governs_community(sub.community)

    def governs_community(self, community: str | None) -> bool:
        return self.community is None or community == self.community

    @property
    def here(self) -> str:
        """How the reply names the community."""
        if self.community is None:
            return "anywhere"
        platform = self.community.partition(":")[0]
        return {"matrix": "in this room", "console": "in this channel"}.get(
            platform, "in this server"
        )


async def community_of(adapters: Mapping[Platform, ChatAdapter], where: ChatRef) -> str | None:
    """The community of the channel ``where`` (None: a direct chat, or not one the bot sees)."""
    adapter = adapters.get(where.platform)
    if adapter is None:
        return None
    return await adapter.community_of(ChatRef(where.platform, where.channel))


async def place_carried_over(adapters: Mapping[Platform, ChatAdapter], store: Store) -> None:
    """Give subscriptions carried over by migration 0008 their community, once it is known."""
    async with store.read() as r:
        unplaced = await r.subscriptions.unplaced()
    for sub_id, _, platform, channel in unplaced:
        # Asked of the platform outside any unit of work: it may take a network trip.
        community = await community_of(adapters, ChatRef(platform, channel))
        if community is not None:
            async with store.transaction() as tx:
                await tx.subscriptions.place(sub_id, community)


def as_seen(feed: FeedRow, sub: Subscription | None) -> FeedRow:
    """The feed as one community sees it: paused when its subscription is."""
    if sub is None or not sub.paused or feed.paused:
        return feed
    return replace(feed, paused=True, pause_reason=sub.pause_reason)


def names(keys: Sequence[str]) -> str:
    if len(keys) <= 1:
        return "".join(keys)
    return f"{', '.join(keys[:-1])} and {keys[-1]}"


async def add_authors(
    tx: Tx,
    sub_id: int,
    keys: Sequence[str],
    *,
    feed: str,
    msg: IncomingMessage,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Add ``keys`` as authors of the subscription and tell its authors before by direct
    message (in the caller's transaction); returns ``(added, authors before)``."""
    before = await tx.subscriptions.authors(sub_id)
    added = await tx.subscriptions.add_authors(sub_id, keys)
    if added:
        text = (
            f"{msg.author.name} ({msg.author.key}) made {names(added)} an author of feed "
            f"{feed} where you are one: they now see its questions and answer its readers. "
            "If that is wrong, tell a bot admin."
        )
        for key in before:
            platform, _, uid = key.partition(":")
            item = OutboxItem(
                key=f"authors:{sub_id}:{key}:{msg.where.platform}:{msg.where.message}",
                op="dm",
                where=ChatRef(Platform(platform), uid),
                message=Rendered(text),
                purpose="notice",
            )
            await tx.outbox.add(item, now)
    return added, before


def authors_said(requested: Sequence[str], added: Sequence[str], before: Sequence[str]) -> str:
    """The reply's sentence about the authors an ``add`` named (empty if none were)."""
    if not requested:
        return ""
    if not added:
        return f" {names(list(requested))} already answer its readers here."
    told = f" I told {names(list(before))}, its authors before." if before else ""
    verb = "answers" if len(added) == 1 else "answer"
    return f" {names(added)} now {verb} its readers' questions here as its author.{told}"
