"""Outgoing Discord messages, built from the core's :class:`Rendered`. Pure; no I/O.

Every text the bot sends is treated as literal: Markdown is escaped (so ``*``, ``_``,
masked links or headings in a feed or in quoted user text show as typed), mentions are
broken with a zero-width space (``@everyone``, ``@here``, ``<@id>``, ``<@&id>``), and each
send carries ``allowed_mentions`` so that, whatever slips through, only the person the bot
answers can be pinged. The one formatting kept is a line starting with ``> `` (the core's
quote of a question), which renders as a quote block and cannot ping anyone.

A message's actions become buttons whose ``custom_id`` carries the text command they stand
for (``pointbot:cmd:separate 12``), so a press can be handled from the id alone, by any
process, after any restart (``slash.SlashCommands.pressed``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

import discord

from bot.core.models import Action, Rendered, UserRef
from bot.core.parsing.textutil import cut_words

CONTENT_LIMIT = 2000  # characters in a message's content
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000  # title + description + footer + fields, per message
THREAD_NAME_LIMIT = 100
MAX_PARTS = 4  # a longer text is cut (ending in "…") after this many messages
NONCE_LIMIT = 25  # Discord rejects longer nonces
MARK = "pointbot"  # footer prefix: "pointbot · ref <hash>", the key marker for retries
COMMAND_ID = "pointbot:cmd:"  # a button's custom_id: this, then its command without the prefix
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
MAX_BUTTONS = 25  # five rows of five

log = logging.getLogger(__name__)


def literal(text: str) -> str:
    """``text`` escaped so Discord shows it as typed and it can ping nobody."""
    out = []
    for line in text.split("\n"):
        if line.startswith("> "):  # keep the core's quote block; escape what it quotes
            out.append("> " + _escape(line[2:]))
        else:
            out.append(_escape(line))
    return "\n".join(out)


def _escape(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def nonce(key: str, part: int = 0) -> str:
    """The message nonce for an outbox key (and part): stable, at most 25 characters."""
    digest = hashlib.sha256(f"{key}\0{part}".encode()).hexdigest()
    return ("pb" + digest)[:NONCE_LIMIT]


def key_ref(key: str) -> str:
    """A short digest of an outbox key, shown in a thread opening's footer."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def footer_for(key: str) -> str:
    return f"{MARK} · ref {key_ref(key)}"


def is_web_link(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def thread_name(title: str) -> str:
    """A thread or forum post name within Discord's 1–100 characters."""
    name = " ".join(title.split()) or "Discussion"
    return cut_words(name, THREAD_NAME_LIMIT)


def split_content(text: str, limit: int = CONTENT_LIMIT, max_parts: int = MAX_PARTS) -> list[str]:
    """``text`` in messages of at most ``limit`` characters, split at line breaks (else at
    spaces); past ``max_parts`` messages the last one is cut and ends with "…"."""
    parts: list[str] = []
    rest = text.strip("\n") or "…"
    while rest:
        if len(parts) == max_parts - 1 and len(rest) > limit:
            parts.append(cut_words(rest, limit))
            break
        if len(rest) <= limit:
            parts.append(rest)
            break
        cut = rest.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut < limit // 4:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    return parts


def embed_of(message: Rendered, *, footer: str | None = None) -> discord.Embed:
    """An embed card: the title (linked when the URL is http(s)) and the text below it,
    with the article's lead image as the embed's image when it is an http(s) URL.

    The text's first line repeats the title and a line holding only the URL repeats the
    link; both are dropped since the card shows them. The description is cut to fit.
    """
    title = " ".join((message.title or "").split())
    lines = message.text.split("\n")
    if lines and title and " ".join(lines[0].split()) == title:
        lines = lines[1:]
    if message.url:
        lines = [line for line in lines if line.strip() != message.url]
    body = literal("\n".join(lines).strip("\n"))
    title_shown = cut_words(title, EMBED_TITLE_LIMIT) if title else None
    room = EMBED_TOTAL_LIMIT - len(title_shown or "") - len(footer or "")
    description = cut_words(body, min(EMBED_DESCRIPTION_LIMIT, room)) if body else None
    embed = discord.Embed(
        title=title_shown,
        url=message.url if title_shown and is_web_link(message.url) else None,
        description=description,
    )
    if message.image and is_web_link(message.image):
        embed.set_image(url=message.image)  # Discord fetches it itself; the bot never does
    if footer:
        embed.set_footer(text=footer[:EMBED_FOOTER_LIMIT])
    return embed


def plain_of(message: Rendered, *, footer: str | None = None) -> str:
    """A card as plain text, for a channel where the bot may not embed: the title first,
    then the link and the text (each once), then ``footer`` on a line of its own."""
    text = literal(message.text)
    lines = text.split("\n")
    title = literal(" ".join((message.title or "").split()))
    if title and " ".join(lines[0].split()) != title:
        lines.insert(0, title)
    if message.url and is_web_link(message.url) and message.url not in text:
        lines.insert(1, f"<{message.url}>")  # <...>: no preview of the bot's own link
    if footer:
        lines.append(footer)
    return "\n".join(lines)


def footer_of(message: discord.Message) -> str:
    """The footer text of a message's first embed, or the last line of a card sent as text
    (``plain_of``) when it is a pointbot footer; else ""."""
    if not message.embeds:
        last = message.content.rsplit("\n", 1)[-1]
        return last if last.startswith(MARK) else ""
    return message.embeds[0].footer.text or ""


def mentions_only(user: UserRef | None, *, replied_user: bool) -> discord.AllowedMentions:
    """Ping ``user`` (and the replied-to author if ``replied_user``) and no one else."""
    if user is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False,
        users=[discord.Object(id=int(user.id))],
        roles=False,
        replied_user=replied_user,
    )


def announcement(announce: str | None) -> tuple[str, discord.AllowedMentions] | None:
    """The ping a new article's summary starts with (``Rendered.announce``) and the allowed
    mentions that let exactly it through: ``role:<id>`` pings that role (``roles=[id]``),
    ``here`` pings those online (``everyone=True``: Discord files @here under it); users,
    other roles and replies are never pinged. None for anything else (a Matrix ``room``)."""
    if announce == "here":
        return "@here", discord.AllowedMentions(
            everyone=True, users=False, roles=False, replied_user=False
        )
    if announce and announce.startswith("role:") and announce[5:].isdigit():
        role = int(announce[5:])
        return f"<@&{role}>", discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(id=role)], replied_user=False
        )
    return None


def custom_id(command: str, prefix: str) -> str | None:
    """The ``custom_id`` of a button for text command ``command``, or None if it cannot be
    one. The prefix is left out, so buttons already posted keep working if it changes."""
    if not command.startswith(prefix):
        return None
    found = COMMAND_ID + " ".join(command[len(prefix) :].split())
    return found if len(COMMAND_ID) < len(found) <= CUSTOM_ID_LIMIT else None


def command_of(custom_id: str, prefix: str) -> str | None:
    """The text command a pressed button stands for; None for an id that is not ours."""
    if not custom_id.startswith(COMMAND_ID):
        return None
    command = custom_id[len(COMMAND_ID) :].strip()
    return f"{prefix}{command}" if command else None


def view_of(actions: Iterable[Action], prefix: str) -> discord.ui.View | None:
    """Buttons for ``actions`` (None when there are none).

    The view is only a layout: it is stopped before it is sent, so discord.py keeps no copy
    of it in memory; presses come back as interactions carrying the ``custom_id``.
    """
    view = discord.ui.View(timeout=None)
    seen: set[str] = set()
    for action in actions:
        cid = custom_id(action.command, prefix)
        if cid in seen:
            continue
        if cid is None or len(seen) == MAX_BUTTONS:
            why = "more than 25 buttons" if cid else "its command does not fit a button's id"
            log.warning("no button for %r: %s (the text still names it)", action.command, why)
            continue
        seen.add(cid)
        label = cut_words(" ".join(action.label.split()) or action.command, BUTTON_LABEL_LIMIT)
        view.add_item(
            discord.ui.Button(style=discord.ButtonStyle.secondary, label=label, custom_id=cid)
        )
    if not seen:
        return None
    view.stop()
    return view
