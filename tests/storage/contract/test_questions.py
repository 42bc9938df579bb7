"""Questions: storing once, compare-and-set moves, edits, votes, merges, followers, audit."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.models import ChatRef, QuestionStatus
from bot.storage.port import Store
from tests.storage.contract.conftest import FAKE, NOW, asked, second_article, seeded, user

Q = QuestionStatus


async def add(store: Store, *questions: object) -> list[int]:
    ids = []
    async with store.transaction() as tx:
        for q in questions:
            qid = await tx.questions.add(q, NOW)  # type: ignore[arg-type]
            assert qid is not None
            ids.append(qid)
    return ids


async def test_a_question_keeps_the_server_its_channel_is_in(store: Store) -> None:
    """``ChatRef.server`` (migration 0016) is stored and read back; a question without one
    (as stored before, or on a platform without servers) reads back None."""
    await seeded(store)
    in_server = ChatRef(FAKE, "#general", "t7", "m1", server="81234567890123456")
    in_dm = ChatRef(FAKE, "dm-5", None, "m2", server="@me")
    first, second, third = (
        replace(asked(1), where=in_server),
        replace(asked(2), where=in_dm),
        asked(3),
    )
    ids = await add(store, first, second, third)
    async with store.read() as r:
        found = [await r.questions.get(qid) for qid in ids]
        assert [q.where.server if q else "missing" for q in found] == [
            "81234567890123456",
            "@me",
            None,
        ]
        assert found[0] is not None and found[0].where == in_server
        at = await r.questions.at_message(ChatRef(FAKE, "#general", "t7", "m1"))
        assert at is not None and at.where.server == "81234567890123456"


async def test_a_question_is_stored_once_per_message_and_its_asking_is_logged(
    store: Store,
) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1, "What is point one?"))
    async with store.transaction() as tx:
        assert await tx.questions.add(asked(1, "again, same message"), NOW) is None
    async with store.read() as r:
        q = await r.questions.get(qid)
        assert q is not None
        assert (q.text, q.point, q.status, q.votes, q.asker, q.asked_at) == (
            "What is point one?",
            1,
            Q.QUEUED,
            0,
            user("dana"),
            NOW,
        )
        assert await r.questions.at_message(ChatRef(FAKE, "#general", None, "m1")) == q
        assert await r.questions.at_message(ChatRef(FAKE, "#general", None, "m9")) is None
        assert await r.questions.count() == 1
        [event] = await r.questions.history(qid)
        assert (event.actor_key, event.from_status, event.to_status, event.at) == (
            "fake:dana",
            None,
            Q.QUEUED,
            NOW,
        )


async def test_of_asker_is_newest_first_and_asked_since_counts_the_window(store: Store) -> None:
    await seeded(store)
    await add(store, asked(1), asked(2), asked(3, who="lee"))
    async with store.read() as r:
        assert [q.id for q in await r.questions.of_asker(user("dana"))] == [2, 1]
        assert [q.id for q in await r.questions.of_asker(user("dana"), limit=1)] == [2]
        assert await r.questions.asked_since(user("dana"), NOW) == 2
        assert await r.questions.asked_since(user("dana"), NOW + timedelta(seconds=1)) == 0


async def test_change_status_is_a_compare_and_set_with_an_audit_entry(store: Store) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1))
    async with store.transaction() as tx:
        old = await tx.questions.change_status(
            qid, expected=(Q.QUEUED,), new=Q.ANSWERED, actor="fake:author", now=NOW, reason=None
        )
        assert old is Q.QUEUED
        # Not in ``expected`` any more: nothing changes, nothing is logged.
        again = await tx.questions.change_status(
            qid, expected=(Q.QUEUED,), new=Q.DISMISSED, actor="fake:admin", now=NOW
        )
        assert again is None
        missing = await tx.questions.change_status(
            99, expected=(Q.QUEUED,), new=Q.ANSWERED, actor="fake:author", now=NOW
        )
        assert missing is None
        reopened = await tx.questions.change_status(
            qid,
            expected=(Q.ANSWERED, Q.DISMISSED),
            new=Q.QUEUED,
            actor="fake:author",
            now=NOW,
            reason="more to say",
        )
        assert reopened is Q.ANSWERED
    async with store.read() as r:
        assert await r.questions.status(qid) is Q.QUEUED
        assert await r.questions.status(99) is None
        history = await r.questions.history(qid)
        assert [(e.from_status, e.to_status, e.note) for e in history] == [
            (None, Q.QUEUED, None),
            (Q.QUEUED, Q.ANSWERED, None),
            (Q.ANSWERED, Q.QUEUED, "more to say"),
        ]
        q = await r.questions.get(qid)
        assert q is not None and q.reason == "more to say"


async def test_two_units_of_work_racing_to_answer_one_question_one_wins(store: Store) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1))
    start = asyncio.Event()

    async def answer(author: str) -> QuestionStatus | None:
        async with store.read() as r:
            seen = await r.questions.status(qid)
        assert seen is Q.QUEUED  # both read it as open before either writes
        await start.wait()
        async with store.transaction() as tx:
            return await tx.questions.change_status(
                qid, expected=(Q.QUEUED,), new=Q.ANSWERED, actor=author, now=NOW
            )

    tasks = [asyncio.create_task(answer(a)) for a in ("fake:author", "fake:admin")]
    await asyncio.sleep(0.01)
    start.set()
    results = await asyncio.gather(*tasks)
    assert sorted(map(str, results)) == ["None", "queued"]
    async with store.read() as r:
        moves = [e for e in await r.questions.history(qid) if e.to_status is Q.ANSWERED]
    assert len(moves) == 1


async def test_an_answer_is_saved_and_replaced_and_shown_with_its_question(store: Store) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1))
    async with store.transaction() as tx:
        await tx.questions.change_status(
            qid, expected=(Q.QUEUED,), new=Q.ANSWERED, actor="fake:author", now=NOW
        )
        await tx.questions.save_answer(qid, "fake:author", "first", NOW)
        await tx.questions.save_answer(qid, "fake:author", "better", NOW + timedelta(hours=1))
    async with store.read() as r:
        q = await r.questions.get(qid)
        assert q is not None and q.answer == "better"
        [answered] = await r.questions.answered_of(1)
        assert answered.id == qid
        [record] = await r.questions.all_of(1)
        assert record.answered_at == NOW + timedelta(hours=1)
        assert await r.questions.all_of(None) == [record]
        assert await r.questions.all_of(2) == []


async def test_only_an_open_question_can_be_edited_and_only_to_new_text(store: Store) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1, "old"))
    async with store.transaction() as tx:
        assert await tx.questions.edit_text(qid, "new", "fake:dana", NOW)
        assert not await tx.questions.edit_text(qid, "new", "fake:dana", NOW)  # same text
        await tx.questions.change_status(
            qid, expected=(Q.QUEUED,), new=Q.DISMISSED, actor="fake:author", now=NOW
        )
        assert not await tx.questions.edit_text(qid, "newer", "fake:dana", NOW)
    async with store.read() as r:
        q = await r.questions.get(qid)
        assert q is not None and q.text == "new"
        notes = [e.note for e in await r.questions.history(qid)]
        assert notes.count("edited by the asker") == 1


async def test_a_person_votes_once_and_a_reaction_vote_can_be_taken_back(store: Store) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1))
    async with store.transaction() as tx:
        assert await tx.questions.add_vote(qid, "fake:lee", NOW)
        assert not await tx.questions.add_vote(qid, "fake:lee", NOW)
        assert not await tx.questions.vote_by_reaction(qid, "fake:lee", NOW, removed=False)
        assert await tx.questions.vote_by_reaction(qid, "fake:ana", NOW, removed=False)
        # A command vote is not taken back by removing a reaction.
        assert not await tx.questions.vote_by_reaction(qid, "fake:lee", NOW, removed=True)
    async with store.read() as r:
        q = await r.questions.get(qid)
        assert q is not None and q.votes == 2
    async with store.transaction() as tx:
        assert await tx.questions.vote_by_reaction(qid, "fake:ana", NOW, removed=True)
        assert not await tx.questions.vote_by_reaction(qid, "fake:ana", NOW, removed=True)
    async with store.read() as r:
        q = await r.questions.get(qid)
        assert q is not None and q.votes == 1


async def test_a_merge_moves_the_askers_vote_and_unmerging_takes_it_back(store: Store) -> None:
    await seeded(store)
    first, dup = await add(store, asked(1), asked(2, who="lee"))
    async with store.transaction() as tx:
        await tx.questions.add_vote(dup, "fake:ana", NOW)
        assert await tx.questions.set_merged(dup, first, NOW)
    async with store.read() as r:
        target, merged = await r.questions.get(first), await r.questions.get(dup)
        assert merged is not None and merged.merged_into == first
        # Lee's merge vote and Ana's vote on the duplicate, once each.
        assert target is not None and target.votes == 2
        assert [q.id for q in await r.questions.merged_into(first)] == [dup]
        assert [q.id for q in await r.questions.open_for_author(None)] == [first]
    async with store.transaction() as tx:
        assert await tx.questions.set_merged(dup, None, NOW)
        assert not await tx.questions.set_merged(dup, None, NOW)  # not merged any more
    async with store.read() as r:
        target, merged = await r.questions.get(first), await r.questions.get(dup)
        assert merged is not None and merged.merged_into is None and merged.votes == 1
        assert target is not None and target.votes == 0


async def test_merge_rules(store: Store) -> None:
    await seeded(store)
    other = await second_article(store)
    a, b, c, d = await add(
        store, asked(1), asked(2, who="lee"), asked(3, who="ana"), asked(4, who="bo")
    )
    [elsewhere] = await add(store, asked(5, who="cy", article=other))
    async with store.transaction() as tx:
        assert await tx.questions.set_merged(b, a, NOW)
        assert not await tx.questions.set_merged(c, b, NOW)  # into a question merged itself
        assert not await tx.questions.set_merged(a, c, NOW)  # a question with followers
        assert not await tx.questions.set_merged(c, elsewhere, NOW)  # another article
        assert not await tx.questions.set_merged(c, 99, NOW)  # no such question
        await tx.questions.change_status(
            d, expected=(Q.QUEUED,), new=Q.DISMISSED, actor="fake:author", now=NOW
        )
        assert not await tx.questions.set_merged(c, d, NOW)  # into a closed question
        assert not await tx.questions.set_merged(d, a, NOW)  # a closed question
        assert await tx.questions.set_merged(c, a, NOW)


async def test_the_oldest_follower_of_a_withdrawn_question_takes_its_place(
    store: Store,
) -> None:
    await seeded(store)
    first, f1, f2, alone = await add(
        store, asked(1), asked(2, who="lee"), asked(3, who="ana"), asked(4, who="bo")
    )
    async with store.transaction() as tx:
        assert await tx.questions.set_merged(f1, first, NOW)
        assert await tx.questions.set_merged(f2, first, NOW)
        await tx.questions.change_status(
            first, expected=(Q.QUEUED,), new=Q.WITHDRAWN, actor="fake:dana", now=NOW
        )
        assert await tx.questions.promote_followers(first, NOW) == f1
        assert await tx.questions.promote_followers(alone, NOW) is None  # no followers
    async with store.read() as r:
        heir, follower = await r.questions.get(f1), await r.questions.get(f2)
        assert heir is not None and heir.merged_into is None
        assert follower is not None and follower.merged_into == f1
        # Ana's merge vote moved to the heir; Lee's own merge vote went.
        assert heir.votes == 1
        assert [q.id for q in await r.questions.open_for_author(None)] == [f1, alone]


async def test_the_open_queue_orders_by_article_point_votes_then_age(store: Store) -> None:
    await seeded(store)
    older, newer, whole = await add(
        store, asked(1, point=2), asked(2, point=2, who="lee"), asked(3, point=None, who="bo")
    )
    async with store.transaction() as tx:
        await tx.questions.add_vote(newer, "fake:ana", NOW)
    async with store.read() as r:
        assert [q.id for q in await r.questions.open_for_author(None)] == [whole, newer, older]
        assert [q.id for q in await r.questions.open_for_author("fake:author", limit=1)] == [whole]
        assert await r.questions.open_for_author("fake:nobody") == []


async def test_ignoring_and_acknowledgements(store: Store) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1))
    ack = ChatRef(FAKE, "#general", None, "bot-7")
    async with store.transaction() as tx:
        assert await tx.questions.set_ignored("fake:troll", "fake:admin", "spam", NOW, on=True)
        assert not await tx.questions.set_ignored("fake:troll", "fake:admin", "", NOW, on=True)
        await tx.questions.record_acknowledgement(qid, ack)
        await tx.questions.record_acknowledgement(qid, ack)  # recorded once
        await tx.questions.record_acknowledgement(qid, ChatRef(FAKE, "#general"))  # no message
    async with store.read() as r:
        assert await r.questions.is_ignored("fake:troll")
        assert not await r.questions.is_ignored("fake:dana")
        assert await r.questions.acknowledged_by(ack) == qid
        assert await r.questions.acknowledged_by(ChatRef(FAKE, "#general", None, "x")) is None
    async with store.transaction() as tx:
        assert await tx.questions.set_ignored("fake:troll", "fake:admin", "", NOW, on=False)
        assert not await tx.questions.set_ignored("fake:troll", "fake:admin", "", NOW, on=False)
    async with store.read() as r:
        assert not await r.questions.is_ignored("fake:troll")


async def test_the_open_set_follows_every_change_and_forgets_a_rollback(store: Store) -> None:
    await seeded(store)
    a, b = await add(
        store, asked(1, "Why the secret clauses?"), asked(2, "Which clauses?", who="lee")
    )

    async def oldest(point: int | None = 1) -> dict[str, int]:
        async with store.transaction() as tx:
            return dict((await tx.questions.open_set(1, point)).oldest)

    assert await oldest() == {"Why the secret clauses?": a, "Which clauses?": b}
    assert await oldest(2) == {}
    async with store.transaction() as tx:
        s = await tx.questions.open_set(1, 1)
        assert {qid for qid, _, _ in s.candidates("secret clauses again")} == {a, b}
        [c] = [await tx.questions.add(asked(3, "Why the secret clauses?", who="ana"), NOW)]
        assert c is not None
        await tx.questions.added_to(s, c, "Why the secret clauses?", merged=False)
    assert await oldest() == {"Why the secret clauses?": a, "Which clauses?": b}
    async with store.transaction() as tx:
        await tx.questions.change_status(
            a, expected=(Q.QUEUED,), new=Q.ANSWERED, actor="fake:author", now=NOW
        )
        await tx.questions.set_merged(b, c, NOW)
    assert await oldest() == {"Why the secret clauses?": c}
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            s = await tx.questions.open_set(1, 1)
            d = await tx.questions.add(asked(4, "A new one on clauses?", who="bo"), NOW)
            assert d is not None
            await tx.questions.added_to(s, d, "A new one on clauses?", merged=False)
            raise RuntimeError("rolled back")
    assert await oldest() == {"Why the secret clauses?": c}


async def test_edits_by_the_asker_are_counted_in_a_window(store: Store) -> None:
    await seeded(store)
    [qid] = await add(store, asked(1, "first"))
    later = NOW + timedelta(minutes=30)
    async with store.transaction() as tx:
        assert await tx.questions.edit_text(qid, "second", "fake:dana", NOW)
        assert await tx.questions.edit_text(qid, "third", "fake:dana", later)
    async with store.read() as r:
        assert await r.questions.edited_since(user("dana"), NOW) == 2
        assert await r.questions.edited_since(user("dana"), later) == 1
        assert await r.questions.edited_since(user("lee"), NOW) == 0
