"""Fixtures for the Discord adapter tests: a loopback Discord, a server in it, the adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.app.adapter_state import AdapterState
from bot.config import DiscordSettings, Secret
from bot.storage.sqlite.store import SqliteStore
from tests.contract.suite import Inbox
from tests.discord_fake import Channel, FakeDiscord, Guild, Member
from tests.discord_fake.conftest import fake_discord

FAST = {"guild_ready_timeout": 0.05, "reidentify_delay": 0.0, "ready_timeout": 10.0}


@dataclass
class Scene:
    """A server with a text channel, a forum, two members, a moderator and an author."""

    guild: Guild
    general: Channel
    forum: Channel
    alice: Member
    bob: Member
    mod: Member
    author: Member


@pytest.fixture
def scene(fake_discord: FakeDiscord) -> Scene:
    guild = fake_discord.add_guild("Writers")
    return Scene(
        guild=guild,
        general=fake_discord.add_text_channel(guild, "general"),
        forum=fake_discord.add_forum_channel(guild, "articles", tags=["article", "point"]),
        alice=fake_discord.add_member(guild, "Alice"),
        bob=fake_discord.add_member(guild, "Bob"),
        mod=fake_discord.add_member(guild, "Mo", manage_guild=True),
        author=fake_discord.add_member(guild, "Ada Author"),
    )


def make_adapter(fake: FakeDiscord, db: SqliteStore, **options: object) -> DiscordAdapter:
    settings = DiscordSettings(Secret(fake.token))
    return DiscordAdapter(settings, AdapterState(db), **{**FAST, **options})  # type: ignore[arg-type]


StartAdapter = Callable[..., Awaitable[tuple[DiscordAdapter, Inbox]]]


@pytest.fixture
async def start_adapter(fake_discord: FakeDiscord, db: SqliteStore) -> AsyncIterator[StartAdapter]:
    """Starts adapters (closed at the end) whose events go to an Inbox."""
    started: list[DiscordAdapter] = []

    async def start(**options: object) -> tuple[DiscordAdapter, Inbox]:
        adapter = make_adapter(fake_discord, db, **options)
        inbox = Inbox()
        await adapter.start(inbox)
        started.append(adapter)
        return adapter, inbox

    yield start
    for adapter in started:
        await adapter.close()


@pytest.fixture
async def adapter(scene: Scene, start_adapter: StartAdapter) -> tuple[DiscordAdapter, Inbox]:
    return await start_adapter()


__all__ = ["fake_discord"]
