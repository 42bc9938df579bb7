"""Questions, answers, votes and the audit trail of every state change."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import (
    ArticleId,
    ChatRef,
    Platform,
    Question,
    QuestionId,
    QuestionStatus,
    UserRef,
)
from bot.storage.db import Database, from_iso, iso
from bot.storage.subscriptions import AUTHORED_BY

# Votes count once per person over a question and the duplicates merged into it; a merged
# question shows the answer of the question it was merged into.
_SELECT = (
    "SELECT q.*, a.text AS answer_text, "
    "(SELECT COUNT(DISTINCT v.voter_key) FROM votes v WHERE v.question_id = q.id "
    " OR v.question_id IN (SELECT m.id FROM questions m WHERE m.merged_into = q.id)) "
    "AS vote_count "
    "FROM questions q LEFT JOIN answers a ON a.question_id = COALESCE(q.merged_into, q.id) "
)


def question_from_row(row: sqlite3.Row) -> Question:
    return Question(
        id=QuestionId(row["id"]),
        article_id=ArticleId(row["article_id"]),
        point=row["point"],
        asker=UserRef(Platform(row["asker_platform"]), row["asker_id"], row["asker_display"]),
        where=ChatRef(Platform(row["platform"]), row["channel"], row["thread"], row["message"]),
        text=row["text"],
        status=QuestionStatus(row["status"]),
        asked_at=from_iso(row["asked_at"]),
        votes=row["vote_count"],
        answer=row["answer_text"],
        reason=row["reason"],
        merged_into=QuestionId(row["merged_into"]) if row["merged_into"] is not None else None,
        anonymous=bool(row["anonymous"]),
    )


@dataclass(frozen=True, slots=True)
class NewQuestion:
    article_id: ArticleId
    point: int | None
    asker: UserRef
    where: ChatRef
    text: str
    anonymous: bool = False
    merged_into: int | None = None


class QuestionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def add(raw: sqlite3.Connection, q: NewQuestion, now: datetime) -> QuestionId | None:
        """Store a question (inside the caller's transaction); None if this platform message
        was stored as a question before."""
        row = raw.execute(
            "INSERT INTO questions (article_id, point, asker_platform, asker_id, asker_display, "
            "platform, channel, thread, message, text, asked_at, updated_at, anonymous, "
            "merged_into) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (
                q.article_id,
                q.point,
                q.asker.platform,
                q.asker.id,
                q.asker.display,
                q.where.platform,
                q.where.channel,
                q.where.thread,
                q.where.message,
                q.text,
                iso(now),
                iso(now),
                int(q.anonymous),
                q.merged_into,
            ),
        ).fetchone()
        if row is None:
            return None
        qid = QuestionId(row[0])
        QuestionRepository.log_event(
            raw, qid, actor=q.asker.key, old=None, new=QuestionStatus.QUEUED, note=None, now=now
        )
        return qid

    async def get(self, qid: int) -> Question | None:
        row = await self.db.fetchone(_SELECT + "WHERE q.id = ?", (qid,))
        return question_from_row(row) if row else None

    async def at_message(self, ref: ChatRef) -> Question | None:
        """The question asked by this very message, if any (for reply chains and edits)."""
        if ref.message is None:
            return None
        row = await self.db.fetchone(
            _SELECT + "WHERE q.platform = ? AND q.channel = ? AND q.message = ?",
            (ref.platform, ref.channel, ref.message),
        )
        return question_from_row(row) if row else None

    async def of_asker(self, asker: UserRef, limit: int = 20) -> list[Question]:
        rows = await self.db.fetchall(
            _SELECT + "WHERE q.asker_platform = ? AND q.asker_id = ? ORDER BY q.id DESC LIMIT ?",
            (asker.platform, asker.id, limit),
        )
        return [question_from_row(r) for r in rows]

    async def open_for_author(self, user_key: str | None, limit: int = 50) -> list[Question]:
        """Queued questions asked where ``user_key``'s subscriptions post (all when None),
        most votes then oldest."""
        where = "WHERE q.status = 'queued' AND q.merged_into IS NULL "
        params: tuple[object, ...] = ()
        if user_key is not None:
            where += "AND EXISTS (SELECT 1 FROM articles ar WHERE ar.id = q.article_id AND "
            where += AUTHORED_BY.format(article="ar", question="q") + ") "
            params = (user_key,)
        rows = await self.db.fetchall(
            _SELECT + where + "ORDER BY q.article_id DESC, COALESCE(q.point, 0), "
            "vote_count DESC, q.asked_at, q.id LIMIT ?",
            (*params, limit),
        )
        return [question_from_row(r) for r in rows]

    # Writes: plain functions over the raw connection, run inside Database.run() so a
    # whole decision (claim, compare-and-set, answer, notices) is one transaction.

    @staticmethod
    def change_status(
        raw: sqlite3.Connection,
        qid: int,
        *,
        expected: tuple[QuestionStatus, ...],
        new: QuestionStatus,
        actor: str,
        now: datetime,
        reason: str | None = None,
    ) -> QuestionStatus | None:
        """Compare-and-set: move ``qid`` to ``new`` only if it is in ``expected``.

        Returns the status it had (the change happened), or None if it was not in
        ``expected`` or does not exist. Two authors racing: exactly one wins.
        """
        marks = ",".join("?" * len(expected))
        row = raw.execute(
            f"SELECT status FROM questions WHERE id = ? AND status IN ({marks})",
            (qid, *expected),
        ).fetchone()
        if row is None:
            return None
        old = QuestionStatus(row[0])
        cur = raw.execute(
            f"UPDATE questions SET status = ?, reason = ?, updated_at = ? "
            f"WHERE id = ? AND status IN ({marks})",
            (new, reason, iso(now), qid, *expected),
        )
        if cur.rowcount != 1:
            return None
        QuestionRepository.log_event(raw, qid, actor=actor, old=old, new=new, note=reason, now=now)
        return old

    @staticmethod
    def edit_text(raw: sqlite3.Connection, qid: int, text: str, actor: str, now: datetime) -> bool:
        """Replace an open question's text (the asker edited it); False if not open."""
        cur = raw.execute(
            "UPDATE questions SET text = ?, updated_at = ? WHERE id = ? AND status = 'queued' "
            "AND text != ?",
            (text, iso(now), qid, text),
        )
        if cur.rowcount != 1:
            return False
        QuestionRepository.log_event(
            raw,
            qid,
            actor=actor,
            old=QuestionStatus.QUEUED,
            new=QuestionStatus.QUEUED,
            note="edited by the asker",
            now=now,
        )
        return True

    @staticmethod
    def status(raw: sqlite3.Connection, qid: int) -> QuestionStatus | None:
        row = raw.execute("SELECT status FROM questions WHERE id = ?", (qid,)).fetchone()
        return QuestionStatus(row[0]) if row else None

    @staticmethod
    def save_answer(
        raw: sqlite3.Connection, qid: int, author_key: str, text: str, now: datetime
    ) -> None:
        raw.execute(
            "INSERT INTO answers (question_id, author_key, text, answered_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (question_id) DO UPDATE SET author_key = excluded.author_key, "
            "text = excluded.text, answered_at = excluded.answered_at",
            (qid, author_key, text, iso(now)),
        )

    @staticmethod
    def add_vote(
        raw: sqlite3.Connection, qid: int, voter_key: str, now: datetime, source: str = "command"
    ) -> bool:
        """One vote per person per question; ``source`` says how (command, reaction)."""
        cur = raw.execute(
            "INSERT INTO votes (question_id, voter_key, voted_at, source) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (qid, voter_key, iso(now), source),
        )
        return cur.rowcount == 1

    @staticmethod
    def log_event(
        raw: sqlite3.Connection,
        qid: int,
        *,
        actor: str,
        old: QuestionStatus | None,
        new: QuestionStatus,
        note: str | None,
        now: datetime,
    ) -> None:
        raw.execute(
            "INSERT INTO question_events (question_id, at, actor_key, from_status, to_status, "
            "note) VALUES (?, ?, ?, ?, ?, ?)",
            (qid, iso(now), actor, old, new, note),
        )

    @staticmethod
    def set_merged(raw: sqlite3.Connection, qid: int, into: int | None, now: datetime) -> bool:
        """Merge ``qid`` into ``into`` (None: unmerge). Only an open question moves, and only
        into an open question that is not itself merged."""
        if into is None:
            cur = raw.execute(
                "UPDATE questions SET merged_into = NULL, updated_at = ? "
                "WHERE id = ? AND merged_into IS NOT NULL",
                (iso(now), qid),
            )
            if cur.rowcount == 1:
                raw.execute("DELETE FROM votes WHERE via_question = ?", (qid,))
            return cur.rowcount == 1
        cur = raw.execute(
            "UPDATE questions SET merged_into = ?, updated_at = ? WHERE id = ? "
            "AND status = 'queued' AND merged_into IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM questions m WHERE m.merged_into = ?) "
            "AND EXISTS (SELECT 1 FROM questions t WHERE t.id = ? AND t.status = 'queued' "
            "AND t.merged_into IS NULL AND t.article_id = questions.article_id)",
            (into, iso(now), qid, qid, into),
        )
        if cur.rowcount != 1:
            return False
        # The asker of the duplicate backs the question it joins.
        raw.execute(
            "INSERT INTO votes (question_id, voter_key, voted_at, source, via_question) "
            "SELECT ?, asker_platform || ':' || asker_id, ?, 'merge', id FROM questions "
            "WHERE id = ? ON CONFLICT DO NOTHING",
            (into, iso(now), qid),
        )
        return True

    @staticmethod
    def promote_followers(raw: sqlite3.Connection, qid: int, now: datetime) -> int | None:
        """``qid`` left the queue on its own (withdrawn): the vote its merge gave (if it was a
        follower) goes, its oldest follower takes its place and the other followers follow
        that one, with the votes their merges gave. Returns the promoted question's id, or
        None if ``qid`` had no followers."""
        # A follower withdrawn on its own no longer backs the question it followed.
        raw.execute("DELETE FROM votes WHERE via_question = ?", (qid,))
        row = raw.execute("SELECT MIN(id) FROM questions WHERE merged_into = ?", (qid,)).fetchone()
        if row is None or row[0] is None:
            return None
        heir, stamp = int(row[0]), iso(now)
        raw.execute(
            "UPDATE questions SET merged_into = CASE id WHEN ? THEN NULL ELSE ? END, "
            "updated_at = ? WHERE merged_into = ?",
            (heir, heir, stamp, qid),
        )
        # The heir's own merge vote goes; the other followers' votes move to the heir.
        raw.execute("DELETE FROM votes WHERE via_question = ?", (heir,))
        raw.execute(
            "UPDATE OR IGNORE votes SET question_id = ? WHERE question_id = ? "
            "AND via_question IS NOT NULL",
            (heir, qid),
        )
        raw.execute("DELETE FROM votes WHERE question_id = ? AND via_question IS NOT NULL", (qid,))
        return heir

    async def merged_into(self, qid: int) -> list[Question]:
        """The questions merged into ``qid`` (their askers follow it)."""
        rows = await self.db.fetchall(_SELECT + "WHERE q.merged_into = ? ORDER BY q.id", (qid,))
        return [question_from_row(r) for r in rows]

    @staticmethod
    def get_in(raw: sqlite3.Connection, qid: int) -> Question | None:
        """One question, read inside the caller's transaction."""
        row = raw.execute(_SELECT + "WHERE q.id = ?", (qid,)).fetchone()
        return question_from_row(row) if row else None

    @staticmethod
    def vote_by_reaction(
        raw: sqlite3.Connection, qid: int, voter_key: str, now: datetime, *, removed: bool
    ) -> bool:
        """A 👍 added (or taken back) on the question or its acknowledgement."""
        if removed:
            cur = raw.execute(
                "DELETE FROM votes WHERE question_id = ? AND voter_key = ? AND source = 'reaction'",
                (qid, voter_key),
            )
            return cur.rowcount == 1
        return QuestionRepository.add_vote(raw, qid, voter_key, now, "reaction")

    @staticmethod
    def record_acknowledgement(raw: sqlite3.Connection, qid: int, ref: ChatRef) -> None:
        if ref.message is None:
            return
        raw.execute(
            "INSERT INTO acknowledgements (platform, channel, message, question_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ref.platform, ref.channel, ref.message, qid),
        )

    async def acknowledged_by(self, ref: ChatRef) -> int | None:
        """The question whose acknowledgement is the message ``ref``."""
        row = await self.db.fetchone(
            "SELECT question_id FROM acknowledgements WHERE platform = ? AND channel = ? "
            "AND message = ?",
            (ref.platform, ref.channel, ref.message),
        )
        return int(row[0]) if row else None

    @staticmethod
    def asked_since(raw: sqlite3.Connection, asker: UserRef, since: datetime) -> int:
        row = raw.execute(
            "SELECT COUNT(*) FROM questions WHERE asker_platform = ? AND asker_id = ? "
            "AND asked_at >= ?",
            (asker.platform, asker.id, iso(since)),
        ).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def edited_since(raw: sqlite3.Connection, asker: UserRef, since: datetime) -> int:
        """How often ``asker`` edited their questions since ``since``."""
        row = raw.execute(
            "SELECT COUNT(*) FROM question_events WHERE actor_key = ? "
            "AND note = 'edited by the asker' AND at >= ?",
            (asker.key, iso(since)),
        ).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def is_ignored(raw: sqlite3.Connection, user_key: str) -> bool:
        return (
            raw.execute("SELECT 1 FROM ignored WHERE user_key = ?", (user_key,)).fetchone()
            is not None
        )

    @staticmethod
    def set_ignored(
        raw: sqlite3.Connection, user_key: str, by: str, reason: str, now: datetime, *, on: bool
    ) -> bool:
        if not on:
            return raw.execute("DELETE FROM ignored WHERE user_key = ?", (user_key,)).rowcount == 1
        cur = raw.execute(
            "INSERT INTO ignored (user_key, added_by, added_at, reason) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (user_key, by, iso(now), reason or None),
        )
        return cur.rowcount == 1

    async def history(self, qid: int) -> list[sqlite3.Row]:
        return await self.db.fetchall(
            "SELECT * FROM question_events WHERE question_id = ? ORDER BY id", (qid,)
        )

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM questions")
        return int(row[0]) if row else 0
