"""Fetching a lead image for an upload: the feed fetcher's guard, image types only, a cap."""

from __future__ import annotations

import pytest

from bot.feeds.fetch import Fetcher, FetchError
from tests.feeds.conftest import FeedServer, feed_settings

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_an_image_on_loopback_is_fetched_only_where_loopback_is_allowed(
    server: FeedServer,
) -> None:
    url = server.serve("/lead.png", PNG, content_type="image/png")
    allowed = Fetcher(feed_settings().polling)  # the tests allow loopback
    refused = Fetcher(feed_settings(allow_private_addresses=()).polling)
    try:
        assert await allowed.fetch_image(url) == (PNG, "image/png")
        hits = len(server.hits)
        with pytest.raises(FetchError) as caught:
            await refused.fetch_image(url)
    finally:
        await allowed.close()
        await refused.close()
    assert caught.value.kind == "refused" and "loopback address" in str(caught.value)
    assert len(server.hits) == hits  # refused before connecting


async def test_not_an_image_or_too_large_is_refused(server: FeedServer) -> None:
    page = server.serve("/page", b"<html></html>", content_type="text/html")
    big = server.serve("/big.png", PNG, content_type="image/png")
    missing = server.url("/nothing.png")
    fetcher = Fetcher(feed_settings().polling)
    try:
        with pytest.raises(FetchError, match="not an image: text/html"):
            await fetcher.fetch_image(page)
        with pytest.raises(FetchError) as too_big:
            await fetcher.fetch_image(big, limit=100)
        with pytest.raises(FetchError, match="HTTP 404"):
            await fetcher.fetch_image(missing)
    finally:
        await fetcher.close()
    assert too_big.value.kind == "too_large"
