"""The PostgreSQL side of the open-question index (see :mod:`bot.storage.open_questions`):
the copy of each point's set is used while its trigger-maintained token (``open_question_sets``,
PostgreSQL migration 0001) matches the database's. Another process's write changes the
token too, so a copy never outlives a change made elsewhere."""

from __future__ import annotations

from typing import Any

from bot.storage.open_questions import OpenSet

_TOKEN = "SELECT token FROM open_question_sets WHERE article_id = $1 AND point = $2"


class OpenQuestionIndex:
    """Candidates for the duplicate check, per article and point (as on SQLite)."""

    def __init__(self) -> None:
        self._sets: dict[tuple[int, int], OpenSet] = {}
        self.loads = 0

    async def current(self, conn: Any, article_id: int, point: int | None) -> OpenSet:
        key = (article_id, -1 if point is None else point)
        token = await conn.fetchval(_TOKEN, *key)
        s = self._sets.get(key)
        if s is not None and s.token == token:
            return s
        s = OpenSet(key, point, token)
        for row in await conn.fetch(
            "SELECT MIN(id) AS id, text FROM questions WHERE article_id = $1 "
            "AND point IS NOT DISTINCT FROM $2 AND status = 'queued' AND merged_into IS NULL "
            "GROUP BY text",
            article_id,
            point,
        ):
            s.add(row["id"], row["text"])
        self._sets[key] = s
        self.loads += 1
        return s

    @staticmethod
    async def added(conn: Any, s: OpenSet, qid: int, text: str, *, merged: bool) -> None:
        s.token = await conn.fetchval(_TOKEN, *s.key)
        if not merged:
            s.add(qid, text)
