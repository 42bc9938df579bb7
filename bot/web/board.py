"""The admin's board (part B of issue 16): so far only the "where readers are stuck" page.

Design: the board is for the bot's admins (``Viewer.is_admin``); anyone else signed in gets
403, so an author or member cannot read other communities' numbers. The stuck page draws
its charts on the server (:mod:`bot.web.charts`) from the same ``all_of`` read the export
uses, so no storage read was added to the port.

Not built yet: the feeds' health list, pause/resume/post-now forms through
:class:`bot.app.feed_admin.FeedAdmin`, and the outbox view.
"""

from __future__ import annotations

from aiohttp import web

from bot.core.models import ArticleId
from bot.runtime import Bot
from bot.web.auth import Viewer, require_viewer
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


def add_board_routes(app: web.Application, bot: Bot) -> None:
    app[BOARD_BOT_KEY] = bot
    app.router.add_get("/board/article/{article}/stuck", stuck_page)
