"""Publishing an article: store it once, then plan its summary and threads for every target.

The plan is written to the outbox in the same transaction that stores the article, with
keys derived from (article, platform, channel, part), so publishing the same article to the
same place twice is a no-op, and a crash halfway through posting resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from bot.app.delivery import Delivery
from bot.core.models import Article, ArticleId, ChatRef, FeedId, Rendered
from bot.core.summary import content_hash, render_point_opening, render_summary, thread_title
from bot.core.template import DEFAULT, Template
from bot.storage.port import Reads, Store
from bot.storage.types import OutboxItem, Target

log = logging.getLogger(__name__)


def plan(
    article_id: ArticleId,
    article: Article,
    target: Target,
    *,
    template: Template = DEFAULT,
    feed: str = "",
    date: datetime | None = None,
    announce: bool = False,
) -> list[OutboxItem]:
    """The outbox rows that put ``article`` into ``target``: summary first (as the target's
    subscription's ``template`` has it), then threads.

    ``announce``: the article is new (the poller found it), so the summary carries the
    target's announce mention, if it has one. Backfills, ``!feed post``, released holds and
    entries that waited past a daily cap never do; edits are other rows and never do.
    """
    summary = render_summary(article, template=template, feed=feed, date=date)
    if announce and target.announce:
        summary = replace(summary, announce=target.announce)
    where = ChatRef(target.platform, target.channel)
    base = f"article:{article_id}:{target.platform}:{target.channel}"
    items = [
        OutboxItem(
            key=f"{base}:summary",
            op="post",
            where=where,
            message=summary,
            purpose="summary",
            article_id=article_id,
            point=0,
            target_id=target.id,
        )
    ]
    if article.points:
        for p in article.points:
            items.append(
                OutboxItem(
                    key=f"{base}:thread:{p.number}",
                    op="open_thread",
                    where=where,
                    title=thread_title(p, article),
                    message=render_point_opening(article, p),
                    purpose="thread",
                    article_id=article_id,
                    point=p.number,
                    target_id=target.id,
                )
            )
    else:
        items.append(
            OutboxItem(
                key=f"{base}:thread:0",
                op="open_thread",
                where=where,
                title=thread_title(None, article),
                message=Rendered(
                    f"Discussion of “{article.title}”. This article has no numbered points, "
                    "so all its questions and talk gather here."
                ),
                purpose="thread",
                article_id=article_id,
                point=0,
                target_id=target.id,
            )
        )
    return items


async def template_of(r: Reads, target: Target) -> Template:
    """The summary template of the target's subscription (the default without one)."""
    if target.subscription_id is None:
        return DEFAULT
    sub = await r.subscriptions.get(target.subscription_id)
    return Template.from_json(sub.template if sub else None)


class Publisher:
    def __init__(self, store: Store, delivery: Delivery, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock

    async def publish(
        self,
        feed_id: FeedId | None,
        entry_key: str,
        article: Article,
        targets: Sequence[Target],
        *,
        published_at: datetime | None = None,
        announce: bool = False,
    ) -> tuple[ArticleId, int]:
        """Store ``article`` (once per entry) and queue it for ``targets``.

        Returns the article id and how many outbox rows were newly queued (0 when it had
        been published to all these targets before).
        """
        now = self.clock()
        queued = 0
        async with self.store.transaction() as tx:
            article_id, created = await tx.articles.store(
                feed_id,
                entry_key,
                article,
                content_hash=content_hash(article),
                published_at=published_at,
                now=now,
            )
            feed = await tx.feeds.get(feed_id) if feed_id is not None else None
            for target in targets:
                template = await template_of(tx, target)
                for item in plan(
                    article_id,
                    article,
                    target,
                    template=template,
                    feed=feed.title if feed else "",
                    date=published_at,
                    announce=announce and created,
                ):
                    queued += await tx.outbox.add(item, now)
        log.info(
            "article %d (%s) %s; %d outbox rows queued for %d targets",
            article_id,
            entry_key,
            "stored" if created else "known",
            queued,
            len(targets),
        )
        self.delivery.kick()
        return article_id, queued

    def kick(self) -> None:
        """Deliver soon: outbox rows were queued elsewhere (feed notices, edits)."""
        self.delivery.kick()
