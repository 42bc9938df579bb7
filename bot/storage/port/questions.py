"""The port's questions (votes, followers, audit, the open-question index), authors'
notifications and FAQ messages."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.models import (
    ChatRef,
    Question,
    QuestionId,
    QuestionStatus,
    UserRef,
)
from bot.storage.open_questions import OpenSet
from bot.storage.types import (
    DigestPref,
    FaqMessage,
    NewQuestion,
    QuestionBrief,
    QuestionEvent,
    QuestionRecord,
)

# questions ---------------------------------------------------------------------------------


class QuestionReads(Protocol):
    async def get(self, qid: int) -> Question | None: ...
    async def at_message(self, ref: ChatRef) -> Question | None:
        """The question asked by this very message, if any (for reply chains and edits)."""

    async def of_asker(self, asker: UserRef, limit: int = 20) -> list[Question]: ...
    async def open_for_author(self, user_key: str | None, limit: int = 50) -> list[Question]:
        """Queued questions asked where ``user_key``'s subscriptions post (all when None),
        most votes then oldest."""

    async def merged_into(self, qid: int) -> list[Question]:
        """The questions merged into ``qid`` (their askers follow it)."""

    async def status(self, qid: int) -> QuestionStatus | None: ...
    async def acknowledged_by(self, ref: ChatRef) -> int | None:
        """The question whose acknowledgement is the message ``ref``."""

    async def asked_since(self, asker: UserRef, since: datetime) -> int: ...
    async def edited_since(self, asker: UserRef, since: datetime) -> int:
        """How often ``asker`` edited their questions since ``since``."""

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


# notifications, FAQ ------------------------------------------------------------------------


class NotificationReads(Protocol):
    async def brief(self, qid: int) -> QuestionBrief | None: ...
    async def authors_to_tell(
        self, article_id: int, platform: str, channel: str
    ) -> list[tuple[str, str]]:
        """``(user_key, notify)`` of every author of the subscription that posts the article
        in ``platform:channel`` (where the question was asked); no preference is 'each'."""

    async def digest_prefs(self) -> list[DigestPref]: ...
    async def new_questions_for(
        self, user_key: str, since: datetime, until: datetime
    ) -> list[QuestionBrief]:
        """Open, unmerged questions asked in ``(since, until]`` where ``user_key``'s
        subscriptions post, not their own, by article then point (the whole article last)."""


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
