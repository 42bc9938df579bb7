"""Pages from Jinja2 templates (``bot/web/templates``), autoescaped everywhere.

Every page extends ``base.html`` (layout, nav, the stylesheet from ``/static``), and gets
``viewer`` (None when not signed in), ``csrf`` (the form token) and ``nav`` (the links the
viewer may follow). No template may load anything from outside the bot: the CSP forbids it.
"""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from bot.web.auth import csrf_token

ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.web", "templates"),
    autoescape=True,  # every template, whatever its name: nothing reaches HTML unescaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(request: web.Request, template: str, context: dict[str, Any]) -> str:
    viewer = request.get("viewer")
    nav = [("/desk", "Desk")]
    if viewer is not None and viewer.is_admin:
        nav.append(("/board", "Board"))
    full = {"viewer": viewer, "csrf": csrf_token(request), "nav": nav, "path": request.path}
    full.update(context)
    return ENV.get_template(template).render(full)


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    return web.Response(
        text=page(request, template, context), status=status, content_type="text/html"
    )
