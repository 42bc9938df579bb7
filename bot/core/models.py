"""Frozen value types the core speaks in. Platform ids stay opaque strings.

Nothing here imports a platform library: adapters translate their events into these
types on the way in, and these types into platform calls on the way out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import NewType

Platform = NewType("Platform", str)
"""'console', 'matrix', 'discord': the adapter that owns an id."""

ArticleId = NewType("ArticleId", int)
QuestionId = NewType("QuestionId", int)
FeedId = NewType("FeedId", int)


class Role(enum.IntEnum):
    """What a person may do; higher includes lower."""

    MEMBER = 0
    AUTHOR = 1
    ADMIN = 2


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where something is or was said.

    ``channel`` is a Discord channel id or a Matrix room id; ``thread`` is a Discord thread
    (channel) id or a Matrix thread root event id; ``message`` is one message in there.

    ``server`` is the server the channel belongs to, where the platform's links to a message
    name it: a Discord guild id, or ``@me`` for a direct message (Discord's own spelling in
    ``https://discord.com/channels/<server>/<channel>/<message>``). None where it is not
    known (questions stored before migration 0016, a channel discord.py could not place)
    or not needed (a Matrix room id stands alone). It locates, it does not identify:
    Discord channel ids are unique across servers, so two refs differing only in
    ``server`` are the same place (it is left out of equality and hashing).
    """

    platform: Platform
    channel: str
    thread: str | None = None
    message: str | None = None
    server: str | None = field(default=None, compare=False)

    def container(self) -> ChatRef:
        """The channel or thread this ref lives in, without the message."""
        return ChatRef(self.platform, self.channel, self.thread, server=self.server)

    def in_thread(self, thread: str) -> ChatRef:
        return ChatRef(self.platform, self.channel, thread, server=self.server)


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person; identity is ``(platform, id)``, ``display`` is only for showing."""

    platform: Platform
    id: str
    display: str = ""

    @property
    def key(self) -> str:
        """``platform:id``, the form used in config files and storage."""
        return f"{self.platform}:{self.id}"

    @property
    def name(self) -> str:
        return self.display or self.id

    def same_person(self, other: UserRef) -> bool:
        return self.platform == other.platform and self.id == other.id


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A chat message as the core sees it, whatever platform it came from."""

    author: UserRef
    where: ChatRef  # with ``message`` set to this message's own id
    text: str
    reply_to: ChatRef | None = None
    mentions_bot: bool = False
    is_direct: bool = False
    # The platform shows the bot's replies to this message to its sender alone (a Discord
    # slash command's ephemeral response), wherever it was sent: a sign-in link may go there.
    private_reply: bool = False


@dataclass(frozen=True, slots=True)
class MessageEdited:
    """A person edited an earlier message; ``where.message`` is the original's id."""

    author: UserRef
    where: ChatRef
    text: str


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    """A message was deleted (Discord) or redacted (Matrix); ``by`` may be a moderator."""

    where: ChatRef
    by: UserRef | None = None


@dataclass(frozen=True, slots=True)
class ReactionAdded:
    """A person reacted to a message (Discord reaction, Matrix m.annotation)."""

    author: UserRef
    where: ChatRef  # the message reacted to
    emoji: str
    removed: bool = False


InboundEvent = IncomingMessage | MessageEdited | MessageDeleted | ReactionAdded
"""Everything an adapter hands the core."""


@dataclass(frozen=True, slots=True)
class Action:
    """A one-press shortcut for a text command the message already spells out.

    ``command`` is the text command with its prefix ("!separate 12"); pressing the button
    is the same as the presser typing it where the message is, with their own rights.
    """

    label: str
    command: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """One outgoing message, in the forms adapters can use.

    ``text`` is always present and readable as it is; ``html`` is a sanitised rendering
    for platforms with rich text (Matrix ``formatted_body``); ``title``/``url`` let a
    platform show a card (a Discord embed) instead of the first line. ``actions`` may
    become buttons (Discord); the text names their commands, so platforms without buttons
    ignore them. ``announce`` is who the message deliberately mentions, once: ``role:<id>``
    or ``here`` (Discord), ``room`` (Matrix); the adapter lets that one mention through and
    no other (only a new article's summary carries one; see bot.core.announce).
    """

    text: str
    html: str | None = None
    title: str | None = None
    url: str | None = None
    actions: tuple[Action, ...] = ()
    # The article's lead image (an http(s) URL) shown with it: Discord's embed image, a
    # Matrix m.image, a line on the console.
    image: str | None = None
    announce: str | None = None
    # For its addressee's eyes only (a sign-in link): the core queues it only as a reply in
    # a direct chat or to a message with ``private_reply``; an adapter that can no longer
    # answer privately (an expired interaction) gives it up rather than post it in public.
    private: bool = False


@dataclass(frozen=True, slots=True)
class Point:
    number: int
    title: str
    body: str
    # How the article announced it: "" for a number ("3.", "<ol>"), the marker word for
    # "Step 3:" / "Rule 3:" ("step", "rule"), "ordinal" for "Third, ...".
    marker: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    """An article split into its parts. ``points`` is empty for an unnumbered article."""

    title: str
    link: str = ""
    author: str = ""
    subtitle: str = ""
    intro: str = ""
    points: tuple[Point, ...] = ()
    conclusion: str = ""
    image: str | None = None  # the lead image's http(s) URL, from the feed

    def point(self, number: int) -> Point | None:
        for p in self.points:
            if p.number == number:
                return p
        return None

    @property
    def point_numbers(self) -> tuple[int, ...]:
        return tuple(p.number for p in self.points)


class QuestionStatus(enum.StrEnum):
    QUEUED = "queued"
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Question:
    id: QuestionId
    article_id: ArticleId
    point: int | None
    asker: UserRef
    where: ChatRef
    text: str
    status: QuestionStatus
    asked_at: datetime
    votes: int = 0
    answer: str | None = None
    reason: str | None = None
    merged_into: QuestionId | None = None  # a duplicate folded into that question
    anonymous: bool = False  # shown to the author as "a reader"

    @property
    def asker_label(self) -> str:
        """How the author sees the asker."""
        return "a reader" if self.anonymous else self.asker.name
