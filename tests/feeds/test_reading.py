"""What the bot reads: every feed format, and the ways a fetch goes wrong."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.feeds.fetch import Fetcher, FetchError
from tests.feeds.conftest import FeedBot, FeedServer, Item, feed_settings, paragraphs, rss20
from tests.reads import reads

BODY = paragraphs("format")
RSS091 = f"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old school</title>
<link>https://example.org/</link><description>d</description>
<item><title>First post</title><link>https://example.org/1</link>
<description><![CDATA[{BODY}]]></description></item></channel></rss>"""
RSS10 = f"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://example.org/"><title>Semantic</title>
<link>https://example.org/</link><description>d</description></channel>
<item rdf:about="https://example.org/1"><title>First post</title><link>https://example.org/1</link>
<description><![CDATA[{BODY}]]></description></item></rdf:RDF>"""
ATOM = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atomic</title><id>urn:x</id><updated>2026-01-05T08:00:00Z</updated>
<entry><title>First post</title><id>urn:x:1</id><link href="https://example.org/1"/>
<updated>2026-01-05T08:00:00Z</updated><content type="html"><![CDATA[{BODY}]]></content></entry>
</feed>"""
JSONFEED = (
    '{"version": "https://jsonfeed.org/version/1.1", "title": "Jason", "items": [{"id": "1", '
    '"url": "https://example.org/1", "title": "First post", "content_html": '
    + __import__("json").dumps(BODY)
    + ', "date_published": "2026-01-05T08:00:00Z"}]}'
)


@pytest.mark.parametrize(
    ("body", "content_type", "title"),
    [
        (RSS091, "application/rss+xml", "Old school"),
        (RSS10, "application/rdf+xml", "Semantic"),
        (rss20([Item("1", "First post")], "Twenty").decode(), "application/rss+xml", "Twenty"),
        (ATOM, "application/atom+xml", "Atomic"),
        (JSONFEED, "application/feed+json", "Jason"),
    ],
    ids=["rss091", "rss10", "rss20", "atom", "jsonfeed"],
)
async def test_every_format_is_read_and_posted(
    feedbot: FeedBot, server: FeedServer, body: str, content_type: str, title: str
) -> None:
    url = server.serve("/feed", body.encode(), content_type=content_type)
    reply = await feedbot.admin(f"!feed add {url}")
    assert f"Added feed #1 “{title}”" in reply and "the latest is “First post”" in reply
    [summary] = feedbot.summaries()
    assert summary.startswith("First post") and "https://example.org/1" in summary


async def test_a_wrong_declared_encoding_still_reads_right(
    feedbot: FeedBot, server: FeedServer
) -> None:
    title = "Café “naïve” — déjà vu"
    body = rss20([Item("1", title)], title="Ümlaut").decode()
    # Windows-1252 bytes behind a UTF-8 declaration, and a Latin-1 HTTP charset.
    raw = body.encode("cp1252")
    url = server.serve("/feed", raw, content_type="application/rss+xml; charset=iso-8859-1")
    reply = await feedbot.admin(f"!feed add {url}")
    assert "Added feed #1 “Ümlaut”" in reply
    assert feedbot.summaries()[0].startswith(title)


async def test_utf8_behind_a_latin1_declaration(feedbot: FeedBot, server: FeedServer) -> None:
    body = rss20([Item("1", "Café déjà")]).replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')
    url = server.serve("/feed", body)
    await feedbot.admin(f"!feed add {url}")
    assert feedbot.summaries()[0].startswith("Café déjà")


async def test_malformed_xml_is_read_leniently_or_recorded_as_an_error(
    feedbot: FeedBot, server: FeedServer
) -> None:
    # A bare "&", an undefined entity and no closing tags: broken XML that real feeds serve.
    item = (
        "<item><title>Broken & co &nbsp;</title><link>https://example.org/b1</link>"
        f"<description><![CDATA[{BODY}]]></description></item>"
    )
    lenient = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loose</title>{item}'
    url = server.serve("/feed", lenient.encode())
    assert "Added feed #1 “Loose”" in await feedbot.admin(f"!feed add {url}")
    assert feedbot.summaries()[0].startswith("Broken & co")
    server.serve("/feed", b"<?xml version='1.0'?><<<>>>&&&")
    await feedbot.poll(advance=901)
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.failures == 1 and feed.etag is not None
    assert (feed.last_error or "").startswith("not a readable feed")
    assert len(feedbot.summaries()) == 1


@pytest.mark.parametrize("names_feed", [True, False])
async def test_html_served_instead_of_the_feed(
    feedbot: FeedBot, server: FeedServer, names_feed: bool
) -> None:
    url = server.serve("/feed", rss20([Item("1", "One")]))
    await feedbot.admin(f"!feed add {url}")
    link = '<link rel="alternate" type="application/atom+xml" href="/atom">' if names_feed else ""
    page = f"<!DOCTYPE html><html><head>{link}</head><body><p>Maintenance</p></body></html>"
    server.serve("/feed", page.encode(), content_type="text/html")
    await feedbot.poll(advance=901)
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.failures == 1
    expected = "the address serves a web page, not a feed"
    if names_feed:
        expected += f"; it names the feed {server.url('/atom')}"
    assert feed.last_error == expected
    assert len(feedbot.summaries()) == 1


async def test_a_feed_that_never_answers_times_out(server: FeedServer) -> None:
    release = asyncio.Event()

    async def stuck(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="late")

    url = server.route("/stuck", stuck)
    fetcher = Fetcher(feed_settings(timeout_s=0.2).polling)
    try:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    finally:
        release.set()
        await fetcher.close()
    assert caught.value.kind == "timeout"
    assert str(caught.value) == "no answer within 0.2 seconds"


async def test_a_timeout_is_a_failure_of_that_feed(
    db: object, fake: object, clock: object, server: FeedServer
) -> None:
    from tests.feeds.conftest import make_feedbot

    fb = await make_feedbot(db, fake, clock, feed_settings(timeout_s=0.2))  # type: ignore[arg-type]
    release = asyncio.Event()
    url = server.serve("/feed", rss20([Item("1", "One")]))
    await fb.admin(f"!feed add {url}")

    async def stuck(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="late")

    server.route("/feed", stuck)
    try:
        await fb.poll(advance=901)
    finally:
        release.set()
        await fb.app.fetcher.close()
    feed = await reads(fb.app.store).feeds.get(1)
    assert feed is not None and feed.last_error == "no answer within 0.2 seconds"


@pytest.mark.parametrize("declared", [True, False])
async def test_an_oversized_body_is_refused(server: FeedServer, declared: bool) -> None:
    big = b"<rss>" + b"x" * 400_000 + b"</rss>"

    async def handler(request: web.Request) -> web.StreamResponse:
        if declared:
            return web.Response(body=big)
        resp = web.StreamResponse()  # chunked: no Content-Length to go by
        await resp.prepare(request)
        for i in range(0, len(big), 65536):
            await resp.write(big[i : i + 65536])
        await resp.write_eof()
        return resp

    url = server.route("/big", handler)
    fetcher = Fetcher(feed_settings().polling)
    try:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    finally:
        await fetcher.close()
    assert caught.value.kind == "too_large"
    assert "limit 300,000" in str(caught.value)


async def test_an_oversized_feed_is_a_failure_not_a_crash(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed", rss20([Item("1", "One")]))
    await feedbot.admin(f"!feed add {url}")
    server.serve("/feed", b"<rss>" + b" " * 400_000 + b"</rss>")
    await feedbot.poll(advance=901)
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and "larger than the limit" in (feed.last_error or "")
