"""The outbox (order, idempotent keys, retry and failure), inbound claims, adapter state."""

from __future__ import annotations

from datetime import timedelta

from bot.core.models import Action, ArticleId, ChatRef, Platform, Rendered
from bot.storage.port import Store
from bot.storage.postgres.store import PostgresStore
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import PRIVATE_GONE, OutboxItem
from tests.storage.contract.conftest import FAKE, GENERAL, NOW, asked, seeded, user


def item(key: str, channel: str = "#general", **kw: object) -> OutboxItem:
    return OutboxItem(
        key=key,
        op=str(kw.pop("op", "post")),
        where=ChatRef(FAKE, channel),
        message=kw.pop("message", Rendered(f"text of {key}")),  # type: ignore[arg-type]
        purpose=str(kw.pop("purpose", "response")),
        **kw,  # type: ignore[arg-type]
    )


async def test_rows_come_back_in_the_order_queued_with_everything_they_carry(
    store: Store,
) -> None:
    await seeded(store)
    actions = (Action("Keep mine separate", "!separate 2"), Action("Vote", "!vote 2"))
    full = OutboxItem(
        key="k-full",
        op="reply",
        where=ChatRef(FAKE, "#general", "t1", "m1"),
        message=Rendered(
            "hello",
            "<b>hello</b>",
            "Card",
            "https://c",
            actions,
            image="https://c/lead.png",
            announce="role:42",
            private=True,
        ),
        purpose="ack",
        title="A title",
        mention=user("dana"),
        article_id=1,
        point=3,
        question_id=None,
        target_id=1,
    )
    async with store.transaction() as tx:
        assert await tx.outbox.add(item("k1"), NOW)
        assert await tx.outbox.add(full, NOW)
        assert await tx.outbox.add(item("k2", "#other"), NOW)
        assert not await tx.outbox.add(item("k1", message=Rendered("changed")), NOW)  # same key
    async with store.read() as r:
        rows = await r.outbox.pending()
        assert [row.item.key for row in rows] == ["k1", "k-full", "k2"]
        assert rows[0].item.message == Rendered("text of k1")
        assert not rows[0].item.message.private
        assert rows[1].item == full and rows[1].item.message.private
        assert (rows[1].attempts, rows[1].next_attempt_at) == (0, NOW)
        assert [row.item.key for row in await r.outbox.pending(limit=2)] == ["k1", "k-full"]
        assert await r.outbox.counts() == {"pending": 3}
        assert await r.outbox.next_due_at() == NOW


async def test_done_retry_and_failed(store: Store) -> None:
    await seeded(store)
    async with store.transaction() as tx:
        for key in ("a", "b", "c"):
            await tx.outbox.add(item(key), NOW)
    async with store.read() as r:
        a, b, c = await r.outbox.pending()
    landed = ChatRef(FAKE, "#general", None, "platform-1")
    later = NOW + timedelta(seconds=30)
    async with store.transaction() as tx:
        await tx.outbox.mark_done(a.id, landed, NOW)
        await tx.outbox.mark_retry(b.id, "503 from the platform", later)
        await tx.outbox.mark_failed(c.id, "channel gone")
    async with store.read() as r:
        [retry] = await r.outbox.pending()
        assert (retry.item.key, retry.attempts, retry.next_attempt_at) == ("b", 1, later)
        assert retry.last_error == "503 from the platform"  # what the board shows
        assert await r.outbox.next_due_at() == later
        assert await r.outbox.counts() == {"done": 1, "pending": 1, "failed": 1}
        assert await r.outbox.delivered_on(str(FAKE)) == 1
        assert await r.outbox.delivered_on("matrix") == 0
        assert await r.outbox.result_of("a") == landed
        assert await r.outbox.result_of("b") is None
        assert await r.outbox.result_of("nope") is None
    async with store.transaction() as tx:
        await tx.outbox.mark_retry(retry.id, "again", later + timedelta(seconds=60))
    async with store.read() as r:
        [again] = await r.outbox.pending()
        assert again.attempts == 2
        assert again.last_error == "again"


async def stored_texts(store: Store) -> dict[str, tuple[str, str | None]]:
    """Each outbox row's text and html as the database holds them (no port read shows a
    delivered row's text, which is the point)."""
    sql = "SELECT key, text, html FROM outbox"
    if isinstance(store, SqliteStore):
        rows = [tuple(r) for r in await store.db.fetchall(sql)]
    else:
        assert isinstance(store, PostgresStore)
        async with store.db.pool.acquire() as conn:
            rows = [tuple(r) for r in await conn.fetch(sql)]
    return {k: (t, h) for k, t, h in rows}


async def test_a_private_reply_keeps_no_text_once_delivered_or_given_up(store: Store) -> None:
    # A sign-in link is for one reader's eyes and one use: once sent (or given up) the
    # database keeps the row (its key, where it landed) but not the link.
    await seeded(store)
    link = Rendered("Sign in: https://desk/login?t=secret", "<a>secret</a>", private=True)
    async with store.transaction() as tx:
        for key in ("sent", "dropped", "pending"):
            await tx.outbox.add(item(key, message=link), NOW)
        await tx.outbox.add(item("public"), NOW)
    async with store.read() as r:
        sent, dropped, _pending, public = await r.outbox.pending()
    landed = ChatRef(FAKE, "@dana", None, "dm-1")
    async with store.transaction() as tx:
        await tx.outbox.mark_done(sent.id, landed, NOW)
        await tx.outbox.mark_failed(dropped.id, "cannot answer privately any more")
        await tx.outbox.mark_done(public.id, landed, NOW)
    texts = await stored_texts(store)
    assert texts["sent"] == texts["dropped"] == (PRIVATE_GONE, None)
    assert "secret" not in PRIVATE_GONE
    assert texts["pending"] == (link.text, link.html)  # not yet sent: still needed
    assert texts["public"] == ("text of public", None)
    async with store.read() as r:
        assert await r.outbox.result_of("sent") == landed
        assert await r.outbox.counts() == {"done": 2, "failed": 1, "pending": 1}


async def test_where_messages_about_questions_landed(store: Store) -> None:
    await seeded(store)
    async with store.transaction() as tx:
        qid = await tx.questions.add(asked(1), NOW)
        assert qid is not None
        await tx.outbox.add(item("n1", op="reply", purpose="notice", question_id=qid), NOW)
        await tx.outbox.add(item("n2", op="post", purpose="notice", question_id=qid), NOW)
        await tx.outbox.add(item("n3", op="reply", purpose="notice", question_id=qid), NOW)
    async with store.read() as r:
        rows = await r.outbox.pending()
    async with store.transaction() as tx:
        for row in rows[:2]:
            await tx.outbox.mark_done(row.id, ChatRef(FAKE, "#general", None, f"p-{row.id}"), NOW)
    async with store.read() as r:
        replies = await r.outbox.delivered([qid], purpose="notice", op="reply")
        assert replies == [(qid, ChatRef(FAKE, "#general", None, f"p-{rows[0].id}"))]
        assert await r.outbox.delivered([], purpose="notice", op="reply") == []


async def test_an_articles_planned_messages(store: Store) -> None:
    target = await seeded(store)
    async with store.transaction() as tx:
        await tx.outbox.add(item("s", purpose="summary", article_id=1, target_id=target.id), NOW)
        await tx.outbox.add(item("t", purpose="thread", article_id=1, target_id=target.id), NOW)
        await tx.outbox.add(item("x", purpose="response", article_id=1), NOW)
    async with store.read() as r:
        states = await r.outbox.of_article(ArticleId(1))
        assert [(s.purpose, s.status, s.attempts, s.channel) for s in states] == [
            ("summary", "pending", 0, "#general"),
            ("thread", "pending", 0, "#general"),
        ]
        assert await r.outbox.of_article(ArticleId(2)) == []


async def test_an_inbound_message_is_claimed_once(store: Store) -> None:
    where = ChatRef(FAKE, "#general", None, "m1")
    async with store.transaction() as tx:
        assert await tx.inbound.take(where, NOW)
        assert not await tx.inbound.take(where, NOW)
        assert await tx.inbound.take(ChatRef(FAKE, "#other", None, "m1"), NOW)  # other channel
        assert await tx.inbound.take(ChatRef(Platform("matrix"), "#general", None, "m1"), NOW)
        # A message without an id cannot be claimed; it is always acted on.
        assert await tx.inbound.take(GENERAL, NOW) and await tx.inbound.take(GENERAL, NOW)
    async with store.transaction() as tx:
        assert not await tx.inbound.take(where, NOW)  # committed


async def test_adapter_state_is_kept_per_platform_and_name(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.inbound.set_state("matrix", "@bot/next_batch", "s1")
        await tx.inbound.set_state("matrix", "@bot/next_batch", "s2")
        await tx.inbound.set_state("discord", "@bot/next_batch", "d1")
    async with store.read() as r:
        assert await r.inbound.get_state("matrix", "@bot/next_batch") == "s2"
        assert await r.inbound.get_state("discord", "@bot/next_batch") == "d1"
        assert await r.inbound.get_state("matrix", "other") is None


async def test_the_oldest_undelivered_row_of_a_platform(store: Store) -> None:
    async with store.read() as r:
        assert await r.outbox.oldest_pending_at(str(FAKE)) is None
    async with store.transaction() as tx:
        await tx.outbox.add(item("a"), NOW)
        await tx.outbox.add(item("b"), NOW + timedelta(hours=1))
        await tx.outbox.add(
            OutboxItem("m", "post", ChatRef(Platform("matrix"), "!r"), Rendered("x"), "response"),
            NOW - timedelta(days=1),
        )
    async with store.read() as r:
        assert await r.outbox.oldest_pending_at(str(FAKE)) == NOW
        [first, _] = [row for row in await r.outbox.pending() if row.item.key in ("a", "b")]
    async with store.transaction() as tx:
        await tx.outbox.mark_done(first.id, None, NOW)
    async with store.read() as r:
        assert await r.outbox.oldest_pending_at(str(FAKE)) == NOW + timedelta(hours=1)
        assert await r.outbox.oldest_pending_at("matrix") == NOW - timedelta(days=1)


async def test_state_rows_under_a_prefix_older_than_a_time_are_forgotten(store: Store) -> None:
    rows = {
        ("fake", "1/sent/a"): "100.5",
        ("fake", "1/sent/b"): "200.0",
        ("fake", "1/sent/c"): "1.5e2",
        ("fake", "1/sent/d"): "not a time",
        ("fake", "1/sent/e"): "",
        ("fake", "1/thread/x"): "100.0",
        ("fake", "2/sent/a"): "100.0",
        ("other", "1/sent/a"): "100.0",
    }
    async with store.transaction() as tx:
        for (platform, name), value in rows.items():
            await tx.inbound.set_state(platform, name, value)
    async with store.transaction() as tx:
        assert await tx.inbound.forget_state_before("fake", "1/sent/", 160.0) == 2  # a, c
        assert await tx.inbound.forget_state_before("fake", "1/sent/", 160.0) == 0
    async with store.read() as r:
        left = {k for k in rows if await r.inbound.get_state(*k) is not None}
    assert left == set(rows) - {("fake", "1/sent/a"), ("fake", "1/sent/c")}
