"""The use cases behind every chat message: commands, questions, edits and deletions.

Each incoming message is handled in two steps: reads first (which article and point it is
about, who is speaking), then one transaction (:class:`~bot.app.replies.Replies`) that
claims the message as handled, stores what it changes and queues every reply in the outbox.
So a message delivered twice acts once, a question is committed before its acknowledgement
exists, and a crash loses nothing. The author's commands live in
:mod:`bot.app.authoring`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol, assert_never

from bot.adapters.base import ChatAdapter
from bot.app import signin, texts
from bot.app.authoring import ANSWER, DISMISS, REOPEN, AuthorDesk, notice_to
from bot.app.delivery import Delivery
from bot.app.faq import Faq
from bot.app.notify import queue_new_question_notices, set_preference
from bot.app.observe import NULL_OBSERVER, Observer
from bot.app.replies import Replies, Transaction, reply_to, with_actions
from bot.config import QuestionSettings
from bot.core import commands as cmd
from bot.core.command_help import command_help
from bot.core.duplicates import find_duplicate
from bot.core.models import (
    ArticleId,
    InboundEvent,
    IncomingMessage,
    MessageDeleted,
    MessageEdited,
    Platform,
    Question,
    QuestionStatus,
    ReactionAdded,
    Rendered,
    Role,
    UserRef,
)
from bot.core.questions import classify
from bot.storage.open_questions import OpenSet
from bot.storage.port import Questions, Reads, Store
from bot.storage.types import NewQuestion, OutboxItem, StoredArticle

log = logging.getLogger(__name__)


class FeedCommands(Protocol):
    """The admin's feed commands (``!feed add|list|...``), answered in plain words."""

    async def handle(self, msg: IncomingMessage, command: cmd.Feed) -> str: ...


@dataclass(frozen=True, slots=True)
class Context:
    """What a message is about, found from where it was said."""

    article: StoredArticle | None
    thread_point: int | None = None
    reply_to: Question | None = None


class Conversation:
    """Turns inbound chat events into stored questions, answers and outbox rows."""

    observer: Observer = NULL_OBSERVER

    def __init__(
        self,
        store: Store,
        delivery: Delivery,
        adapters: Mapping[Platform, ChatAdapter],
        clock: Callable[[], datetime],
        *,
        prefix: str = "!",
        admins: frozenset[str] = frozenset(),
        feed_commands: FeedCommands | None = None,
        acknowledge: str = "reply",
        limits: QuestionSettings | None = None,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.adapters = adapters
        self.clock = clock
        self.prefix = prefix
        self.admins = admins
        self.feed_commands = feed_commands
        self.acknowledge = acknowledge
        self.limits = limits or QuestionSettings()
        # [web] public_url: where !web sign-in links point; None: no web desk.
        self.public_url: str | None = None
        self.replies = Replies(store, delivery, clock)
        self.faq = Faq(store, delivery, clock)
        self.desk = AuthorDesk(
            self.replies,
            prefix=prefix,
            admins=admins,
            can_edit=self._can_edit,
        )

    def _can_edit(self, platform: Platform) -> bool:
        adapter = self.adapters.get(platform)
        return adapter is not None and adapter.capabilities.edits

    # entry points --------------------------------------------------------------------

    async def handle(self, event: InboundEvent) -> None:
        """Act on one inbound event. Never raises, but for cancellation.

        Every adapter hands every event here, so this is the one place a failure is
        contained: an unexpected exception is logged with its traceback, the transaction it
        interrupted was rolled back (a unit of work that raises does), a message is
        claimed as failed and answered with one plain reply, and the next event goes on.
        """
        try:
            await self._dispatch(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            w = event.where
            log.exception(
                "handling %s %s in %s/%s failed",
                type(event).__name__,
                w.message,
                w.platform,
                w.channel,
            )
            if isinstance(event, IncomingMessage):
                await self.replies.failed(event, exc)

    async def _dispatch(self, event: InboundEvent) -> None:
        match event:
            case IncomingMessage():
                await self.handle_message(event)
            case MessageEdited():
                await self._edited(event)
            case MessageDeleted():
                await self._deleted(event)
            case ReactionAdded():
                await self._reacted(event)
            case _:
                assert_never(event)

    async def handle_message(self, msg: IncomingMessage) -> None:
        """Act on one chat message: a command, a question, or chatter left alone."""
        try:
            command = cmd.parse_command(msg.text, self.prefix)
        except cmd.CommandUsageError as exc:
            await self.replies.say(msg, exc.usage)
            return
        if command is not None:
            await self._command(msg, command)
        else:
            await self._maybe_question(msg)

    # edits and deletions -------------------------------------------------------------

    async def _edited(self, event: MessageEdited) -> None:
        """The stored text of an open question follows its asker's edits, within the rules a
        new question obeys (ignore list, length, questions and edits per hour); a refused
        edit keeps the text as it was and is answered in plain words."""
        async with self.store.read() as r:
            q = await r.questions.at_message(event.where)
        if q is None or not q.asker.same_person(event.author):
            return
        # The question was stored without its command ("!ask"): compare and store likewise,
        # so an update that leaves the message's text alone changes nothing.
        command = cmd.parse_command(event.text, self.prefix)
        text = command.text if isinstance(command, cmd.Ask) else event.text
        if text == q.text:
            return
        now = self.clock()
        outcome: str | bool = False
        async with self.store.transaction() as tx:
            if q.status is QuestionStatus.QUEUED:
                refusal = await self._refusal_of(tx.questions, event.author, text, now)
                if refusal is None:
                    outcome = await tx.questions.edit_text(q.id, text, q.asker.key, now)
                else:
                    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
                    item = OutboxItem(
                        key=f"q:{q.id}:edit-refused:{digest}",
                        op="reply",
                        where=event.where,
                        message=Rendered(texts.edit_refused(q.id, refusal)),
                        purpose="response",
                    )
                    await tx.outbox.add(item, now)
                    outcome = refusal
        if outcome is True:
            log.info("question #%d edited by %s", q.id, event.author.key)
        elif isinstance(outcome, str):
            log.info("question #%d: an edit by %s was refused", q.id, event.author.key)
            self.delivery.kick()

    async def _deleted(self, event: MessageDeleted) -> None:
        """A deleted question is withdrawn (no notice: the asker removed it themselves)."""
        async with self.store.read() as r:
            q = await r.questions.at_message(event.where)
        if q is None:
            return
        actor = event.by.key if event.by else q.asker.key
        now = self.clock()
        async with self.store.transaction() as tx:
            old = await tx.questions.change_status(
                q.id,
                expected=(QuestionStatus.QUEUED,),
                new=QuestionStatus.WITHDRAWN,
                actor=actor,
                now=now,
                reason="message deleted",
            )
            heir_id = await tx.questions.promote_followers(q.id, now) if old else None
            heir = await tx.questions.get(heir_id) if heir_id is not None else None
            if heir is not None:
                # Its followers still want an answer: the oldest takes its place in the queue.
                await tx.questions.log_event(
                    heir.id,
                    actor="bot",
                    old=heir.status,
                    new=heir.status,
                    note=f"takes the place of #{q.id}, withdrawn",
                    now=now,
                )
                key = f"q:{heir.id}:heir:{q.id}"
                await tx.outbox.add(notice_to(heir, texts.promoted_notice(heir, q.id), key), now)
        self.delivery.kick()

    async def _reacted(self, event: ReactionAdded) -> None:
        """A 👍 on a question, or on the bot's acknowledgement of it, is a vote for it."""
        if event.emoji not in texts.VOTE_EMOJI:
            return
        async with self.store.read() as r:
            asked = await r.questions.at_message(event.where)
            qid = asked.id if asked else await r.questions.acknowledged_by(event.where)
        if qid is None:
            return
        now = self.clock()
        async with self.store.transaction() as tx:
            await tx.questions.vote_by_reaction(qid, event.author.key, now, removed=event.removed)

    # questions -----------------------------------------------------------------------

    async def context_of(self, msg: IncomingMessage) -> Context:
        """The article (and point) a message is about: its thread, its reply, its channel."""
        async with self.store.read() as r:
            return await self._context(r, msg)

    @staticmethod
    async def _context(r: Reads, msg: IncomingMessage) -> Context:
        thread = await r.posts.thread_at(msg.where)
        if thread is not None:
            article = await r.articles.get(thread.article_id)
            return Context(article, thread.point or None)
        if msg.reply_to is not None:
            asked = await r.questions.at_message(msg.reply_to)
            if asked is not None:
                return Context(await r.articles.get(asked.article_id), None, asked)
        latest = await r.posts.latest_article_in(msg.where)
        return Context(await r.articles.get(latest) if latest is not None else None)

    async def _maybe_question(self, msg: IncomingMessage) -> None:
        ctx = await self.context_of(msg)
        if ctx.article is None:
            return  # not a channel we publish in: none of our business
        reply_point = ctx.reply_to.point if ctx.reply_to else None
        verdict = classify(
            msg.text, ctx.article.article, thread_point=ctx.thread_point, reply_point=reply_point
        )
        if verdict.is_question:
            await self._take_question(msg, ctx.article, verdict.point, verdict.missing_point)

    async def _refusal(self, tx: Transaction, text: str) -> str | None:
        """Why this question is not taken (guard rails), in plain words; None to take it."""
        return await self._refusal_of(tx.questions, tx.msg.author, text, tx.now)

    async def _refusal_of(
        self, questions: Questions, who: UserRef, text: str, now: datetime
    ) -> str | None:
        """The guard rails, for a new question or an edited one's new text: an edit counts
        towards the hourly limit like a question asked."""
        if await questions.is_ignored(who.key):
            return texts.IGNORED
        if len(text) > self.limits.max_chars:
            return texts.too_long(len(text), self.limits.max_chars)
        hour_ago = now - timedelta(hours=1)
        used = await questions.asked_since(who, hour_ago)
        used += await questions.edited_since(who, hour_ago)
        if used >= self.limits.max_per_hour:
            return texts.too_many(self.limits.max_per_hour)
        return None

    async def _take_question(
        self,
        msg: IncomingMessage,
        stored: StoredArticle,
        point: int | None,
        missing: int | None,
        *,
        text: str | None = None,
        anonymous: bool = False,
        separate: bool = False,
    ) -> None:
        """Take a question: guard rails, duplicates, storage, notices and the acknowledgement
        (or the reason it was not taken), all in one transaction.

        A question that repeats an open one on the same point is folded into it: the asker
        follows it (and backs it with their vote) unless they asked with ``--new``.
        """
        article = stored.article
        asked = text or msg.text
        refused: str | None = None

        async def write(tx: Transaction) -> int | None:
            nonlocal refused
            refused = None
            if missing is not None:
                refused = "missing_point"
                await tx.respond(texts.missing_point(article, missing))
                return None
            refusal = await self._refusal(tx, asked)
            if refusal is not None:
                refused = self._refusal_reason(refusal, asked)
                await tx.respond(refusal)
                return None
            open_set = await tx.questions.open_set(stored.id, point)
            same = None if separate else self._same_as(open_set, stored, asked)
            new = NewQuestion(stored.id, point, msg.author, msg.where, asked, anonymous=anonymous)
            qid = await tx.questions.add(new, tx.now)
            if qid is None:
                return None
            if same is not None and await tx.questions.set_merged(qid, same[0], tx.now):
                await tx.questions.log_event(
                    qid,
                    actor="bot",
                    old=QuestionStatus.QUEUED,
                    new=QuestionStatus.QUEUED,
                    note=f"merged into #{same[0]} as a duplicate",
                    now=tx.now,
                )
                said = texts.duplicate_found(qid, same[0], same[1], self.prefix)
            else:
                same = None
                said = texts.acknowledged(qid, article, point, self.prefix)
            await tx.questions.added_to(open_set, qid, asked, merged=same is not None)
            if same is None:  # a duplicate is nothing new to answer: no notice
                # The authors hear of it in the same transaction: no question unannounced.
                await queue_new_question_notices(tx, tx.now, qid, prefix=self.prefix)
            ack = reply_to(msg, said, "ack")
            ack = with_actions(ack, texts.keep_separate(qid, self.prefix)) if same else ack
            if self.acknowledge == "reaction" and same is None:
                ack = replace(ack, op="react", message=Rendered(texts.ACK_REACTION))
            await tx.queue(replace(ack, question_id=qid, article_id=stored.id))
            return qid

        _, qid = await self.replies.act(msg, write)
        if refused is not None:
            self.observer.question_refused(refused)
        if qid is not None:
            self.observer.question_taken()
            w = msg.where
            log.info(
                "question #%d stored: article %d point %s from %s in %s/%s",
                qid,
                stored.id,
                point,
                msg.author.key,
                w.platform,
                w.channel,
            )

    def _refusal_reason(self, refusal: str, text: str) -> str:
        """The metrics label of a guard rail's refusal."""
        if refusal == texts.IGNORED:
            return "ignored"
        if refusal == texts.too_long(len(text), self.limits.max_chars):
            return "too_long"
        return "rate_limited"

    @staticmethod
    def _same_as(open_set: OpenSet, stored: StoredArticle, text: str) -> tuple[int, str] | None:
        """``(id, text)`` of the open question on this point that ``text`` clearly repeats."""
        candidates = open_set.candidates(text)
        match = (
            find_duplicate(text, open_set.point, candidates, stored.article) if candidates else None
        )
        if match is None:
            return None
        return match.question_id, next(t for i, _, t in candidates if i == match.question_id)

    # commands ------------------------------------------------------------------------

    async def role_of(self, user: UserRef, msg: IncomingMessage) -> Role:
        """Config admins, then what the platform grants, then authorship of any feed."""
        if user.key in self.admins:
            return Role.ADMIN
        role = Role.MEMBER
        adapter = self.adapters.get(user.platform)
        if adapter is not None:
            role = max(role, await adapter.role_of(user, msg.where.container()))
        if role < Role.AUTHOR:
            async with self.store.read() as r:
                if await r.posts.is_any_author(user.key):
                    role = Role.AUTHOR
        return role

    async def _command(self, msg: IncomingMessage, command: cmd.Command) -> None:
        spec = cmd.COMMANDS.get(type(command).__name__.lower())
        needs = spec.role if spec is not None else Role.MEMBER
        if needs > Role.MEMBER and await self.role_of(msg.author, msg) < needs:
            assert spec is not None
            await self.replies.say(
                msg, texts.not_allowed(f"{self.prefix}{spec.name}", needs.name.lower())
            )
            return
        match command:
            case cmd.Ask():
                await self._ask(msg, command)
            case cmd.Questions():
                await self._own_questions(msg)
            case cmd.Points():
                await self._points(msg)
            case cmd.Help():
                role = await self.role_of(msg.author, msg)
                said = (
                    command_help(command.topic, self.prefix, role)
                    if command.topic
                    else cmd.help_text(self.prefix, role)
                )
                await self.replies.say(msg, said)
            case cmd.Queue():
                await self.desk.queue(msg)
            case cmd.Answer():
                await self.desk.decide(msg, command.question_id, ANSWER, answer=command.text)
            case cmd.Dismiss():
                reason = command.reason or None
                await self.desk.decide(msg, command.question_id, DISMISS, reason=reason)
            case cmd.Reopen():
                await self.desk.decide(msg, command.question_id, REOPEN)
            case cmd.Vote():
                await self.desk.vote(msg, command.question_id)
            case cmd.Separate():
                await self.desk.separate(msg, command.question_id)
            case cmd.Merge():
                await self.desk.merge(msg, command.question_id, command.into)
            case cmd.Unmerge():
                await self.desk.unmerge(msg, command.question_id)
            case cmd.History():
                await self.desk.history(msg, command.question_id)
            case cmd.Ignore():
                await self.desk.ignore(msg, command.user_key, command.reason, on=not command.undo)
            case cmd.Faq():
                await self._faq(msg, command.article_id)
            case cmd.Notify() | cmd.Web():
                await self._own_settings(msg, command)
            case cmd.Feed():
                if self.feed_commands is None:
                    await self.replies.say(msg, texts.FEEDS_NOT_AVAILABLE)
                else:
                    await self.replies.say(msg, await self.feed_commands.handle(msg, command))
            case cmd.Unknown():
                await self.replies.say(
                    msg, texts.unknown_command(command.name, command.suggestion, self.prefix)
                )
            case _:
                assert_never(command)

    async def _own_settings(self, msg: IncomingMessage, command: cmd.Notify | cmd.Web) -> None:
        """What concerns only the sender: how they hear of questions, their web sign-in."""
        if isinstance(command, cmd.Notify):
            await self._notify(msg, command)
        else:
            await self._web(msg, command)

    async def _web(self, msg: IncomingMessage, command: cmd.Web) -> None:
        """``!web``: a sign-in link, only where the sender alone reads the reply: a direct
        message, a message answered privately (``/web`` on Discord, whose ephemeral answer
        only its sender sees, in a channel too), or the console; ``!web logout`` works
        anywhere. The link is queued as a private reply, so an adapter that can no longer
        answer privately drops it instead of posting it."""
        if command.logout:
            ended = await signin.end_sessions(self.store, msg.author)
            await self.replies.say(msg, signin.logged_out(ended))
            return
        if self.public_url is None:
            await self.replies.say(msg, signin.NO_DESK)
            return
        private = msg.is_direct or msg.private_reply
        if not private and msg.author.platform != Platform("console"):
            adapter = self.adapters.get(msg.where.platform)
            slash = adapter is not None and adapter.capabilities.private_slash_replies
            await self.replies.say(msg, signin.not_direct(self.prefix, slash=slash))
            return
        link = await signin.issue_link(self.store, msg.author, self.public_url, self.clock())
        if link is None:
            await self.replies.say(msg, signin.rate_limited())
            return
        await self.replies.say(msg, signin.link_text(link), private=True)

    async def _notify(self, msg: IncomingMessage, command: cmd.Notify) -> None:
        said = await set_preference(
            self.store,
            msg.author.key,
            command.mode,
            command.at,
            now=self.clock(),
            prefix=self.prefix,
        )
        await self.replies.say(msg, said)

    async def _ask(self, msg: IncomingMessage, command: cmd.Ask) -> None:
        ctx = await self.context_of(msg)
        if ctx.article is None:
            await self.replies.say(msg, texts.no_article_here(self.prefix))
            return
        article = ctx.article.article
        if command.point is not None:
            exists = article.point(command.point) is not None
            point, missing = (command.point, None) if exists else (None, command.point)
        else:
            reply_point = ctx.reply_to.point if ctx.reply_to else None
            verdict = classify(
                command.text, article, thread_point=ctx.thread_point, reply_point=reply_point
            )
            point, missing = verdict.point, verdict.missing_point
        await self._take_question(
            msg,
            ctx.article,
            point,
            missing,
            text=command.text,
            anonymous=command.anonymous,
            separate=command.new,
        )

    async def _faq(self, msg: IncomingMessage, article_id: int | None) -> None:
        """Post or update the FAQ of an article of the author's (the latest one here)."""
        if article_id is None:
            ctx = await self.context_of(msg)
            if ctx.article is None:
                await self.replies.say(msg, texts.no_article_here(self.prefix))
                return
            article_id = ctx.article.id
        aid = ArticleId(article_id)
        async with self.store.read() as r:
            exists = await r.articles.get(aid) is not None
            authors = await r.posts.authors_where(aid, msg.where) if exists else set()
        if not exists:
            await self.replies.say(msg, f"There is no article {article_id}.")
            return
        if msg.author.key not in self.admins and msg.author.key not in authors:
            await self.replies.say(msg, f"Article {article_id} is not yours, so nothing was done.")
            return
        await self.replies.say(msg, await self.faq.post(msg.where, aid))

    async def _own_questions(self, msg: IncomingMessage) -> None:
        async with self.store.read() as r:
            mine = await r.questions.of_asker(msg.author)
        arts = await self.desk.articles_by_id({q.article_id for q in mine})
        await self.replies.say(msg, texts.own_questions(mine, arts))

    async def _points(self, msg: IncomingMessage) -> None:
        ctx = await self.context_of(msg)
        if ctx.article is None:
            await self.replies.say(msg, texts.no_article_here(self.prefix))
            return
        async with self.store.read() as r:
            threads = await r.posts.threads_of(ctx.article.id, msg.where)
        await self.replies.say(msg, texts.points(ctx.article.article, set(threads), self.prefix))
