"""Articles stored once per entry and edited in place; posts, threads and targets; the
article cache never shows what a commit changed or a rollback undid."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.models import ArticleId, ChatRef, FeedId, Point
from bot.storage.port import Store
from tests.storage.contract.conftest import ARTICLE, FAKE, GENERAL, NOW, seeded


async def test_an_entry_is_stored_once_with_its_points(store: Store) -> None:
    await seeded(store)
    async with store.transaction() as tx:
        again = await tx.articles.store(
            FeedId(1), "e1", ARTICLE, content_hash="other", published_at=None, now=NOW
        )
        loose = await tx.articles.store(
            None, "e1", ARTICLE, content_hash="h", published_at=NOW, now=NOW
        )
    assert again == (ArticleId(1), False)
    assert loose == (ArticleId(2), True)  # no feed: another identity
    async with store.read() as r:
        stored = await r.articles.get(ArticleId(1))
        assert stored is not None and stored.article == ARTICLE and stored.feed_id == 1
        loose_one = await r.articles.get(ArticleId(2))
        assert loose_one is not None and loose_one.feed_id is None
        assert await r.articles.get(ArticleId(9)) is None
        assert await r.articles.content_hash(ArticleId(1)) == "h1"
        assert await r.articles.ids() == [1, 2]


async def test_an_edit_is_seen_at_once_and_a_rolled_back_edit_never(store: Store) -> None:
    await seeded(store)
    async with store.read() as r:
        assert await r.articles.get(ArticleId(1)) is not None  # cached now, if cached at all
    edited = replace(
        ARTICLE, title="Seven points, revised", points=(Point(1, "One", "New body.", "step"),)
    )
    async with store.transaction() as tx:
        await tx.articles.update(ArticleId(1), edited, "h2")
    async with store.read() as r:
        stored = await r.articles.get(ArticleId(1))
        assert stored is not None and stored.article.title == "Seven points, revised"
        assert stored.article.points[0].body == "New body."
        assert [p.marker for p in stored.article.points] == ["step", "", ""]  # how announced
        assert len(stored.article.points) == 3  # points keep their numbers; none removed
        assert await r.articles.content_hash(ArticleId(1)) == "h2"
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.articles.update(ArticleId(1), replace(edited, title="Never"), "h3")
            seen = await tx.articles.get(ArticleId(1))
            assert seen is not None and seen.article.title == "Never"
            raise RuntimeError("rolled back")
    async with store.read() as r:
        stored = await r.articles.get(ArticleId(1))
        assert stored is not None and stored.article.title == "Seven points, revised"


async def test_targets_are_one_per_feed_and_channel(store: Store) -> None:
    target = await seeded(store)
    async with store.transaction() as tx:
        assert await tx.posts.ensure_target(FeedId(1), GENERAL, 1) == target
        other = await tx.posts.ensure_target(FeedId(1), ChatRef(FAKE, "#other"), 1)
    async with store.read() as r:
        assert await r.posts.targets_of(FeedId(1)) == [target, other]
        assert target.ref == GENERAL and target.feed_id == 1


async def test_posts_tell_the_latest_article_and_the_threads(store: Store) -> None:
    target = await seeded(store)
    async with store.read() as r:
        assert await r.posts.latest_article_in(GENERAL) is None  # (and maybe cached so)
    summary = ChatRef(FAKE, "#general", None, "s1")
    t3 = ChatRef(FAKE, "#general", "th3", "o3")
    async with store.transaction() as tx:
        await tx.posts.record(
            article_id=ArticleId(1),
            target_id=target.id,
            kind="summary",
            point=0,
            ref=summary,
            now=NOW,
        )
        await tx.posts.record(
            article_id=ArticleId(1), target_id=target.id, kind="thread", point=3, ref=t3, now=NOW
        )
        await tx.posts.record(  # recorded twice (a retried delivery): once
            article_id=ArticleId(1), target_id=target.id, kind="thread", point=3, ref=t3, now=NOW
        )
    async with store.read() as r:
        assert await r.posts.latest_article_in(GENERAL) == 1
        assert await r.posts.latest_article_in(ChatRef(FAKE, "#other")) is None
        post = await r.posts.thread_at(ChatRef(FAKE, "#general", "th3", "m5"))
        assert post is not None and (post.article_id, post.point) == (1, 3)
        assert post.ref == ChatRef(FAKE, "#general", "th3")
        assert await r.posts.thread_at(ChatRef(FAKE, "#general", "th9", "m5")) is None
        assert await r.posts.thread_at(GENERAL) is None
        assert await r.posts.point_threads(ArticleId(1), 3) == [ChatRef(FAKE, "#general", "th3")]
        assert await r.posts.point_threads(ArticleId(1), None) == []
        assert await r.posts.threads_of(ArticleId(1), GENERAL) == {3: t3}
        assert await r.posts.summary_posts(ArticleId(1)) == [summary]
    later = await _second(store)
    async with store.transaction() as tx:
        await tx.posts.record(
            article_id=later,
            target_id=target.id,
            kind="summary",
            point=0,
            ref=ChatRef(FAKE, "#general", None, "s2"),
            now=NOW,
        )
    async with store.read() as r:
        assert await r.posts.latest_article_in(GENERAL) == later


async def _second(store: Store) -> ArticleId:
    async with store.transaction() as tx:
        aid, _ = await tx.articles.store(
            FeedId(1), "e2", ARTICLE, content_hash="h", published_at=None, now=NOW
        )
    return aid


async def test_an_articles_lead_image_is_kept_and_edited(store: Store) -> None:
    await seeded(store)
    pictured = replace(ARTICLE, title="With a picture", image="https://example.org/lead.jpg")
    async with store.transaction() as tx:
        article_id, new = await tx.articles.store(
            FeedId(1), "pictured", pictured, content_hash="p", published_at=None, now=NOW
        )
    assert new
    async with store.read() as r:
        stored = await r.articles.get(article_id)
        assert stored is not None and stored.article.image == "https://example.org/lead.jpg"
        plain = await r.articles.get(ArticleId(1))
        assert plain is not None and plain.article.image is None
    async with store.transaction() as tx:
        await tx.articles.update(article_id, replace(pictured, image="https://x.test/b.png"), "q")
    async with store.read() as r:
        stored = await r.articles.get(article_id)
        assert stored is not None and stored.article.image == "https://x.test/b.png"


async def test_a_targets_announce_is_set_kept_and_cleared(store: Store) -> None:
    target = await seeded(store)
    assert target.announce is None
    async with store.transaction() as tx:
        await tx.posts.set_announce(target.id, "here")
    async with store.read() as r:
        assert [t.announce for t in await r.posts.targets_of(target.feed_id)] == ["here"]
    async with store.transaction() as tx:
        await tx.posts.set_announce(target.id, "role:42")
        again = await tx.posts.ensure_target(FeedId(1), GENERAL, 1)
        assert again.announce == "role:42"  # an existing target keeps its announce
        await tx.posts.set_announce(target.id, None)
    async with store.read() as r:
        assert [t.announce for t in await r.posts.targets_of(target.feed_id)] == [None]
