"""The whole bot on Discord, driven as people would: members type in the loopback Discord,
the bot is ``bot.runtime.Bot`` with the Discord adapter (discord.py's real HTTP and gateway
code), a real SQLite file and the outbox worker running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord import PLATFORM, DiscordAdapter
from bot.config import FeedSettings, PollSettings, Settings
from bot.core.models import (
    Article,
    ChatRef,
    InboundEvent,
    IncomingMessage,
    Point,
    Question,
    UserRef,
)
from bot.runtime import Bot, bundled_text
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import CONFIG
from tests.discord.conftest import Scene, make_adapter
from tests.discord_fake import FakeDiscord, InteractionRecord, Member, Perm
from tests.loopback_feed import serving_feed
from tests.reads import reads

JSON = dict[str, Any]


@dataclass
class World:
    fake: FakeDiscord
    scene: Scene
    store: SqliteStore
    bot: Bot
    adapter: DiscordAdapter
    worker: asyncio.Task[None]
    delivered: list[InboundEvent]

    async def handle(self, event: InboundEvent) -> None:
        """What the adapter hands the core, recorded on the way."""
        self.delivered.append(event)
        await self.bot.conversation.handle(event)

    def deliveries_of(self, message: JSON) -> int:
        return sum(
            isinstance(e, IncomingMessage) and e.where.message == message["id"]
            for e in self.delivered
        )

    @property
    def general(self) -> int:
        return self.scene.general.id

    async def restart_adapter(self, **options: object) -> None:
        """Stop the bot's Discord side, then start a new adapter on the same database."""
        await self.adapter.close()
        self.adapter = make_adapter(self.fake, self.store, **options)
        self.bot.adapters[PLATFORM] = self.adapter
        await self.adapter.start(self.handle)

    async def publish_seed(self) -> None:
        for _feed, fid, targets in await self.bot.sync_config_feeds():
            await self.bot.publish_bundled(fid, targets)
        await self.fake.wait_until(lambda: len(self.openings()) == 5, timeout=10)

    def threads(self, channel: int | None = None) -> list[JSON]:
        return self.fake.threads_in(channel or self.general)

    def thread(self, number: int, channel: int | None = None) -> int:
        found = [t for t in self.threads(channel) if t["name"].startswith(f"{number}. ")]
        assert len(found) == 1, [t["name"] for t in self.threads(channel)]
        return int(found[0]["id"])

    def openings(self, channel: int | None = None) -> list[JSON]:
        """The bot's first message in each thread of the channel, in thread order."""
        found = []
        for t in self.threads(channel):
            mine = [m for m in self.fake.messages_in(t["id"]) if m["author"]["id"] == bot_id(self)]
            if mine:
                found.append(mine[0])
        return found

    def bot_replies_to(self, message: JSON) -> list[JSON]:
        return [
            s.message
            for s in self.fake.sent_by_bot()
            if s.created
            and (s.message.get("message_reference") or {}).get("message_id") == message["id"]
        ]

    async def questions(self, member: Member, count: int) -> list[Question]:
        repo = reads(self.store).questions
        user = UserRef(PLATFORM, str(member.id))

        async def enough() -> list[Question] | None:
            found = await repo.of_asker(user)
            return found if len(found) >= count else None

        found: list[Question] = await poll(enough)
        return found

    async def say(self, member: Member, where: int, text: str, **kw: Any) -> JSON:
        return await self.fake.member_says(member, where, text, **kw)


def bot_id(world: World) -> str:
    return str(world.fake.bot.id)


async def poll(check: Callable[[], Any], timeout: float = 10.0) -> Any:  # noqa: ASYNC109
    """Wait for an async check's first truthy value (state in SQLite, not in the fake)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await check()
        if found:
            return found
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


def settings_for(scene: Scene, channel: int, **extra: Any) -> Settings:
    """seed_settings("discord") with real Discord ids: the author is Ada; Mo is an admin."""
    return Settings(
        database=Path("unused"),
        admins=frozenset({f"discord:{scene.mod.id}"}),
        feeds=(
            FeedSettings(
                url="bundled:example-feed.xml",
                targets=(f"discord:{channel}",),
                authors=(f"discord:{scene.author.id}",),
            ),
        ),
        **extra,
    )


async def make_world(
    fake: FakeDiscord, scene: Scene, tmp_path: Path, channel: int | None = None, **extra: Any
) -> World:
    """The bot on ``fake``; ``extra``: more Settings fields (``web=WebSettings(...)``)."""
    db = await SqliteStore.open(tmp_path / "bot.sqlite3")
    polling = PollSettings(allow_private_addresses=("127.0.0.0/8",), timeout_s=5.0)
    settings = settings_for(scene, channel or scene.general.id, polling=polling, **extra)
    adapter = make_adapter(fake, db, admins=settings.admins)
    bot = Bot(db, {PLATFORM: adapter}, settings)
    bot.delivery.base_backoff = 0.2  # retries in tenths of seconds, not seconds
    worker = asyncio.create_task(bot.delivery.run(), name="outbox")
    world = World(fake, scene, db, bot, adapter, worker, [])
    await adapter.start(world.handle)
    return world


async def close_world(w: World) -> None:
    w.worker.cancel()
    await asyncio.wait([w.worker])
    await w.adapter.close()
    await w.bot.fetcher.close()
    await w.store.close()


@pytest.fixture
async def world(fake_discord: FakeDiscord, scene: Scene, tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world(fake_discord, scene, tmp_path)
    yield w
    await close_world(w)


def answered(record: InteractionRecord) -> bool:
    """The deferred "thinking…" placeholder was replaced by the core's reply."""
    return bool(record.content) and len(record.edits) > 0


async def _all_done(world: World, count: int) -> bool:
    return await reads(world.store).outbox.counts() == {"done": count}


def assert_pings_at_most(world: World, allowed_user: str | None = None) -> None:
    """No bot message pinged @everyone/@here or a role; only ``allowed_user`` if anyone."""
    for send in world.fake.sent_by_bot():
        message, request = send.message, send.request
        assert not message["mention_everyone"], message
        assert message["mention_roles"] == []
        pinged = {u["id"] for u in message["mentions"]}
        assert pinged <= ({allowed_user} if allowed_user else set()), message
        mentions = request.get("allowed_mentions")
        if mentions is not None:
            assert mentions["parse"] == [], request


# ---- publishing ----------------------------------------------------------------------


async def test_is_connected_follows_the_gateway_session(world: World) -> None:
    assert world.adapter.is_connected
    await world.adapter.close()
    assert not world.adapter.is_connected


async def test_seed_article_appears_as_an_embed_and_five_point_threads(world: World) -> None:
    await world.publish_seed()
    [summary] = [m for m in world.fake.messages_in(world.general) if m["embeds"]]
    embed = summary["embeds"][0]
    assert embed["title"] == "What Putin And Pezeshkian Will Likely Discuss In Turkmenistan"
    assert "url" not in embed  # the seed article has no link
    assert "1. Iran’s Response To Israel’s Expected Retaliation" in embed["description"]
    names = [t["name"] for t in world.threads()]
    assert [n.split(".")[0] for n in names] == ["1", "2", "3", "4", "5"]
    assert names[2] == "3. Their Updated Strategic Partnership Document"
    opening = world.openings()[2]["embeds"][0]
    assert opening["title"] == "Point 3: Their Updated Strategic Partnership Document"
    assert "Iranian Ambassador" in opening["description"]
    assert opening["footer"]["text"].startswith("pointbot · ref ")
    sends = world.fake.sent_by_bot()
    assert all(s.created for s in sends) and len(sends) == 6
    assert all(s.request.get("enforce_nonce") for s in sends if "nonce" in s.request)
    assert_pings_at_most(world)
    await poll(lambda: _all_done(world, 6))


async def test_forum_gets_a_post_per_article_and_per_point(
    fake_discord: FakeDiscord, scene: Scene, tmp_path: Path
) -> None:
    w = await make_world(fake_discord, scene, tmp_path, channel=scene.forum.id)
    try:
        for _feed, fid, targets in await w.bot.sync_config_feeds():
            await w.bot.publish_bundled(fid, targets)
        await fake_discord.wait_until(lambda: len(w.openings(scene.forum.id)) == 6)
        posts = w.threads(scene.forum.id)
        tags = {t["name"]: t["id"] for t in scene.forum.available_tags}
        assert posts[0]["name"].startswith("What Putin")
        assert posts[0]["applied_tags"] == [tags["article"]]
        assert [p["name"][:2] for p in posts[1:]] == ["1.", "2.", "3.", "4.", "5."]
        assert all(p["applied_tags"] == [tags["point"]] for p in posts[1:])
        first = fake_discord.messages_in(posts[3]["id"])[0]
        assert first["id"] == posts[3]["id"] and first["embeds"][0]["title"].startswith("Point 3")
        link = first["embeds"][0]["fields"][0]
        assert link == {"name": "Article", "value": f"<#{posts[0]['id']}>", "inline": False}
        question = await fake_discord.member_says(scene.alice, posts[3]["id"], "Why secret?")
        [q] = await w.questions(scene.alice, 1)
        assert q.point == 3 and q.where.thread == posts[3]["id"]
        await fake_discord.wait_until(lambda: w.bot_replies_to(question))
    finally:
        await close_world(w)


# ---- questions and answers -------------------------------------------------------------


async def test_questions_in_channel_and_thread_land_on_point_3_and_are_acknowledged(
    world: World,
) -> None:
    await world.publish_seed()
    in_channel = await world.say(world.scene.alice, world.general, "clarify point 3")
    in_thread = await world.say(
        world.scene.bob, world.thread(3), "Why would those clauses stay secret?"
    )
    [a] = await world.questions(world.scene.alice, 1)
    [b] = await world.questions(world.scene.bob, 1)
    assert (a.point, b.point) == (3, 3)
    assert a.where.thread is None and b.where.thread == str(world.thread(3))
    [ack_a] = await world.fake.wait_until(lambda: world.bot_replies_to(in_channel))
    [ack_b] = await world.fake.wait_until(lambda: world.bot_replies_to(in_thread))
    assert f"#{a.id} on point 3" in ack_a["content"] and f"#{b.id}" in ack_b["content"]
    assert ack_b["channel_id"] == str(world.thread(3))
    assert_pings_at_most(world)  # acknowledgements notify nobody


async def test_slash_answer_reaches_the_asker_in_the_thread_and_confirms_privately(
    world: World,
) -> None:
    await world.publish_seed()
    asked = await world.say(world.scene.bob, world.thread(3), "Why would they keep it secret?")
    [q] = await world.questions(world.scene.bob, 1)
    answer = await world.fake.member_slash_command(
        world.scene.author,
        world.general,
        "answer",
        {"question": q.id, "answer": "Because *both* sides deny it."},
    )
    first = await answer.response()
    assert first["type"] == 5 and first["data"]["flags"] & 64  # deferred, ephemeral
    notice = await world.fake.wait_until(
        lambda: [m for m in world.bot_replies_to(asked) if "(an author) answered" in m["content"]]
    )
    [notice_msg] = notice
    assert notice_msg["channel_id"] == str(world.thread(3))
    assert notice_msg["content"].startswith(
        f"<@{world.scene.bob.id}> Ada Author (an author) answered"
    )
    assert "Because \\*both\\* sides deny it." in notice_msg["content"]
    [send] = [s for s in world.fake.sent_by_bot() if s.message["id"] == notice_msg["id"]]
    assert send.request["allowed_mentions"] == {
        "parse": [],
        "users": [world.scene.bob.id],
        "replied_user": True,
    }
    assert [u["id"] for u in notice_msg["mentions"]] == [str(world.scene.bob.id)]
    await world.fake.wait_until(lambda: answer.content and answer.content.startswith("Answer"))
    assert answer.ephemeral and answer.content == f"Answer to #{q.id} sent to Bob."
    assert_pings_at_most(world, str(world.scene.bob.id))

    refused = await world.fake.member_slash_command(
        world.scene.alice, world.general, "answer", {"question": q.id, "answer": "Me!"}
    )
    await world.fake.wait_until(lambda: refused.content and "for authors only" in refused.content)
    assert refused.ephemeral


async def test_slash_ask_is_shown_and_its_answer_replies_to_it(world: World) -> None:
    await world.publish_seed()
    asked = await world.fake.member_slash_command(
        world.scene.alice, world.thread(2), "ask", {"question": "Which @everyone systems?"}
    )
    await world.fake.wait_until(lambda: "queued" in (asked.content or ""))
    assert not asked.ephemeral and asked.content is not None
    assert asked.content.startswith("**Alice** asks: Which @\u200beveryone systems?\nThanks")
    [q] = await world.questions(world.scene.alice, 1)
    assert q.point == 2 and q.where.message == f"interaction:{asked.id}"
    text_answer = await world.say(world.scene.author, world.general, f"!answer {q.id} S-400s.")
    await world.fake.wait_until(lambda: world.bot_replies_to(text_answer))
    assert asked.original is not None
    shown = {"id": str(asked.original.id)}
    [notice] = await world.fake.wait_until(lambda: world.bot_replies_to(shown))
    assert notice["channel_id"] == str(world.thread(2))
    assert [u["id"] for u in notice["mentions"]] == [str(world.scene.alice.id)]
    assert "S-400s." in notice["content"]
    assert_pings_at_most(world, str(world.scene.alice.id))


async def test_member_and_admin_slash_commands_answer_privately(world: World) -> None:
    await world.publish_seed()
    await world.say(world.scene.alice, world.thread(1), "Why the delay?")
    await world.questions(world.scene.alice, 1)
    mine = await world.fake.member_slash_command(world.scene.alice, world.thread(1), "questions")
    points = await world.fake.member_slash_command(world.scene.bob, world.general, "points")
    feeds = await world.fake.member_slash_command(
        world.scene.mod, world.general, "feed", {"action": "list"}
    )
    refused = await world.fake.member_slash_command(
        world.scene.bob, world.general, "feed", {"action": "list"}
    )
    for record in (mine, points, feeds, refused):
        await world.fake.wait_until(lambda r=record: answered(r))  # type: ignore[misc]
        assert record.ephemeral, record.content
    assert "Why the delay?" in (mine.content or "")
    assert "3. Their Updated Strategic Partnership Document" in (points.content or "")
    assert "for admins only" in (refused.content or "")
    assert "for admins only" not in (feeds.content or "")
    assert world.fake.messages_in(world.general)[-1]["type"] == 18  # nothing said in public


async def test_questions_queue_and_answer_work_in_a_dm_with_the_bot(world: World) -> None:
    await world.publish_seed()
    await world.say(world.scene.alice, world.thread(1), "Why the delay?")
    [asked] = await world.questions(world.scene.alice, 1)
    alice_dm = world.fake.dm_channel(world.scene.alice)
    author_dm = world.fake.dm_channel(world.scene.author)
    mine = await world.fake.member_slash_command(world.scene.alice, alice_dm, "questions")
    queue = await world.fake.member_slash_command(world.scene.author, author_dm, "queue")
    for record in (mine, queue):
        await world.fake.wait_until(lambda r=record: answered(r))  # type: ignore[misc]
    assert "Why the delay?" in (mine.content or "")
    assert "Why the delay?" in (queue.content or ""), queue.content
    answer = await world.fake.member_slash_command(
        world.scene.author, author_dm, "answer", {"question": asked.id, "answer": "Budgets."}
    )
    await world.fake.wait_until(lambda: answered(answer))
    in_thread = lambda: [  # noqa: E731
        m for m in world.fake.messages_in(world.thread(1)) if "Budgets." in m["content"]
    ]
    await world.fake.wait_until(in_thread)  # the answer reaches the asker where she asked


async def test_the_queue_slash_commands_merge_unmerge_and_show_history(world: World) -> None:
    await world.publish_seed()
    await world.say(world.scene.alice, world.thread(3), "Why would they keep it secret?")
    await world.questions(world.scene.alice, 1)
    await world.say(world.scene.bob, world.thread(3), "What is the reason for the secrecy?")
    [q2] = await world.questions(world.scene.bob, 1)
    repo = reads(world.store).questions

    async def run(who: Member, name: str, options: dict[str, Any]) -> str:
        record = await world.fake.member_slash_command(who, world.general, name, options)
        await world.fake.wait_until(lambda: answered(record))
        assert record.ephemeral
        return record.content or ""

    author = world.scene.author
    said = await run(author, "merge", {"question": q2.id, "into": q2.id - 1})
    assert said == f"Merged #{q2.id} into #{q2.id - 1}; Bob was told."
    merged = await repo.get(q2.id)
    assert merged is not None and merged.merged_into == q2.id - 1
    assert "for authors only" in await run(world.scene.bob, "unmerge", {"question": q2.id})
    said = await run(author, "unmerge", {"question": q2.id})
    # A leading "#" would make a Discord heading: the adapter escapes it.
    assert said == f"\\#{q2.id} is a question of its own again; Bob was told."
    history = await run(author, "history", {"question": q2.id})
    assert f"merged into #{q2.id - 1}" in history and f"unmerged from #{q2.id - 1}" in history
    said = await run(author, "notify", {"mode": "digest", "at": "18:30"})
    assert "18:30" in said


async def test_edits_follow_and_deletions_withdraw(world: World) -> None:
    await world.publish_seed()
    said = await world.say(world.scene.alice, world.thread(1), "Why delay the response?")
    [q] = await world.questions(world.scene.alice, 1)
    await world.fake.member_edits(world.scene.alice, said, "Why delay the retaliation?")
    repo = reads(world.store).questions

    async def edited() -> bool:
        now = await repo.get(q.id)
        return now is not None and now.text == "Why delay the retaliation?"

    await poll(edited)
    await world.fake.member_deletes(world.scene.alice, said)

    async def withdrawn() -> bool:
        now = await repo.get(q.id)
        return now is not None and now.status == "withdrawn"

    await poll(withdrawn)


# ---- outages ------------------------------------------------------------------------------


@pytest.mark.parametrize("resumable", [True, False], ids=["resumed", "new-session"])
async def test_messages_missed_while_disconnected_are_handled_once(
    world: World, resumable: bool
) -> None:
    await world.publish_seed()
    await world.fake.disconnect_gateway(resumable=resumable, then="hold")
    missed = await world.say(world.scene.alice, world.thread(4), "Are the exports real?")
    missed_too = await world.say(world.scene.bob, world.general, "clarify point 5")
    world.fake.allow_reconnects()
    [q] = await world.questions(world.scene.alice, 1)
    [q2] = await world.questions(world.scene.bob, 1)
    assert (q.point, q2.point) == (4, 5)
    await world.fake.wait_until(lambda: world.bot_replies_to(missed))
    await world.fake.wait_until(lambda: world.bot_replies_to(missed_too))
    await world.adapter.inbound.caught_up.wait()
    # A second outage and a restart read nothing twice.
    await world.fake.disconnect_gateway(resumable=False)
    await world.fake.wait_until(lambda: len(world.fake.gateway.identifies) >= 2 + (not resumable))
    await world.restart_adapter()
    await world.adapter.inbound.caught_up.wait()
    await world.bot.delivery.drain()
    assert len(await world.questions(world.scene.alice, 1)) == 1
    assert len(world.bot_replies_to(missed)) == 1 and len(world.bot_replies_to(missed_too)) == 1
    assert world.deliveries_of(missed) == 1 and world.deliveries_of(missed_too) == 1
    dispatched = {d.data.get("id") for d in world.fake.gateway.dispatched}
    # Resumed: Discord replayed them; a new session: only history had them.
    assert (missed["id"] in dispatched) is resumable


async def test_questions_asked_while_the_bot_was_stopped_are_handled_after_restart(
    world: World,
) -> None:
    await world.publish_seed()
    await world.adapter.close()
    offline = await world.say(world.scene.alice, world.thread(2), "When would they arrive?")
    await world.restart_adapter()
    [q] = await world.questions(world.scene.alice, 1)
    assert q.point == 2 and q.where.message == offline["id"]
    await world.fake.wait_until(lambda: world.bot_replies_to(offline))
    await world.restart_adapter()
    await world.adapter.inbound.caught_up.wait()
    await world.bot.delivery.drain()
    assert len(world.bot_replies_to(offline)) == 1 and world.deliveries_of(offline) == 1


async def test_rate_limits_are_waited_out_without_loss_or_duplicates(world: World) -> None:
    general = world.general
    world.fake.rate_limit_next("POST", f"/channels/{general}/messages", count=1, retry_after=0.3)
    world.fake.rate_limit_next("POST", f"/channels/{general}/threads", count=2, retry_after=0.2)
    await world.publish_seed()
    assert len(world.fake.rate_limited_requests) == 3
    assert len(world.threads()) == 5
    assert len([m for m in world.fake.messages_in(general) if m["embeds"]]) == 1
    assert all(s.created for s in world.fake.sent_by_bot())
    await poll(lambda: _all_done(world, 6))


async def test_missing_thread_permission_keeps_the_work_until_it_is_granted(
    world: World,
) -> None:
    world.fake.set_bot_permissions(world.general, deny=Perm.CREATE_PUBLIC_THREADS)
    for _feed, fid, targets in await world.bot.sync_config_feeds():
        await world.bot.publish_bundled(fid, targets)
    outbox = reads(world.store).outbox

    async def blocked() -> str | None:
        row = await world.store.db.fetchone(
            "SELECT last_error FROM outbox WHERE status = 'pending' AND last_error IS NOT NULL"
        )
        return row[0] if row else None

    error = await poll(blocked)
    assert f"channel {world.general}" in error and "Create Public Threads" in error
    dm = world.fake.dm_channel(world.scene.mod)
    [notice] = await world.fake.wait_until(lambda: world.fake.messages_in(dm))
    assert "Create Public Threads" in notice["content"] and "kept" in notice["content"]
    assert world.threads() == [] and (await outbox.counts()).get("pending") == 5
    world.fake.set_bot_permissions(world.general)  # the admin fixes it
    await world.fake.wait_until(lambda: len(world.openings()) == 5, timeout=15)
    await poll(lambda: _all_done(world, 6))
    assert len(world.threads()) == 5


async def test_everyone_in_a_title_or_a_quoted_question_pings_nobody(world: World) -> None:
    article = Article(
        title="@everyone look: @here is *big*",
        link="https://example.org/big",
        intro="An intro.",
        points=(
            Point(1, "First @everyone", "Body one. " * 5),
            Point(2, "Second <@&123456789012345678>", "Body two. " * 5),
        ),
    )
    async with world.store.transaction() as tx:
        fid = await tx.feeds.ensure(
            "https://example.org/feed", title="", source="config", now=world.bot.clock()
        )
        sub = await tx.subscriptions.ensure(
            fid, CONFIG, added_by=None, backfill=1, now=world.bot.clock()
        )
        await tx.subscriptions.set_authors(sub, [f"discord:{world.scene.author.id}"])
        target = await tx.posts.ensure_target(fid, ChatRef(PLATFORM, str(world.general)), sub)
    await world.bot.publisher.publish(fid, "big", article, [target])
    await world.fake.wait_until(lambda: len(world.openings()) == 2)
    asked = await world.say(
        world.scene.alice,
        world.thread(1),
        "!ask why is it **big**, @everyone @here? <@&123456789012345678>",
    )
    [q] = await world.questions(world.scene.alice, 1)
    await world.say(world.scene.author, world.general, f"!answer {q.id} It is.")
    [notice] = await world.fake.wait_until(
        lambda: [m for m in world.bot_replies_to(asked) if "(an author) answered" in m["content"]]
    )
    assert (
        "why is it \\*\\*big\\*\\*, @\u200beveryone @\u200bhere? <@\u200b&123" in notice["content"]
    )
    assert_pings_at_most(world, str(world.scene.alice.id))


async def test_admin_adds_a_feed_from_the_channel(world: World) -> None:
    async with serving_feed(bundled_text("example-feed.xml").encode()) as url:
        said = await world.say(
            world.scene.mod, world.general, f"!feed add {url} author <@{world.scene.author.id}>"
        )
        [reply] = await world.fake.wait_until(lambda: world.bot_replies_to(said), timeout=10)
        assert "Added feed" in reply["content"]
        await world.fake.wait_until(lambda: len(world.openings()) == 5, timeout=10)
        refused = await world.say(world.scene.alice, world.general, f"!feed add {url}")
        [no] = await world.fake.wait_until(lambda: world.bot_replies_to(refused))
        assert "for admins only" in no["content"]


async def test_a_poisoned_message_or_slash_command_is_contained_and_the_bot_goes_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handling raises (a bug stands in for any): one plain reply, nothing stored, claimed
    as failed so a restart's catch-up does not try it again, and the next question is taken."""
    await world.publish_seed()
    index = world.store.open_questions
    added = index.added

    def poisoned(raw: Any, open_set: Any, qid: int, text: str, *, merged: bool) -> None:
        if "poison" in text:
            raise RuntimeError("a bug while taking this question")
        added(raw, open_set, qid, text, merged=merged)

    async def broken_vote(msg: Any, qid: int) -> None:
        raise RuntimeError("a bug while voting")

    monkeypatch.setattr(index, "added", poisoned)
    monkeypatch.setattr(world.bot.conversation.desk, "vote", broken_vote)
    bad = await world.say(world.scene.alice, world.general, "What about the poison in point 3?")
    [reply] = await world.fake.wait_until(lambda: world.bot_replies_to(bad))
    assert "went wrong on our side" in reply["content"]
    vote = await world.fake.member_slash_command(
        world.scene.bob, world.general, "vote", {"question": 1}
    )
    await world.fake.wait_until(lambda: answered(vote))
    assert vote.ephemeral and "went wrong on our side" in (vote.content or "")
    good = await world.say(world.scene.bob, world.thread(3), "Why would those clauses stay secret?")
    [q] = await world.questions(world.scene.bob, 1)
    [ack] = await world.fake.wait_until(lambda: world.bot_replies_to(good))
    assert f"#{q.id} on point 3" in ack["content"]
    assert await reads(world.store).questions.count() == 1  # the poisoned one left nothing
    # Delivered again (a resumed gateway session replays): the claim makes it a no-op.
    [event] = [
        e
        for e in world.delivered
        if isinstance(e, IncomingMessage) and e.where.message == bad["id"]
    ]
    await world.handle(event)
    await world.bot.delivery.drain()
    assert len(world.bot_replies_to(bad)) == 1
    await world.restart_adapter()
    await world.adapter.inbound.caught_up.wait()
    await world.bot.delivery.drain()
    assert len(world.bot_replies_to(bad)) == 1 and world.deliveries_of(bad) == 2
