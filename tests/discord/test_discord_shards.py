"""Shards: each process runs its share (``[discord] shard_count``, ``shard_ids``); the fake
routes a guild's events to shard ``(guild_id >> 22) % shard_count`` and DMs to shard 0, as
Discord documents sharding."""

from __future__ import annotations

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.client import PointbotClient, PointbotShardedClient, shard_options
from bot.app.adapter_state import AdapterState
from bot.config import DiscordSettings, Secret
from bot.storage.sqlite.store import SqliteStore
from tests.contract.suite import Inbox
from tests.discord.conftest import FAST
from tests.discord_fake import FakeDiscord, Guild


def test_the_client_follows_the_shard_settings() -> None:
    def of(count: int, ids: tuple[int, ...] | None) -> tuple[type, dict[str, object]]:
        return shard_options(DiscordSettings(Secret("t"), shard_count=count, shard_ids=ids))

    assert of(1, None) == (PointbotClient, {})
    assert of(4, (2,)) == (PointbotClient, {"shard_id": 2, "shard_count": 4})
    assert of(4, (0, 3)) == (PointbotShardedClient, {"shard_ids": [0, 3], "shard_count": 4})
    assert of(2, None) == (PointbotShardedClient, {"shard_count": 2})


async def test_each_shard_hears_only_its_guilds_and_dms_reach_shard_zero(
    fake_discord: FakeDiscord, db: SqliteStore
) -> None:
    by_shard: dict[int, Guild] = {}
    while len(by_shard) < 2:
        guild = fake_discord.add_guild(f"G{len(by_shard)}")
        by_shard.setdefault((guild.id >> 22) % 2, guild)
    channels = {s: fake_discord.add_text_channel(g, "general") for s, g in by_shard.items()}
    members = {s: fake_discord.add_member(g, f"M{s}") for s, g in by_shard.items()}
    adapters: dict[int, DiscordAdapter] = {}
    inboxes: dict[int, Inbox] = {}
    try:
        for shard in (0, 1):
            settings = DiscordSettings(
                Secret(fake_discord.token), shard_count=2, shard_ids=(shard,)
            )
            adapters[shard] = DiscordAdapter(settings, AdapterState(db), **FAST)  # type: ignore[arg-type]
            inboxes[shard] = Inbox()
            await adapters[shard].start(inboxes[shard])
        shards = [i.get("shard") for i in fake_discord.gateway.identifies]
        assert sorted(map(tuple, shards)) == [(0, 2), (1, 2)]  # type: ignore[arg-type]
        for shard in (0, 1):
            await fake_discord.member_says(members[shard], channels[shard], f"!points {shard}")
        await fake_discord.member_says(
            members[1], fake_discord.dm_channel(members[1]), "!points dm"
        )
        assert (await inboxes[0].message("!points 0")).where.channel == str(channels[0].id)
        assert (await inboxes[1].message("!points 1")).where.channel == str(channels[1].id)
        await inboxes[0].message("!points dm")
        texts = {s: {getattr(e, "text", None) for e in inboxes[s].events} for s in (0, 1)}
        assert "!points 1" not in texts[0] and "!points dm" not in texts[1]
        assert "!points 0" not in texts[1]
    finally:
        for adapter in adapters.values():
            await adapter.close()
