"""Polite, guarded HTTP fetching of feeds and article pages (aiohttp).

Every fetch sends an honest User-Agent, the stored ETag/Last-Modified, and is bounded in
time and size. Redirects are followed by hand so each hop is checked; a host that resolves
to a loopback, private or link-local address is refused (see :mod:`bot.feeds.guard`) unless
its network is allowed in the config. An HTML page given instead of a feed is searched for
``<link rel="alternate">`` to the feed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from lxml import etree
from yarl import URL

from bot.config import PollSettings
from bot.core.numbers import read_number
from bot.feeds.document import FeedDocument, FeedError, parse_feed
from bot.feeds.guard import AddressGuard, AddressRefused, GuardedResolver

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 5
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
_PERMANENT = frozenset((301, 308))
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?([0-9]+)", re.I)
# A validator is sent back verbatim: only visible ASCII (RFC 9110 etag / HTTP-date), bounded.
_VALIDATOR = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_MAX_VALIDATOR = 1024
_HTML_PARSER = etree.HTMLParser(no_network=True, remove_comments=True)


IMAGE_MAX_BYTES = 5 * 1024 * 1024
"""The largest lead image fetched for an upload."""


class FetchError(Exception):
    """A fetch that gave nothing usable. ``kind``: timeout | too_large | refused | network |
    bad_url | http; the message says why in plain words (it is shown to admins)."""

    def __init__(self, kind: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The final answer after redirects. ``body`` is read only for a 200."""

    url: str  # where the answer came from
    status: int
    body: bytes | None
    content_type: str
    etag: str | None
    last_modified: str | None
    max_age: float | None  # Cache-Control max-age, seconds
    retry_after: float | None  # seconds
    moved_to: str | None  # set when the URL redirects permanently (301/308) somewhere else

    @property
    def body_hash(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest()[:32] if self.body is not None else None

    def looks_like_html(self) -> bool:
        head = (self.body or b"")[:2048]
        return "html" in self.content_type or bool(_HTML_START.match(head.lstrip(b"\xef\xbb\xbf")))


@dataclass(frozen=True, slots=True)
class ReadFeed:
    """A feed fetched and parsed; ``url`` is the feed's own (after discovery and moves)."""

    url: str
    result: FetchResult
    document: FeedDocument


def user_agent(settings: PollSettings) -> str:
    """``pointbot/0.1 (+mailto:admin@example.org)``: the bot, and how to reach its admin."""
    contact = settings.contact or "no contact configured"
    return f"{settings.user_agent} (+{contact}; feed relay for a discussion bot)"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date; None when it is neither
    (a malformed header is ignored, as if not sent)."""
    if not value:
        return None
    value = value.strip()
    if (seconds := read_number(value)) is not None:
        return float(seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def max_age_seconds(cache_control: str | None) -> float | None:
    if not cache_control or "no-store" in cache_control.lower():
        return None
    m = _MAX_AGE.search(cache_control)
    seconds = read_number(m.group(1)) if m else None
    return float(seconds) if seconds is not None else None


def validator(value: str | None) -> str | None:
    """An ETag or Last-Modified worth sending back, or None for a malformed one (control
    or non-ASCII characters, or absurdly long): sending it would fail or mean nothing."""
    if not value or len(value) > _MAX_VALIDATOR or not _VALIDATOR.fullmatch(value.strip()):
        return None
    return value.strip()


def discover_feed_links(html: bytes, base_url: str) -> list[str]:
    """The feeds an HTML page names with ``<link rel="alternate" type=...>``, in page order."""
    try:
        root = etree.fromstring(html, _HTML_PARSER)
    except (etree.ParserError, ValueError):
        return []
    if root is None:
        return []
    base = URL(base_url)
    for b in root.iter("base"):
        if b.get("href"):
            base = base.join(URL(b.get("href") or ""))
            break
    found: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in _FEED_TYPES and href:
            url = str(base.join(URL(href)))
            if url not in found:
                found.append(url)
    return found


class Fetcher:
    """One aiohttp session for all fetches; call :meth:`close` when done."""

    def __init__(
        self, settings: PollSettings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.guard = AddressGuard(settings.allow_private_addresses)
        self.user_agent = user_agent(settings)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.guard),
                limit=max(self.settings.max_concurrent * 2, 10),
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.user_agent},
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.settings.timeout_s),
                trust_env=False,  # a proxy from the environment would bypass the guard
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """GET ``url``, conditional when validators are given. Raises :class:`FetchError`."""
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                return await self._follow(url, etag, last_modified, accept)
        except TimeoutError:
            raise FetchError(
                "timeout", f"no answer within {self.settings.timeout_s:g} seconds"
            ) from None
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise FetchError("refused", str(exc.os_error)) from None
            raise FetchError("network", f"cannot resolve {exc.host}: {exc.os_error}") from None
        except aiohttp.InvalidURL as exc:
            raise FetchError("bad_url", f"not a usable URL: {exc}") from None
        except aiohttp.ClientConnectorError as exc:
            raise FetchError("network", f"cannot connect to {exc.host}:{exc.port}") from None
        except aiohttp.ClientError as exc:
            raise FetchError(
                "network", f"the connection failed: {exc or type(exc).__name__}"
            ) from None

    async def fetch_image(self, url: str, limit: int = IMAGE_MAX_BYTES) -> tuple[bytes, str]:
        """An article's lead image, for an adapter that uploads it (Matrix): ``(bytes,
        content type)``. The same guard, redirect and time limits as a feed fetch; the body
        is read within the feed size cap and refused past ``limit``; anything but a 200 with
        an ``image/*`` type is refused. Raises :class:`FetchError`."""
        got = await self.fetch(url, accept="image/*")
        if got.status != 200 or got.body is None:
            raise FetchError("http", f"the image answered HTTP {got.status}", status=got.status)
        kind = got.content_type.split(";", 1)[0].strip()
        if not kind.startswith("image/"):
            raise FetchError("http", f"not an image: {kind or 'no content type'}", status=200)
        if len(got.body) > limit:
            raise FetchError("too_large", _too_large(len(got.body), limit), status=200)
        return got.body, kind

    async def _follow(
        self, url: str, etag: str | None, last_modified: str | None, accept: str
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = URL(url)
        moved_to: str | None = None
        permanent = True  # still on the first chain of permanent redirects
        for _hop in range(MAX_REDIRECTS + 1):
            self._check(current)
            async with self._client().get(current, headers=headers, allow_redirects=False) as resp:
                location = resp.headers.get("Location")
                if resp.status in _REDIRECTS and location:
                    nxt = _redirect_target(current, location, resp.status)
                    permanent = permanent and resp.status in _PERMANENT
                    if permanent:
                        moved_to = str(nxt)
                    log.debug("%s redirects (%d) to %s", current, resp.status, nxt)
                    current = nxt
                    continue
                body = await self._body(resp) if resp.status == 200 else None
                return FetchResult(
                    url=str(current),
                    status=resp.status,
                    body=body,
                    content_type=resp.headers.get("Content-Type", "").lower(),
                    etag=validator(resp.headers.get("ETag")),
                    last_modified=validator(resp.headers.get("Last-Modified")),
                    max_age=max_age_seconds(resp.headers.get("Cache-Control")),
                    retry_after=retry_after_seconds(resp.headers.get("Retry-After"), self.clock()),
                    moved_to=moved_to,
                )
        raise FetchError("network", f"more than {MAX_REDIRECTS} redirects")

    def _check(self, url: URL) -> None:
        """Refuse non-HTTP schemes, and IP-literal hosts the guard does not allow.

        Host names are checked by the resolver when the connection is made, so the address
        checked is the address connected to (no second lookup to rebind).
        """
        if url.scheme not in ("http", "https") or not url.host:
            raise FetchError("bad_url", f"{url} is not an http(s) URL")
        refusal = self.guard.refusal_for_literal(url.host)
        if refusal:
            raise FetchError("refused", refusal)

    async def _body(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.settings.max_bytes
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise FetchError("too_large", _too_large(declared, limit), status=resp.status)
        chunks: list[bytes] = []
        size = 0
        # Counted after decompression, so a small gzip bomb is stopped as well.
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise FetchError("too_large", _too_large(size, limit), status=resp.status)
            chunks.append(chunk)
        return b"".join(chunks)


def _redirect_target(current: URL, location: str, status: int) -> URL:
    """Where a redirect's Location points, or a FetchError saying it is malformed."""
    try:
        target = current.join(URL(location))
        target.host  # noqa: B018  (a malformed host raises only when it is read)
    except (ValueError, TypeError, UnicodeError):
        raise FetchError(
            "bad_url",
            f"it redirects (HTTP {status}) to a malformed address: {location[:200]!r}",
            status=status,
        ) from None
    return target


def _too_large(size: int, limit: int) -> str:
    return f"the answer is larger than the limit ({size:,} bytes or more; limit {limit:,})"


async def read_feed(
    fetcher: Fetcher,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    discover: bool = True,
) -> ReadFeed | FetchResult:
    """Fetch and parse a feed; a non-200 answer is returned as it is (304, 410, 429...).

    An HTML page is searched for a feed link and that feed read instead (once). Raises
    :class:`FetchError` and :class:`FeedError` with plain-words reasons.
    """
    result = await fetcher.fetch(url, etag=etag, last_modified=last_modified)
    if result.status != 200:
        return result
    own_url = result.moved_to or url
    assert result.body is not None
    try:
        return ReadFeed(own_url, result, parse_feed(result.body))
    except FeedError:
        if not result.looks_like_html():
            raise
    links = discover_feed_links(result.body, result.url)
    if not links:
        raise FeedError(
            "this is a web page, not a feed, and it names no feed "
            '(no <link rel="alternate"> to RSS, Atom or JSON Feed)'
        )
    if not discover:
        raise FeedError(f"this is a web page, not a feed; it names the feed {links[0]}")
    log.info("feed %s is a page naming the feed %s; reading that", url, links[0])
    found = await fetcher.fetch(links[0])
    if found.status != 200:
        raise FetchError(
            "http",
            f"the page names the feed {links[0]}, which answered HTTP {found.status}",
            status=found.status,
        )
    assert found.body is not None
    return ReadFeed(found.moved_to or links[0], found, parse_feed(found.body))
