"""The author's desk: the queue, answers, dismissals, reopening, merges, votes and history
(and the one merge move an asker may make: keeping their own question separate).

A decision is one transaction: claim the command's message, compare-and-set the question's
state (so two authors can never both answer it), store the answer, and queue the notices to
its asker and to the askers of every duplicate merged into it (each a reply to their own
question, where they asked, mentioning them) plus the confirmation to the author. Answering
an answered question again corrects the answer everywhere it was posted: an edit where the
platform can edit, a visible correction where it cannot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from bot.app import texts
from bot.app.observe import NULL_OBSERVER, Observer
from bot.app.replies import Replies, Transaction
from bot.core.duplicates import similar_pairs
from bot.core.models import (
    Action,
    Article,
    ArticleId,
    ChatRef,
    IncomingMessage,
    Platform,
    Question,
    QuestionStatus,
    Rendered,
    UserRef,
)
from bot.storage.types import OutboxItem

HINT_CANDIDATES = 100
"""!queue compares each open question with at most this many older ones on its point (the
most voted first): pairwise work is quadratic, and a long queue must still render at once."""


def may_repeat(
    questions: list[Question], articles: dict[int, Article], limit: int | None = HINT_CANDIDATES
) -> dict[int, tuple[int, str]]:
    """Open question id -> (the older open question on its point it may repeat, why).

    Scored by the duplicate matcher in its "may repeat" band: close, but not close enough to
    have been merged at intake. ``questions`` come in queue order (most votes first)."""
    by_article: dict[int, list[tuple[int, int | None, str]]] = {}
    for q in questions:
        by_article.setdefault(q.article_id, []).append((q.id, q.point, q.text))
    return {
        qid: (m.question_id, m.reason)
        for aid, qs in by_article.items()
        for qid, m in similar_pairs(qs, articles.get(aid), limit=limit).items()
    }


@dataclass(frozen=True, slots=True)
class Decision:
    expected: tuple[QuestionStatus, ...]
    new: QuestionStatus


ANSWER = Decision((QuestionStatus.QUEUED,), QuestionStatus.ANSWERED)
DISMISS = Decision((QuestionStatus.QUEUED,), QuestionStatus.DISMISSED)
REOPEN = Decision((QuestionStatus.ANSWERED, QuestionStatus.DISMISSED), QuestionStatus.QUEUED)


def _edit(q: Question, ref: ChatRef, text: str, key: str) -> OutboxItem:
    """An edit of a message already delivered about ``q``."""
    return OutboxItem(
        key=key, op="edit", where=ref, message=Rendered(text), purpose="edit", question_id=q.id
    )


def _record(q: Question, thread: ChatRef, text: str, key: str) -> OutboxItem:
    """A message kept in a point's thread (no one mentioned: the askers were, where asked)."""
    return OutboxItem(
        key=key,
        op="post",
        where=thread,
        message=Rendered(text),
        purpose="notice",  # op "post" tells it from a notice to an asker (a reply)
        question_id=q.id,
        article_id=q.article_id,
    )


def notice_to(
    q: Question,
    text: str,
    key: str,
    purpose: str = "notice",
    *,
    actions: tuple[Action, ...] = (),
) -> OutboxItem:
    """A reply to the asker's own question, where they asked it, mentioning them."""
    return OutboxItem(
        key=key,
        op="reply",
        where=q.where,
        message=Rendered(text, actions=actions),
        purpose=purpose,
        mention=q.asker,
        question_id=q.id,
        article_id=q.article_id,
    )


class AuthorDesk:
    observer: Observer = NULL_OBSERVER

    def __init__(
        self,
        replies: Replies,
        *,
        prefix: str,
        admins: frozenset[str],
        can_edit: Callable[[Platform], bool] = lambda _platform: False,
    ) -> None:
        self.replies = replies
        self.store = replies.store
        self.prefix = prefix
        self.admins = admins
        self.can_edit = can_edit

    async def articles_by_id(self, ids: set[ArticleId]) -> dict[int, Article]:
        found: dict[int, Article] = {}
        async with self.store.read() as r:
            for aid in ids:
                stored = await r.articles.get(aid)
                if stored is not None:
                    found[aid] = stored.article
        return found

    async def queue(self, msg: IncomingMessage) -> None:
        """Open questions on the author's articles (all of them for an admin)."""
        who = None if msg.author.key in self.admins else msg.author.key
        async with self.store.read() as r:
            open_qs = await r.questions.open_for_author(who)
        arts = await self.articles_by_id({q.article_id for q in open_qs})
        await self.replies.say(
            msg, texts.queue(open_qs, arts, self.prefix, may_repeat(open_qs, arts))
        )

    async def may_act_on(self, user: UserRef, q: Question) -> bool:
        if user.key in self.admins:
            return True
        async with self.store.read() as r:
            return user.key in await r.posts.authors_where(q.article_id, q.where)

    async def _mine(self, msg: IncomingMessage, qid: int) -> Question | None:
        """The question, if it exists and ``msg``'s author may act on it (else says why)."""
        async with self.store.read() as r:
            q = await r.questions.get(qid)
        if q is None:
            await self.replies.say(msg, texts.no_such_question(qid))
            return None
        if not await self.may_act_on(msg.author, q):
            await self.replies.say(msg, texts.not_yours(qid))
            return None
        return q

    async def decide(
        self,
        msg: IncomingMessage,
        qid: int,
        decision: Decision,
        *,
        reason: str | None = None,
        answer: str | None = None,
    ) -> None:
        """Move question ``qid`` (and its merged duplicates) as ``decision`` says; tell every
        asker and the author."""
        q = await self._mine(msg, qid)
        if q is None:
            return
        if q.merged_into is not None:
            await self.replies.say(msg, texts.is_merged(q, self.prefix))
            return
        if answer is not None and q.status is QuestionStatus.ANSWERED:
            await self.correct(msg, q, answer)
            return
        async with self.store.read() as r:
            stored = await r.articles.get(q.article_id)
            assert stored is not None  # questions reference articles (foreign key)
            group = [q, *await r.questions.merged_into(qid)]
            threads = await r.posts.point_threads(q.article_id, q.point) if answer else []
            # Answered before (then reopened): its records in the threads are edited, not
            # repeated.
            kept = {
                (ref.platform, ref.thread): ref
                for _, ref in await r.outbox.delivered(
                    [qid], purpose="notice", op="post", kind="record"
                )
            }
        w = msg.where

        def notice(member: Question) -> str:
            if answer is not None:
                return texts.answered_notice(member, stored.article, answer, msg.author.name)
            if decision.new is QuestionStatus.DISMISSED:
                return texts.dismissed_notice(member, stored.article, reason)
            return texts.reopened_notice(member, stored.article)

        changed = False

        async def write(tx: Transaction) -> None:
            nonlocal changed
            old = await tx.questions.change_status(
                qid,
                expected=decision.expected,
                new=decision.new,
                actor=msg.author.key,
                now=tx.now,
                reason=reason,
            )
            if old is None:
                current = await tx.questions.status(qid) or q.status
                await tx.respond(texts.state_unchanged(qid, current))
                return
            changed = True
            if answer is not None:
                await tx.questions.save_answer(qid, msg.author.key, answer, tx.now)
            told = []
            for member in group:
                if (
                    member is not q
                    and await tx.questions.change_status(
                        member.id,
                        expected=decision.expected,
                        new=decision.new,
                        actor=msg.author.key,
                        now=tx.now,
                        reason=reason or f"with #{qid}",
                    )
                    is None
                ):
                    continue  # a duplicate withdrawn meanwhile: nobody to tell
                key = f"q:{member.id}:{decision.new}:{w.platform}:{w.channel}:{w.message}"
                await tx.queue(notice_to(member, notice(member), key))
                told.append(member.asker_label)
            if answer is not None and told:
                # Each of the point's threads keeps its answered questions, wherever asked.
                record = texts.answer_record(q, stored.article, answer, told, msg.author.name)
                asked_in = {(m.where.platform, m.where.thread) for m in group}
                for thread in threads:
                    place = (thread.platform, thread.thread)
                    if place in asked_in:
                        continue
                    key = f"q:{qid}:record:{thread.platform}:{thread.thread}:{w.message}"
                    if place in kept and self.can_edit(thread.platform):
                        await tx.queue(_edit(q, kept[place], record, key))
                    else:
                        await tx.queue(_record(q, thread, record, key))
            await tx.respond(texts.decided(qid, decision.new, told))

        await self.replies.act(msg, write)
        if changed and answer is not None:
            self.observer.question_answered()

    async def correct(self, msg: IncomingMessage, q: Question, answer: str) -> None:
        """A second answer to an answered question: edit or correct it everywhere it went."""
        async with self.store.read() as r:
            stored = await r.articles.get(q.article_id)
            assert stored is not None
            group: dict[int, Question] = {
                m.id: m for m in [q, *await r.questions.merged_into(q.id)]
            }
            # Exactly the messages that carried the answer: not the notices of a merge, a
            # dismissal or a reopening, nor corrections posted where edits are impossible.
            posted = await r.outbox.delivered(
                list(group), purpose="notice", op="reply", kind=str(QuestionStatus.ANSWERED)
            )
            records = await r.outbox.delivered([q.id], purpose="notice", op="post", kind="record")
        asked = [m.asker_label for m in group.values() if m.status is QuestionStatus.ANSWERED]
        digest = hashlib.sha256(answer.encode()).hexdigest()[:12]

        async def write(tx: Transaction) -> None:
            await tx.questions.save_answer(q.id, msg.author.key, answer, tx.now)
            await tx.questions.log_event(
                q.id,
                actor=msg.author.key,
                old=QuestionStatus.ANSWERED,
                new=QuestionStatus.ANSWERED,
                note="answer corrected",
                now=tx.now,
            )
            for qid, ref in posted:
                member = group[qid]
                key = f"q:{qid}:correction:{digest}:{ref.platform}:{ref.message}"
                if self.can_edit(ref.platform):
                    text = texts.answered_notice(member, stored.article, answer, msg.author.name)
                    await tx.queue(_edit(member, ref, text, key))
                else:
                    await tx.queue(notice_to(member, texts.corrected_notice(member, answer), key))
            record = texts.answer_record(
                q, stored.article, answer, asked or [q.asker_label], msg.author.name
            )
            for _, ref in records:
                key = f"q:{q.id}:record-correction:{digest}:{ref.platform}:{ref.message}"
                if self.can_edit(ref.platform):
                    await tx.queue(_edit(q, ref, record, key))
                else:
                    correction = texts.record_corrected(q, answer)
                    await tx.queue(_record(q, ref.container(), correction, key))
            await tx.respond(texts.corrected(q.id, len(posted) + len(records)))

        await self.replies.act(msg, write)

    async def merge(self, msg: IncomingMessage, source: int, into: int) -> None:
        """Fold duplicate ``source`` into ``into``: its asker follows ``into`` and is told."""
        dup, target = await self._mine(msg, source), await self._mine(msg, into)
        if dup is None or target is None:
            return
        w = msg.where

        async def write(tx: Transaction) -> None:
            if not await tx.questions.set_merged(source, into, tx.now):
                await tx.respond(texts.cannot_merge(source, into))
                return
            await tx.questions.log_event(
                source,
                actor=msg.author.key,
                old=dup.status,
                new=dup.status,
                note=f"merged into #{into}",
                now=tx.now,
            )
            key = f"q:{source}:merged:{w.platform}:{w.channel}:{w.message}"
            said = texts.merged_notice(dup, target, self.prefix)
            actions = texts.keep_separate(source, self.prefix)
            await tx.queue(notice_to(dup, said, key, actions=actions))
            await tx.respond(f"Merged #{source} into #{into}; {dup.asker_label} was told.")

        await self.replies.act(msg, write)

    async def unmerge(self, msg: IncomingMessage, qid: int) -> None:
        q = await self._mine(msg, qid)
        if q is None:
            return
        w = msg.where

        async def write(tx: Transaction) -> None:
            if not await _unmerge(tx, q, msg.author.key, f"unmerged from #{q.merged_into}"):
                await tx.respond(f"Question #{qid} is not merged into another; nothing changed.")
                return
            key = f"q:{qid}:unmerged:{w.platform}:{w.channel}:{w.message}"
            await tx.queue(notice_to(q, texts.unmerged_notice(q), key))
            await tx.respond(f"#{qid} is a question of its own again; {q.asker_label} was told.")

        await self.replies.act(msg, write)

    async def separate(self, msg: IncomingMessage, qid: int) -> None:
        """The asker's own ``!unmerge``: their question, folded into another (by the bot or
        the author), becomes a question of its own again, taking its votes with it."""
        async with self.store.read() as r:
            q = await r.questions.get(qid)
        if q is None:
            await self.replies.say(msg, texts.no_such_question(qid))
            return
        if not q.asker.same_person(msg.author):
            await self.replies.say(msg, texts.not_your_question(qid, self.prefix))
            return

        async def write(tx: Transaction) -> None:
            now = await tx.questions.get(qid)  # as it is in this transaction
            if now is None or now.merged_into is None:
                await tx.respond(texts.not_merged(qid))
            elif now.status is not QuestionStatus.QUEUED:  # answered or closed with the other
                await tx.respond(texts.state_unchanged(qid, now.status))
            else:
                was_in = now.merged_into
                note = f"kept separate by its asker (was merged into #{was_in})"
                await _unmerge(tx, now, msg.author.key, note)
                await tx.respond(texts.kept_separate(qid, was_in))

        await self.replies.act(msg, write)

    async def history(self, msg: IncomingMessage, qid: int) -> None:
        q = await self._mine(msg, qid)
        if q is None:
            return
        async with self.store.read() as r:
            events = await r.questions.history(qid)
        await self.replies.say(msg, texts.history(q, events))

    async def vote(self, msg: IncomingMessage, qid: int) -> None:
        async with self.store.read() as r:
            exists = await r.questions.get(qid) is not None
        if not exists:
            await self.replies.say(msg, texts.no_such_question(qid))
            return

        async def write(tx: Transaction) -> None:
            added = await tx.questions.add_vote(qid, msg.author.key, tx.now)
            await tx.respond(
                f"Vote counted for #{qid}." if added else f"You had already voted for #{qid}."
            )

        await self.replies.act(msg, write)

    async def ignore(self, msg: IncomingMessage, user_key: str, reason: str, *, on: bool) -> None:
        async def write(tx: Transaction) -> None:
            changed = await tx.questions.set_ignored(
                user_key, msg.author.key, reason, tx.now, on=on
            )
            await tx.respond(texts.ignored_changed(user_key, on=on, changed=changed))

        await self.replies.act(msg, write)


async def _unmerge(tx: Transaction, q: Question, actor: str, note: str) -> bool:
    """Undo ``q``'s merge (the merge's vote leaves the other question) and record who and
    why; False if it was not merged."""
    if not await tx.questions.set_merged(q.id, None, tx.now):
        return False
    await tx.questions.log_event(
        q.id, actor=actor, old=q.status, new=q.status, note=note, now=tx.now
    )
    return True
