"""``!faq``: one FAQ message per article per channel, posted once and then kept up to date.

The first ``!faq`` in a channel queues a post; every later one edits that message, but only
when the content changed. The decision is taken in one transaction against the outbox rows
of that FAQ, so two ``!faq`` at once cannot both post, and re-running with no change queues
nothing. Edit keys carry a digest of the content, so a retried edit is the same edit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from bot.app.delivery import Delivery
from bot.core.faq import render_faq
from bot.core.models import ArticleId, ChatRef, Rendered
from bot.core.summary import MESSAGE_LIMIT
from bot.storage.port import Store
from bot.storage.types import OutboxItem


def faq_key(article_id: int, where: ChatRef) -> str:
    """The outbox key of the FAQ post of ``article_id`` in ``where``'s channel or room."""
    return f"faq:{article_id}:{where.platform}:{where.channel}"


def content_digest(message: Rendered) -> str:
    return hashlib.sha256(f"{message.text}\0{message.html or ''}".encode()).hexdigest()[:16]


def _answers(count: int) -> str:
    return f"{count} answered question{'s' if count != 1 else ''}"


class Faq:
    """Posts or updates an article's FAQ message where ``!faq`` was said."""

    def __init__(
        self,
        store: Store,
        delivery: Delivery,
        clock: Callable[[], datetime],
        *,
        max_chars: int = MESSAGE_LIMIT,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.max_chars = max_chars

    async def post(self, where: ChatRef, article_id: ArticleId) -> str:
        """Queue the FAQ of ``article_id`` in ``where``'s channel (a post the first time, an
        edit afterwards); returns the plain-words reply for whoever asked."""
        async with self.store.read() as r:
            stored = await r.articles.get(article_id)
            answered = await r.questions.answered_of(article_id) if stored else []
        if stored is None:
            return f"There is no article {article_id}, so there is no FAQ to post."
        title = f"“{stored.article.title}”"
        rendered = render_faq(stored.article, answered, max_chars=self.max_chars)
        channel = ChatRef(where.platform, where.channel)  # the FAQ lives in the channel itself
        key = faq_key(article_id, channel)
        digest = content_digest(rendered)
        now = self.clock()
        async with self.store.transaction() as tx:
            found = await tx.faq.message(key)
            if found is None:
                if not answered:
                    reply = f"No question on {title} has been answered yet, so there is no FAQ."
                else:
                    post = OutboxItem(
                        key, "post", channel, rendered, "response", article_id=article_id
                    )
                    await tx.outbox.add(post, now)
                    reply = f"FAQ for {title} posted here: {_answers(len(answered))}."
            elif found.status == "failed":
                await tx.faq.retry_post(key, rendered.text, rendered.html, now)
                reply = f"The FAQ for {title} could not be posted before; trying again now."
            elif found.landed is None:
                reply = (
                    f"The FAQ for {title} is still on its way here; once it has appeared, "
                    "ask again to bring it up to date."
                )
            elif content_digest(Rendered(found.text, found.html)) == digest:
                reply = f"The FAQ for {title} is already up to date ({_answers(len(answered))})."
            else:
                edit = OutboxItem(
                    f"{key}:edit:{found.edits + 1}:{digest}",
                    "edit",
                    found.landed,
                    rendered,
                    "edit",
                    article_id=article_id,
                )
                await tx.outbox.add(edit, now)
                reply = f"FAQ for {title} updated: {_answers(len(answered))}."
        self.delivery.kick()
        return reply
