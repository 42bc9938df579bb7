"""The adapter contract, as tests every adapter runs (console, fake, Matrix, Discord).

An adapter's test module provides a :class:`Harness` for its platform (a member who can
speak and read, and a channel the bot may post in) and calls :func:`contract_tests` to get
the test functions, so each platform proves the same behaviour the core relies on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.adapters.base import ChatAdapter
from bot.core.models import Action, ChatRef, InboundEvent, IncomingMessage, Rendered, UserRef


@dataclass(frozen=True)
class Seen:
    """A message as a member's own client shows it."""

    ref: ChatRef
    text: str
    thread: str | None
    reply_to: str | None  # message id it replies to
    mentions: frozenset[str] = frozenset()  # user ids it notifies


class Harness(Protocol):
    adapter: ChatAdapter
    channel: ChatRef
    member: UserRef

    async def member_says(
        self, text: str, *, thread: str | None = None, reply_to: ChatRef | None = None
    ) -> ChatRef:
        """The member posts ``text`` in the channel (or thread, or as a reply)."""

    async def seen(self, ref: ChatRef) -> Seen:
        """The message ``ref`` as the member's client shows it (waits until visible)."""

    async def count_seen(self, text: str) -> int:
        """How many messages with exactly ``text`` the member sees (channel and threads)."""


@dataclass
class Inbox:
    """Collects what the adapter hands the core."""

    events: list[InboundEvent] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, event: InboundEvent) -> None:
        self.events.append(event)
        self.arrived.set()

    async def message(self, text: str, wait: float = 10.0) -> IncomingMessage:
        async def find() -> IncomingMessage:
            while True:
                for e in self.events:
                    if isinstance(e, IncomingMessage) and e.text == text:
                        return e
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(find(), wait)


Test = Callable[[Harness, Inbox], Awaitable[None]]


async def post_is_seen(h: Harness, inbox: Inbox) -> None:
    ref = await h.adapter.post(h.channel, Rendered("contract: hello"), key="c-post-1")
    assert ref.message is not None and ref.channel == h.channel.channel
    seen = await h.seen(ref)
    assert seen.text.startswith("contract: hello")


async def same_key_posts_once(h: Harness, inbox: Inbox) -> None:
    first = await h.adapter.post(h.channel, Rendered("contract: once"), key="c-once")
    again = await h.adapter.post(h.channel, Rendered("contract: once"), key="c-once")
    assert first.message == again.message
    await h.seen(first)
    assert await h.count_seen("contract: once") == 1


async def thread_holds_its_messages(h: Harness, inbox: Inbox) -> None:
    opened = await h.adapter.open_thread(
        h.channel, "3. A point", Rendered("contract: thread opening"), key="c-thread"
    )
    assert opened.thread is not None
    inside = await h.adapter.post(opened.container(), Rendered("contract: in thread"), key="c-in")
    seen = await h.seen(inside)
    assert seen.thread == opened.thread


async def member_messages_arrive_with_their_place(h: Harness, inbox: Inbox) -> None:
    opened = await h.adapter.open_thread(
        h.channel, "1. Another point", Rendered("contract: opening 2"), key="c-thread-2"
    )
    said = await h.member_says("contract: member in channel")
    in_thread = await h.member_says("contract: member in thread", thread=opened.thread)
    reply = await h.member_says("contract: member reply", reply_to=said)
    got = await inbox.message("contract: member in channel")
    assert got.author.same_person(h.member) and got.where.message == said.message
    assert got.where.thread is None
    got_t = await inbox.message("contract: member in thread")
    assert got_t.where.thread == opened.thread and got_t.where.message == in_thread.message
    got_r = await inbox.message("contract: member reply")
    assert got_r.reply_to is not None and got_r.reply_to.message == said.message
    assert got_r.where.message == reply.message


async def reply_lands_in_thread_and_mentions(h: Harness, inbox: Inbox) -> None:
    opened = await h.adapter.open_thread(
        h.channel, "2. A third point", Rendered("contract: opening 3"), key="c-thread-3"
    )
    asked = await h.member_says("contract: a question?", thread=opened.thread)
    answer = await h.adapter.reply(
        asked, Rendered("contract: the answer"), mention=h.member, key="c-reply"
    )
    seen = await h.seen(answer)
    assert seen.thread == opened.thread
    assert seen.reply_to == asked.message
    assert h.member.id in seen.mentions
    assert "contract: the answer" in seen.text


async def bots_own_messages_are_not_delivered(h: Harness, inbox: Inbox) -> None:
    ref = await h.adapter.post(h.channel, Rendered("contract: from the bot"), key="c-own")
    await h.seen(ref)
    await h.member_says("contract: marker after")
    await inbox.message("contract: marker after")
    assert not any(
        isinstance(e, IncomingMessage) and e.text == "contract: from the bot" for e in inbox.events
    )


async def reaction_is_accepted(h: Harness, inbox: Inbox) -> None:
    said = await h.member_says("contract: react to me")
    await h.adapter.react(said, "👀", key="c-react")
    await h.adapter.react(said, "👀", key="c-react")  # same key: no error, no second reaction


async def actions_leave_the_text_whole(h: Harness, inbox: Inbox) -> None:
    """A message's actions are optional extras (buttons where there are any): its text,
    which names their commands, arrives whole everywhere."""
    said = await h.member_says("contract: is this a duplicate?")
    keep = (Action("Keep mine separate", "!separate 7"),)
    message = Rendered("contract: if not, !separate 7 keeps it apart", actions=keep)
    ref = await h.adapter.reply(said, message, mention=None, key="c-actions")
    seen = await h.seen(ref)
    assert "contract: if not, !separate 7 keeps it apart" in seen.text


CONTRACT: dict[str, Test] = {
    "post_is_seen": post_is_seen,
    "same_key_posts_once": same_key_posts_once,
    "thread_holds_its_messages": thread_holds_its_messages,
    "member_messages_arrive_with_their_place": member_messages_arrive_with_their_place,
    "reply_lands_in_thread_and_mentions": reply_lands_in_thread_and_mentions,
    "bots_own_messages_are_not_delivered": bots_own_messages_are_not_delivered,
    "reaction_is_accepted": reaction_is_accepted,
    "actions_leave_the_text_whole": actions_leave_the_text_whole,
}
