"""``!faq``: one FAQ message per article per channel, posted once and then kept up to date.

The first ``!faq`` in a channel queues a post; every later one edits that message, but only
when the content changed. The decision is taken in one transaction against the outbox rows
of that FAQ, so two ``!faq`` at once cannot both post, and re-running with no change queues
nothing. Edit keys carry a digest of the content, so a retried edit is the same edit.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import datetime

from bot.app.delivery import Delivery
from bot.core.faq import render_faq
from bot.core.models import ArticleId, ChatRef, Rendered
from bot.core.summary import MESSAGE_LIMIT
from bot.storage.articles import ArticleRepository
from bot.storage.db import Database
from bot.storage.faq import answered_questions, faq_message, retry_post
from bot.storage.outbox import OutboxItem, OutboxRepository


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
        db: Database,
        delivery: Delivery,
        clock: Callable[[], datetime],
        *,
        max_chars: int = MESSAGE_LIMIT,
    ) -> None:
        self.db = db
        self.delivery = delivery
        self.clock = clock
        self.max_chars = max_chars
        self.articles = ArticleRepository(db)

    async def post(self, where: ChatRef, article_id: ArticleId) -> str:
        """Queue the FAQ of ``article_id`` in ``where``'s channel (a post the first time, an
        edit afterwards); returns the plain-words reply for whoever asked."""
        stored = await self.articles.get(article_id)
        if stored is None:
            return f"There is no article {article_id}, so there is no FAQ to post."
        title = f"“{stored.article.title}”"
        answered = await answered_questions(self.db, article_id)
        rendered = render_faq(stored.article, answered, max_chars=self.max_chars)
        channel = ChatRef(where.platform, where.channel)  # the FAQ lives in the channel itself
        key = faq_key(article_id, channel)
        digest = content_digest(rendered)
        now = self.clock()

        def decide(raw: sqlite3.Connection) -> str:
            found = faq_message(raw, key)
            if found is None:
                if not answered:
                    return f"No question on {title} has been answered yet, so there is no FAQ."
                OutboxRepository.add(
                    raw,
                    OutboxItem(key, "post", channel, rendered, "response", article_id=article_id),
                    now,
                )
                return f"FAQ for {title} posted here: {_answers(len(answered))}."
            if found.status == "failed":
                retry_post(raw, key, rendered.text, rendered.html, now)
                return f"The FAQ for {title} could not be posted before; trying again now."
            same = content_digest(Rendered(found.text, found.html)) == digest
            if found.landed is None:
                return (
                    f"The FAQ for {title} is still on its way here; once it has appeared, "
                    "ask again to bring it up to date."
                )
            if same:
                return f"The FAQ for {title} is already up to date ({_answers(len(answered))})."
            edit = OutboxItem(
                f"{key}:edit:{found.edits + 1}:{digest}",
                "edit",
                found.landed,
                rendered,
                "edit",
                article_id=article_id,
            )
            OutboxRepository.add(raw, edit, now)
            return f"FAQ for {title} updated: {_answers(len(answered))}."

        reply = await self.db.run(decide)
        self.delivery.kick()
        return reply
