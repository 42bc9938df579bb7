"""The shared adapter contract, run against the Discord adapter through discord.py and the
loopback Discord."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.adapters.base import ChatAdapter
from bot.adapters.discord import PLATFORM, DiscordAdapter
from bot.core.models import ChatRef, UserRef
from tests.contract.suite import CONTRACT, Inbox, Seen
from tests.discord.conftest import Scene
from tests.discord_fake import FakeDiscord, Member


@dataclass
class DiscordHarness:
    """The contract's member is Alice; what she "sees" is read from the fake's state."""

    adapter: ChatAdapter
    channel: ChatRef
    member: UserRef
    fake: FakeDiscord
    alice: Member

    async def member_says(
        self, text: str, *, thread: str | None = None, reply_to: ChatRef | None = None
    ) -> ChatRef:
        where = int(thread) if thread else int(self.channel.channel)
        target = int(reply_to.message) if reply_to and reply_to.message else None
        sent = await self.fake.member_says(self.alice, where, text, reply_to=target)
        return ChatRef(PLATFORM, self.channel.channel, thread, sent["id"])

    async def seen(self, ref: ChatRef) -> Seen:
        data = await self.fake.wait_until(lambda: self._get(ref) or {})
        channel_id = int(data["channel_id"])
        thread = str(channel_id) if channel_id != int(self.channel.channel) else None
        reference = data.get("message_reference") or {}
        return Seen(
            ref=ref,
            text=_text(data),
            thread=thread,
            reply_to=reference.get("message_id"),
            mentions=frozenset(u["id"] for u in data["mentions"]),
        )

    def _get(self, ref: ChatRef) -> dict[str, Any] | None:
        try:
            return self.fake.message(int(ref.message or 0))
        except KeyError:
            return None

    async def count_seen(self, text: str) -> int:
        places = [self.channel.channel] + [
            t["id"] for t in self.fake.threads_in(int(self.channel.channel))
        ]
        return sum(_text(m) == text for place in places for m in self.fake.messages_in(int(place)))


def _text(data: dict[str, Any]) -> str:
    """What a member reads: the content, else the first embed's description."""
    if data["content"]:
        return str(data["content"])
    embeds = data.get("embeds") or []
    return str(embeds[0].get("description", "")) if embeds else ""


@pytest.mark.parametrize("name", sorted(CONTRACT))
async def test_discord_adapter_keeps_the_contract(
    name: str,
    fake_discord: FakeDiscord,
    scene: Scene,
    adapter: tuple[DiscordAdapter, Inbox],
) -> None:
    discord_adapter, inbox = adapter
    harness = DiscordHarness(
        discord_adapter,
        ChatRef(PLATFORM, str(scene.general.id)),
        UserRef(PLATFORM, str(scene.alice.id), "Alice"),
        fake_discord,
        scene.alice,
    )
    await CONTRACT[name](harness, inbox)
