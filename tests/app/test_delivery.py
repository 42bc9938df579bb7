"""The outbox under failure: outages, crashes mid-post, dead channels."""

from __future__ import annotations

from pathlib import Path

from bot.app.delivery import Delivery
from bot.core.models import Action, ChatRef, Platform, Rendered
from bot.runtime import Bot
from bot.storage.sqlite.db import bundled_migrations
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import OutboxItem
from tests.conftest import Clock, seed_settings
from tests.fakes import FakeChatAdapter
from tests.reads import reads


async def _publish(db: SqliteStore, fake: FakeChatAdapter, clock: Clock) -> Bot:
    app = Bot(db, {Platform("fake"): fake}, seed_settings(), clock)
    await fake.start(app.conversation.handle)
    for _feed, fid, targets in await app.sync_config_feeds():
        await app.publish_bundled(fid, targets)
    return app


async def test_outage_is_retried_with_backoff_and_each_post_lands_once(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    fake.fail_next = 3
    app = await _publish(db, fake, clock)
    await app.delivery.drain()
    assert fake.sent == []  # the summary failed; the threads wait behind it
    counts = await reads(db).outbox.counts()
    assert counts == {"pending": 6}
    for _ in range(3):
        clock.advance(3600)
        await app.delivery.drain()
    assert [s.op for s in fake.sent] == ["post"] + ["open_thread"] * 5
    assert await reads(db).outbox.counts() == {"done": 6}


async def test_nothing_is_sent_before_its_retry_time(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    fake.fail_next = 1
    app = await _publish(db, fake, clock)
    await app.delivery.drain()
    calls = fake.calls
    clock.advance(1)  # first backoff is 2 s
    await app.delivery.drain()
    assert fake.calls == calls and fake.sent == []
    clock.advance(2)
    await app.delivery.drain()
    assert len(fake.sent) == 6


async def test_crash_between_send_and_record_does_not_post_twice(
    tmp_path: Path, fake: FakeChatAdapter, clock: Clock
) -> None:
    path = tmp_path / "crash.sqlite3"
    db = await SqliteStore.open(path)
    await _publish(db, fake, clock)
    row = (await reads(db).outbox.pending())[0]
    # The platform accepted the summary, then the process died before marking it done.
    await fake.post(row.item.where, row.item.message, key=row.item.key)
    await db.close()

    db2 = await SqliteStore.open(path)  # restart
    await Delivery(db2, {Platform("fake"): fake}, clock).drain()
    assert len([s for s in fake.sent if s.op == "post"]) == 1
    assert len(fake.threads()) == 5
    assert await reads(db2).outbox.counts() == {"done": 6}
    await db2.close()


async def test_a_deleted_channel_fails_its_rows_without_blocking_others(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    outbox = reads(db).outbox
    delivery = Delivery(db, {Platform("fake"): fake}, clock)
    async with db.transaction() as tx:
        for i, channel in enumerate(["#gone", "#gone", "#ok"]):
            item = OutboxItem(
                key=f"k{i}",
                op="post",
                where=ChatRef(Platform("fake"), channel),
                message=Rendered(f"hello {i}"),
                purpose="response",
            )
            await tx.outbox.add(item, clock())
    await delivery.drain()
    assert fake.texts() == ["hello 2"]
    assert await outbox.counts() == {"failed": 2, "done": 1}


async def test_rows_for_a_platform_that_is_not_running_wait_for_it(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    outbox = reads(db).outbox
    async with db.transaction() as tx:
        await tx.outbox.add(_on_matrix("m1", "later"), clock())
    await Delivery(db, {Platform("fake"): fake}, clock).drain()
    assert await outbox.counts() == {"pending": 1}


def _on_matrix(key: str, text: str) -> OutboxItem:
    """A row for a platform the tests' bot does not run."""
    where = ChatRef(Platform("matrix"), "!room")
    return OutboxItem(key=key, op="post", where=where, message=Rendered(text), purpose="response")


def _reply(key: str, message: Rendered) -> OutboxItem:
    where = ChatRef(Platform("fake"), "#general", None, "u1")
    return OutboxItem(key=key, op="reply", where=where, message=message, purpose="ack")


async def test_actions_survive_a_restart_and_reach_the_adapter(
    tmp_path: Path, fake: FakeChatAdapter, clock: Clock
) -> None:
    path = tmp_path / "actions.sqlite3"
    db = await SqliteStore.open(path)
    two = (Action("Keep mine separate", "!separate 12"), Action("Vote", "!vote 12"))
    async with db.transaction() as tx:
        await tx.outbox.add(_reply("a", Rendered("plain")), clock())
        await tx.outbox.add(_reply("b", Rendered("with buttons", actions=two)), clock())
        await tx.outbox.add(_reply("b", Rendered("again", actions=two[:1])), clock())
        await tx.outbox.add(_reply("c", Rendered("one", actions=two[1:])), clock())
    await db.close()

    db2 = await SqliteStore.open(path)  # restart: only the database remembers
    try:
        rows = await reads(db2).outbox.pending()
        # In order; the second enqueue of "b" added nothing.
        expected = [("a", ()), ("b", two), ("c", two[1:])]
        assert [(r.item.key, r.item.message.actions) for r in rows] == expected
        await Delivery(db2, {Platform("fake"): fake}, clock).drain()
        assert [s.message.actions for s in fake.sent if s.message] == [(), two, two[1:]]
    finally:
        await db2.close()


async def test_rows_queued_before_actions_existed_still_load(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "old.sqlite3"
    before = [m for m in bundled_migrations() if m.version < 5]
    old = await SqliteStore.open(path, before)
    await old.db.execute(
        "INSERT INTO outbox (key, op, platform, channel, text, purpose, next_attempt_at, "
        "created_at) VALUES ('old', 'post', 'fake', '#general', 'queued long ago', 'response', "
        "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
    )
    await old.close()
    db = await SqliteStore.open(path)
    try:
        [row] = await reads(db).outbox.pending()
        assert row.item.message == Rendered("queued long ago")
    finally:
        await db.close()


async def test_a_round_claims_the_next_in_the_transaction_that_marks_its_last_row(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    """One BEGIN..COMMIT per row delivered, plus the pass's first claim (it was a claim per
    round, a mark per row and a last, empty claim): the summary and its five threads are one
    lane, so each round is one row, and each mark claims the thread behind it."""
    app = await _publish(db, fake, clock)
    begins: list[str] = []
    db.db.raw.set_trace_callback(
        lambda sql: begins.append(sql) if sql == "BEGIN IMMEDIATE" else None
    )
    try:
        assert await app.delivery.deliver_due() == 6
    finally:
        db.db.raw.set_trace_callback(None)
    assert [s.op for s in fake.sent] == ["post"] + ["open_thread"] * 5
    assert await reads(db).outbox.counts() == {"done": 6}
    assert len(begins) == 1 + 6
    assert await app.delivery.deliver_due() == 0  # nothing left, nothing claimed twice


async def test_a_failing_row_claimed_with_a_mark_waits_and_then_lands_once(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    """The summary's mark claims the first thread; that thread's send fails. Its lane waits
    for the backoff (nothing behind it is sent), and then every row lands exactly once."""
    app = await _publish(db, fake, clock)
    real = fake.open_thread
    failures = 1

    async def flaky(where: ChatRef, title: str, first: Rendered, *, key: str) -> ChatRef:
        nonlocal failures
        if failures:
            failures -= 1
            fake.fail_next = 1
        return await real(where, title, first, key=key)

    fake.open_thread = flaky  # type: ignore[method-assign]
    assert await app.delivery.deliver_due() == 1
    assert [s.op for s in fake.sent] == ["post"]
    assert await reads(db).outbox.counts() == {"done": 1, "pending": 5}
    assert await app.delivery.deliver_due() == 0  # the backoff holds the lane
    clock.advance(3600)
    await app.delivery.drain()
    assert [s.op for s in fake.sent] == ["post"] + ["open_thread"] * 5
    assert len({s.key for s in fake.sent}) == 6
    assert await reads(db).outbox.counts() == {"done": 6}


def _claimed_by(db: SqliteStore, row_id: int) -> str | None:
    found = db.db.raw.execute("SELECT claimed_by FROM outbox WHERE id = ?", (row_id,)).fetchone()
    return None if found[0] is None else str(found[0])


async def test_a_reply_is_claimed_in_the_unit_of_work_that_queued_it(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    """A reader's question, then one pass: its replies (the acknowledgement, the author's
    notice) were claimed by the question's own transaction, so the pass opens one
    transaction per row, its mark, and none to claim."""
    app = await _publish(db, fake, clock)
    await app.delivery.drain()
    await fake.say(fake.user("ana"), "Could you clarify point 3?")
    queued = await reads(db).outbox.pending()
    assert "ack" in [r.item.purpose for r in queued]
    # Claimed before the question committed:
    assert {_claimed_by(db, r.id) for r in queued} == {app.delivery.worker}
    begins: list[str] = []
    db.db.raw.set_trace_callback(
        lambda sql: begins.append(sql) if sql == "BEGIN IMMEDIATE" else None
    )
    try:
        assert await app.delivery.deliver_due() == len(queued)
    finally:
        db.db.raw.set_trace_callback(None)
    assert len(begins) == len(queued)
    assert any(s.op == "reply" and "#1" in s.text for s in fake.sent)
    assert await app.delivery.deliver_due() == 0


async def test_an_offer_made_after_a_pass_ran_is_dropped_not_sent_twice(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    """The unit claims, commits, and before its offer arrives a pass has claimed the same
    rows (they are this process's) and sent them: the late offer must not send again."""
    app = await _publish(db, fake, clock)
    await app.delivery.drain()
    async with db.transaction() as tx:
        await tx.outbox.add(_reply("late-offer", Rendered("hello")), clock())
        claim = await app.delivery.claim_in(tx)
    assert claim is not None and [r.item.key for r in claim[1]] == ["late-offer"]
    calls = fake.calls
    assert await app.delivery.deliver_due() == 1  # the pass took it on its own
    app.delivery.offer(claim)
    assert await app.delivery.deliver_due() == 0
    assert fake.calls == calls + 1


async def test_a_claim_in_a_unit_that_rolls_back_leaves_the_row_to_any_pass(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    app = await _publish(db, fake, clock)
    await app.delivery.drain()
    async with db.transaction() as tx:
        await tx.outbox.add(_reply("kept", Rendered("kept")), clock())
    try:
        async with db.transaction() as tx:
            await tx.outbox.add(_reply("undone", Rendered("undone")), clock())
            assert await app.delivery.claim_in(tx) is not None
            raise RuntimeError("the unit fails after its claim")
    except RuntimeError:
        pass
    [row] = await reads(db).outbox.pending()
    assert row.item.key == "kept" and _claimed_by(db, row.id) is None
    other = Delivery(db, {Platform("fake"): fake}, clock, worker="other")
    assert await other.deliver_due() == 1  # not leased to anyone: another process may send it
    assert fake.texts()[-1] == "kept"


async def test_a_unit_claims_only_for_the_platforms_this_process_delivers(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    app = await _publish(db, fake, clock)
    await app.delivery.drain()
    async with db.transaction() as tx:
        await tx.outbox.add(_on_matrix("mx", "hi"), clock())
        claim = await app.delivery.claim_in(tx)
    assert claim is not None and claim[1] == []
    [row] = await reads(db).outbox.pending()
    assert _claimed_by(db, row.id) is None


async def test_a_stopping_process_releases_the_replies_it_claimed_but_did_not_send(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    """The question's unit claimed its replies, then the process stops before its worker
    sends them: released, a restarted bot (a new identity) sends them at once, once each."""
    app = await _publish(db, fake, clock)
    await app.delivery.drain()
    await fake.say(fake.user("ana"), "Could you clarify point 3?")
    queued = await reads(db).outbox.pending()
    assert queued and {_claimed_by(db, r.id) for r in queued} == {app.delivery.worker}
    await app.delivery.release()
    assert {_claimed_by(db, r.id) for r in queued} == {None}
    restarted = Delivery(db, {Platform("fake"): fake}, clock, worker="restarted")
    sent = len(fake.sent)
    assert await restarted.deliver_due() == len(queued)
    assert len(fake.sent) == sent + len(queued)
    assert await app.delivery.deliver_due() == 0  # the old offer went with the release
