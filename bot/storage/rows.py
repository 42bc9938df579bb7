"""Database rows to the port's value types, for every store.

A row is anything that gives its columns by name (``sqlite3.Row``, ``asyncpg.Record``). The
one thing the drivers disagree on is how a time arrives: SQLite stores ISO 8601 text, asyncpg
gives ``timestamptz`` as an aware datetime. Each store makes one :class:`Rows` with its
decoder (``bot.storage.sqlite.rows``, ``bot.storage.postgres.rows``); a column added to a
converter here is read by both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.core.models import (
    Action,
    ArticleId,
    ChatRef,
    FeedId,
    Platform,
    Question,
    QuestionId,
    QuestionStatus,
    Rendered,
    UserRef,
)
from bot.storage.types import (
    DigestPref,
    FeedRow,
    OutboxItem,
    OutboxRow,
    OutboxState,
    QuestionBrief,
    QuestionEvent,
    SeenEntry,
    SubEntry,
    Subscription,
    Target,
)

Row = Any  # sqlite3.Row or asyncpg.Record (asyncpg ships no type information)


class Rows:
    """The converters, with ``time`` turning a stored time into an aware datetime."""

    __slots__ = ("_time",)

    def __init__(self, time: Callable[[Any], datetime]) -> None:
        self._time = time

    def _when(self, value: Any) -> datetime | None:
        return self._time(value) if value else None

    def question(self, row: Row) -> Question:
        return Question(
            id=QuestionId(row["id"]),
            article_id=ArticleId(row["article_id"]),
            point=row["point"],
            asker=UserRef(Platform(row["asker_platform"]), row["asker_id"], row["asker_display"]),
            where=ChatRef(
                Platform(row["platform"]),
                row["channel"],
                row["thread"],
                row["message"],
                server=row["server"],
            ),
            text=row["text"],
            status=QuestionStatus(row["status"]),
            asked_at=self._time(row["asked_at"]),
            votes=row["vote_count"],
            answer=row["answer_text"],
            reason=row["reason"],
            merged_into=QuestionId(row["merged_into"]) if row["merged_into"] is not None else None,
            anonymous=bool(row["anonymous"]),
        )

    def event(self, row: Row) -> QuestionEvent:
        old = row["from_status"]
        return QuestionEvent(
            at=self._time(row["at"]),
            actor_key=row["actor_key"],
            from_status=QuestionStatus(old) if old is not None else None,
            to_status=QuestionStatus(row["to_status"]),
            note=row["note"],
        )

    def brief(self, row: Row) -> QuestionBrief:
        display = row["asker_display"] or row["asker_id"]
        return QuestionBrief(
            id=row["id"],
            article_id=row["article_id"],
            article_title=row["article_title"],
            point=row["point"],
            point_title=row["point_title"],
            asker_key=f"{row['asker_platform']}:{row['asker_id']}",
            asker_label="a reader" if row["anonymous"] else display,
            text=row["text"],
            where=ChatRef(Platform(row["platform"]), row["channel"], row["thread"], row["message"]),
            asked_at=self._time(row["asked_at"]),
            merged_into=row["merged_into"],
        )

    def digest_pref(self, row: Row) -> DigestPref:
        return DigestPref(row["user_key"], row["digest_at"], self._when(row["last_digest_at"]))

    def target(self, row: Row) -> Target:
        return Target(
            row["id"],
            FeedId(row["feed_id"]),
            Platform(row["platform"]),
            row["channel"],
            row["subscription_id"],
            row["announce"],
        )

    def subscription(self, row: Row) -> Subscription:
        return Subscription(
            row["id"],
            FeedId(row["feed_id"]),
            row["community"],
            row["added_by"],
            row["backfill"],
            bool(row["paused"]),
            row["pause_reason"],
            row["max_per_day"],
            row["template"],
        )

    def outbox_row(self, row: Row, actions: tuple[Action, ...] = ()) -> OutboxRow:
        platform = Platform(row["platform"])
        mention = (
            UserRef(platform, row["mention_id"], row["mention_display"] or "")
            if row["mention_id"]
            else None
        )
        item = OutboxItem(
            key=row["key"],
            op=row["op"],
            where=ChatRef(platform, row["channel"], row["thread"], row["message"]),
            message=Rendered(
                row["text"],
                row["html"],
                row["card_title"],
                row["card_url"],
                actions,
                image=row["card_image"],
                announce=row["announce"],
                private=bool(row["private"]),
            ),
            purpose=row["purpose"],
            title=row["title"],
            mention=mention,
            article_id=row["article_id"],
            point=row["point"],
            question_id=row["question_id"],
            target_id=row["target_id"],
        )
        return OutboxRow(
            row["id"], item, row["attempts"], self._time(row["next_attempt_at"]), row["last_error"]
        )

    def outbox_state(self, row: Row) -> OutboxState:
        return OutboxState(
            Platform(row["platform"]),
            row["channel"],
            row["purpose"],
            row["status"],
            row["attempts"],
            row["last_error"],
            self._time(row["next_attempt_at"]),
        )

    def feed(self, row: Row) -> FeedRow:
        return FeedRow(
            id=FeedId(row["id"]),
            url=row["url"],
            title=row["title"],
            source=row["source"],
            added_by=row["added_by"],
            paused=bool(row["paused"]),
            pause_reason=row["pause_reason"],
            interval_s=row["interval_s"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_fetch_at=self._when(row["last_fetch_at"]),
            last_status=row["last_status"],
            last_error=row["last_error"],
            failures=row["failures"],
            next_poll_at=self._when(row["next_poll_at"]),
            site_link=row["site_link"],
            full_article=row["full_article"],
            backfill=row["backfill"],
            primed_at=self._when(row["primed_at"]),
            body_hash=row["body_hash"],
            last_ok_at=self._when(row["last_ok_at"]),
        )

    def seen_entry(self, row: Row) -> SeenEntry:
        article = row["article_id"]
        return SeenEntry(
            key=row["entry_key"],
            content_hash=row["content_hash"],
            status=row["status"],
            title=row["title"],
            link=row["link"],
            published_at=self._when(row["published_at"]),
            first_seen_at=self._time(row["first_seen_at"]),
            article_id=ArticleId(article) if article is not None else None,
            reason=row["reason"],
            hold_id=row["hold_id"],
        )

    def sub_entry(self, row: Row) -> SubEntry:
        article = row["article_id"]
        return SubEntry(
            row["subscription_id"],
            row["entry_key"],
            row["status"],
            row["reason"],
            ArticleId(article) if article is not None else None,
        )
