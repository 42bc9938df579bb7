"""The admin's board (part B of issue 16): feeds with health, targets and authors, the
pause/resume/post-now forms, the outbox per channel, and the "where readers are stuck" page.

Design: the board is for the bot's admins (``Viewer.is_admin``); anyone else signed in gets
403, so an author or member cannot read other communities' numbers. The stuck page draws
its charts on the server (:mod:`bot.web.charts`) from the same ``all_of`` read the export
uses, so no storage read was added to the port.

The forms run :meth:`bot.app.feed_admin.FeedAdmin.handle` with the same ``cmd.Feed`` the
chat's ``!feed pause N`` parses to, so the rules (who may, what is already paused) and the
replies are the chat's, word for word; the page shows the reply. Only bot admins reach
the board, and ``FeedAdmin`` gives a bot admin the whole bot's scope whatever the
message's place.

Retrying outbox rows show the platform's last error (``OutboxRow.last_error``). Not built
yet: community admins on the board (``Viewer`` knows only bot admins).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from aiohttp import web

from bot.app import feed_report
from bot.core import commands as cmd
from bot.core.models import ArticleId, ChatRef, IncomingMessage, Platform
from bot.runtime import Bot
from bot.storage.types import FeedRow, OutboxRow
from bot.web.auth import Viewer, check_csrf, require_viewer
from bot.web.charts import days_svg, per_day, point_counts, points_svg
from bot.web.render import render


async def require_admin(request: web.Request) -> Viewer:
    """The signed-in viewer if they are a bot admin; 403 for everyone else signed in."""
    viewer = await require_viewer(request)
    if not viewer.is_admin:
        raise web.HTTPForbidden(
            text="The board is for the bot's admins.", content_type="text/plain"
        )
    return viewer


async def stuck_page(request: web.Request) -> web.StreamResponse:
    """``GET /board/article/{article}/stuck``: questions per point (open and answered, the
    points with most questions first) and questions per day, as inline SVG."""
    await require_admin(request)
    bot: Bot = request.app[BOARD_BOT_KEY]
    try:
        aid = int(request.match_info["article"])
    except ValueError:
        raise web.HTTPNotFound(text="No such article.", content_type="text/plain") from None
    async with bot.store.read() as r:
        stored = await r.articles.get(ArticleId(aid))
        if stored is None:
            raise web.HTTPNotFound(text="No such article.", content_type="text/plain")
        records = await r.questions.all_of(aid)
    article = stored.article
    counts = point_counts([(p.number, p.title) for p in article.points], records)
    return render(
        request,
        "stuck.html",
        {
            "article": article,
            "article_id": aid,
            "counts": counts,
            "points_chart": points_svg(counts, f"Questions per point: {article.title}"),
            "days_chart": days_svg(per_day(records), f"Questions per day: {article.title}"),
        },
    )


BOARD_BOT_KEY = web.AppKey("board_bot", Bot)
FEED_ACTIONS = ("pause", "resume", "post")
BOARD_PLACE = Platform("web")


@dataclass(frozen=True, slots=True)
class FeedLine:
    """One feed as the board shows it."""

    feed: FeedRow
    health: str
    targets: list[str]
    authors: list[str]


@dataclass(slots=True)
class ChannelQueue:
    """The outbox's undelivered rows for one channel: waiting (never tried) and retrying."""

    platform: str
    channel: str
    waiting: list[OutboxRow] = field(default_factory=list)
    retrying: list[OutboxRow] = field(default_factory=list)


async def feed_lines(bot: Bot) -> list[FeedLine]:
    """Every feed with its health line (the one ``!feed list`` shows), targets, authors."""
    now = bot.clock()
    lines = []
    async with bot.store.read() as r:
        for feed in await r.feeds.all():
            targets = await r.posts.targets_of(feed.id)
            authors: set[str] = set()
            for sub in await r.subscriptions.of_feed(feed.id):
                authors.update(await r.subscriptions.authors(sub.id))
            lines.append(
                FeedLine(
                    feed,
                    feed_report.health(feed, bot.poller.interval_of(feed), now),
                    [f"{t.platform}:{t.channel}" for t in targets],
                    sorted(authors),
                )
            )
    return lines


async def outbox_by_channel(bot: Bot) -> list[ChannelQueue]:
    """Undelivered outbox rows grouped per channel, channels in first-queued order."""
    async with bot.store.read() as r:
        rows = await r.outbox.pending()
    queues: dict[tuple[str, str], ChannelQueue] = {}
    for row in rows:
        w = row.item.where
        q = queues.setdefault((w.platform, w.channel), ChannelQueue(w.platform, w.channel))
        (q.retrying if row.attempts else q.waiting).append(row)
    return list(queues.values())


async def board_page(request: web.Request, said: list[str] | None = None) -> web.Response:
    """``GET /board``: feeds with health and forms, then the outbox."""
    await require_admin(request)
    bot = request.app[BOARD_BOT_KEY]
    async with bot.store.read() as r:
        counts = await r.outbox.counts()
    return render(
        request,
        "board.html",
        {
            "feeds": await feed_lines(bot),
            "queues": await outbox_by_channel(bot),
            "counts": counts,
            "said": said or [],
        },
    )


async def board_index(request: web.Request) -> web.StreamResponse:
    return await board_page(request)


async def feed_action(request: web.Request) -> web.StreamResponse:
    """``POST /board/feed/{feed}/{action}``: ``!feed <action> <feed>`` for the admin."""
    viewer = await require_admin(request)
    form = await request.post()
    check_csrf(request, form)
    bot = request.app[BOARD_BOT_KEY]
    action = request.match_info["action"]
    fid = request.match_info["feed"]
    if action not in FEED_ACTIONS or not fid.isdigit():
        raise web.HTTPNotFound(text="No such action.", content_type="text/plain")
    nonce = secrets.token_urlsafe(12)
    msg = IncomingMessage(
        author=viewer.identity,
        where=ChatRef(BOARD_PLACE, f"board:{viewer.identity.key}", message=f"form:{nonce}"),
        text=f"!feed {action} {fid}",
        is_direct=True,
    )
    reply = await bot.feed_admin.handle(msg, cmd.Feed(action, (fid,)))
    bot.delivery.kick()
    return await board_page(request, [reply])


def add_board_routes(app: web.Application, bot: Bot) -> None:
    app[BOARD_BOT_KEY] = bot
    app.router.add_get("/board", board_index)
    app.router.add_post("/board/feed/{feed}/{action}", feed_action)
    app.router.add_get("/board/article/{article}/stuck", stuck_page)
