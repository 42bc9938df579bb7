"""The SQLite side of the open-question index (see :mod:`bot.storage.open_questions`):
the copy of each point's set is used while its trigger-maintained token (migration 0006)
matches the database's."""

from __future__ import annotations

import sqlite3

from bot.storage.open_questions import OpenSet

_TOKEN = "SELECT token FROM open_question_sets WHERE article_id = ? AND point = ?"


class OpenQuestionIndex:
    """Candidates for the duplicate check, per article and point (see the module doc).

    In a transaction that stores a question: ``s = index.current(raw, article, point)`` before
    writing, ``s.candidates(text)`` for the duplicate check, then ``index.added(raw, s, ...)``
    after the transaction's last write to ``questions``.
    """

    def __init__(self) -> None:
        self._sets: dict[tuple[int, int], OpenSet] = {}
        self.loads = 0  # how many times a set was read from the database (tests, bench)

    def current(self, raw: sqlite3.Connection, article_id: int, point: int | None) -> OpenSet:
        """The open questions on this point as the database has them now."""
        key = (article_id, -1 if point is None else point)
        row = raw.execute(_TOKEN, key).fetchone()
        token = row[0] if row else None
        s = self._sets.get(key)
        if s is not None and s.token == token:
            return s
        s = OpenSet(key, point, token)
        # One row per distinct text, streamed: memory follows the distinct texts, not the
        # number of open questions.
        for qid, qtext in raw.execute(
            "SELECT MIN(id), text FROM questions WHERE article_id = ? AND point IS ? "
            "AND status = 'queued' AND merged_into IS NULL GROUP BY text",
            (article_id, point),
        ):
            s.add(qid, qtext)
        self._sets[key] = s
        self.loads += 1
        return s

    @staticmethod
    def added(raw: sqlite3.Connection, s: OpenSet, qid: int, text: str, *, merged: bool) -> None:
        """Question ``qid`` was just stored on ``s``'s point (``merged``: into a duplicate),
        in the transaction that got ``s`` from :meth:`current` and changed nothing else
        there: take the new token and, if it is a question of its own, add it."""
        row = raw.execute(_TOKEN, s.key).fetchone()
        s.token = row[0] if row else None
        if not merged:
            s.add(qid, text)
