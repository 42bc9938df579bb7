"""Each point's open questions, kept in memory for the duplicate check at intake.

Every new question is compared with the open, unmerged questions on its point. Reading them
all from SQLite and scoring each one, per message, made intake slow and capped how many could
be compared; this index keeps, per ``(article, point)``, the distinct open texts (with the
oldest question asking each) and an inverted index from each text's terms
(:func:`bot.core.duplicates.terms`) to the texts using them. A new question is scored only
against the texts it shares a term with, which are the only ones that can score above 0.

It stays correct without any write path telling it anything: triggers (migration 0006)
give each ``(article, point)`` a new random token whenever a question there is added,
edited, answered, dismissed, merged, unmerged or deleted, and a copy is used only while its
token is the one in the database (one indexed read). A rolled-back transaction restores the
old token, which no copy made inside it holds. The one shortcut: the transaction that adds
a question calls :meth:`OpenQuestionIndex.added` right after its own writes, so the next
question does not reload the set it just grew.

All methods run on the database thread, inside a ``Database.run`` transaction; the index
is only ever touched from there, one call at a time.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from bot.core.duplicates import terms

_TOKEN = "SELECT token FROM open_question_sets WHERE article_id = ? AND point = ?"


@dataclass(slots=True)
class OpenSet:
    """One point's open, unmerged questions, as of ``token``."""

    key: tuple[int, int]
    point: int | None
    token: bytes | None
    oldest: dict[str, int] = field(default_factory=dict)  # text -> the oldest open id asking it
    by_term: dict[str, set[str]] = field(default_factory=dict)  # term -> texts using it

    def add(self, qid: int, text: str) -> None:
        if text in self.oldest:
            self.oldest[text] = min(self.oldest[text], qid)
            return
        self.oldest[text] = qid
        for term in terms(text):
            self.by_term.setdefault(term, set()).add(text)

    def candidates(self, text: str) -> list[tuple[int, int | None, str]]:
        """``(id, point, text)`` of the open questions sharing a term with ``text``: one per
        distinct text, the oldest question asking it."""
        texts: set[str] = set()
        for term in terms(text):
            texts |= self.by_term.get(term, set())
        return [(self.oldest[t], self.point, t) for t in texts]


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
