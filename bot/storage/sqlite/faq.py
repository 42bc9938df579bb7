"""The state of a posted FAQ message in the outbox.

A FAQ message is one outbox row keyed ``faq:{article}:{platform}:{channel}`` (the post),
followed by edit rows keyed ``{that key}:edit:{n}:{digest}``. What the message shows now is
the content of the newest of those rows, so "is it up to date?" is a comparison with it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.core.models import ChatRef, Platform
from bot.storage.sqlite.db import iso
from bot.storage.types import FaqMessage


class SqliteFaq:
    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def message(self, key: str) -> FaqMessage | None:
        raw = self._raw
        post = raw.execute(
            "SELECT status, platform, result_channel, result_thread, result_message, text, html "
            "FROM outbox WHERE key = ?",
            (key,),
        ).fetchone()
        if post is None:
            return None
        prefix = f"{key}:edit:"
        # substr, not LIKE: channel ids may hold LIKE's wildcards (a Matrix room id's "_").
        edits = raw.execute(
            "SELECT text, html FROM outbox WHERE substr(key, 1, ?) = ? ORDER BY id DESC",
            (len(prefix), prefix),
        ).fetchall()
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
        self._raw.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, last_error = NULL, text = ?, "
            "html = ?, next_attempt_at = ? WHERE key = ? AND status = 'failed'",
            (text, html, iso(now), key),
        )
