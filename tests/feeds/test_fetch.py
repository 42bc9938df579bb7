"""The fetcher's manners and guards: User-Agent, validators, refused addresses, discovery."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.feeds.fetch import (
    Fetcher,
    FetchError,
    discover_feed_links,
    max_age_seconds,
    retry_after_seconds,
)
from bot.feeds.guard import AddressGuard
from tests.feeds.conftest import FeedBot, FeedServer, Item, feed_settings, rss20

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_every_fetch_names_the_bot_and_its_contact(server: FeedServer) -> None:
    url = server.serve("/feed", rss20([Item("1", "One")]))
    fetcher = Fetcher(feed_settings().polling)
    try:
        first = await fetcher.fetch(url)
        again = await fetcher.fetch(url, etag=first.etag)
    finally:
        await fetcher.close()
    agent = server.hits[0].headers["User-Agent"]
    assert agent.startswith("pointbot/0.1 (+mailto:admin@example.org;")
    assert first.status == 200 and again.status == 304 and again.body is None


@pytest.mark.parametrize(
    ("allowed", "host"),
    [((), "127.0.0.1"), ((), "localhost"), (("10.0.0.0/8",), "127.0.0.1")],
)
async def test_loopback_is_refused_unless_allowed(
    server: FeedServer, allowed: tuple[str, ...], host: str
) -> None:
    url = server.serve("/feed", rss20([Item("1", "One")])).replace("127.0.0.1", host)
    fetcher = Fetcher(feed_settings(allow_private_addresses=allowed).polling)
    try:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    finally:
        await fetcher.close()
    assert caught.value.kind == "refused"
    assert "loopback address" in str(caught.value)
    assert server.hits == []  # refused before connecting


async def test_a_redirect_into_a_private_network_is_refused(server: FeedServer) -> None:
    async def to_metadata(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "http://169.254.169.254/latest"})

    url = server.route("/feed", to_metadata)
    fetcher = Fetcher(feed_settings().polling)  # loopback allowed, link-local not
    try:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    finally:
        await fetcher.close()
    assert caught.value.kind == "refused" and "link-local" in str(caught.value)


async def test_adding_a_private_feed_from_chat_is_refused_in_plain_words(
    db: object, fake: object, clock: object, server: FeedServer
) -> None:
    from tests.feeds.conftest import make_feedbot

    fb: FeedBot = await make_feedbot(
        db,
        fake,
        clock,
        feed_settings(allow_private_addresses=()),  # type: ignore[arg-type]
    )
    url = server.serve("/feed", rss20([Item("1", "One")]))
    reply = await fb.admin(f"!feed add {url}")
    await fb.app.fetcher.close()
    assert reply.startswith(f"I could not add {url}: 127.0.0.1 resolves to 127.0.0.1, a loopback")
    assert "allow_private_addresses" in reply and server.hits == []


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "reserved"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_guard_table(address: str, refused: str | None) -> None:
    why = AddressGuard().refusal("host", address)
    assert (why is None) if refused is None else (why is not None and f"a {refused} " in why)


def test_allowed_networks_are_let_through() -> None:
    guard = AddressGuard(("10.0.0.0/8",))
    assert guard.refusal("intranet", "10.9.9.9") is None
    assert guard.refusal("other", "192.168.1.1") is not None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("Mon, 05 Jan 2026 10:00:00 GMT", 3600.0),
        ("Mon, 05 Jan 2026 08:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("max-age=600", 600.0),
        ("public, max-age=3600, must-revalidate", 3600.0),
        ("no-store, max-age=600", None),
        ("no-cache", None),
        (None, None),
    ],
)
def test_max_age(value: str | None, seconds: float | None) -> None:
    assert max_age_seconds(value) == seconds


def test_discovery_finds_feed_links_in_page_order() -> None:
    page = b"""<!doctype html><html><head><base href="https://blog.example/sub/">
    <link rel="alternate" type="text/html" href="/other">
    <link rel="alternate" type="application/atom+xml" href="atom.xml">
    <link rel="Alternate" type="application/rss+xml; charset=utf-8" href="https://x.example/rss">
    <link rel="alternate" type="application/feed+json" href="/feed.json">
    </head><body></body></html>"""
    assert discover_feed_links(page, "https://blog.example/post") == [
        "https://blog.example/sub/atom.xml",
        "https://x.example/rss",
        "https://blog.example/feed.json",
    ]
    assert discover_feed_links(b"<html><body>no links</body></html>", "https://a.example/") == []
