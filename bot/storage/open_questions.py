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

This module holds the value a use case sees (:class:`OpenSet`); the index that keeps one
per point lives behind the storage port (``Questions.open_set`` and ``added_to``; for
SQLite, :mod:`bot.storage.sqlite.open_questions`) and is touched only inside a unit of
work, one call at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.duplicates import terms


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
