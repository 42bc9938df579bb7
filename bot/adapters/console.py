"""The console platform: channels, threads, replies and reactions printed to a terminal.

It is a real adapter (the contract suite runs over it), used when no chat service is
configured: the bot's whole loop can be watched and driven from a terminal. Its world is
in memory; :meth:`ConsoleAdapter.snapshot` and :meth:`ConsoleAdapter.restore` carry it over
to the next run (the console run keeps it in the database beside everything else). Message
ids are ``<run>.<n>`` and shown as ``m<n>``; thread ids are shown as ``t<n>``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.base import Capabilities, MessageHandler, NotFoundFailure
from bot.core import announce
from bot.core.models import ChatRef, IncomingMessage, Platform, Rendered, Role, UserRef

PLATFORM = Platform("console")
BOT = UserRef(PLATFORM, "pointbot", "pointbot")


@dataclass(slots=True)
class ConsoleMessage:
    id: str
    author: UserRef
    where: ChatRef
    text: str
    reactions: list[str] = field(default_factory=list)
    reply_to: str | None = None
    mentions: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ConsoleThread:
    id: str
    channel: str
    title: str


class ConsoleAdapter:
    """A :class:`~bot.adapters.base.ChatAdapter` whose platform is this terminal."""

    platform = PLATFORM
    capabilities = Capabilities(max_message_chars=4000, max_thread_title_chars=100)

    def __init__(self, write: Callable[[str], None], *, run_id: str | None = None) -> None:
        self._write = write
        self._run = run_id or format(int(time.time() * 1000) % 36**6, "x")
        self._ids = itertools.count(1)
        self._thread_ids = itertools.count(1)
        self._handler: MessageHandler | None = None
        self.messages: dict[str, ConsoleMessage] = {}
        self.threads: dict[str, ConsoleThread] = {}
        self._sent: dict[str, ChatRef] = {}

    # the world kept between runs ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole world (channels' messages, threads, sends by key) as JSON-ready data."""
        return {
            "run": self._run,
            "threads": [[t.id, t.channel, t.title] for t in self.threads.values()],
            "messages": [
                {
                    "id": m.id,
                    "author": [m.author.id, m.author.display],
                    "where": [m.where.channel, m.where.thread],
                    "text": m.text,
                    "reactions": m.reactions,
                    "reply_to": m.reply_to,
                    "mentions": sorted(m.mentions),
                }
                for m in self.messages.values()
            ],
            "sent": [[k, r.channel, r.thread, r.message] for k, r in self._sent.items()],
        }

    def restore(self, world: dict[str, Any]) -> None:
        """Take back a :meth:`snapshot`: the same ids, threads and messages, and numbering
        that goes on after them (so ``m12`` and ``t3`` still mean what they meant)."""
        self._run = str(world["run"])
        self.threads = {t[0]: ConsoleThread(t[0], t[1], t[2]) for t in world["threads"]}
        self.messages = {}
        for m in world["messages"]:
            author = UserRef(PLATFORM, m["author"][0], m["author"][1])
            where = ChatRef(PLATFORM, m["where"][0], m["where"][1], m["id"])
            self.messages[m["id"]] = ConsoleMessage(
                m["id"], author, where, m["text"], list(m["reactions"]), m["reply_to"],
                set(m["mentions"]),
            )  # fmt: skip
        self._sent = {k: ChatRef(PLATFORM, c, t, mid) for k, c, t, mid in world["sent"]}
        last = max((int(mid.rsplit(".", 1)[-1]) for mid in self.messages), default=0)
        last_thread = max((int(tid[1:]) for tid in self.threads), default=0)
        self._ids = itertools.count(last + 1)
        self._thread_ids = itertools.count(last_thread + 1)

    # ids shown to the person ------------------------------------------------------------

    def short(self, message_id: str) -> str:
        return "m" + message_id.rsplit(".", 1)[-1]

    def resolve_message(self, short_or_full: str) -> ConsoleMessage | None:
        key = short_or_full.removeprefix("m")
        return self.messages.get(short_or_full) or self.messages.get(f"{self._run}.{key}")

    def _new_message(
        self, author: UserRef, where: ChatRef, text: str, reply_to: str | None
    ) -> ConsoleMessage:
        mid = f"{self._run}.{next(self._ids)}"
        msg = ConsoleMessage(mid, author, ChatRef(PLATFORM, where.channel, where.thread, mid), text)
        msg.reply_to = reply_to
        self.messages[mid] = msg
        return msg

    def label(self, where: ChatRef) -> str:
        if where.thread and where.thread in self.threads:
            t = self.threads[where.thread]
            return f"{t.channel} › {t.title} ({t.id})"
        return where.channel

    def _show(self, msg: ConsoleMessage, *, mention: UserRef | None = None) -> None:
        head = f"[{self.label(msg.where)}] {self.short(msg.id)} {msg.author.name}:"
        if msg.reply_to and msg.reply_to in self.messages:
            parent = self.messages[msg.reply_to]
            head += f" ↳ to {self.short(parent.id)} ({parent.author.name})"
        lines = msg.text.splitlines() or [""]
        if mention is not None:
            lines[0] = f"@{mention.name} {lines[0]}"
        if len(lines) == 1 and len(head) + len(lines[0]) < 100:
            self._write(f"{head} {lines[0]}")
        else:
            self._write(head)
            for line in lines:
                self._write(f"    {line}")

    # what the person does ----------------------------------------------------------------

    async def say(
        self,
        author: UserRef,
        channel: str,
        text: str,
        *,
        thread: str | None = None,
        reply_to: str | None = None,
    ) -> ConsoleMessage:
        """A person writes ``text``; it is shown, then handed to the bot."""
        if thread is not None and thread not in self.threads:
            raise NotFoundFailure("console", "say", "no such thread", ids=thread)
        parent = self.resolve_message(reply_to) if reply_to else None
        msg = self._new_message(
            author, ChatRef(PLATFORM, channel, thread), text, parent.id if parent else None
        )
        self._show(msg)
        if self._handler is not None:
            await self._handler(
                IncomingMessage(
                    author=author,
                    where=msg.where,
                    text=text,
                    reply_to=parent.where if parent else None,
                    mentions_bot="@pointbot" in text,
                )
            )
        return msg

    def threads_in(self, channel: str) -> list[ConsoleThread]:
        return [t for t in self.threads.values() if t.channel == channel]

    # the contract --------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        """A terminal is always there (the contract's cheap health property)."""
        return True

    async def start(self, on_message: MessageHandler) -> None:
        self._handler = on_message

    async def close(self) -> None:
        self._handler = None

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        if key in self._sent:
            return self._sent[key]
        self._check(where)
        text = self._text(message)
        if message.announce:  # the one deliberate mention, shown as the admin typed it
            text = f"{announce.shown(message.announce)} {text}"
        msg = self._new_message(BOT, where.container(), text, None)
        self._show(msg)
        self._sent[key] = msg.where
        return msg.where

    async def open_thread(
        self, where: ChatRef, title: str, first: Rendered, *, key: str
    ) -> ChatRef:
        if key in self._sent:
            return self._sent[key]
        tid = f"t{next(self._thread_ids)}"
        self.threads[tid] = ConsoleThread(tid, where.channel, title)
        self._write(f"[{where.channel}] pointbot opened thread {tid}: {title}")
        msg = self._new_message(BOT, ChatRef(PLATFORM, where.channel, tid), self._text(first), None)
        self._show(msg)
        self._sent[key] = msg.where
        return msg.where

    async def reply(
        self, to: ChatRef, message: Rendered, *, mention: UserRef | None, key: str
    ) -> ChatRef:
        if key in self._sent:
            return self._sent[key]
        self._check(to)
        parent = self.messages.get(to.message or "")
        msg = self._new_message(
            BOT, to.container(), self._text(message), parent.id if parent else None
        )
        if mention is not None:
            msg.mentions.add(mention.id)
        self._show(msg, mention=mention)
        self._sent[key] = msg.where
        return msg.where

    async def react(self, to: ChatRef, emoji: str, *, key: str) -> None:
        if key in self._sent:
            return
        target = self.messages.get(to.message or "")
        if target is None:
            raise NotFoundFailure("console", "react", "no such message", ids=str(to.message))
        target.reactions.append(emoji)
        self._write(
            f"[{self.label(target.where)}] pointbot reacted {emoji} to {self.short(target.id)}"
        )
        self._sent[key] = to

    async def edit(self, ref: ChatRef, message: Rendered) -> None:
        target = self.messages.get(ref.message or "")
        if target is None:
            raise NotFoundFailure("console", "edit", "no such message", ids=str(ref.message))
        target.text = self._text(message)
        self._write(f"[{self.label(target.where)}] pointbot edited {self.short(target.id)}:")
        self._show(target)

    async def direct_message(self, user: UserRef, message: Rendered, *, key: str) -> ChatRef:
        if key in self._sent:
            return self._sent[key]
        where = ChatRef(PLATFORM, f"@{user.id}")
        msg = self._new_message(BOT, where, self._text(message), None)
        self._show(msg)
        self._sent[key] = msg.where
        return msg.where

    async def community_of(self, where: ChatRef) -> str | None:
        return f"console:{where.channel}"  # no servers here: each channel stands alone

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        return Role.MEMBER  # the console grants nothing itself: roles come from config

    # helpers ---------------------------------------------------------------------------

    def _check(self, where: ChatRef) -> None:
        if where.thread is not None and where.thread not in self.threads:
            raise NotFoundFailure("console", "post", "no such thread", ids=where.thread)

    @staticmethod
    def _text(message: Rendered) -> str:
        """The message's text; an article's lead image is a line of its own below it."""
        if message.image:
            return f"{message.text}\nimage: {message.image}"
        return message.text
