"""The author's desk: each article's points with their open questions, and the forms to
answer, dismiss, merge, unmerge and reopen them (issue 16).

Visibility is checked on every request: an admin sees every article, an author the
articles of the feeds they are an author of (:class:`bot.web.auth.Viewer`); any other
article is a 404, so the desk does not even say it exists. Open questions come in the order
``!queue`` gives (most votes, then oldest: the same storage query) with the same "may repeat
#N" hints (:func:`bot.app.authoring.may_repeat`).

Every form runs the very code the chat commands run: a second
:class:`~bot.app.authoring.AuthorDesk` whose replies go back to the page instead of a chat
(:class:`WebReplies`). So the rules (who may act on which question, compare-and-set of the
state, the notices to every asker, records in the point's threads, FAQ corrections) are
written once, and an answer from the page reaches the asker exactly as ``!answer`` would.
Each form carries a one-time ``nonce``: it is the "message id" the unit of work claims, so
submitting the same form twice (a double click, a reload) acts once.

Live updates: server-sent events (``GET /desk/events``). The handler compares a fingerprint
of what the page shows, read from the database every :data:`LIVE_EVERY` seconds, and sends
``changed`` when it moves; ``/static/live.js`` then fetches the page again and swaps its
``<main>``. Reading the database (not an in-process signal) is what makes it see questions
taken or answered by another bot process sharing the database. Without JavaScript the page
is an ordinary page: reload to see news.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from bot.app.authoring import ANSWER, DISMISS, REOPEN, AuthorDesk, may_repeat
from bot.app.replies import Replies, Transaction
from bot.core.faq import group_by_point
from bot.core.models import (
    Article,
    ArticleId,
    ChatRef,
    IncomingMessage,
    Platform,
    Question,
    QuestionStatus,
)
from bot.runtime import Bot
from bot.storage.types import QuestionEvent
from bot.web.auth import BOT_KEY, Viewer, check_csrf, require_viewer
from bot.web.render import render

T = TypeVar("T")

WEB = Platform("web")
LIVE_EVERY = 2.0  # seconds between two looks at the database for a live page
DESK_KEY: web.AppKey[AuthorDesk] = web.AppKey("web_desk", AuthorDesk)


class WebTransaction(Transaction):
    """A unit of work whose reply to "the message" is kept for the page, not queued."""

    __slots__ = ("said",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.said: list[str] = []

    async def respond(self, text: str, purpose: str = "response", *, private: bool = False) -> None:
        self.said.append(text)  # the page is its signed-in viewer's alone


class WebReplies(Replies):
    """:class:`Replies` for a form: the same claim and unit of work, replies to the page.

    Everything else the handler queues (notices to askers, records in threads, edits) goes
    to the outbox as from chat. ``said`` holds the replies of the last action per nonce."""

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot.store, bot.delivery, bot.clock)
        self.said: dict[str, list[str]] = {}

    async def act(
        self, msg: IncomingMessage, write: Callable[[Transaction], Awaitable[T]]
    ) -> tuple[bool, T | None]:
        now = self.clock()
        nonce = msg.where.message or ""
        async with self.store.transaction() as tx:
            if not await tx.inbound.take(msg.where, now):
                self.said[nonce] = ["That form was sent already; nothing more was done."]
                return False, None
            unit = WebTransaction(tx, now, msg)
            result = await write(unit)
        self.said[nonce] = unit.said
        self.delivery.kick()
        return True, result


def web_desk(bot: Bot) -> AuthorDesk:
    conv = bot.conversation
    desk = AuthorDesk(
        WebReplies(bot),
        prefix=conv.prefix,
        admins=conv.admins,
        can_edit=conv.desk.can_edit,
    )
    desk.observer = conv.desk.observer
    return desk


# reads -------------------------------------------------------------------------------------


async def _visible_article(bot: Bot, viewer: Viewer, article_id: int) -> Article:
    async with bot.store.read() as r:
        stored = await r.articles.get(ArticleId(article_id))
    if stored is None or not viewer.may_see_feed(stored.feed_id):
        raise web.HTTPNotFound(text="No such article on your desk.", content_type="text/plain")
    return stored.article


async def _open_questions(bot: Bot, viewer: Viewer) -> list[Question]:
    """The viewer's open questions in ``!queue`` order, on articles they may see."""
    who = None if viewer.is_admin else viewer.identity.key
    async with bot.store.read() as r:
        found = await r.questions.open_for_author(who, limit=1000)
        feeds = {
            aid: (s.feed_id if (s := await r.articles.get(ArticleId(aid))) else None)
            for aid in {q.article_id for q in found}
        }
    return [q for q in found if viewer.may_see_feed(feeds[q.article_id])]


_DISCORD_ID = re.compile(r"[0-9]{1,20}")  # a snowflake
_DISCORD_SERVER = re.compile(r"[0-9]{1,20}|@me")


def where_link(where: ChatRef, *, anonymous: bool = False) -> str | None:
    """A link to where a question was asked, where the platform has one.

    Matrix: the event (matrix.to). Discord: the message, which needs the server
    (``where.server``: the guild id, or ``@me`` in a DM), stored with questions since
    migration 0016, so older questions get none; in a thread the link names the thread,
    which Discord addresses as a channel. A ``/ask`` has no message of its own (its ref is
    the interaction): its link opens the channel or thread it was asked in.

    None for an anonymous question: the message shows its sender, whom the desk calls
    "a reader".
    """
    if anonymous or not where.message:
        return None
    if where.platform == "matrix":
        return f"https://matrix.to/#/{where.channel}/{where.message}"
    if where.platform != "discord" or not where.server:
        return None
    place = where.thread or where.channel
    if not (_DISCORD_SERVER.fullmatch(where.server) and _DISCORD_ID.fullmatch(place)):
        return None
    if _DISCORD_ID.fullmatch(where.message):
        return f"https://discord.com/channels/{where.server}/{place}/{where.message}"
    if where.message.startswith("interaction:"):
        return f"https://discord.com/channels/{where.server}/{place}"
    return None


async def desk_index(request: web.Request) -> web.StreamResponse:
    """``GET /desk``: every article with open questions, most waiting first."""
    viewer = await require_viewer(request)
    bot = request.app[BOT_KEY]
    open_qs = await _open_questions(bot, viewer)
    counts: dict[int, int] = {}
    for q in open_qs:
        counts[q.article_id] = counts.get(q.article_id, 0) + 1
    rows = []
    async with bot.store.read() as r:
        ids = await r.articles.ids()
        for aid in ids:
            stored = await r.articles.get(ArticleId(aid))
            if stored is None or not viewer.may_see_feed(stored.feed_id):
                continue
            answered = len(await r.questions.answered_of(aid))
            rows.append((aid, stored.article, counts.get(aid, 0), answered))
    rows.sort(key=lambda row: (-row[2], -row[0]))
    return render(request, "desk.html", {"rows": rows, "live": "desk", "page_url": "/desk"})


async def article_page(request: web.Request, flash: list[str] | None = None) -> web.StreamResponse:
    """``GET /desk/article/{id}``: points in order, each with its open questions ranked as
    ``!queue`` ranks them, then the answered ones (the FAQ), with each question's history."""
    viewer = await require_viewer(request)
    bot = request.app[BOT_KEY]
    aid = _int(request.match_info["article"])
    article = await _visible_article(bot, viewer, aid)
    open_qs = [q for q in await _open_questions(bot, viewer) if q.article_id == aid]
    hints = may_repeat(open_qs, {aid: article})
    async with bot.store.read() as r:
        records = await r.questions.all_of(aid)
        answered = await r.questions.answered_of(aid)
        history: dict[int, list[QuestionEvent]] = {}
        for rec in records:
            history[rec.question.id] = await r.questions.history(rec.question.id)
    closed = [
        rec.question
        for rec in records
        if rec.question.status in (QuestionStatus.DISMISSED,)
        or (rec.question.status is QuestionStatus.QUEUED and rec.question.merged_into)
    ]
    by_point: dict[int, list[Question]] = {}
    for q in open_qs:
        by_point.setdefault(q.point or 0, []).append(q)
    points = [(p.number, p.title, by_point.get(p.number, [])) for p in article.points]
    extra = sorted(n for n in by_point if n and n not in article.point_numbers)
    points += [(n, "(a point the article no longer has)", by_point[n]) for n in extra]
    if 0 in by_point:
        points.append((0, "The whole article", by_point[0]))
    return render(
        request,
        "article.html",
        {
            "aid": aid,
            "article": article,
            "points": points,
            "hints": hints,
            "faq": group_by_point(article, answered),
            "closed": closed,
            "history": history,
            "flash": flash or [],
            "nonce": secrets.token_urlsafe(12),
            "where_link": where_link,
            "live": f"article:{aid}",
            "page_url": f"/desk/article/{aid}",
        },
    )


# actions -----------------------------------------------------------------------------------


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise web.HTTPNotFound(text="No such page.", content_type="text/plain") from None


async def act(request: web.Request) -> web.StreamResponse:
    """``POST /desk/article/{article}/q/{qid}/{action}``: the chat command's code, run for
    the signed-in viewer; the page shows what the chat would have replied."""
    viewer = await require_viewer(request)
    form = await request.post()
    check_csrf(request, form)
    bot = request.app[BOT_KEY]
    aid = _int(request.match_info["article"])
    await _visible_article(bot, viewer, aid)
    qid = _int(request.match_info["qid"])
    action = request.match_info["action"]
    nonce = str(form.get("nonce", "")) or secrets.token_urlsafe(12)
    msg = IncomingMessage(
        author=viewer.identity,
        where=ChatRef(WEB, f"desk:{viewer.identity.key}", message=f"form:{nonce}"),
        text=f"(web desk: {action} #{qid})",
        is_direct=True,
    )
    desk = request.app[DESK_KEY]
    text = str(form.get("text", "")).strip()
    if action == "answer":
        if not text:
            return await article_page(request, ["An answer needs some text; nothing was done."])
        await desk.decide(msg, qid, ANSWER, answer=text)
    elif action == "dismiss":
        await desk.decide(msg, qid, DISMISS, reason=text or None)
    elif action == "reopen":
        await desk.decide(msg, qid, REOPEN)
    elif action == "merge":
        into = str(form.get("into", "")).strip().lstrip("#")
        if not into.isdigit():
            said = ["Merge needs the number of the question to merge into."]
            return await article_page(request, said)
        await desk.merge(msg, qid, int(into))
    elif action == "unmerge":
        await desk.unmerge(msg, qid)
    else:
        raise web.HTTPNotFound(text="No such action.", content_type="text/plain")
    replies = desk.replies
    said = replies.said.pop(msg.where.message or "", []) if isinstance(replies, WebReplies) else []
    return await article_page(request, said)


# live --------------------------------------------------------------------------------------


async def _fingerprint(bot: Bot, viewer: Viewer, live: str) -> str:
    h = hashlib.sha256()
    if live.startswith("article:"):
        aid = _int(live.partition(":")[2])
        await _visible_article(bot, viewer, aid)
        async with bot.store.read() as r:
            for rec in await r.questions.all_of(aid):
                q = rec.question
                h.update(f"{q.id}:{q.status}:{q.votes}:{q.merged_into}:{q.answer}|".encode())
    else:
        for q in await _open_questions(bot, viewer):
            h.update(f"{q.id}:{q.votes}|".encode())
    return h.hexdigest()


async def events(request: web.Request) -> web.StreamResponse:
    """``GET /desk/events?live=...``: server-sent events, ``changed`` when the page's
    questions change (arrive, get answered, dismissed, merged, voted for)."""
    viewer = await require_viewer(request)
    bot = request.app[BOT_KEY]
    live = request.query.get("live", "desk")
    seen = await _fingerprint(bot, viewer, live)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    await response.write(b"retry: 5000\n\n")
    every = request.app.get(LIVE_EVERY_KEY, LIVE_EVERY)
    ticks = 0
    while True:
        await asyncio.sleep(every)
        ticks += 1
        now = await _fingerprint(bot, viewer, live)
        if now != seen:
            seen = now
            await response.write(b"event: changed\ndata: {}\n\n")
        elif ticks % 10 == 0:
            await response.write(b": still here\n\n")  # proxies close quiet streams


LIVE_EVERY_KEY: web.AppKey[float] = web.AppKey("live_every", float)


def add_desk_routes(app: web.Application, bot: Bot) -> None:
    app[DESK_KEY] = web_desk(bot)
    app.router.add_get("/desk", desk_index)
    app.router.add_get("/desk/events", events)
    app.router.add_get("/desk/article/{article}", article_page)
    app.router.add_post("/desk/article/{article}/q/{qid}/{action}", act)
