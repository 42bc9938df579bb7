"""One article in a Matrix room and a Discord channel has one queue: a question on Matrix
and its duplicate on Discord, one answer from the author, both askers told where they asked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.adapters.discord import DiscordAdapter
from bot.adapters.matrix import MatrixAdapter
from bot.app.adapter_state import AdapterState
from bot.config import DiscordSettings, FeedSettings, Secret, Settings
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from tests.discord.conftest import FAST as DISCORD_FAST
from tests.discord.conftest import Scene
from tests.discord_fake import FakeDiscord
from tests.matrix.conftest import MakeClient, MakeUser
from tests.matrix.kit import FAST as MATRIX_FAST
from tests.matrix.kit import bot_settings, in_reply_to, mentioned, message_from, send_text
from tests.matrix.synapse import SynapseServer, wait_for, wait_for_event
from tests.reads import reads

Q_MATRIX = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
Q_DISCORD = 'Could you explain "clandestine arms transfers" in point 3?'


async def test_a_duplicate_across_platforms_gets_one_answer_in_both_places(
    synapse: SynapseServer,
    make_user: MakeUser,
    matrix_client: MakeClient,
    fake_discord: FakeDiscord,
    scene: Scene,
    tmp_path: Path,
) -> None:
    bot_user, admin, member = make_user("pointbot"), make_user("admin"), make_user("member")
    admin_c, member_c = await matrix_client(admin), await matrix_client(member)
    room = (await admin_c.room_create(invite=[bot_user.user_id, member.user_id])).room_id
    await member_c.join(room)
    author = f"discord:{scene.author.id}"
    settings = Settings(
        database=tmp_path / "bot.sqlite3",
        admins=frozenset({f"matrix:{admin.user_id}"}),
        feeds=(
            FeedSettings(
                url="bundled:example-feed.xml",
                targets=(f"matrix:{room}", f"discord:{scene.general.id}"),
                authors=(author,),
            ),
        ),
        matrix=bot_settings(synapse, bot_user),
        discord=DiscordSettings(Secret(fake_discord.token)),
    )
    db = await SqliteStore.open(settings.database)
    state = AdapterState(db)
    matrix = MatrixAdapter.from_settings(
        settings, state, is_author=state.is_any_author, **MATRIX_FAST
    )
    discord = DiscordAdapter(settings.discord, state, admins=settings.admins, **DISCORD_FAST)  # type: ignore[arg-type]
    bot = Bot(db, {matrix.platform: matrix, discord.platform: discord}, settings)
    worker = asyncio.create_task(bot.delivery.run())
    try:
        await matrix.start(bot.conversation.handle)
        await discord.start(bot.conversation.handle)
        for _feed, fid, targets in await bot.sync_config_feeds():
            await bot.publish_bundled(fid, targets)
        bot_id = str(fake_discord.bot.id)
        await wait_for(lambda: len(fake_discord.threads_in(scene.general.id)) == 5, timeout=15)

        asked_m = await send_text(member_c, room, Q_MATRIX)
        await wait_for_event(member_c, room, message_from(bot_user.user_id, in_reply_to(asked_m)))
        asked_d = await fake_discord.member_says(scene.alice, scene.general.id, Q_DISCORD)

        def replies_on_discord(to: dict[str, object]) -> list[dict[str, object]]:
            return [
                m
                for m in fake_discord.messages_in(scene.general.id)
                if m["author"]["id"] == bot_id  # type: ignore[index]
                and (m.get("message_reference") or {}).get("message_id") == to["id"]  # type: ignore[union-attr]
            ]

        await wait_for(lambda: replies_on_discord(asked_d), timeout=10)
        repo = reads(db).questions
        assert (await repo.get(1)).point == 3 and (await repo.get(2)).point == 3  # type: ignore[union-attr]

        # The bot saw the duplicate: Alice is told which question she joined.
        [told] = replies_on_discord(asked_d)
        assert "looks like question #1" in str(told["content"])
        assert (await repo.get(2)).merged_into == 1  # type: ignore[union-attr]
        answer = "Weapons deliveries that neither government announces."
        await fake_discord.member_says(scene.author, scene.general.id, f"!answer 1 {answer}")

        got_m = await wait_for_event(
            member_c,
            room,
            message_from(bot_user.user_id, lambda e: answer in e["content"].get("body", "")),
            timeout=15,
        )
        assert in_reply_to(asked_m)(got_m) and member.user_id in mentioned(got_m)
        await wait_for(
            lambda: any(answer in str(m["content"]) for m in replies_on_discord(asked_d)),
            timeout=15,
        )
        [got_d] = [m for m in replies_on_discord(asked_d) if answer in str(m["content"])]
        sent = next(s for s in fake_discord.sent_by_bot() if s.message.get("id") == got_d["id"])
        assert [str(u) for u in sent.request["allowed_mentions"]["users"]] == [str(scene.alice.id)]
        # One answer each, however the outbox retried.
        assert (
            sum(
                answer in str(m["content"])
                for m in fake_discord.messages_in(scene.general.id)
                if m["author"]["id"] == bot_id  # type: ignore[index]
            )
            == 1
        )
    finally:
        worker.cancel()
        await asyncio.wait([worker])
        await discord.close()
        await matrix.close()
        await db.close()
