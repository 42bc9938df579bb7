"""The value types the storage port speaks: what the use cases hand it and get back.

Plain frozen dataclasses, no database library: a storage implementation maps its rows to
these (``bot/storage/sqlite/rows.py`` for SQLite), and nothing outside ``bot/storage/``
ever sees a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import (
    Article,
    ArticleId,
    ChatRef,
    FeedId,
    Platform,
    Question,
    QuestionStatus,
    Rendered,
    UserRef,
)

DEFAULT_DIGEST_AT = "09:00"
CONFIG = "config"  # the community of the config file's feeds' subscriptions (migration 0008)


class StorageError(Exception):
    """The database cannot be used (unreadable file, newer schema than this code, locked)."""


class BackupError(Exception):
    """A copy of the database could not be made; the message says why in plain words."""


# questions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewQuestion:
    article_id: ArticleId
    point: int | None
    asker: UserRef
    where: ChatRef
    text: str
    anonymous: bool = False
    merged_into: int | None = None


@dataclass(frozen=True, slots=True)
class QuestionEvent:
    """One entry of a question's history: who changed what, when and why."""

    at: datetime
    actor_key: str
    from_status: QuestionStatus | None
    to_status: QuestionStatus
    note: str | None


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """A question with what only the export shows: when it was answered."""

    question: Question
    answered_at: datetime | None


@dataclass(frozen=True, slots=True)
class QuestionBrief:
    """What a notice says about a question: where it is, who asked, what."""

    id: int
    article_id: int
    article_title: str
    point: int | None
    point_title: str | None
    asker_key: str
    asker_label: str  # "a reader" when asked anonymously
    text: str
    where: ChatRef
    asked_at: datetime
    merged_into: int | None


@dataclass(frozen=True, slots=True)
class DigestPref:
    user_key: str
    digest_at: str  # HH:MM, UTC
    last_digest_at: datetime | None


# articles, targets, posts ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    id: int
    feed_id: FeedId
    platform: Platform
    channel: str
    subscription_id: int | None = None
    announce: str | None = None  # 'role:<id>', 'here' or 'room': pinged on new articles

    @property
    def ref(self) -> ChatRef:
        return ChatRef(self.platform, self.channel)


@dataclass(frozen=True, slots=True)
class Subscription:
    """What one community sees of a shared feed: its targets, authors, backfill, pause.

    ``community``: ``discord:<guild id>``, ``matrix:<room id>``, ``console:<channel>``, or
    ``config`` for the config file's feeds; None while not known yet (migration 0008)."""

    id: int
    feed_id: FeedId
    community: str | None
    added_by: str | None
    backfill: int
    paused: bool
    pause_reason: str | None
    max_per_day: int | None = None  # new entries a day (UTC) at most; None: no cap
    template: str | None = None  # JSON of a bot.core.template.Template; None: the default


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: ArticleId
    feed_id: FeedId | None
    article: Article


@dataclass(frozen=True, slots=True)
class ThreadPost:
    """A point's (or a whole article's, point 0) discussion thread on one platform."""

    article_id: ArticleId
    point: int
    ref: ChatRef


# outbox ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One outgoing message, as planned before the first attempt.

    ``op``: post | open_thread | reply | react | dm | edit. ``where`` is the channel or
    thread to post in, the message to reply or react to, or (for dm) ``channel`` holds the
    user id. ``purpose`` says what the platform's ref is recorded as once delivered.
    """

    key: str
    op: str
    where: ChatRef
    message: Rendered
    purpose: str
    title: str | None = None
    mention: UserRef | None = None
    article_id: int | None = None
    point: int | None = None
    question_id: int | None = None
    target_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A queued :class:`OutboxItem` with its delivery state."""

    id: int
    item: OutboxItem
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None  # the platform's words at the last failed try


@dataclass(frozen=True, slots=True)
class OutboxState:
    """One planned message of an article, as the outbox knows it."""

    platform: Platform
    channel: str
    purpose: str
    status: str  # 'pending' | 'done' | 'failed'
    attempts: int
    last_error: str | None
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class FaqMessage:
    """The first post of a FAQ and what the message shows now."""

    status: str  # the post's outbox status: pending | done | failed
    landed: ChatRef | None  # where the post landed, once done
    text: str  # the newest content queued for it (post or edit)
    html: str | None
    edits: int  # edit rows queued so far


# feeds -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One feed as stored: where it is, how it is read, and how its last fetches went."""

    id: FeedId
    url: str
    title: str
    source: str  # 'config' | 'chat' | 'builtin'
    added_by: str | None
    paused: bool
    pause_reason: str | None
    interval_s: int | None
    etag: str | None
    last_modified: str | None
    last_fetch_at: datetime | None
    last_status: int | None
    last_error: str | None
    failures: int
    next_poll_at: datetime | None
    site_link: str
    full_article: str | None
    backfill: int
    primed_at: datetime | None
    body_hash: str | None
    last_ok_at: datetime | None

    @property
    def name(self) -> str:
        """How admins are shown the feed: its title, else its URL."""
        return self.title or self.url


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """An entry identity the feed has shown, and what became of it."""

    key: str
    content_hash: str
    status: str  # 'posted' | 'skipped' | 'held' | 'rejected'
    title: str
    link: str
    published_at: datetime | None
    first_seen_at: datetime
    article_id: ArticleId | None
    reason: str | None
    hold_id: int | None


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """What to remember about one entry after a read."""

    key: str
    content_hash: str
    title: str
    link: str
    published_at: datetime | None
    status: str
    article_id: ArticleId | None = None
    reason: str | None = None
    hold_id: int | None = None


@dataclass(frozen=True, slots=True)
class FetchOk:
    """A successful read's new fetch state (a 200 that parsed, or a 304)."""

    status: int
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    next_poll_at: datetime
    title: str = ""
    site_link: str = ""


FilterRow = tuple[str, str, str]
"""A subscription's stored filter: (kind, field, pattern); :mod:`bot.feeds.filters` reads it
(migration 0011)."""


@dataclass(frozen=True, slots=True)
class SubEntry:
    """What became of an entry in one subscription (migration 0011): 'excluded' by a filter,
    'waiting' past the daily cap, 'posted' to a capped subscription."""

    subscription_id: int
    entry_key: str
    status: str
    reason: str | None = None
    article_id: ArticleId | None = None


# What a private reply's text (a sign-in link) becomes once it is delivered or given up:
# the row stays, for its key and where it landed; the link no longer sits in the database.
PRIVATE_GONE = "(private reply: its text is deleted once it is delivered or given up)"
