"""The storage port: what the use cases need from a database, in the core's value types.

A use case opens one unit of work and reaches every aggregate through it::

    async with store.transaction() as tx:
        if await tx.inbound.take(msg.where, now):
            qid = await tx.questions.add(new, now)
            await tx.outbox.add(ack, now)

Everything inside commits together or not at all (an exception rolls it back), and no other
unit of work on the same store runs in between. ``store.read()`` is the same without
writes: a few reads seen together. Neither may be held across anything slow (a platform
call, a fetch): other units of work wait for it.

One repository per aggregate, each owning its reads, its writes and any cache it keeps:
feeds (and their fetch state, seen entries, holds, authors), articles (and points), posts
(and targets), questions (with votes, followers, audit and the open-question index), outbox,
inbound claims (and adapters' resumable state), notifications (authors' choices), FAQ.
Each is split into its reads (``...Reads``, all that ``read()`` offers) and the writes a
transaction adds, so a write outside a transaction fails type checking.

Implementations: :mod:`bot.storage.sqlite`. The contract they all meet is
``tests/storage/contract/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Protocol

from bot.core.models import (
    Article,
    ArticleId,
    ChatRef,
    FeedId,
    Question,
    QuestionId,
    QuestionStatus,
    UserRef,
)
from bot.storage.open_questions import OpenSet
from bot.storage.types import (
    DigestPref,
    EntryRecord,
    FaqMessage,
    FeedRow,
    FetchOk,
    NewQuestion,
    OutboxItem,
    OutboxRow,
    OutboxState,
    QuestionBrief,
    QuestionEvent,
    QuestionRecord,
    SeenEntry,
    StoredArticle,
    Target,
    ThreadPost,
)

# feeds -------------------------------------------------------------------------------------


class FeedReads(Protocol):
    async def get(self, feed_id: int) -> FeedRow | None: ...
    async def by_url(self, url: str) -> FeedRow | None: ...
    async def all(self) -> list[FeedRow]: ...
    async def due(self, now: datetime) -> list[FeedRow]:
        """Unpaused HTTP feeds whose next poll is now or past, the most overdue first."""

    async def next_due_at(self, now: datetime) -> datetime | None:
        """When the next unpaused HTTP feed falls due (``now`` if one never was polled)."""

    async def seen(self, feed_id: FeedId) -> dict[str, SeenEntry]: ...
    async def recent(self, feed_id: FeedId, limit: int = 5) -> list[SeenEntry]:
        """The entries seen most recently, newest first (by date, then when first seen)."""

    async def open_hold(self, feed_id: FeedId) -> tuple[int, int, datetime] | None:
        """The open held batch: ``(hold id, entries held, since)``."""

    async def authors_of_article(self, article_id: ArticleId) -> set[str]: ...
    async def authored_by(self, user_key: str) -> list[FeedId]: ...
    async def is_any_author(self, user_key: str) -> bool: ...


class Feeds(FeedReads, Protocol):
    async def ensure(self, url: str, *, title: str, source: str, now: datetime) -> FeedId:
        """The feed with this URL, created if new."""

    async def set_authors(self, feed_id: FeedId, user_keys: list[str]) -> None: ...
    async def add_authors(self, feed_id: FeedId, user_keys: Iterable[str]) -> None:
        """More people who answer questions on the feed's articles (none removed)."""

    async def record_ok(self, feed_id: FeedId, ok: FetchOk, now: datetime) -> None: ...
    async def record_failure(
        self,
        feed_id: FeedId,
        *,
        status: int | None,
        error: str,
        next_poll_at: datetime,
        now: datetime,
    ) -> int:
        """A failed read; returns the failures in a row, this one included."""

    async def pause(self, feed_id: FeedId, reason: str) -> int | None:
        """Pause an unpaused feed; returns its pause number (None: it was paused already)."""

    async def resume(self, feed_id: FeedId, now: datetime) -> bool: ...
    async def set_url(self, feed_id: FeedId, url: str) -> bool:
        """Move the feed to ``url`` (a permanent redirect); False if another feed has it."""

    async def configure(
        self,
        feed_id: FeedId,
        *,
        interval_s: int | None,
        full_article: str | None,
        backfill: int | None = None,
        added_by: str | None = None,
    ) -> None: ...
    async def mark_primed(self, feed_id: FeedId, now: datetime) -> None: ...
    async def save_entries(
        self, feed_id: FeedId, records: Iterable[EntryRecord], now: datetime
    ) -> None: ...
    async def touch_entry(
        self, feed_id: FeedId, key: str, content_hash: str, now: datetime
    ) -> None: ...
    async def create_hold(
        self, feed_id: FeedId, new_entries: int, total: int, now: datetime
    ) -> int: ...
    async def release_holds(self, feed_id: FeedId, by: str, now: datetime) -> int: ...
    async def set_site_link(self, feed_id: FeedId, link: str) -> None: ...
    async def delete(self, feed_id: FeedId) -> bool: ...


# articles and points -----------------------------------------------------------------------


class ArticleReads(Protocol):
    async def get(self, article_id: ArticleId) -> StoredArticle | None: ...
    async def content_hash(self, article_id: ArticleId) -> str | None: ...
    async def ids(self) -> list[int]: ...


class Articles(ArticleReads, Protocol):
    async def store(
        self,
        feed_id: FeedId | None,
        entry_key: str,
        article: Article,
        *,
        content_hash: str,
        published_at: datetime | None,
        now: datetime,
    ) -> tuple[ArticleId, bool]:
        """Store an article and its points; ``(id, created)``. An entry is stored once."""

    async def update(self, article_id: ArticleId, article: Article, content_hash: str) -> None:
        """The stored article follows its entry's edit (its points keep their numbers)."""


# posts and targets -------------------------------------------------------------------------


class PostReads(Protocol):
    async def targets_of(self, feed_id: FeedId) -> list[Target]: ...
    async def thread_at(self, where: ChatRef) -> ThreadPost | None:
        """The point thread ``where`` is in, if it is one of ours."""

    async def latest_article_in(self, where: ChatRef) -> ArticleId | None:
        """The article most recently posted in this channel or room."""

    async def point_threads(self, article_id: ArticleId, point: int | None) -> list[ChatRef]:
        """The threads of one point of an article, in every channel and room it went to."""

    async def threads_of(self, article_id: ArticleId, where: ChatRef) -> dict[int, ChatRef]:
        """Point number -> thread ref, for the article's threads in this channel."""

    async def summary_posts(self, article_id: ArticleId) -> list[ChatRef]: ...


class Posts(PostReads, Protocol):
    async def ensure_target(self, feed_id: FeedId, where: ChatRef) -> Target: ...
    async def record(
        self,
        *,
        article_id: ArticleId,
        target_id: int | None,
        kind: str,
        point: int,
        ref: ChatRef,
        now: datetime,
    ) -> None:
        """A summary or thread the platform confirmed."""


# questions ---------------------------------------------------------------------------------


class QuestionReads(Protocol):
    async def get(self, qid: int) -> Question | None: ...
    async def at_message(self, ref: ChatRef) -> Question | None:
        """The question asked by this very message, if any (for reply chains and edits)."""

    async def of_asker(self, asker: UserRef, limit: int = 20) -> list[Question]: ...
    async def open_for_feeds(
        self, feed_ids: list[FeedId] | None, limit: int = 50
    ) -> list[Question]:
        """Queued questions (for these feeds' articles; all when None), most votes then oldest."""

    async def merged_into(self, qid: int) -> list[Question]:
        """The questions merged into ``qid`` (their askers follow it)."""

    async def status(self, qid: int) -> QuestionStatus | None: ...
    async def acknowledged_by(self, ref: ChatRef) -> int | None:
        """The question whose acknowledgement is the message ``ref``."""

    async def asked_since(self, asker: UserRef, since: datetime) -> int: ...
    async def is_ignored(self, user_key: str) -> bool: ...
    async def history(self, qid: int) -> list[QuestionEvent]: ...
    async def count(self) -> int: ...
    async def answered_of(self, article_id: int) -> list[Question]:
        """The article's answered questions that are not duplicates folded into another."""

    async def all_of(self, article_id: int | None) -> list[QuestionRecord]:
        """Every question (of one article, or of all), oldest article first, then by id."""


class Questions(QuestionReads, Protocol):
    async def add(self, q: NewQuestion, now: datetime) -> QuestionId | None:
        """Store a question; None if this platform message was stored as a question before."""

    async def change_status(
        self,
        qid: int,
        *,
        expected: tuple[QuestionStatus, ...],
        new: QuestionStatus,
        actor: str,
        now: datetime,
        reason: str | None = None,
    ) -> QuestionStatus | None:
        """Compare-and-set: move ``qid`` to ``new`` only if it is in ``expected``; the
        status it had, or None if it was not in ``expected`` or does not exist."""

    async def edit_text(self, qid: int, text: str, actor: str, now: datetime) -> bool:
        """Replace an open question's text (the asker edited it); False if not open."""

    async def save_answer(self, qid: int, author_key: str, text: str, now: datetime) -> None: ...
    async def add_vote(
        self, qid: int, voter_key: str, now: datetime, source: str = "command"
    ) -> bool:
        """One vote per person per question; ``source`` says how (command, reaction)."""

    async def vote_by_reaction(
        self, qid: int, voter_key: str, now: datetime, *, removed: bool
    ) -> bool: ...
    async def log_event(
        self,
        qid: int,
        *,
        actor: str,
        old: QuestionStatus | None,
        new: QuestionStatus,
        note: str | None,
        now: datetime,
    ) -> None: ...
    async def set_merged(self, qid: int, into: int | None, now: datetime) -> bool:
        """Merge ``qid`` into ``into`` (None: unmerge). Only an open question moves, and only
        into an open question of the same article that is not itself merged."""

    async def promote_followers(self, qid: int, now: datetime) -> int | None:
        """``qid`` left the queue on its own: its oldest follower takes its place; the
        promoted question's id, or None if it had no followers."""

    async def record_acknowledgement(self, qid: int, ref: ChatRef) -> None: ...
    async def set_ignored(
        self, user_key: str, by: str, reason: str, now: datetime, *, on: bool
    ) -> bool: ...
    async def open_set(self, article_id: int, point: int | None) -> OpenSet:
        """The open, unmerged questions on this point as stored now (for the duplicate
        check), from the index the repository keeps."""

    async def added_to(self, s: OpenSet, qid: int, text: str, *, merged: bool) -> None:
        """Question ``qid`` was just stored on ``s``'s point, in the unit of work that got
        ``s`` and changed nothing else there: the index keeps ``s`` current."""


# outbox, inbound ---------------------------------------------------------------------------


class OutboxReads(Protocol):
    async def pending(self, limit: int = 500) -> list[OutboxRow]:
        """Undelivered rows in the order they were queued, due or not, with their actions."""

    async def next_due_at(self) -> datetime | None: ...
    async def counts(self) -> dict[str, int]: ...
    async def delivered(
        self, question_ids: list[int], *, purpose: str, op: str
    ) -> list[tuple[int, ChatRef]]:
        """Where the delivered messages about these questions landed, oldest first."""

    async def result_of(self, key: str) -> ChatRef | None:
        """Where the message with this key landed, once delivered."""

    async def of_article(self, article_id: ArticleId) -> list[OutboxState]:
        """The summary and thread messages planned for an article, wherever they go."""


class Outbox(OutboxReads, Protocol):
    async def add(self, item: OutboxItem, now: datetime) -> bool:
        """Queue ``item``; False if its key was queued before."""

    async def mark_done(self, row_id: int, ref: ChatRef | None, now: datetime) -> None: ...
    async def mark_retry(self, row_id: int, error: str, next_at: datetime) -> None: ...
    async def mark_failed(self, row_id: int, error: str) -> None: ...


class InboundReads(Protocol):
    async def get_state(self, platform: str, name: str) -> str | None: ...


class Inbound(InboundReads, Protocol):
    async def take(self, where: ChatRef, now: datetime) -> bool:
        """Record ``where.message`` as handled; False if it had been handled before."""

    async def set_state(self, platform: str, name: str, value: str) -> None: ...


# notifications, FAQ ------------------------------------------------------------------------


class NotificationReads(Protocol):
    async def brief(self, qid: int) -> QuestionBrief | None: ...
    async def authors_to_tell(self, article_id: int) -> list[tuple[str, str]]:
        """``(user_key, notify)`` of every author of the article's feed ('each' by default)."""

    async def digest_prefs(self) -> list[DigestPref]: ...
    async def new_questions_for(
        self, user_key: str, since: datetime, until: datetime
    ) -> list[QuestionBrief]:
        """Open, unmerged questions asked in ``(since, until]`` on ``user_key``'s feeds,
        not their own, by article then point (the whole article last)."""


class Notifications(NotificationReads, Protocol):
    async def mark_digested(self, user_key: str, at: datetime) -> None: ...
    async def set_pref(self, user_key: str, mode: str, at: str | None, now: datetime) -> str:
        """Store ``user_key``'s choice; returns the digest time in force."""


class FaqReads(Protocol):
    async def message(self, key: str) -> FaqMessage | None:
        """The FAQ posted with outbox key ``key``, if it was ever queued."""


class FaqStore(FaqReads, Protocol):
    async def retry_post(self, key: str, text: str, html: str | None, now: datetime) -> None:
        """Queue a FAQ post that failed for good again, with today's content."""


# the unit of work --------------------------------------------------------------------------


class Reads(Protocol):
    """What :meth:`Store.read` yields: every aggregate's reads."""

    @property
    def feeds(self) -> FeedReads: ...
    @property
    def articles(self) -> ArticleReads: ...
    @property
    def posts(self) -> PostReads: ...
    @property
    def questions(self) -> QuestionReads: ...
    @property
    def outbox(self) -> OutboxReads: ...
    @property
    def inbound(self) -> InboundReads: ...
    @property
    def notifications(self) -> NotificationReads: ...
    @property
    def faq(self) -> FaqReads: ...


class Tx(Protocol):
    """What :meth:`Store.transaction` yields: every aggregate, reads and writes."""

    @property
    def feeds(self) -> Feeds: ...
    @property
    def articles(self) -> Articles: ...
    @property
    def posts(self) -> Posts: ...
    @property
    def questions(self) -> Questions: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def inbound(self) -> Inbound: ...
    @property
    def notifications(self) -> Notifications: ...
    @property
    def faq(self) -> FaqStore: ...


class Store(Protocol):
    """A database the bot keeps everything in."""

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """One unit of work: committed on a clean exit, rolled back on an exception."""

    def read(self) -> AbstractAsyncContextManager[Reads]:
        """Reads seen together, without writes."""

    async def close(self) -> None: ...


async def open_store(path: str | Path) -> Store:
    """The store at ``path`` (a SQLite file: the one implementation so far)."""
    from bot.storage.sqlite.store import SqliteStore

    return await SqliteStore.open(path)
