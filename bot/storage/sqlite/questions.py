"""Questions, answers, votes, followers, the audit trail and the open-question index."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.core.models import ChatRef, Question, QuestionId, QuestionStatus, UserRef
from bot.storage.open_questions import OpenSet
from bot.storage.sqlite import rows
from bot.storage.sqlite.db import from_iso, iso
from bot.storage.sqlite.open_questions import OpenQuestionIndex
from bot.storage.sqlite.subscriptions import AUTHORED_BY
from bot.storage.types import NewQuestion, QuestionEvent, QuestionRecord

# Votes count once per person over a question and the duplicates merged into it; a merged
# question shows the answer of the question it was merged into.
_SELECT = (
    "SELECT q.*, a.text AS answer_text, a.answered_at AS answer_at, "
    "(SELECT COUNT(DISTINCT v.voter_key) FROM votes v WHERE v.question_id = q.id "
    " OR v.question_id IN (SELECT m.id FROM questions m WHERE m.merged_into = q.id)) "
    "AS vote_count "
    "FROM questions q LEFT JOIN answers a ON a.question_id = COALESCE(q.merged_into, q.id) "
)


class SqliteQuestions:
    """The questions aggregate over one connection (inside the store's unit of work)."""

    __slots__ = ("_index", "_raw")

    def __init__(self, raw: sqlite3.Connection, index: OpenQuestionIndex) -> None:
        self._raw = raw
        self._index = index

    def _one(self, where: str, params: tuple[object, ...]) -> Question | None:
        row = self._raw.execute(_SELECT + where, params).fetchone()
        return rows.question(row) if row else None

    def _many(self, where: str, params: tuple[object, ...]) -> list[Question]:
        return [rows.question(r) for r in self._raw.execute(_SELECT + where, params)]

    # reads -------------------------------------------------------------------------------

    async def get(self, qid: int) -> Question | None:
        return self._one("WHERE q.id = ?", (qid,))

    async def at_message(self, ref: ChatRef) -> Question | None:
        if ref.message is None:
            return None
        return self._one(
            "WHERE q.platform = ? AND q.channel = ? AND q.message = ?",
            (ref.platform, ref.channel, ref.message),
        )

    async def of_asker(self, asker: UserRef, limit: int = 20) -> list[Question]:
        return self._many(
            "WHERE q.asker_platform = ? AND q.asker_id = ? ORDER BY q.id DESC LIMIT ?",
            (asker.platform, asker.id, limit),
        )

    async def open_for_author(self, user_key: str | None, limit: int = 50) -> list[Question]:
        where = "WHERE q.status = 'queued' AND q.merged_into IS NULL "
        params: tuple[object, ...] = ()
        if user_key is not None:
            where += "AND EXISTS (SELECT 1 FROM articles ar WHERE ar.id = q.article_id AND "
            where += AUTHORED_BY.format(article="ar", question="q") + ") "
            params = (user_key,)
        return self._many(
            where + "ORDER BY q.article_id DESC, COALESCE(q.point, 0), "
            "vote_count DESC, q.asked_at, q.id LIMIT ?",
            (*params, limit),
        )

    async def merged_into(self, qid: int) -> list[Question]:
        return self._many("WHERE q.merged_into = ? ORDER BY q.id", (qid,))

    async def status(self, qid: int) -> QuestionStatus | None:
        row = self._raw.execute("SELECT status FROM questions WHERE id = ?", (qid,)).fetchone()
        return QuestionStatus(row[0]) if row else None

    async def acknowledged_by(self, ref: ChatRef) -> int | None:
        row = self._raw.execute(
            "SELECT question_id FROM acknowledgements WHERE platform = ? AND channel = ? "
            "AND message = ?",
            (ref.platform, ref.channel, ref.message),
        ).fetchone()
        return int(row[0]) if row else None

    async def asked_since(self, asker: UserRef, since: datetime) -> int:
        row = self._raw.execute(
            "SELECT COUNT(*) FROM questions WHERE asker_platform = ? AND asker_id = ? "
            "AND asked_at >= ?",
            (asker.platform, asker.id, iso(since)),
        ).fetchone()
        return int(row[0]) if row else 0

    async def edited_since(self, asker: UserRef, since: datetime) -> int:
        row = self._raw.execute(
            "SELECT COUNT(*) FROM question_events WHERE actor_key = ? "
            "AND note = 'edited by the asker' AND at >= ?",
            (asker.key, iso(since)),
        ).fetchone()
        return int(row[0]) if row else 0

    async def is_ignored(self, user_key: str) -> bool:
        found = self._raw.execute("SELECT 1 FROM ignored WHERE user_key = ?", (user_key,))
        return found.fetchone() is not None

    async def history(self, qid: int) -> list[QuestionEvent]:
        found = self._raw.execute(
            "SELECT * FROM question_events WHERE question_id = ? ORDER BY id", (qid,)
        )
        return [rows.event(r) for r in found]

    async def count(self) -> int:
        row = self._raw.execute("SELECT COUNT(*) FROM questions").fetchone()
        return int(row[0]) if row else 0

    async def answered_of(self, article_id: int) -> list[Question]:
        return self._many(
            "WHERE q.article_id = ? AND q.status = 'answered' AND q.merged_into IS NULL "
            "AND a.text IS NOT NULL ORDER BY q.id",
            (article_id,),
        )

    async def all_of(self, article_id: int | None) -> list[QuestionRecord]:
        where = "WHERE q.article_id = ? " if article_id is not None else ""
        params: tuple[object, ...] = (article_id,) if article_id is not None else ()
        found = self._raw.execute(_SELECT + where + "ORDER BY q.article_id, q.id", params)
        return [
            QuestionRecord(rows.question(r), from_iso(r["answer_at"]) if r["answer_at"] else None)
            for r in found
        ]

    # writes ------------------------------------------------------------------------------

    async def add(self, q: NewQuestion, now: datetime) -> QuestionId | None:
        row = self._raw.execute(
            "INSERT INTO questions (article_id, point, asker_platform, asker_id, asker_display, "
            "platform, channel, thread, message, text, asked_at, updated_at, anonymous, "
            "merged_into, server) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
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
                q.where.server,
            ),
        ).fetchone()
        if row is None:
            return None
        qid = QuestionId(row[0])
        self._log(qid, q.asker.key, None, QuestionStatus.QUEUED, None, now)
        return qid

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
        raw = self._raw
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
        self._log(qid, actor, old, new, reason, now)
        return old

    async def edit_text(self, qid: int, text: str, actor: str, now: datetime) -> bool:
        cur = self._raw.execute(
            "UPDATE questions SET text = ?, updated_at = ? WHERE id = ? AND status = 'queued' "
            "AND text != ?",
            (text, iso(now), qid, text),
        )
        if cur.rowcount != 1:
            return False
        queued = QuestionStatus.QUEUED
        self._log(qid, actor, queued, queued, "edited by the asker", now)
        return True

    async def save_answer(self, qid: int, author_key: str, text: str, now: datetime) -> None:
        self._raw.execute(
            "INSERT INTO answers (question_id, author_key, text, answered_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (question_id) DO UPDATE SET author_key = excluded.author_key, "
            "text = excluded.text, answered_at = excluded.answered_at",
            (qid, author_key, text, iso(now)),
        )

    def _vote(self, qid: int, voter_key: str, now: datetime, source: str) -> bool:
        cur = self._raw.execute(
            "INSERT INTO votes (question_id, voter_key, voted_at, source) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (qid, voter_key, iso(now), source),
        )
        return cur.rowcount == 1

    async def add_vote(
        self, qid: int, voter_key: str, now: datetime, source: str = "command"
    ) -> bool:
        return self._vote(qid, voter_key, now, source)

    async def vote_by_reaction(
        self, qid: int, voter_key: str, now: datetime, *, removed: bool
    ) -> bool:
        if removed:
            cur = self._raw.execute(
                "DELETE FROM votes WHERE question_id = ? AND voter_key = ? AND source = 'reaction'",
                (qid, voter_key),
            )
            return cur.rowcount == 1
        return self._vote(qid, voter_key, now, "reaction")

    def _log(  # noqa: PLR0917 (positional: the hot path calls it often)
        self,
        qid: int,
        actor: str,
        /,
        old: QuestionStatus | None,
        new: QuestionStatus,
        note: str | None,
        now: datetime,
    ) -> None:
        self._raw.execute(
            "INSERT INTO question_events (question_id, at, actor_key, from_status, to_status, "
            "note) VALUES (?, ?, ?, ?, ?, ?)",
            (qid, iso(now), actor, old, new, note),
        )

    async def log_event(
        self,
        qid: int,
        *,
        actor: str,
        old: QuestionStatus | None,
        new: QuestionStatus,
        note: str | None,
        now: datetime,
    ) -> None:
        self._log(qid, actor, old, new, note, now)

    async def set_merged(self, qid: int, into: int | None, now: datetime) -> bool:
        raw = self._raw
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

    async def promote_followers(self, qid: int, now: datetime) -> int | None:
        """The vote ``qid``'s own merge gave (if it was a follower) goes, its oldest follower
        takes its place and the other followers follow that one, with their merge votes."""
        raw = self._raw
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

    async def record_acknowledgement(self, qid: int, ref: ChatRef) -> None:
        if ref.message is None:
            return
        self._raw.execute(
            "INSERT INTO acknowledgements (platform, channel, message, question_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ref.platform, ref.channel, ref.message, qid),
        )

    async def set_ignored(
        self, user_key: str, by: str, reason: str, now: datetime, *, on: bool
    ) -> bool:
        raw = self._raw
        if not on:
            return raw.execute("DELETE FROM ignored WHERE user_key = ?", (user_key,)).rowcount == 1
        cur = raw.execute(
            "INSERT INTO ignored (user_key, added_by, added_at, reason) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (user_key, by, iso(now), reason or None),
        )
        return cur.rowcount == 1

    # the open-question index -------------------------------------------------------------

    async def open_set(self, article_id: int, point: int | None) -> OpenSet:
        return self._index.current(self._raw, article_id, point)

    async def added_to(self, s: OpenSet, qid: int, text: str, *, merged: bool) -> None:
        self._index.added(self._raw, s, qid, text, merged=merged)
