"""Who is calling: sign-in links from chat, sessions, CSRF (issue 16).

``!web`` in a direct message gives an author or admin a one-time link
``<public_url>/login/<token>`` (:func:`bot.app.signin.issue_link`): used once, valid 10
minutes, at most 5 an hour per identity. Opening it spends
the link and sets a session cookie (HttpOnly, SameSite=Lax, Secure when ``public_url`` is
https). Links and sessions live in the bot's database (``tx.web``) as SHA-256 hashes of
their tokens, so a copy of the database signs nobody in; used or expired links and
expired sessions are deleted as links are issued and spent (:func:`bot.app.signin.prune`).

Every page calls :func:`require_viewer`, which reads the session and works out *again* what
the viewer may see (admin by config, author of which feeds): taking someone off a feed
takes the desk away at the next request, not at the next sign-in.

CSRF: each form carries :func:`csrf_token`, derived from the session token (HMAC), checked
by :func:`check_csrf` on every POST; SameSite=Lax is a second wall, not the only one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.app.signin import prune, token_hash
from bot.core.models import FeedId, Platform, UserRef
from bot.runtime import Bot

SESSION_COOKIE = "pointbot_session"
SESSION_TTL = timedelta(days=7)

BOT_KEY: web.AppKey[Bot] = web.AppKey("bot", Bot)
PUBLIC_URL_KEY: web.AppKey[str] = web.AppKey("public_url", str)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person and what they may see, worked out on this request."""

    identity: UserRef
    is_admin: bool
    author_of: frozenset[FeedId] = field(default_factory=frozenset)

    def may_see_feed(self, feed_id: FeedId | None) -> bool:
        return self.is_admin or (feed_id is not None and feed_id in self.author_of)


def _identity(key: str, display: str) -> UserRef:
    platform, _, uid = key.partition(":")
    return UserRef(Platform(platform), uid, display)


async def feeds_authored(bot: Bot, key: str) -> frozenset[FeedId]:
    """The feeds ``key`` is an author of, in any community's subscription."""
    found: set[FeedId] = set()
    async with bot.store.read() as r:
        for feed in await r.feeds.all():
            for sub in await r.subscriptions.of_feed(feed.id):
                if key in await r.subscriptions.authors(sub.id):
                    found.add(feed.id)
                    break
    return frozenset(found)


async def viewer_for(bot: Bot, key: str, display: str = "") -> Viewer | None:
    """The viewer ``key`` is now, or None when they are neither admin nor author."""
    is_admin = key in bot.settings.admins
    author_of = await feeds_authored(bot, key)
    if not is_admin and not author_of:
        return None
    return Viewer(_identity(key, display), is_admin, author_of)


def _session_token(request: web.Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def _plain(status: type[web.HTTPException], text: str) -> web.HTTPException:
    return status(text=text, content_type="text/plain")


async def require_viewer(request: web.Request) -> Viewer:
    """The signed-in viewer, or (raised) a redirect to the sign-in page for a browser
    that asks for HTML, 401 in plain words otherwise; 403 when the identity is no longer
    an author or admin."""
    if "viewer" in request:
        found: Viewer = request["viewer"]
        return found
    bot = request.app[BOT_KEY]
    token = _session_token(request)
    found_session = None
    if token:
        async with bot.store.read() as r:
            found_session = await r.web.session(token_hash(token), bot.clock())
    if found_session is None:
        if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
            raise web.HTTPSeeOther("/login")
        raise _plain(
            web.HTTPUnauthorized,
            "Not signed in. Send !web to the bot in a direct message for a sign-in link.",
        )
    viewer = await viewer_for(bot, *found_session)
    if viewer is None:
        raise _plain(
            web.HTTPForbidden, "You are no longer an author or admin here, so the desk is closed."
        )
    request["viewer"] = viewer
    return viewer


def csrf_token(request: web.Request) -> str:
    """The token every form of this session carries (empty when not signed in)."""
    token = _session_token(request)
    if not token:
        return ""
    return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()


def check_csrf(request: web.Request, form: Any) -> None:
    """Raise 403 in plain words unless ``form``'s ``csrf`` field matches this session's."""
    expected = csrf_token(request)
    given = str(form.get("csrf", "")) if form is not None else ""
    if not expected or not hmac.compare_digest(expected, given):
        raise _plain(
            web.HTTPForbidden,
            "This form is out of date or did not come from the desk. "
            "Reload the page and try again.",
        )


async def login(request: web.Request) -> web.StreamResponse:
    """``GET /login/<token>``: spend the link, set the session cookie, go to the desk."""
    bot = request.app[BOT_KEY]
    now = bot.clock()
    async with bot.store.transaction() as tx:
        spent = await tx.web.use_link(token_hash(request.match_info["token"]), now)
        if spent is None:
            raise _plain(
                web.HTTPForbidden,
                "This sign-in link is used up or expired (links work once, for 10 minutes). "
                "Send !web to the bot for a new one.",
            )
        session = secrets.token_urlsafe(32)
        await tx.web.add_session(token_hash(session), *spent, now + SESSION_TTL, now)
        await prune(tx.web, now)
    response = web.HTTPSeeOther("/desk")
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        secure=request.app[PUBLIC_URL_KEY].startswith("https://"),
        samesite="Lax",
    )
    raise response


async def login_help(request: web.Request) -> web.StreamResponse:
    """``GET /login``: how to sign in (there is no password)."""
    from bot.web.render import render

    return render(request, "login.html", {})


async def logout(request: web.Request) -> web.StreamResponse:
    """``POST /logout``: end every session of this identity (as ``!web logout`` does)."""
    form = await request.post()
    check_csrf(request, form)
    token = _session_token(request)
    bot = request.app[BOT_KEY]
    if token:
        async with bot.store.transaction() as tx:
            found = await tx.web.session(token_hash(token), bot.clock())
            if found is not None:
                await tx.web.end_sessions(found[0])
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
