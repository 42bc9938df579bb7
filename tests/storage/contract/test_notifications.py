"""Authors' notice choices, the questions a notice or digest tells of, and FAQ messages."""

from __future__ import annotations

from datetime import timedelta

from bot.core.models import ArticleId, ChatRef, QuestionStatus, Rendered
from bot.storage.port import Store
from bot.storage.types import DigestPref, OutboxItem
from tests.storage.contract.conftest import FAKE, NOW, asked, seeded

AUTHOR = "fake:author"


async def test_choices_default_to_each_and_a_digest_window_starts_at_the_choice(
    store: Store,
) -> None:
    await seeded(store, authors=(AUTHOR, "fake:other"))
    async with store.read() as r:
        assert await r.notifications.authors_to_tell(1, str(FAKE), "#general") == [
            (AUTHOR, "each"),
            ("fake:other", "each"),
        ]
        assert await r.notifications.digest_prefs() == []
    async with store.transaction() as tx:
        assert await tx.notifications.set_pref(AUTHOR, "digest", None, NOW) == "09:00"
        assert (
            await tx.notifications.set_pref(AUTHOR, "digest", "18:30", NOW + timedelta(hours=1))
            == "18:30"
        )
        assert await tx.notifications.set_pref("fake:other", "none", None, NOW) == "09:00"
    async with store.read() as r:
        assert await r.notifications.authors_to_tell(1, str(FAKE), "#general") == [
            (AUTHOR, "digest"),
            ("fake:other", "none"),
        ]
        # Choosing a digest again does not move the window: nothing is skipped.
        assert await r.notifications.digest_prefs() == [DigestPref(AUTHOR, "18:30", NOW)]
    async with store.transaction() as tx:
        await tx.notifications.mark_digested(AUTHOR, NOW + timedelta(days=1))
        assert await tx.notifications.set_pref(AUTHOR, "each", None, NOW) == "18:30"
        assert (
            await tx.notifications.set_pref(AUTHOR, "digest", None, NOW + timedelta(days=2))
            == "18:30"
        )
    async with store.read() as r:
        assert await r.notifications.digest_prefs() == [
            DigestPref(AUTHOR, "18:30", NOW + timedelta(days=2))
        ]


async def test_a_brief_and_the_new_questions_an_author_is_told_of(store: Store) -> None:
    await seeded(store, authors=(AUTHOR,))
    async with store.transaction() as tx:
        own = await tx.questions.add(asked(1, who="author"), NOW)
        q2 = await tx.questions.add(asked(2, "On point two?", point=2, who="lee"), NOW)
        whole = await tx.questions.add(asked(3, point=None, who="ana"), NOW)
        dup = await tx.questions.add(asked(4, point=2, who="bo"), NOW)
        closed = await tx.questions.add(asked(5, point=1, who="cy"), NOW)
        late = await tx.questions.add(asked(6, point=1, who="di"), NOW + timedelta(hours=2))
        assert None not in (own, q2, whole, dup, closed, late)
        assert q2 is not None and dup is not None and closed is not None
        await tx.questions.set_merged(dup, q2, NOW)
        await tx.questions.change_status(
            closed,
            expected=(QuestionStatus.QUEUED,),
            new=QuestionStatus.DISMISSED,
            actor=AUTHOR,
            now=NOW,
        )
    async with store.read() as r:
        # Only where a subscription the author writes for posts the article.
        assert await r.notifications.authors_to_tell(1, str(FAKE), "#elsewhere") == []
        b = await r.notifications.brief(q2)
        assert b is not None
        assert (b.article_title, b.point, b.point_title, b.asker_key, b.asker_label, b.text) == (
            "Seven points",
            2,
            "Two",
            "fake:lee",
            "Lee",
            "On point two?",
        )
        assert b.where == ChatRef(FAKE, "#general", None, "m2") and b.asked_at == NOW
        assert await r.notifications.brief(99) is None
        told = await r.notifications.new_questions_for(AUTHOR, NOW - timedelta(hours=1), NOW)
        # Not their own, not a duplicate, not a closed one, not a later one; point order,
        # the whole article last.
        assert [x.id for x in told] == [q2, whole]
        assert await r.notifications.new_questions_for("fake:nobody", NOW - timedelta(1), NOW) == []


async def test_an_anonymous_askers_brief_says_a_reader(store: Store) -> None:
    await seeded(store)
    from dataclasses import replace

    async with store.transaction() as tx:
        qid = await tx.questions.add(replace(asked(1), anonymous=True), NOW)
    assert qid is not None
    async with store.read() as r:
        b = await r.notifications.brief(qid)
        q = await r.questions.get(qid)
    assert b is not None and b.asker_label == "a reader" and b.asker_key == "fake:dana"
    assert q is not None and q.anonymous


async def test_a_faq_message_is_its_post_and_its_newest_edit(store: Store) -> None:
    await seeded(store)
    key = "faq:1:fake:#general"
    post = OutboxItem(
        key, "post", ChatRef(FAKE, "#general"), Rendered("v1", "<p>v1</p>"), "response"
    )
    async with store.transaction() as tx:
        assert await tx.faq.message(key) is None
        await tx.outbox.add(post, NOW)
    async with store.read() as r:
        found = await r.faq.message(key)
        assert found is not None
        assert (found.status, found.landed, found.text, found.html, found.edits) == (
            "pending",
            None,
            "v1",
            "<p>v1</p>",
            0,
        )
        [row] = await r.outbox.pending()
    async with store.transaction() as tx:
        await tx.outbox.mark_failed(row.id, "gone")
        await tx.faq.retry_post(key, "v2", None, NOW)
    async with store.read() as r:
        found = await r.faq.message(key)
        assert found is not None and (found.status, found.text) == ("pending", "v2")
    landed = ChatRef(FAKE, "#general", None, "p1")
    async with store.transaction() as tx:
        await tx.outbox.mark_done(row.id, landed, NOW)
        await tx.faq.retry_post(key, "ignored", None, NOW)  # only a failed post is retried
        edit = OutboxItem(f"{key}:edit:1:abc", "edit", landed, Rendered("v3"), "edit")
        await tx.outbox.add(edit, NOW)
        # Another channel's FAQ whose key starts alike is not one of its edits.
        other = OutboxItem(f"{key}x:edit:1:abc", "edit", landed, Rendered("no"), "edit")
        await tx.outbox.add(other, NOW)
    async with store.read() as r:
        found = await r.faq.message(key)
        assert found is not None
        assert (found.status, found.landed, found.text, found.edits) == ("done", landed, "v3", 1)
        assert await r.articles.get(ArticleId(1)) is not None
