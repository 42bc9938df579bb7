"""The state of a posted FAQ message in the outbox (see :mod:`bot.storage.sqlite.faq`)."""

from __future__ import annotations

from datetime import datetime

from bot.core.models import ChatRef, Platform
from bot.storage.postgres.db import Session
from bot.storage.types import FaqMessage


class PostgresFaq:
    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def message(self, key: str) -> FaqMessage | None:
        conn = self._s.conn
        post = await conn.fetchrow(
            "SELECT status, platform, result_channel, result_thread, result_message, text, html "
            "FROM outbox WHERE key = $1",
            key,
        )
        if post is None:
            return None
        prefix = f"{key}:edit:"
        # left(), not LIKE: channel ids may hold LIKE's wildcards (a Matrix room id's "_").
        edits = await conn.fetch(
            "SELECT text, html FROM outbox WHERE left(key, $1) = $2 ORDER BY id DESC",
            len(prefix),
            prefix,
        )
        landed = None
        if post["status"] == "done" and post["result_message"] is not None:
            landed = ChatRef(
                Platform(post["platform"]),
                post["result_channel"],
                post["result_thread"],
                post["result_message"],
            )
        newest = edits[0] if edits else post
        return FaqMessage(post["status"], landed, newest["text"], newest["html"], len(edits))

    async def retry_post(self, key: str, text: str, html: str | None, now: datetime) -> None:
        await self._s.conn.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, last_error = NULL, text = $1, "
            "html = $2, next_attempt_at = $3 WHERE key = $4 AND status = 'failed'",
            text,
            html,
            now,
            key,
        )
