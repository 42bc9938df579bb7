"""Questions, answers, votes, followers, the audit trail and the open-question index, on
PostgreSQL.

The same statements as :mod:`bot.storage.sqlite.questions`, in PostgreSQL's words. How
races between processes are decided (READ COMMITTED):

- ``add``: the partial unique index on ``(platform, channel, message)`` and ``ON CONFLICT DO
  NOTHING``: of two processes storing the same chat message, the second waits for the
  first's commit and then inserts nothing.
- ``change_status``: one ``UPDATE .. WHERE status = ANY(expected) RETURNING`` the old status
  (read from a ``FOR UPDATE`` sub-select), so a status moves once however many processes
  try; the loser gets None, as on SQLite.
- ``set_merged``: the row being merged is locked by its UPDATE; the target's state is
  re-checked inside the same statement. Two processes merging two questions into each other
  at once could each see the other unmerged: the target is locked first (``FOR UPDATE``
  in the statement's sub-select) so the second waits and then finds the first's merge.
- votes: the primary key ``(question_id, voter_key)`` with ``ON CONFLICT DO NOTHING``.
- ``promote_followers``: the question's followers are locked (``FOR UPDATE``) before the
  heir is chosen.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.models import ChatRef, Question, QuestionId, QuestionStatus, UserRef
from bot.storage.open_questions import OpenSet
from bot.storage.postgres import rows
from bot.storage.postgres.db import Session
from bot.storage.postgres.open_questions import OpenQuestionIndex
from bot.storage.types import NewQuestion, QuestionEvent, QuestionRecord

_SELECT = (
    "SELECT q.*, a.text AS answer_text, a.answered_at AS answer_at, "
    "(SELECT COUNT(DISTINCT v.voter_key) FROM votes v WHERE v.question_id = q.id "
    " OR v.question_id IN (SELECT m.id FROM questions m WHERE m.merged_into = q.id)) "
    "AS vote_count "
    "FROM questions q LEFT JOIN answers a ON a.question_id = COALESCE(q.merged_into, q.id) "
)


def authored_by(article: str, question: str, param: int) -> str:
    """SQL: the question (alias ``question``) on the article (alias ``article``) was asked
    where a subscription the user bound at ``$param`` authors posts."""
    return (
        "EXISTS (SELECT 1 FROM targets t JOIN subscription_authors sa "
        f"ON sa.subscription_id = t.subscription_id WHERE t.feed_id = {article}.feed_id "
        f"AND t.platform = {question}.platform AND t.channel = {question}.channel "
        f"AND sa.user_key = ${param})"
    )


def _count(status: str) -> int:
    """The row count of a command tag such as ``UPDATE 1`` or ``INSERT 0 1``."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresQuestions:
    """The questions aggregate on the current unit of work's connection."""

    __slots__ = ("_index", "_s")

    def __init__(self, session: Session) -> None:
        self._s = session
        self._index = OpenQuestionIndex()

    async def _one(self, where: str, *params: object) -> Question | None:
        row = await self._s.conn.fetchrow(_SELECT + where, *params)
        return rows.question(row) if row else None

    async def _many(self, where: str, *params: object) -> list[Question]:
        return [rows.question(r) for r in await self._s.conn.fetch(_SELECT + where, *params)]

    # reads -------------------------------------------------------------------------------

    async def get(self, qid: int) -> Question | None:
        return await self._one("WHERE q.id = $1", qid)

    async def at_message(self, ref: ChatRef) -> Question | None:
        if ref.message is None:
            return None
        return await self._one(
            "WHERE q.platform = $1 AND q.channel = $2 AND q.message = $3",
            ref.platform,
            ref.channel,
            ref.message,
        )

    async def of_asker(self, asker: UserRef, limit: int = 20) -> list[Question]:
        return await self._many(
            "WHERE q.asker_platform = $1 AND q.asker_id = $2 ORDER BY q.id DESC LIMIT $3",
            asker.platform,
            asker.id,
            limit,
        )

    async def open_for_author(self, user_key: str | None, limit: int = 50) -> list[Question]:
        where = "WHERE q.status = 'queued' AND q.merged_into IS NULL "
        params: tuple[object, ...] = ()
        if user_key is not None:
            where += "AND EXISTS (SELECT 1 FROM articles ar WHERE ar.id = q.article_id AND "
            where += authored_by("ar", "q", 1) + ") "
            params = (user_key,)
        return await self._many(
            where + "ORDER BY q.article_id DESC, COALESCE(q.point, 0), "
            f"vote_count DESC, q.asked_at, q.id LIMIT ${len(params) + 1}",
            *params,
            limit,
        )

    async def merged_into(self, qid: int) -> list[Question]:
        return await self._many("WHERE q.merged_into = $1 ORDER BY q.id", qid)

    async def status(self, qid: int) -> QuestionStatus | None:
        found = await self._s.conn.fetchval("SELECT status FROM questions WHERE id = $1", qid)
        return QuestionStatus(found) if found is not None else None

    async def acknowledged_by(self, ref: ChatRef) -> int | None:
        found = await self._s.conn.fetchval(
            "SELECT question_id FROM acknowledgements WHERE platform = $1 AND channel = $2 "
            "AND message = $3",
            ref.platform,
            ref.channel,
            ref.message,
        )
        return int(found) if found is not None else None

    async def asked_since(self, asker: UserRef, since: datetime) -> int:
        return int(
            await self._s.conn.fetchval(
                "SELECT COUNT(*) FROM questions WHERE asker_platform = $1 AND asker_id = $2 "
                "AND asked_at >= $3",
                asker.platform,
                asker.id,
                since,
            )
        )

    async def edited_since(self, asker: UserRef, since: datetime) -> int:
        return int(
            await self._s.conn.fetchval(
                "SELECT COUNT(*) FROM question_events WHERE actor_key = $1 "
                "AND note = 'edited by the asker' AND at >= $2",
                asker.key,
                since,
            )
        )

    async def is_ignored(self, user_key: str) -> bool:
        found = await self._s.conn.fetchval("SELECT 1 FROM ignored WHERE user_key = $1", user_key)
        return found is not None

    async def history(self, qid: int) -> list[QuestionEvent]:
        found = await self._s.conn.fetch(
            "SELECT * FROM question_events WHERE question_id = $1 ORDER BY id", qid
        )
        return [rows.event(r) for r in found]

    async def count(self) -> int:
        return int(await self._s.conn.fetchval("SELECT COUNT(*) FROM questions"))

    async def answered_of(self, article_id: int) -> list[Question]:
        return await self._many(
            "WHERE q.article_id = $1 AND q.status = 'answered' AND q.merged_into IS NULL "
            "AND a.text IS NOT NULL ORDER BY q.id",
            article_id,
        )

    async def all_of(self, article_id: int | None) -> list[QuestionRecord]:
        if article_id is not None:
            found = await self._s.conn.fetch(
                _SELECT + "WHERE q.article_id = $1 ORDER BY q.article_id, q.id", article_id
            )
        else:
            found = await self._s.conn.fetch(_SELECT + "ORDER BY q.article_id, q.id")
        return [QuestionRecord(rows.question(r), r["answer_at"]) for r in found]

    # writes ------------------------------------------------------------------------------

    async def add(self, q: NewQuestion, now: datetime) -> QuestionId | None:
        found = await self._s.conn.fetchval(
            "INSERT INTO questions (article_id, point, asker_platform, asker_id, asker_display, "
            "platform, channel, thread, message, text, asked_at, updated_at, anonymous, "
            "merged_into, server) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, "
            "$13, $14) "
            "ON CONFLICT DO NOTHING RETURNING id",
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
            now,
            bool(q.anonymous),
            q.merged_into,
            q.where.server,
        )
        if found is None:
            return None
        qid = QuestionId(found)
        await self._log(qid, q.asker.key, None, QuestionStatus.QUEUED, None, now)
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
        wanted = [str(s) for s in expected]
        old = await self._s.conn.fetchval(
            "WITH old AS (SELECT id, status FROM questions WHERE id = $1 "
            "AND status = ANY($2::text[]) FOR UPDATE) "
            "UPDATE questions q SET status = $3, reason = $4, updated_at = $5 FROM old "
            "WHERE q.id = old.id RETURNING old.status",
            qid,
            wanted,
            str(new),
            reason,
            now,
        )
        if old is None:
            return None
        before = QuestionStatus(old)
        await self._log(qid, actor, before, new, reason, now)
        return before

    async def edit_text(self, qid: int, text: str, actor: str, now: datetime) -> bool:
        done = await self._s.conn.execute(
            "UPDATE questions SET text = $1, updated_at = $2 WHERE id = $3 "
            "AND status = 'queued' AND text != $1",
            text,
            now,
            qid,
        )
        if _count(done) != 1:
            return False
        queued = QuestionStatus.QUEUED
        await self._log(qid, actor, queued, queued, "edited by the asker", now)
        return True

    async def save_answer(self, qid: int, author_key: str, text: str, now: datetime) -> None:
        await self._s.conn.execute(
            "INSERT INTO answers (question_id, author_key, text, answered_at) "
            "VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (question_id) DO UPDATE SET author_key = excluded.author_key, "
            "text = excluded.text, answered_at = excluded.answered_at",
            qid,
            author_key,
            text,
            now,
        )

    async def _vote(self, qid: int, voter_key: str, now: datetime, source: str) -> bool:
        done = await self._s.conn.execute(
            "INSERT INTO votes (question_id, voter_key, voted_at, source) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            qid,
            voter_key,
            now,
            source,
        )
        return _count(done) == 1

    async def add_vote(
        self, qid: int, voter_key: str, now: datetime, source: str = "command"
    ) -> bool:
        return await self._vote(qid, voter_key, now, source)

    async def vote_by_reaction(
        self, qid: int, voter_key: str, now: datetime, *, removed: bool
    ) -> bool:
        if removed:
            done = await self._s.conn.execute(
                "DELETE FROM votes WHERE question_id = $1 AND voter_key = $2 "
                "AND source = 'reaction'",
                qid,
                voter_key,
            )
            return _count(done) == 1
        return await self._vote(qid, voter_key, now, "reaction")

    async def _log(  # noqa: PLR0917 (positional, as on SQLite: the hot path calls it)
        self,
        qid: int,
        actor: str,
        /,
        old: QuestionStatus | None,
        new: QuestionStatus,
        note: str | None,
        now: datetime,
    ) -> None:
        await self._s.conn.execute(
            "INSERT INTO question_events (question_id, at, actor_key, from_status, to_status, "
            "note) VALUES ($1, $2, $3, $4, $5, $6)",
            qid,
            now,
            actor,
            str(old) if old is not None else None,
            str(new),
            note,
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
        await self._log(qid, actor, old, new, note, now)

    async def set_merged(self, qid: int, into: int | None, now: datetime) -> bool:
        conn = self._s.conn
        if into is None:
            done = await conn.execute(
                "UPDATE questions SET merged_into = NULL, updated_at = $1 "
                "WHERE id = $2 AND merged_into IS NOT NULL",
                now,
                qid,
            )
            if _count(done) == 1:
                await conn.execute("DELETE FROM votes WHERE via_question = $1", qid)
            return _count(done) == 1
        # The target first, then the row: two crossing merges wait for each other in order.
        await conn.execute("SELECT 1 FROM questions WHERE id = $1 FOR UPDATE", into)
        done = await conn.execute(
            "UPDATE questions SET merged_into = $1, updated_at = $2 WHERE id = $3 "
            "AND status = 'queued' AND merged_into IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM questions m WHERE m.merged_into = $3) "
            "AND EXISTS (SELECT 1 FROM questions t WHERE t.id = $1 AND t.status = 'queued' "
            "AND t.merged_into IS NULL AND t.article_id = questions.article_id)",
            into,
            now,
            qid,
        )
        if _count(done) != 1:
            return False
        # The asker of the duplicate backs the question it joins.
        await conn.execute(
            "INSERT INTO votes (question_id, voter_key, voted_at, source, via_question) "
            "SELECT $1, asker_platform || ':' || asker_id, $2, 'merge', id FROM questions "
            "WHERE id = $3 ON CONFLICT DO NOTHING",
            into,
            now,
            qid,
        )
        return True

    async def promote_followers(self, qid: int, now: datetime) -> int | None:
        """The vote ``qid``'s own merge gave (if it was a follower) goes, its oldest follower
        takes its place and the other followers follow that one, with their merge votes."""
        conn = self._s.conn
        await conn.execute("DELETE FROM votes WHERE via_question = $1", qid)
        followers = await conn.fetch(
            "SELECT id FROM questions WHERE merged_into = $1 ORDER BY id FOR UPDATE", qid
        )
        if not followers:
            return None
        heir = int(followers[0]["id"])
        await conn.execute(
            "UPDATE questions SET merged_into = CASE id WHEN $1 THEN NULL ELSE $1 END, "
            "updated_at = $2 WHERE merged_into = $3",
            heir,
            now,
            qid,
        )
        # The heir's own merge vote goes; the other followers' votes move to the heir (a
        # voter the heir already has keeps that vote: SQLite's UPDATE OR IGNORE).
        await conn.execute("DELETE FROM votes WHERE via_question = $1", heir)
        await conn.execute(
            "UPDATE votes v SET question_id = $1 WHERE v.question_id = $2 "
            "AND v.via_question IS NOT NULL AND NOT EXISTS (SELECT 1 FROM votes h "
            "WHERE h.question_id = $1 AND h.voter_key = v.voter_key)",
            heir,
            qid,
        )
        await conn.execute(
            "DELETE FROM votes WHERE question_id = $1 AND via_question IS NOT NULL", qid
        )
        return heir

    async def record_acknowledgement(self, qid: int, ref: ChatRef) -> None:
        if ref.message is None:
            return
        await self._s.conn.execute(
            "INSERT INTO acknowledgements (platform, channel, message, question_id) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            ref.platform,
            ref.channel,
            ref.message,
            qid,
        )

    async def set_ignored(
        self, user_key: str, by: str, reason: str, now: datetime, *, on: bool
    ) -> bool:
        conn = self._s.conn
        if not on:
            done = await conn.execute("DELETE FROM ignored WHERE user_key = $1", user_key)
            return _count(done) == 1
        done = await conn.execute(
            "INSERT INTO ignored (user_key, added_by, added_at, reason) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING",
            user_key,
            by,
            now,
            reason or None,
        )
        return _count(done) == 1

    # the open-question index -------------------------------------------------------------

    async def open_set(self, article_id: int, point: int | None) -> OpenSet:
        return await self._index.current(self._s.conn, article_id, point)

    async def added_to(self, s: OpenSet, qid: int, text: str, *, merged: bool) -> None:
        await self._index.added(self._s.conn, s, qid, text, merged=merged)
