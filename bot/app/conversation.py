"""The use cases behind every chat message: commands, questions, answers.

Each incoming message is handled in two steps: reads first (which article and point it is
about, who is speaking), then one transaction that claims the message as handled, stores
what it changes and queues every reply in the outbox. So a message delivered twice acts
once, a question is committed before its acknowledgement exists, and a crash loses nothing.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import aiosqlite

from bot.adapters.base import ChatAdapter
from bot.app import texts
from bot.app.delivery import Delivery
from bot.core import commands as cmd
from bot.core.models import (
    Article,
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
from bot.storage.articles import ArticleRepository, StoredArticle
from bot.storage.db import Database
from bot.storage.outbox import InboundRepository, OutboxItem, OutboxRepository
from bot.storage.questions import NewQuestion, QuestionRepository

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


def _response(key: str, msg: IncomingMessage, text: str, purpose: str = "response") -> OutboxItem:
    """A reply to ``msg`` where it was said."""
    return OutboxItem(key=key, op="reply", where=msg.where, message=Rendered(text), purpose=purpose)


class _Act:
    """One message's transaction: claim it, then queue responses keyed by that message."""

    def __init__(self, conv: Conversation, conn: aiosqlite.Connection, msg: IncomingMessage):
        self.conv = conv
        self.conn = conn
        self.msg = msg
        self.now = conv.clock()
        self._n = 0

    def key(self, purpose: str) -> str:
        w = self.msg.where
        self._n += 1
        return f"in:{w.platform}:{w.channel}:{w.message}:{purpose}:{self._n}"

    async def respond(self, text: str, *, mention: bool = False) -> None:
        """Reply to the message being handled, where it was said."""
        await self.queue(
            OutboxItem(
                key=self.key("response"),
                op="reply",
                where=self.msg.where,
                message=Rendered(text),
                purpose="response",
                mention=self.msg.author if mention else None,
            )
        )

    async def queue(self, item: OutboxItem) -> None:
        await self.conv.outbox.enqueue(self.conn, item, self.now)


class Conversation:
    """Turns incoming chat messages into stored questions, answers and outbox rows."""

    def __init__(
        self,
        db: Database,
        delivery: Delivery,
        adapters: Mapping[Platform, ChatAdapter],
        clock: Callable[[], datetime],
        *,
        prefix: str = "!",
        admins: frozenset[str] = frozenset(),
        feed_commands: FeedCommands | None = None,
    ) -> None:
        self.db = db
        self.delivery = delivery
        self.adapters = adapters
        self.clock = clock
        self.prefix = prefix
        self.admins = admins
        self.feed_commands = feed_commands
        self.articles = ArticleRepository(db)
        self.questions = QuestionRepository(db)
        self.outbox = OutboxRepository(db)
        self.inbound = InboundRepository(db)

    # entry point ---------------------------------------------------------------------

    async def handle(self, event: InboundEvent) -> None:
        """Act on one inbound event (never raises for bad user input)."""
        match event:
            case IncomingMessage():
                await self.handle_message(event)
            case MessageEdited():
                await self._edited(event)
            case MessageDeleted():
                await self._deleted(event)
            case ReactionAdded():
                pass  # votes by reaction arrive with issue 6

    async def handle_message(self, msg: IncomingMessage) -> None:
        """Act on one chat message: a command, a question, or chatter left alone."""
        try:
            command = cmd.parse_command(msg.text, self.prefix)
        except cmd.CommandUsageError as exc:
            await self._reply_only(msg, exc.usage)
            return
        if command is not None:
            await self._command(msg, command)
        else:
            await self._maybe_question(msg)

    # edits and deletions -------------------------------------------------------------

    async def _edited(self, event: MessageEdited) -> None:
        """The stored text of an open question follows its asker's edits."""
        q = await self.questions.at_message(event.where)
        if q is None or not q.asker.same_person(event.author):
            return
        async with self.db.transaction() as conn:
            changed = await self.questions.edit_text(conn, q.id, event.text, self.clock())
        if changed:
            log.info("question #%d edited by %s", q.id, event.author.key)

    async def _deleted(self, event: MessageDeleted) -> None:
        """A deleted question is withdrawn (no notice: the asker removed it themselves)."""
        q = await self.questions.at_message(event.where)
        if q is None:
            return
        actor = event.by.key if event.by else q.asker.key
        async with self.db.transaction() as conn:
            await self.questions.change_status(
                conn,
                q.id,
                expected=(QuestionStatus.QUEUED,),
                new=QuestionStatus.WITHDRAWN,
                actor=actor,
                now=self.clock(),
                reason="message deleted",
            )

    # questions -----------------------------------------------------------------------

    async def context_of(self, msg: IncomingMessage) -> Context:
        thread = await self.articles.thread_at(msg.where)
        if thread is not None:
            article = await self.articles.get(thread.article_id)
            return Context(article, thread.point or None)
        if msg.reply_to is not None:
            asked = await self.questions.at_message(msg.reply_to)
            if asked is not None:
                return Context(await self.articles.get(asked.article_id), None, asked)
        latest = await self.articles.latest_article_in(msg.where)
        return Context(await self.articles.get(latest) if latest is not None else None)

    async def _maybe_question(self, msg: IncomingMessage, forced_point: int | None = None) -> None:
        ctx = await self.context_of(msg)
        if ctx.article is None:
            return  # not a channel we publish in: none of our business
        article = ctx.article.article
        reply_point = ctx.reply_to.point if ctx.reply_to else None
        verdict = classify(
            msg.text, article, thread_point=ctx.thread_point, reply_point=reply_point
        )
        if not verdict.is_question:
            return
        await self._store_question(msg, ctx.article, verdict.point, verdict.missing_point)

    async def _store_question(
        self,
        msg: IncomingMessage,
        stored: StoredArticle,
        point: int | None,
        missing: int | None,
        text: str | None = None,
    ) -> None:
        article = stored.article
        now = self.clock()
        w = msg.where
        base_key = f"in:{w.platform}:{w.channel}:{w.message}"

        # The hot path: claim, store and queue the acknowledgement in one database trip.
        def store(raw: sqlite3.Connection) -> int | None:
            if not InboundRepository.take(raw, w, now):
                return None
            if missing is not None:
                reply = texts.missing_point(article, missing)
                OutboxRepository.add(raw, _response(f"{base_key}:response:1", msg, reply), now)
                return None
            new = NewQuestion(stored.id, point, msg.author, w, text or msg.text)
            qid = QuestionRepository.add(raw, new, now)
            if qid is not None:
                ack = texts.acknowledged(qid, article, point, self.prefix)
                item = _response(f"{base_key}:ack:1", msg, ack, purpose="ack")
                OutboxRepository.add(raw, replace(item, question_id=qid, article_id=stored.id), now)
            return qid

        qid = await self.db.run(store)
        if qid is not None:
            log.info(
                "question #%d stored: article %d point %s from %s in %s/%s",
                qid,
                stored.id,
                point,
                msg.author.key,
                w.platform,
                w.channel,
            )
        self.delivery.kick()

    # commands ------------------------------------------------------------------------

    async def role_of(self, user: UserRef, msg: IncomingMessage) -> Role:
        if user.key in self.admins:
            return Role.ADMIN
        role = Role.MEMBER
        adapter = self.adapters.get(user.platform)
        if adapter is not None:
            role = max(role, await adapter.role_of(user, msg.where.container()))
        if role < Role.AUTHOR and await self.articles.is_any_author(user.key):
            role = Role.AUTHOR
        return role

    async def _command(self, msg: IncomingMessage, command: cmd.Command) -> None:
        name = type(command).__name__.lower()
        spec = cmd.COMMANDS.get(name)
        if spec is not None and spec.role > Role.MEMBER:
            role = await self.role_of(msg.author, msg)
            if role < spec.role:
                await self._reply_only(
                    msg, texts.not_allowed(f"{self.prefix}{spec.name}", spec.role.name.lower())
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
                await self._reply_only(msg, cmd.help_text(self.prefix, role))
            case cmd.Queue():
                await self._queue(msg)
            case cmd.Answer():
                await self._answer(msg, command.question_id, command.text)
            case cmd.Dismiss():
                await self._dismiss(msg, command.question_id, command.reason)
            case cmd.Reopen():
                await self._reopen(msg, command.question_id)
            case cmd.Vote():
                await self._vote(msg, command.question_id)
            case cmd.Feed():
                if self.feed_commands is None:
                    await self._reply_only(
                        msg,
                        "Managing feeds from chat is not built yet; feeds come from the config "
                        "file for now (config/bot.example.toml).",
                    )
                else:
                    await self._reply_only(msg, await self.feed_commands.handle(msg, command))
            case cmd.Unknown():
                await self._reply_only(
                    msg, texts.unknown_command(command.name, command.suggestion, self.prefix)
                )

    async def _reply_only(self, msg: IncomingMessage, text: str) -> None:
        async with self.db.transaction() as conn:
            act = _Act(self, conn, msg)
            if await self.inbound.claim(conn, msg.where, act.now):
                await act.respond(text)
        self.delivery.kick()

    async def _ask(self, msg: IncomingMessage, command: cmd.Ask) -> None:
        ctx = await self.context_of(msg)
        if ctx.article is None:
            await self._reply_only(msg, texts.no_article_here(self.prefix))
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
        await self._store_question(msg, ctx.article, point, missing, text=command.text)

    async def _articles_by_id(self, ids: set[ArticleId]) -> dict[int, Article]:
        found: dict[int, Article] = {}
        for aid in ids:
            stored = await self.articles.get(aid)
            if stored is not None:
                found[aid] = stored.article
        return found

    async def _own_questions(self, msg: IncomingMessage) -> None:
        mine = await self.questions.of_asker(msg.author)
        arts = await self._articles_by_id({q.article_id for q in mine})
        await self._reply_only(msg, texts.own_questions(mine, arts))

    async def _points(self, msg: IncomingMessage) -> None:
        ctx = await self.context_of(msg)
        if ctx.article is None:
            await self._reply_only(msg, texts.no_article_here(self.prefix))
            return
        art = ctx.article.article
        threads = await self.articles.threads_of(ctx.article.id, msg.where)
        lines = [f"Points of “{art.title}”:"]
        for p in art.points:
            state = "thread open" if p.number in threads else "no thread here"
            lines.append(f"{p.number}. {p.title} ({state})")
        if not art.points:
            lines.append("This article has no numbered points; it has one discussion thread.")
        lines.append(f"Ask with {self.prefix}ask point N <question>, or ask inside a thread.")
        await self._reply_only(msg, "\n".join(lines))

    async def _queue(self, msg: IncomingMessage) -> None:
        if msg.author.key in self.admins:
            open_qs = await self.questions.open_for_feeds(None)
        else:
            feeds = await self.articles.feeds_authored_by(msg.author.key)
            open_qs = await self.questions.open_for_feeds(feeds)
        arts = await self._articles_by_id({q.article_id for q in open_qs})
        await self._reply_only(msg, texts.queue(open_qs, arts, self.prefix))

    async def _may_act_on(self, user: UserRef, q: Question) -> bool:
        if user.key in self.admins:
            return True
        return user.key in await self.articles.authors_of_article(q.article_id)

    async def _decide(
        self,
        msg: IncomingMessage,
        qid: int,
        *,
        expected: tuple[QuestionStatus, ...],
        new: QuestionStatus,
        reason: str | None = None,
        answer: str | None = None,
    ) -> None:
        """Move a question to ``new`` (atomically), tell the asker and the author."""
        q = await self.questions.get(qid)
        if q is None:
            await self._reply_only(msg, texts.no_such_question(qid))
            return
        if not await self._may_act_on(msg.author, q):
            await self._reply_only(
                msg, f"Question #{qid} is not on an article of yours, so nothing was done."
            )
            return
        stored = await self.articles.get(q.article_id)
        assert stored is not None
        article = stored.article
        async with self.db.transaction() as conn:
            act = _Act(self, conn, msg)
            if not await self.inbound.claim(conn, msg.where, act.now):
                return
            old = await self.questions.change_status(
                conn,
                qid,
                expected=expected,
                new=new,
                actor=msg.author.key,
                now=act.now,
                reason=reason,
            )
            if old is None:
                now_status = await self.questions.status_in(conn, qid)
                await act.respond(texts.state_unchanged(qid, now_status or q.status))
                return
            if answer is not None:
                await self.questions.save_answer(conn, qid, msg.author.key, answer, act.now)
                notice = texts.answered_notice(q, article, answer)
                told = f"Answer to #{qid} sent to {q.asker.name}."
            elif new is QuestionStatus.DISMISSED:
                notice = texts.dismissed_notice(q, article, reason)
                told = f"Question #{qid} closed; {q.asker.name} was told."
            else:
                notice = texts.reopened_notice(q, article)
                told = f"Question #{qid} is open again; {q.asker.name} was told."
            await act.queue(
                OutboxItem(
                    key=f"q:{qid}:{new}:{msg.where.platform}:{msg.where.message}",
                    op="reply",
                    where=q.where,
                    message=Rendered(notice),
                    purpose="notice",
                    mention=q.asker,
                    question_id=qid,
                    article_id=q.article_id,
                )
            )
            await act.respond(told)
        self.delivery.kick()

    async def _answer(self, msg: IncomingMessage, qid: int, text: str) -> None:
        await self._decide(
            msg, qid, expected=(QuestionStatus.QUEUED,), new=QuestionStatus.ANSWERED, answer=text
        )

    async def _dismiss(self, msg: IncomingMessage, qid: int, reason: str) -> None:
        await self._decide(
            msg,
            qid,
            expected=(QuestionStatus.QUEUED,),
            new=QuestionStatus.DISMISSED,
            reason=reason or None,
        )

    async def _reopen(self, msg: IncomingMessage, qid: int) -> None:
        await self._decide(
            msg,
            qid,
            expected=(QuestionStatus.ANSWERED, QuestionStatus.DISMISSED),
            new=QuestionStatus.QUEUED,
        )

    async def _vote(self, msg: IncomingMessage, qid: int) -> None:
        q = await self.questions.get(qid)
        if q is None:
            await self._reply_only(msg, texts.no_such_question(qid))
            return
        async with self.db.transaction() as conn:
            act = _Act(self, conn, msg)
            if not await self.inbound.claim(conn, msg.where, act.now):
                return
            added = await self.questions.add_vote(conn, qid, msg.author.key, act.now)
            await act.respond(
                f"Vote counted for #{qid}." if added else f"You had already voted for #{qid}."
            )
        self.delivery.kick()
