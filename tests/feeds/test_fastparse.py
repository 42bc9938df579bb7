"""The lxml fast path reads feeds exactly as feedparser does (above all: the same keys)."""

from __future__ import annotations

from importlib import resources

import pytest

from bot.feeds import document
from bot.feeds.document import FeedDocument, parse_feed
from bot.feeds.fastparse import parse_fast
from tests.feeds.conftest import Item, rss20
from tests.feeds.test_reading import ATOM, RSS091, RSS10

DC_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title> Spaced </title>
<link>https://x.org/</link>
<item><title>A &amp; B</title><guid>https://x.org/p/1</guid><author>jo@x.org (Jo)</author>
<description>short</description><content:encoded><![CDATA[<p>long body</p>]]></content:encoded>
<pubDate>Mon, 05 Jan 2026 08:00:00 +0200</pubDate></item>
<item><title>C</title><dc:creator>Ann</dc:creator><guid isPermaLink="false">zz</guid>
<link> https://x.org/c?utm_source=rss </link><dc:date>2026-01-04T10:00:00Z</dc:date></item>
<item><title>no guid</title><link>https://x.org/n</link><description>d</description></item>
<item><description>only a description</description></item>
<item><title>encoded only</title><guid isPermaLink="false">e1</guid>
<content:encoded>&lt;p&gt;c&lt;/p&gt;</content:encoded></item>
</channel></rss>"""
ATOM_FULL = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title type="html">A &lt;b&gt;x&lt;/b&gt;</title><link href="https://x.org/"/><id>f</id>
<entry><id>i1</id><title>E</title><link rel="alternate" href="https://x.org/e"/>
<link rel="enclosure" href="https://x.org/m.mp3"/><author><name>Bo</name></author>
<summary>s</summary><content type="html">&lt;p&gt;Hi&lt;/p&gt;</content>
<published>2026-01-05T08:00:00+02:00</published><updated>2026-01-06T08:00:00Z</updated></entry>
<entry><id>i2</id><title>F</title><link href="https://x.org/f"/><updated>2026-01-06T08:00:00Z</updated>
<summary>only summary</summary></entry></feed>"""
# Categories between the other fields, in any order, and fields after them: the one pass
# over an item's children must read what ``find`` per field read.
CATS_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>
<link>https://x.org/</link>
<item><category> World </category><guid>https://x.org/p/1</guid><category>Air defense</category>
<title>One</title><category></category><dc:creator>Ann</dc:creator>
<pubDate>Mon, 05 Jan 2026 08:00:00 +0200</pubDate><category>Trade</category></item>
<item><title>Two</title><link>https://x.org/2</link><category>Energy</category></item>
</channel></rss>"""
BUNDLED = resources.files("bot").joinpath("data", "example-feed.xml").read_bytes()
CASES = {
    "rss20": rss20([Item("1", "One"), Item("2", "Two &amp; more")]),
    "rss091": RSS091.encode(),
    "rss10": RSS10.encode(),
    "atom": ATOM.encode(),
    "dc-rss": DC_RSS,
    "atom-full": ATOM_FULL,
    "bundled": BUNDLED,
    "categories": CATS_RSS,
}


def _slow(data: bytes, monkeypatch: pytest.MonkeyPatch) -> FeedDocument:
    with monkeypatch.context() as m:
        m.setattr(document, "parse_fast", lambda _data: None)
        return parse_feed(data)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_matches_feedparser(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = CASES[name]
    assert parse_fast(data) is not None, "this case should take the fast path"
    fast, slow = parse_feed(data), _slow(data, monkeypatch)
    assert [e.key for e in fast.entries] == [e.key for e in slow.entries]
    assert fast == slow


@pytest.mark.parametrize(
    "data",
    [
        b"<rss version='2.0'><channel><title>x &nbsp;</title></channel></rss>",  # HTML entity
        b"<rss version='2.0'><channel><item><title>a</title>",  # cut off
        b"<rss version='2.0'><channel><item><link>/relative</link></item></channel></rss>",
        b"<rss version='2.0'><channel><item><pubDate>sometime</pubDate></item></channel></rss>",
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml"><div '
        b'xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry></feed>',
    ],
)
def test_unusual_documents_are_left_to_feedparser(data: bytes) -> None:
    assert parse_fast(data) is None


def test_one_pass_keeps_every_category_in_order() -> None:
    doc = parse_feed(CATS_RSS)
    assert [e.categories for e in doc.entries] == [("World", "Air defense", "Trade"), ("Energy",)]
    assert doc.entries[0].author == "Ann" and doc.entries[0].title == "One"
