"""The author's desk: the queue, answers, dismissals, reopening, and votes on questions.

A decision is one transaction: claim the command's message, compare-and-set the question's
state (so two authors can never both answer it), store the answer, and queue both the
notice to the asker (a reply to their question, where they asked, mentioning them) and the
confirmation to the author.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import texts
from bot.app.replies import Replies, Transaction
from bot.core.models import (
    Article,
    ArticleId,
    IncomingMessage,
    Question,
    QuestionStatus,
    Rendered,
    UserRef,
)
from bot.storage.articles import ArticleRepository
from bot.storage.outbox import OutboxItem
from bot.storage.questions import QuestionRepository


@dataclass(frozen=True, slots=True)
class Decision:
    expected: tuple[QuestionStatus, ...]
    new: QuestionStatus


ANSWER = Decision((QuestionStatus.QUEUED,), QuestionStatus.ANSWERED)
DISMISS = Decision((QuestionStatus.QUEUED,), QuestionStatus.DISMISSED)
REOPEN = Decision((QuestionStatus.ANSWERED, QuestionStatus.DISMISSED), QuestionStatus.QUEUED)


class AuthorDesk:
    def __init__(
        self,
        replies: Replies,
        articles: ArticleRepository,
        questions: QuestionRepository,
        *,
        prefix: str,
        admins: frozenset[str],
    ) -> None:
        self.replies = replies
        self.articles = articles
        self.questions = questions
        self.prefix = prefix
        self.admins = admins

    async def articles_by_id(self, ids: set[ArticleId]) -> dict[int, Article]:
        found: dict[int, Article] = {}
        for aid in ids:
            stored = await self.articles.get(aid)
            if stored is not None:
                found[aid] = stored.article
        return found

    async def queue(self, msg: IncomingMessage) -> None:
        """Open questions on the author's articles (all of them for an admin)."""
        if msg.author.key in self.admins:
            open_qs = await self.questions.open_for_feeds(None)
        else:
            feeds = await self.articles.feeds_authored_by(msg.author.key)
            open_qs = await self.questions.open_for_feeds(feeds)
        arts = await self.articles_by_id({q.article_id for q in open_qs})
        await self.replies.say(msg, texts.queue(open_qs, arts, self.prefix))

    async def may_act_on(self, user: UserRef, q: Question) -> bool:
        if user.key in self.admins:
            return True
        return user.key in await self.articles.authors_of_article(q.article_id)

    async def decide(
        self,
        msg: IncomingMessage,
        qid: int,
        decision: Decision,
        *,
        reason: str | None = None,
        answer: str | None = None,
    ) -> None:
        """Move question ``qid`` as ``decision`` says; tell the asker and the author."""
        q = await self.questions.get(qid)
        if q is None:
            await self.replies.say(msg, texts.no_such_question(qid))
            return
        if not await self.may_act_on(msg.author, q):
            await self.replies.say(msg, texts.not_yours(qid))
            return
        stored = await self.articles.get(q.article_id)
        assert stored is not None  # questions reference articles (foreign key)
        if answer is not None:
            notice = texts.answered_notice(q, stored.article, answer)
            told = f"Answer to #{qid} sent to {q.asker.name}."
        elif decision.new is QuestionStatus.DISMISSED:
            notice = texts.dismissed_notice(q, stored.article, reason)
            told = f"Question #{qid} closed; {q.asker.name} was told."
        else:
            notice = texts.reopened_notice(q, stored.article)
            told = f"Question #{qid} is open again; {q.asker.name} was told."
        w = msg.where

        def write(tx: Transaction) -> None:
            old = QuestionRepository.change_status(
                tx.raw,
                qid,
                expected=decision.expected,
                new=decision.new,
                actor=msg.author.key,
                now=tx.now,
                reason=reason,
            )
            if old is None:
                current = QuestionRepository.status(tx.raw, qid) or q.status
                tx.respond(texts.state_unchanged(qid, current))
                return
            if answer is not None:
                QuestionRepository.save_answer(tx.raw, qid, msg.author.key, answer, tx.now)
            tx.queue(
                OutboxItem(
                    key=f"q:{qid}:{decision.new}:{w.platform}:{w.channel}:{w.message}",
                    op="reply",
                    where=q.where,
                    message=Rendered(notice),
                    purpose="notice",
                    mention=q.asker,
                    question_id=qid,
                    article_id=q.article_id,
                )
            )
            tx.respond(told)

        await self.replies.act(msg, write)

    async def vote(self, msg: IncomingMessage, qid: int) -> None:
        if await self.questions.get(qid) is None:
            await self.replies.say(msg, texts.no_such_question(qid))
            return

        def write(tx: Transaction) -> None:
            added = QuestionRepository.add_vote(tx.raw, qid, msg.author.key, tx.now)
            tx.respond(
                f"Vote counted for #{qid}." if added else f"You had already voted for #{qid}."
            )

        await self.replies.act(msg, write)
