"""How authors hear of new questions, on PostgreSQL (see :mod:`bot.storage.sqlite.notify`)."""

from __future__ import annotations

from datetime import datetime

from bot.storage.postgres import rows
from bot.storage.postgres.db import Session
from bot.storage.postgres.questions import authored_by
from bot.storage.types import DEFAULT_DIGEST_AT, DigestPref, QuestionBrief

_BRIEF = (
    "SELECT q.id, q.article_id, ar.title AS article_title, q.point, p.title AS point_title, "
    "q.asker_platform, q.asker_id, q.asker_display, q.anonymous, q.text, q.platform, "
    "q.channel, q.thread, q.message, q.asked_at, q.merged_into "
    "FROM questions q JOIN articles ar ON ar.id = q.article_id "
    "LEFT JOIN points p ON p.article_id = q.article_id AND p.number = q.point "
)


class PostgresNotifications:
    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def brief(self, qid: int) -> QuestionBrief | None:
        row = await self._s.conn.fetchrow(_BRIEF + "WHERE q.id = $1", qid)
        return rows.brief(row) if row else None

    async def authors_to_tell(
        self, article_id: int, platform: str, channel: str
    ) -> list[tuple[str, str]]:
        found = await self._s.conn.fetch(
            "SELECT DISTINCT sa.user_key, COALESCE(ap.notify, 'each') AS notify "
            "FROM subscription_authors sa "
            "JOIN targets t ON t.subscription_id = sa.subscription_id "
            "JOIN articles a ON a.feed_id = t.feed_id "
            "LEFT JOIN author_prefs ap ON ap.user_key = sa.user_key "
            "WHERE a.id = $1 AND t.platform = $2 AND t.channel = $3 ORDER BY sa.user_key",
            article_id,
            platform,
            channel,
        )
        return [(r[0], r[1]) for r in found]

    async def digest_prefs(self) -> list[DigestPref]:
        found = await self._s.conn.fetch(
            "SELECT user_key, digest_at, last_digest_at FROM author_prefs "
            "WHERE notify = 'digest' ORDER BY user_key"
        )
        return [rows.digest_pref(r) for r in found]

    async def new_questions_for(
        self, user_key: str, since: datetime, until: datetime
    ) -> list[QuestionBrief]:
        found = await self._s.conn.fetch(
            _BRIEF + "WHERE " + authored_by("ar", "q", 1) + " "
            "AND q.asked_at > $2 AND q.asked_at <= $3 AND q.status = 'queued' "
            "AND q.merged_into IS NULL AND q.asker_platform || ':' || q.asker_id != $1 "
            "ORDER BY q.article_id, q.point IS NULL, q.point, q.id",
            user_key,
            since,
            until,
        )
        return [rows.brief(r) for r in found]

    async def mark_digested(self, user_key: str, at: datetime) -> None:
        await self._s.conn.execute(
            "UPDATE author_prefs SET last_digest_at = $1 WHERE user_key = $2", at, user_key
        )

    async def set_pref(self, user_key: str, mode: str, at: str | None, now: datetime) -> str:
        """Switching to a digest starts its window now (as on SQLite)."""
        start = now if mode == "digest" else None
        found = await self._s.conn.fetchval(
            "INSERT INTO author_prefs (user_key, notify, digest_at, last_digest_at) "
            "VALUES ($1, $2, COALESCE($3, $4), $5) "
            "ON CONFLICT (user_key) DO UPDATE SET notify = excluded.notify, "
            "digest_at = COALESCE($3, author_prefs.digest_at), "
            "last_digest_at = CASE WHEN excluded.notify = 'digest' "
            "AND author_prefs.notify != 'digest' "
            "THEN excluded.last_digest_at ELSE author_prefs.last_digest_at END "
            "RETURNING digest_at",
            user_key,
            mode,
            at,
            DEFAULT_DIGEST_AT,
            start,
        )
        return str(found)
