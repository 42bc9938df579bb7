"""Config feeds reconciled at start (issue 18, bug 6): a removed one is paused and listed as
removed from the config, its history kept; a changed URL moves the same feed."""

from __future__ import annotations

from dataclasses import replace

from bot.config import FeedSettings, Settings
from bot.core.models import Platform, UserRef
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.reads import reads

A = FeedSettings("https://a.example/feed", ("fake:#news",), title="Feed A")
B = FeedSettings("https://b.example/rss", ("fake:#other",))


async def start(db: SqliteStore, fake: FakeChatAdapter, clock: Clock, *feeds: FeedSettings) -> Bot:
    settings = replace(Settings(), feeds=feeds, admins=frozenset({"fake:root"}))  # a bot admin
    bot = Bot(db, {fake.platform: fake}, settings, clock)
    await bot.sync_config_feeds()
    return bot


async def feed_list(bot: Bot, fake: FakeChatAdapter) -> str:
    admin = UserRef(Platform("fake"), "root", "Root")
    await fake.start(bot.conversation.handle)
    await fake.say(admin, "!feed list")
    await bot.delivery.drain()
    return fake.sent[-1].text


async def test_a_feed_removed_from_the_config_is_paused_and_listed_as_removed(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    await start(db, fake, clock, A, B)
    bot = await start(db, fake, clock, A)
    [a, b] = await reads(db).feeds.all()
    assert not a.paused and b.paused and "removed from the config" in (b.pause_reason or "")
    assert any("removed from the config" in c for c in bot.config_changes)
    listed = await feed_list(bot, fake)
    assert "https://b.example/rss — removed from the config file" in listed
    assert "https://a.example/feed — from the config file" in listed
    again = await start(db, fake, clock, A)
    assert again.config_changes == []  # said once
    back = await start(db, fake, clock, A, B)
    assert any("back in the config" in c for c in back.config_changes)
    assert not (await reads(db).feeds.all())[1].paused


async def test_a_changed_url_updates_the_same_feed(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    await start(db, fake, clock, A, B)
    [before_a, before_b] = await reads(db).feeds.all()
    moved_a = replace(A, url="https://a.example/atom.xml")  # same title
    moved_b = replace(B, url="https://b.example/feed.xml")  # untitled: same channels
    bot = await start(db, fake, clock, moved_a, moved_b)
    feeds = await reads(db).feeds.all()
    assert [(f.id, f.url, f.paused) for f in feeds] == [
        (before_a.id, moved_a.url, False),
        (before_b.id, moved_b.url, False),
    ]
    assert sum("URL changed" in c for c in bot.config_changes) == 2
