"""Outgoing Matrix event content: sanitised HTML, escaped text, mention pills, relations.

Pure functions, no I/O. Every piece of text that came from a person or a feed is escaped
before it is placed in HTML, article HTML is reduced to the tags the Matrix spec lets
clients render, and no message ever pings a whole room: ``@room`` is neutralised in body
and HTML, and every message carries ``m.mentions`` (empty unless someone is mentioned), so
clients and push rules never fall back to matching keywords in the body.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from typing import Any

from bot.core.models import Rendered, UserRef

HTML_FORMAT = "org.matrix.custom.html"
MAX_DEPTH = 100  # the spec suggests clients limit nesting; deeper tags are dropped


def _names(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


# The tags and attributes the Matrix client-server spec (m.room.message, HTML) allows.
ALLOWED_TAGS = _names(
    "font del h1 h2 h3 h4 h5 h6 blockquote p a ul ol sup sub li b i u strong em s strike "
    "code hr br div table thead tbody tr th td caption pre span details summary"
)
VOID_TAGS = frozenset({"br", "hr"})
# Whose content is dropped along with the tag (never shown as text).
DROP_WITH_CONTENT = _names(
    "script style mx-reply head title iframe object embed template noscript svg math "
    "textarea select"
)
_LINK_SCHEMES = ("http://", "https://", "ftp://", "mailto:", "magnet:")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ROOM_PING = re.compile(r"@(room)\b", re.IGNORECASE)
WORD_JOINER = "\u2060"


def defuse_room_ping(text: str) -> str:
    """``@room`` becomes ``@\u2060room``: it reads the same but no client treats it as a ping."""
    return _ROOM_PING.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def _allowed_attr(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        if name == "href":
            return value.strip().lower().startswith(_LINK_SCHEMES)
        return name == "target" and value == "_blank"
    if tag == "ol":
        return name == "start" and value.isdigit()
    if tag == "code":
        return name == "class" and re.fullmatch(r"language-[\w+#-]+", value) is not None
    if tag in ("font", "span"):
        if name in ("data-mx-color", "data-mx-bg-color", "color"):
            return _COLOUR.match(value) is not None and (tag == "font" or name != "color")
        return tag == "span" and name == "data-mx-spoiler"
    return False


class _Sanitiser(HTMLParser):
    """Re-emits only allowed tags and attributes; text is re-escaped on the way out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping: list[str] = []  # inside <script> and the like

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_WITH_CONTENT:
            self.dropping.append(tag)
            return
        if self.dropping or tag not in ALLOWED_TAGS or len(self.open) >= MAX_DEPTH:
            return
        kept = "".join(
            f' {name}="{escape(value, quote=True)}"'
            for name, value in attrs
            if value is not None and _allowed_attr(tag, name, value)
        )
        self.out.append(f"<{tag}{kept}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag not in self.open:
            return  # a stray end tag: ignore rather than close something else
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(defuse_room_ping(escape(data, quote=False)))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitise_html(html: str) -> str:
    """``html`` reduced to the tags and attributes Matrix clients render, ``@room`` defused."""
    parser = _Sanitiser()
    parser.feed(html)
    return parser.result()


def text_to_html(text: str) -> str:
    """Plain text as HTML: escaped, newlines kept as ``<br>``."""
    return defuse_room_ping(escape(text, quote=False)).replace("\n", "<br>")


def pill(user: UserRef) -> str:
    """A mention pill: the link Matrix clients render as the person's name."""
    href = escape(f"https://matrix.to/#/{user.id}", quote=True)
    return f'<a href="{href}">{escape(defuse_room_ping(user.name), quote=False)}</a>'


def html_of(message: Rendered) -> str:
    """The message's HTML, sanitised, or its text turned into HTML."""
    return sanitise_html(message.html) if message.html else text_to_html(message.text)


def notice(
    message: Rendered,
    *,
    mention: UserRef | None = None,
    heading: str | None = None,
    relates_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``m.notice`` content for ``message``.

    ``heading`` is shown in bold above the message (a thread root's title); ``mention``
    puts the person's name in front, as a pill, and in ``m.mentions`` so they are notified.
    """
    body = message.text
    html = html_of(message)
    if heading is not None:
        body = f"{heading}\n\n{body}"
        html = f"<p><b>{text_to_html(heading)}</b></p>{html}"
    user_ids: list[str] = []
    if mention is not None:
        body = f"{mention.name}: {body}"
        html = f"{pill(mention)}: {html}"
        user_ids.append(mention.id)
    mentions: dict[str, Any] = {"user_ids": user_ids}
    body = defuse_room_ping(body)
    msgtype = "m.notice"
    if message.announce == "room" and mention is None:
        # The one deliberate room ping (a new article's summary where an admin set
        # announce @room): "@room" in the body for older clients, m.mentions.room for the
        # push rule; m.text because the default rules never notify for an m.notice.
        body, html = f"@room {body}", f"@room {html}"
        mentions["room"] = True
        msgtype = "m.text"
    content: dict[str, Any] = {
        "msgtype": msgtype,
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": html,
        "m.mentions": mentions,
    }
    if relates_to is not None:
        content["m.relates_to"] = relates_to
    return content


def in_thread(root: str) -> dict[str, Any]:
    """A thread continuation: clients without threads show a reply to the root."""
    return {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": root},
    }


def reply_to(message: str, thread: str | None) -> dict[str, Any]:
    """A reply to ``message``: inside ``thread`` when given, else a plain rich reply."""
    if thread is None:
        return {"m.in_reply_to": {"event_id": message}}
    return {
        "rel_type": "m.thread",
        "event_id": thread,
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": message},
    }


def replacement(original: str, message: Rendered) -> dict[str, Any]:
    """An edit of the bot's message ``original`` (``m.replace`` with ``m.new_content``)."""
    new = notice(message)
    content = notice(Rendered("* " + message.text, "* " + new["formatted_body"]))
    content["m.new_content"] = new
    content["m.relates_to"] = {"rel_type": "m.replace", "event_id": original}
    return content


def reaction(target: str, emoji: str) -> dict[str, Any]:
    """An ``m.reaction`` annotation of ``target``."""
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": emoji}}
