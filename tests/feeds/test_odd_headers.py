"""Malformed HTTP headers from a feed (Retry-After, Cache-Control, ETag, Last-Modified,
Content-Type, Location) are ignored or reported in plain words, never an internal error.
Served by the real loopback HTTP server the other feed tests use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.feeds.fetch import Fetcher, FetchError, max_age_seconds, retry_after_seconds, validator
from tests.feeds.conftest import FeedBot, FeedServer, Item, feed_settings, rss20
from tests.reads import reads

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ITEMS = [Item("e1", "Entry 1")]
ODD_NUMBERS = ["²", "③", "١٢", "１２", "-5", "1e3", "99999999999999999999999", "0x10", " ", "12a"]
ODD_DATES = ["Mon, 99 Jan 2026 10:00:00 GMT", "Mon, 05 Jan 99999 10:00:00 GMT", "Mon,", ","]


@pytest.mark.parametrize("value", ODD_NUMBERS + ODD_DATES)
def test_a_malformed_retry_after_is_ignored(value: str) -> None:
    seconds = retry_after_seconds(value, NOW)
    assert seconds is None or seconds >= 0  # never an exception
    if value in ("²", "③", "١٢", "１２", "-5", "1e3", "0x10", "12a"):
        assert seconds is None


@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_a_malformed_max_age_is_ignored(value: str) -> None:
    got = max_age_seconds(f"public, max-age={value}")
    assert got is None or got >= 0  # leading ASCII digits are read ("1e3": 1), never raise
    if not value[:1].isascii() or not value[:1].isdigit():
        assert got is None


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ('"abc123"', '"abc123"'),
        ('W/"x"', 'W/"x"'),
        ("Mon, 05 Jan 2026 08:00:00 GMT", "Mon, 05 Jan 2026 08:00:00 GMT"),
        ('"ümlaut"', None),
        ("a\x01b", None),
        ("x" * 5000, None),
        ("", None),
    ],
)
def test_validators_are_kept_only_when_they_can_be_sent_back(value: str, kept: str | None) -> None:
    assert validator(value) == kept


def _odd(status: int = 200, **headers: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        body = rss20(ITEMS) if status == 200 else b"nope"
        resp = web.Response(status=status, body=body)
        for name, value in headers.items():
            resp.headers[name.replace("_", "-")] = value
        return resp

    return handler


async def test_a_feed_with_every_header_malformed_is_read_and_polled_again(
    server: FeedServer,
) -> None:
    url = server.route(
        "/feed.xml",
        _odd(
            Retry_After="²",
            Cache_Control="max-age=③, max-age=99999999999999999999999999",
            ETag='"tag-ü\u202e"',
            Last_Modified="yesterday-ish ²",
            Content_Type="application/rss+xml; charset=²; ;;=",
        ),
    )
    fetcher = Fetcher(feed_settings().polling)
    try:
        first = await fetcher.fetch(url)
        again = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    finally:
        await fetcher.close()
    assert first.status == 200 and first.body and again.status == 200
    assert first.etag is None and first.last_modified is None  # not sent back
    assert first.retry_after is None
    assert "If-None-Match" not in server.hits[-1].headers


@pytest.mark.parametrize("location", ["http://[::1", "//\udcff/x", "http://exa mple.invalid/"])
async def test_a_malformed_redirect_is_a_plain_fetch_error(
    server: FeedServer, location: str
) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=301,
            headers={"Location": location.encode("utf-8", "surrogateescape").decode("latin-1")},
        )

    url = server.route("/feed.xml", redirect)
    fetcher = Fetcher(feed_settings().polling)
    try:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    finally:
        await fetcher.close()
    assert caught.value.kind in ("bad_url", "network", "refused")
    assert "internal" not in str(caught.value)


async def test_a_429_with_a_malformed_retry_after_is_an_http_error_not_an_internal_one(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS))
    assert "Added feed #1" in await feedbot.admin(f"!feed add {url}")
    server.route("/feed.xml", _odd(429, Retry_After="²"))
    await feedbot.poll(advance=901)
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.last_error == "HTTP 429 (Too Many Requests)"
    assert "internal error" not in await feedbot.admin("!feed status 1")
