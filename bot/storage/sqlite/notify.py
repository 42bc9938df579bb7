"""How authors hear of new questions: their choices, and the questions to tell them of."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.storage.sqlite import rows
from bot.storage.sqlite.db import iso
from bot.storage.sqlite.subscriptions import AUTHORED_BY
from bot.storage.types import DEFAULT_DIGEST_AT, DigestPref, QuestionBrief

_BRIEF = (
    "SELECT q.id, q.article_id, ar.title AS article_title, q.point, p.title AS point_title, "
    "q.asker_platform, q.asker_id, q.asker_display, q.anonymous, q.text, q.platform, "
    "q.channel, q.thread, q.message, q.asked_at, q.merged_into "
    "FROM questions q JOIN articles ar ON ar.id = q.article_id "
    "LEFT JOIN points p ON p.article_id = q.article_id AND p.number = q.point "
)


class SqliteNotifications:
    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def brief(self, qid: int) -> QuestionBrief | None:
        row = self._raw.execute(_BRIEF + "WHERE q.id = ?", (qid,)).fetchone()
        return rows.brief(row) if row else None

    async def authors_to_tell(
        self, article_id: int, platform: str, channel: str
    ) -> list[tuple[str, str]]:
        found = self._raw.execute(
            "SELECT DISTINCT sa.user_key, COALESCE(ap.notify, 'each') FROM subscription_authors sa "
            "JOIN targets t ON t.subscription_id = sa.subscription_id "
            "JOIN articles a ON a.feed_id = t.feed_id "
            "LEFT JOIN author_prefs ap ON ap.user_key = sa.user_key "
            "WHERE a.id = ? AND t.platform = ? AND t.channel = ? ORDER BY sa.user_key",
            (article_id, platform, channel),
        )
        return [(r[0], r[1]) for r in found]

    async def digest_prefs(self) -> list[DigestPref]:
        found = self._raw.execute(
            "SELECT user_key, digest_at, last_digest_at FROM author_prefs "
            "WHERE notify = 'digest' ORDER BY user_key"
        )
        return [rows.digest_pref(r) for r in found]

    async def new_questions_for(
        self, user_key: str, since: datetime, until: datetime
    ) -> list[QuestionBrief]:
        found = self._raw.execute(
            _BRIEF + "WHERE " + AUTHORED_BY.format(article="ar", question="q") + " "
            "AND q.asked_at > ? AND q.asked_at <= ? AND q.status = 'queued' "
            "AND q.merged_into IS NULL AND q.asker_platform || ':' || q.asker_id != ? "
            "ORDER BY q.article_id, q.point IS NULL, q.point, q.id",
            (user_key, iso(since), iso(until), user_key),
        )
        return [rows.brief(r) for r in found]

    async def mark_digested(self, user_key: str, at: datetime) -> None:
        self._raw.execute(
            "UPDATE author_prefs SET last_digest_at = ? WHERE user_key = ?", (iso(at), user_key)
        )

    async def set_pref(self, user_key: str, mode: str, at: str | None, now: datetime) -> str:
        """Switching to a digest starts its window now: the first digest lists the questions
        that came after the choice (those before were told one by one, or not at all)."""
        start = iso(now) if mode == "digest" else None
        self._raw.execute(
            "INSERT INTO author_prefs (user_key, notify, digest_at, last_digest_at) "
            "VALUES (?, ?, COALESCE(?, ?), ?) "
            "ON CONFLICT (user_key) DO UPDATE SET notify = excluded.notify, "
            "digest_at = COALESCE(?, author_prefs.digest_at), "
            "last_digest_at = CASE WHEN excluded.notify = 'digest' "
            "AND author_prefs.notify != 'digest' "
            "THEN excluded.last_digest_at ELSE author_prefs.last_digest_at END",
            (user_key, mode, at, DEFAULT_DIGEST_AT, start, at),
        )
        row = self._raw.execute(
            "SELECT digest_at FROM author_prefs WHERE user_key = ?", (user_key,)
        ).fetchone()
        return str(row[0])
