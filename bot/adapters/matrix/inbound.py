"""Inbound Matrix events (as raw event dicts) translated into the core's neutral events.

Pure: the adapter passes in what it knows about the room and the sender; nothing here does
I/O, so recorded events can be replayed in unit tests. Thread relations and edits live only
in the raw ``content`` (matrix-nio has no field for them), which is why this works on dicts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.models import (
    ChatRef,
    InboundEvent,
    IncomingMessage,
    MessageDeleted,
    MessageEdited,
    Platform,
    ReactionAdded,
    UserRef,
)

PLATFORM = Platform("matrix")
TEXT_TYPES = frozenset({"m.text", "m.notice", "m.emote"})


@dataclass(frozen=True, slots=True)
class Me:
    """The bot's own identity, to skip its events and recognise mentions of it."""

    user_id: str
    display: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Ways people address the bot at the start of a message, longest first."""
        localpart = self.user_id.removeprefix("@").split(":", 1)[0]
        found = {self.user_id, localpart, self.display}
        return tuple(sorted((n for n in found if n), key=len, reverse=True))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def strip_reply_fallback(body: str) -> str:
    """Drop the ``> <@user:server> quoted text`` lines older clients put before a reply."""
    lines = body.split("\n")
    if not lines[0].startswith(("> <", "> * <")):
        return body
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    if i < len(lines) and not lines[i].strip():
        i += 1
    return "\n".join(lines[i:]) if i < len(lines) else body


def strip_leading_mention(text: str, me: Me) -> tuple[str, bool]:
    """``"pointbot: clarify point 3"`` -> ``("clarify point 3", True)``.

    The name counts as an address with an ``@`` before it or a ``:``/``,`` after it (what a
    pill or a typed mention leaves in the body), not as a plain first word.
    """
    for name in me.names:
        n = re.escape(name)
        pattern = rf"^\s*(?:@{n}(?=[\s:,]|$)[:,]?|{n}\s?[:,])\s*"
        m = re.match(pattern, text, re.IGNORECASE)
        if m:
            return text[m.end() :], True
    return text, False


def _mentions_me(content: Mapping[str, Any], body: str, me: Me) -> bool:
    if me.user_id in (_dict(content.get("m.mentions")).get("user_ids") or []):
        return True
    formatted = str(content.get("formatted_body") or "")
    return me.user_id in body or f"matrix.to/#/{me.user_id}" in formatted


def translate(
    room_id: str,
    event: Mapping[str, Any],
    *,
    me: Me,
    display: str = "",
    is_direct: bool = False,
) -> InboundEvent | None:
    """The neutral event for one room timeline event, or None if the core need not know.

    ``display`` is the sender's display name; ``is_direct`` says the room is a direct chat.
    The bot's own events, state events and unknown types give None.
    """
    sender = event.get("sender")
    event_id = event.get("event_id")
    if not isinstance(sender, str) or not isinstance(event_id, str) or sender == me.user_id:
        return None
    author = UserRef(PLATFORM, sender, display)
    content = _dict(event.get("content"))
    relates = _dict(content.get("m.relates_to"))
    kind = event.get("type")
    if kind == "m.room.redaction":
        redacts = event.get("redacts") or content.get("redacts")  # moved into content in v11
        if not isinstance(redacts, str):
            return None
        return MessageDeleted(ChatRef(PLATFORM, room_id, message=redacts), by=author)
    if kind == "m.reaction":
        target, key = relates.get("event_id"), relates.get("key")
        if relates.get("rel_type") != "m.annotation" or not isinstance(target, str):
            return None
        return ReactionAdded(author, ChatRef(PLATFORM, room_id, message=target), str(key or ""))
    if kind != "m.room.message" or content.get("msgtype") not in TEXT_TYPES:
        return None
    if relates.get("rel_type") == "m.replace":
        new = _dict(content.get("m.new_content"))
        original = relates.get("event_id")
        if not isinstance(original, str) or not isinstance(new.get("body"), str):
            return None
        text, _ = strip_leading_mention(new["body"], me)
        return MessageEdited(author, ChatRef(PLATFORM, room_id, message=original), text.strip())
    body = content.get("body")
    if not isinstance(body, str):
        return None  # a redacted message arrives with empty content
    thread: str | None = None
    replied: str | None = _dict(relates.get("m.in_reply_to")).get("event_id")
    if relates.get("rel_type") == "m.thread" and isinstance(relates.get("event_id"), str):
        thread = relates["event_id"]
        if relates.get("is_falling_back"):
            replied = None  # only there for clients without threads
    if replied is not None:
        body = strip_reply_fallback(body)
    text, addressed = strip_leading_mention(body, me)
    return IncomingMessage(
        author=author,
        where=ChatRef(PLATFORM, room_id, thread, event_id),
        text=text.strip(),
        reply_to=ChatRef(PLATFORM, room_id, thread, replied) if isinstance(replied, str) else None,
        mentions_bot=addressed or _mentions_me(content, body, me),
        is_direct=is_direct,
    )


def after_own_join(events: list[dict[str, Any]], me: Me) -> list[dict[str, Any]]:
    """The events after the bot's own (new) join: what came before is history, not news.

    The first sync after joining a room hands over recent history along with the join.
    """
    start = 0
    for i, event in enumerate(events):
        if (
            event.get("type") == "m.room.member"
            and event.get("state_key") == me.user_id
            and _dict(event.get("content")).get("membership") == "join"
            and _dict(_dict(event.get("unsigned")).get("prev_content")).get("membership") != "join"
        ):
            start = i + 1
    return events[start:]


@dataclass(frozen=True, slots=True)
class Invite:
    """What the stripped state of an invite says about the room and who sent it."""

    room_id: str
    inviter: str | None
    is_direct: bool
    encrypted: bool
    alias: str | None


def read_invite(room_id: str, state: list[dict[str, Any]], me: Me) -> Invite:
    """Summarise an invite from its stripped state events."""
    inviter: str | None = None
    is_direct = encrypted = False
    alias: str | None = None
    for event in state:
        content = _dict(event.get("content"))
        kind = event.get("type")
        if kind == "m.room.member" and event.get("state_key") == me.user_id:
            if content.get("membership") == "invite":
                inviter = event.get("sender")
                is_direct = bool(content.get("is_direct"))
        elif kind == "m.room.encryption":
            encrypted = True
        elif kind == "m.room.canonical_alias" and isinstance(content.get("alias"), str):
            alias = content["alias"]
    return Invite(room_id, inviter, is_direct, encrypted, alias)


def invite_verdict(
    invite: Invite,
    *,
    admins: frozenset[str],
    rooms: frozenset[str],
    inviter_is_author: bool = False,
    allowed: bool = True,
) -> tuple[bool, str]:
    """Whether to join, and why (in words for the log).

    ``rooms``: the configured rooms' ids (aliases resolved by the bot's own homeserver); the
    invite's own alias is the inviting server's word and counts for nothing. ``allowed``:
    the room passes the allow list (a direct chat with an admin or author always does).
    """
    key = f"{PLATFORM}:{invite.inviter}"
    if invite.room_id in rooms:
        return True, "the room is configured"
    if not allowed and not invite.is_direct:
        return False, "the room is not on [matrix] allowed_rooms or allowed_homeservers"
    if key in admins:
        return True, "the inviter is an admin"
    if invite.is_direct and inviter_is_author:
        return True, "an author asked for a direct chat"
    if invite.is_direct:
        return False, "direct chats are only for admins and authors"
    return False, "the inviter is not an admin and the room is not configured"
