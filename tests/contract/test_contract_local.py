"""The adapter contract on the console adapter and on the tests' fake."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.core.models import ChatRef, Platform, UserRef
from tests.contract.suite import CONTRACT, Inbox, Seen, Test
from tests.fakes import FakeChatAdapter


@dataclass
class ConsoleHarness:
    adapter: ConsoleAdapter
    channel: ChatRef
    member: UserRef

    async def member_says(
        self, text: str, *, thread: str | None = None, reply_to: ChatRef | None = None
    ) -> ChatRef:
        msg = await self.adapter.say(
            self.member,
            self.channel.channel,
            text,
            thread=thread,
            reply_to=reply_to.message if reply_to else None,
        )
        return msg.where

    async def seen(self, ref: ChatRef) -> Seen:
        msg = self.adapter.messages[ref.message or ""]
        return Seen(msg.where, msg.text, msg.where.thread, msg.reply_to, frozenset(msg.mentions))

    async def count_seen(self, text: str) -> int:
        return sum(m.text == text for m in self.adapter.messages.values())


@dataclass
class FakeHarness:
    adapter: FakeChatAdapter
    channel: ChatRef
    member: UserRef

    async def member_says(
        self, text: str, *, thread: str | None = None, reply_to: ChatRef | None = None
    ) -> ChatRef:
        ref = await self.adapter.say(self.member, text, thread=thread, reply_to=reply_to)
        self.adapter.sent.append(_member_sent(ref, text, reply_to))
        return ref

    async def seen(self, ref: ChatRef) -> Seen:
        sent = next(s for s in self.adapter.sent if s.where.message == ref.message)
        mentions = frozenset({sent.mention.id} if sent.mention else set())
        reply = sent.reply_to.message if sent.reply_to else None
        return Seen(sent.where, sent.text, sent.where.thread, reply, mentions)

    async def count_seen(self, text: str) -> int:
        return sum(s.text == text for s in self.adapter.sent)


def _member_sent(ref: ChatRef, text: str, reply_to: ChatRef | None):  # type: ignore[no-untyped-def]
    from tests.fakes import Sent

    return Sent("member", ref, text, "", reply_to=reply_to)


@pytest.mark.parametrize("name", sorted(CONTRACT))
async def test_console_adapter_keeps_the_contract(name: str) -> None:
    adapter = ConsoleAdapter(lambda _line: None)
    inbox = Inbox()
    await adapter.start(inbox)
    harness = ConsoleHarness(
        adapter,
        ChatRef(Platform("console"), "#general"),
        UserRef(Platform("console"), "dana", "Dana"),
    )
    test: Test = CONTRACT[name]
    await test(harness, inbox)


@pytest.mark.parametrize("name", sorted(CONTRACT))
async def test_fake_adapter_keeps_the_contract(name: str) -> None:
    adapter = FakeChatAdapter()
    inbox = Inbox()
    await adapter.start(inbox)
    harness = FakeHarness(adapter, ChatRef(adapter.platform, "#general"), adapter.user("dana"))
    await CONTRACT[name](harness, inbox)
