"""The web desk against a real Bot over real SQLite, through aiohttp's test client:
sign-in links from chat, sessions, CSRF, who sees which article, escaping, and forms that
run the chat commands' code (the asker hears of an answer from the page exactly as from
``!answer``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import texts
from bot.config import WebSettings
from bot.core.models import (
    ArticleId,
    ChatRef,
    FeedId,
    IncomingMessage,
    Platform,
    QuestionStatus,
    UserRef,
)
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from bot.web.desk import LIVE_EVERY_KEY, where_link
from bot.web.server import CSP, build_app
from tests.conftest import Clock, seed_settings
from tests.fakes import FakeChatAdapter
from tests.reads import reads

SEED_Q3 = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
PUBLIC = "http://desk.test"
HTML = {"Accept": "text/html"}


@dataclass
class Desk:
    bot: Bot
    fake: FakeChatAdapter
    clock: Clock
    client: TestClient
    dms: int = 0

    async def dm(self, who: UserRef, text: str) -> str:
        """``who`` says ``text`` to the bot in a direct message; the bot's reply."""
        self.dms += 1
        where = ChatRef(self.fake.platform, f"@dm-{who.id}", None, f"dm{self.dms}")
        before = len(self.fake.sent)
        await self.bot.conversation.handle(IncomingMessage(who, where, text, is_direct=True))
        await self.bot.delivery.drain()
        said = [s.text for s in self.fake.sent[before:] if s.where.channel == where.channel]
        assert said, f"no reply to {text!r}"
        return said[-1]

    async def link(self, who: UserRef) -> str:
        said = await self.dm(who, "!web")
        m = re.search(re.escape(PUBLIC) + r"(/login/[A-Za-z0-9_-]+)", said)
        assert m, said
        return m.group(1)

    async def sign_in(self, who: UserRef) -> None:
        resp = await self.client.get(await self.link(who), allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/desk"

    async def page(self, path: str) -> str:
        resp = await self.client.get(path, headers=HTML)
        assert resp.status == 200, await resp.text()
        return await resp.text()

    async def csrf(self, path: str = "/desk/article/1") -> str:
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', await self.page(path))
        assert m
        return m.group(1)


async def make_desk(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock, public: str = PUBLIC
) -> tuple[Bot, TestClient]:
    web = WebSettings("127.0.0.1", 0, public_url=public)
    bot = Bot(db, {Platform("fake"): fake}, replace(seed_settings(), web=web), clock)
    await fake.start(bot.conversation.handle)
    for _feed, fid, targets in await bot.sync_config_feeds():
        await bot.publish_bundled(fid, targets)
    await bot.delivery.drain()
    app = build_app(bot, web)
    app[LIVE_EVERY_KEY] = 0.05
    client = TestClient(TestServer(app))
    await client.start_server()
    return bot, client


@pytest.fixture
async def desk(db: SqliteStore, fake: FakeChatAdapter, clock: Clock) -> AsyncIterator[Desk]:
    bot, client = await make_desk(db, fake, clock)
    try:
        yield Desk(bot, fake, clock, client)
    finally:
        await client.close()


async def other_feeds_author(bot: Bot, key: str) -> None:
    """``key`` becomes the author of a second feed (not the seed article's)."""
    now = bot.clock()
    async with bot.store.transaction() as tx:
        fid = await tx.feeds.ensure(
            "https://other.example.org/feed", title="Other", source="chat", now=now
        )
        sub = await tx.subscriptions.ensure(
            FeedId(fid), "fake:other", added_by="fake:admin", backfill=0, now=now
        )
        await tx.subscriptions.add_authors(sub, [key])


# sign-in -----------------------------------------------------------------------------------


async def test_a_link_signs_in_once_and_the_desk_shows_the_article(desk: Desk) -> None:
    author = desk.fake.user("author")
    said = await desk.dm(author, "!web")
    assert "works once, for 10 minutes" in said
    path = await desk.link(author)
    resp = await desk.client.get(path, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/desk"
    body = await desk.page("/desk")
    assert "What Putin And Pezeshkian Will Likely Discuss" in body
    again = await desk.client.get(path, allow_redirects=False)
    assert again.status == 403
    assert "used up or expired" in await again.text()


async def test_a_link_expires_after_ten_minutes(desk: Desk) -> None:
    path = await desk.link(desk.fake.user("author"))
    desk.clock.advance(601)
    resp = await desk.client.get(path, allow_redirects=False)
    assert resp.status == 403
    assert (await desk.client.get("/desk", allow_redirects=False)).status == 401


async def test_a_member_is_refused_and_a_channel_gets_no_link(desk: Desk) -> None:
    said = await desk.dm(desk.fake.user("dana"), "!web")
    assert "for authors only" in said and "/login/" not in said
    before = len(desk.fake.sent)
    await desk.fake.say(desk.fake.user("author"), "!web", channel="#general")
    await desk.bot.delivery.drain()
    public = desk.fake.sent[before:][-1].text
    assert "direct message" in public and "/login/" not in public


async def test_a_message_answered_privately_gets_the_link_in_a_channel_too(desk: Desk) -> None:
    """``private_reply`` (a Discord slash command's ephemeral answer): the link is given
    where it was asked, queued as a private reply; a DM's link is private too, and the
    refusals are not."""
    author = desk.fake.user("author")
    where = ChatRef(desk.fake.platform, "#general", None, "interaction:1")
    before = len(desk.fake.sent)
    await desk.bot.conversation.handle(IncomingMessage(author, where, "!web", private_reply=True))
    await desk.bot.delivery.drain()
    [sent] = desk.fake.sent[before:]
    assert sent.where.channel == "#general" and PUBLIC + "/login/" in sent.text
    assert sent.message is not None and sent.message.private
    await desk.dm(author, "!web")
    assert desk.fake.sent[-1].message is not None and desk.fake.sent[-1].message.private
    await desk.fake.say(author, "!web", channel="#general")
    await desk.bot.delivery.drain()
    refusal = desk.fake.sent[-1]
    assert "direct message" in refusal.text and refusal.message is not None
    assert not refusal.message.private


@pytest.mark.parametrize(
    ("where", "link"),
    [
        (
            ChatRef(Platform("matrix"), "!room:example.org", None, "$event"),
            "https://matrix.to/#/!room:example.org/$event",
        ),
        (
            ChatRef(Platform("discord"), "222", None, "333", server="111"),
            "https://discord.com/channels/111/222/333",
        ),
        (  # in a thread: the thread is the channel Discord's link names
            ChatRef(Platform("discord"), "222", "444", "333", server="111"),
            "https://discord.com/channels/111/444/333",
        ),
        (
            ChatRef(Platform("discord"), "555", None, "333", server="@me"),
            "https://discord.com/channels/@me/555/333",
        ),
        (ChatRef(Platform("discord"), "222", None, "333"), None),  # stored before 0016
        (  # a /ask: the channel (here the thread) it was asked in
            ChatRef(Platform("discord"), "222", "444", "interaction:9", server="111"),
            "https://discord.com/channels/111/444",
        ),
        (ChatRef(Platform("discord"), "222", None, None, server="111"), None),
        (ChatRef(Platform("discord"), "222", None, "333", server="x/../y"), None),
        (ChatRef(Platform("console"), "#general", None, "u1", server="111"), None),
    ],
)
def test_where_link(where: ChatRef, link: str | None) -> None:
    assert where_link(where) == link
    assert where_link(where, anonymous=True) is None  # the message would show the asker


async def test_links_are_rate_limited_per_identity(desk: Desk) -> None:
    author = desk.fake.user("author")
    for _ in range(5):
        await desk.link(author)
    said = await desk.dm(author, "!web")
    assert "5 sign-in links this hour" in said and "/login/" not in said
    desk.clock.advance(3601)
    await desk.link(author)


async def test_cookie_flags_follow_public_url(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock
) -> None:
    bot, client = await make_desk(db, fake, clock, public="https://desk.example.org")
    try:
        d = Desk(bot, fake, clock, client)
        said = await d.dm(fake.user("author"), "!web")
        m = re.search(r"https://desk\.example\.org(/login/\S+)", said)
        assert m
        resp = await client.get(m.group(1), allow_redirects=False)
        cookie = resp.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    finally:
        await client.close()


async def test_http_public_url_cookie_is_not_secure(desk: Desk) -> None:
    resp = await desk.client.get(await desk.link(desk.fake.user("author")), allow_redirects=False)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


async def test_not_signed_in_goes_to_the_sign_in_page_or_gets_401(desk: Desk) -> None:
    resp = await desk.client.get("/desk", headers=HTML, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login"
    plain = await desk.client.get("/desk/article/1", allow_redirects=False)
    assert plain.status == 401 and "!web" in await plain.text()
    login = await desk.page("/login")
    assert "direct message" in login


async def _sign_in_rows(desk: Desk) -> tuple[int, int]:
    db = desk.bot.store
    assert isinstance(db, SqliteStore)
    links = await db.db.fetchall("SELECT COUNT(*) FROM web_links")
    sessions = await db.db.fetchall("SELECT COUNT(*) FROM web_sessions")
    return int(links[0][0]), int(sessions[0][0])


async def test_spent_links_and_expired_sessions_are_deleted_on_issue_and_sign_in(
    desk: Desk,
) -> None:
    author = desk.fake.user("author")
    await desk.sign_in(author)
    await desk.link(author)  # issued, never used
    assert await _sign_in_rows(desk) == (2, 1)
    desk.clock.advance(timedelta(days=8).total_seconds())  # past the 7-day session
    path = await desk.link(author)  # issuing prunes the two old links and the session
    assert await _sign_in_rows(desk) == (1, 0)
    now = desk.clock()
    old = now - timedelta(days=1)
    async with desk.bot.store.transaction() as tx:  # stale rows a crash could have left
        await tx.web.add_link("stale", "fake:author", "Author", old, old)
        await tx.web.add_session("stale", "fake:author", "Author", now, old)
    resp = await desk.client.get(path, allow_redirects=False)  # signing in prunes as well
    assert resp.status == 303
    assert await _sign_in_rows(desk) == (1, 1)  # the link just spent counts this hour
    assert (await desk.client.get("/desk", headers=HTML)).status == 200


async def test_web_logout_ends_every_session(desk: Desk) -> None:
    author = desk.fake.user("author")
    await desk.sign_in(author)
    assert (await desk.client.get("/desk", headers=HTML)).status == 200
    assert "1 session ended" in await desk.dm(author, "!web logout")
    assert (await desk.client.get("/desk", allow_redirects=False)).status == 401


async def test_every_answer_carries_the_strict_csp(desk: Desk) -> None:
    for path in ("/login", "/desk", "/static/desk.css"):
        resp = await desk.client.get(path, allow_redirects=False)
        assert resp.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    await desk.sign_in(desk.fake.user("author"))
    body = await desk.page("/desk/article/1")
    assert re.search(r"<script>[^<]", body) is None  # no inline script, only src=/static/...
    assert '<script src="/static/live.js"' in body


# who sees what -----------------------------------------------------------------------------


async def test_an_author_of_another_feed_gets_404_and_sees_nothing(desk: Desk) -> None:
    await desk.fake.say(desk.fake.user("dana"), SEED_Q3)
    await desk.bot.delivery.drain()
    await other_feeds_author(desk.bot, "fake:other")
    await desk.sign_in(desk.fake.user("other"))
    index = await desk.page("/desk")
    assert "Pezeshkian" not in index
    resp = await desk.client.get("/desk/article/1", headers=HTML)
    assert resp.status == 404
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', index)
    assert token
    post = await desk.client.post(
        "/desk/article/1/q/1/dismiss", data={"csrf": token.group(1), "nonce": "x1"}
    )
    assert post.status == 404
    q = await reads(desk.bot.store).questions.get(1)
    assert q is not None and q.status is QuestionStatus.QUEUED


async def test_losing_authorship_closes_the_desk_at_the_next_request(desk: Desk) -> None:
    await other_feeds_author(desk.bot, "fake:other")
    await desk.sign_in(desk.fake.user("other"))
    async with desk.bot.store.transaction() as tx:
        for sub in await tx.subscriptions.of_feed(FeedId(2)):
            await tx.subscriptions.set_authors(sub.id, [])
    resp = await desk.client.get("/desk", headers=HTML, allow_redirects=False)
    assert resp.status == 403 and "no longer an author" in await resp.text()


async def test_an_admin_sees_every_article(desk: Desk) -> None:
    await desk.sign_in(desk.fake.user("admin"))
    assert "Pezeshkian" in await desk.page("/desk")
    assert "(admin)" in await desk.page("/desk/article/1")


# the page and its forms --------------------------------------------------------------------


async def test_questions_show_escaped_in_queue_order_with_hints(desk: Desk) -> None:
    dana, lee = desk.fake.user("dana"), desk.fake.user("lee")
    await desk.fake.say(dana, SEED_Q3 + " <script>alert(1)</script>")
    await desk.fake.say(lee, "What are clandestine arms transfers in point 3, exactly?")
    await desk.fake.say(desk.fake.user("kim"), "!vote 2")
    await desk.bot.delivery.drain()
    await desk.sign_in(desk.fake.user("author"))
    body = await desk.page("/desk/article/1")
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    # Most votes first, as !queue: #2 (1 vote) before #1.
    assert body.index('id="q2"') < body.index('id="q1"')
    assert "asked by Dana" in body and "on fake" in body


async def test_a_form_without_the_csrf_token_is_refused(desk: Desk) -> None:
    await desk.fake.say(desk.fake.user("dana"), SEED_Q3)
    await desk.bot.delivery.drain()
    await desk.sign_in(desk.fake.user("author"))
    for data in ({"text": "x", "nonce": "n1"}, {"text": "x", "nonce": "n2", "csrf": "0" * 64}):
        resp = await desk.client.post("/desk/article/1/q/1/answer", data=data)
        assert resp.status == 403 and "Reload the page" in await resp.text()
    q = await reads(desk.bot.store).questions.get(1)
    assert q is not None and q.status is QuestionStatus.QUEUED


async def test_an_answer_from_the_page_reaches_the_asker_exactly_as_from_chat(
    desk: Desk,
) -> None:
    dana, lee = desk.fake.user("dana"), desk.fake.user("lee")
    asked1 = await desk.fake.say(dana, SEED_Q3)
    asked2 = await desk.fake.say(lee, "Why did they sign the document in point 2?")
    await desk.bot.delivery.drain()
    author = desk.fake.user("author")
    await desk.fake.say(author, "!answer 2 Same words.")
    await desk.bot.delivery.drain()
    by_chat = next(s for s in desk.fake.sent if s.reply_to == asked2 and "answered your" in s.text)

    await desk.sign_in(author)
    csrf = await desk.csrf()
    data = {"csrf": csrf, "nonce": "once-1", "text": "Same words."}
    resp = await desk.client.post("/desk/article/1/q/1/answer", data=data)
    assert resp.status == 200
    page = await resp.text()
    assert "#1" in page and "Dana" in page  # what the chat reply would have said
    await desk.bot.delivery.drain()
    by_web = next(s for s in desk.fake.sent if s.reply_to == asked1 and "answered your" in s.text)
    assert by_web.op == by_chat.op == "reply"
    assert by_web.mention is not None and by_web.mention.same_person(dana)
    # Word for word what !answer says (the same notice text, the author's chat name).
    q1 = await reads(desk.bot.store).questions.get(1)
    q2 = await reads(desk.bot.store).questions.get(2)
    stored = await reads(desk.bot.store).articles.get(ArticleId(1))
    assert q1 is not None and q2 is not None and stored is not None
    assert by_chat.text == texts.answered_notice(q2, stored.article, "Same words.", "Author")
    assert by_web.text == texts.answered_notice(q1, stored.article, "Same words.", "Author")
    assert "Same words." in by_web.text and "Author" in by_web.text
    q = await reads(desk.bot.store).questions.get(1)
    assert q is not None and q.status is QuestionStatus.ANSWERED and q.answer == "Same words."
    history = await reads(desk.bot.store).questions.history(1)
    assert history[-1].actor_key == "fake:author"

    # The same form sent twice acts once.
    sent = len(desk.fake.sent)
    again = await desk.client.post("/desk/article/1/q/1/answer", data=data)
    assert "sent already" in await again.text()
    await desk.bot.delivery.drain()
    assert len(desk.fake.sent) == sent
    # The answered question shows in the FAQ part, with its history.
    body = await desk.page("/desk/article/1")
    assert "Answered (the FAQ)" in body and "queued → answered" in body


async def test_dismiss_merge_unmerge_reopen_from_the_page(desk: Desk) -> None:
    dana, lee = desk.fake.user("dana"), desk.fake.user("lee")
    await desk.fake.say(dana, SEED_Q3)
    await desk.fake.say(lee, "Why did they sign the document in point 2?")
    await desk.fake.say(desk.fake.user("kim"), "What is the Zangezur corridor in point 5?")
    await desk.bot.delivery.drain()
    await desk.sign_in(desk.fake.user("author"))
    store = reads(desk.bot.store).questions

    async def post(qid: int, action: str, nonce: str, **extra: str) -> str:
        data = {"csrf": await desk.csrf(), "nonce": nonce, **extra}
        resp = await desk.client.post(f"/desk/article/1/q/{qid}/{action}", data=data)
        assert resp.status == 200
        await desk.bot.delivery.drain()
        return await resp.text()

    await post(1, "dismiss", "d1", text="covered in the next article")
    q1 = await store.get(1)
    assert q1 is not None and q1.status is QuestionStatus.DISMISSED
    assert any("closed your question #1" in t and "next article" in t for t in desk.fake.texts())
    await post(1, "reopen", "r1")
    q1 = await store.get(1)
    assert q1 is not None and q1.status is QuestionStatus.QUEUED
    await post(3, "merge", "m1", into="2")
    q3 = await store.get(3)
    assert q3 is not None and q3.merged_into == 2
    await post(3, "unmerge", "u1")
    q3 = await store.get(3)
    assert q3 is not None and q3.merged_into is None
    said = await post(1, "merge", "m2", into="x")
    assert "needs the number" in said


# live --------------------------------------------------------------------------------------


async def test_the_event_stream_says_changed_when_a_question_arrives(desk: Desk) -> None:
    await desk.sign_in(desk.fake.user("author"))
    resp = await desk.client.get("/desk/events?live=article:1")
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"
    assert (await resp.content.readline()).startswith(b"retry:")
    await desk.fake.say(desk.fake.user("dana"), SEED_Q3)

    async def changed() -> None:
        while True:
            line = await resp.content.readline()
            if line.startswith(b"event: changed"):
                return

    await asyncio.wait_for(changed(), timeout=5)
    resp.close()


async def test_the_event_stream_is_for_the_signed_in_only(desk: Desk) -> None:
    resp = await desk.client.get("/desk/events?live=desk")
    assert resp.status == 401
    await other_feeds_author(desk.bot, "fake:other")
    await desk.sign_in(desk.fake.user("other"))
    resp = await desk.client.get("/desk/events?live=article:1")
    assert resp.status == 404


def test_ttl_is_ten_minutes() -> None:
    from bot.app.signin import LINK_TTL

    assert timedelta(minutes=10) == LINK_TTL
