"""An entry's lead image, found through the real poller against a loopback feed server,
reaches the summary that is posted (and both parse paths find the same image)."""

from __future__ import annotations

import pytest

from bot.feeds import document
from bot.feeds.document import parse_feed
from tests.feeds.conftest import FeedBot, FeedServer, paragraphs

MEDIA_NS = 'xmlns:media="http://search.yahoo.com/mrss/"'


def feed_with(extra: str, body: str = "") -> bytes:
    """One RSS item carrying ``extra`` markup and ``body`` before readable paragraphs."""
    html = body + paragraphs("lead")
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {MEDIA_NS}><channel>'
        "<title>Pictures</title><link>https://example.org/</link>"
        "<item><title>With a picture</title><guid isPermaLink='false'>p1</guid>"
        "<link>https://example.org/posts/p1</link><pubDate>Mon, 05 Jan 2026 08:00:00 GMT</pubDate>"
        f"{extra}<description><![CDATA[{html}]]></description></item></channel></rss>"
    ).encode()


CASES = {
    "enclosure": (
        feed_with('<enclosure url="https://cdn.example.org/e.jpg" type="image/jpeg" length="9"/>'),
        "https://cdn.example.org/e.jpg",
    ),
    "audio enclosure is not an image": (
        feed_with('<enclosure url="https://cdn.example.org/e.mp3" type="audio/mpeg" length="9"/>'),
        None,
    ),
    "media:content": (
        feed_with('<media:content url="https://cdn.example.org/m.png" medium="image"/>'),
        "https://cdn.example.org/m.png",
    ),
    "media:thumbnail": (
        feed_with('<media:thumbnail url="https://cdn.example.org/t.webp" width="640"/>'),
        "https://cdn.example.org/t.webp",
    ),
    "first img, relative": (
        feed_with("", '<p><img src="/img/first.jpg" alt=""><img src="/img/second.jpg"></p>'),
        "https://example.org/img/first.jpg",
    ),
    "tracking pixel skipped": (
        feed_with(
            "",
            '<img src="https://t.example.net/px.gif" width="1" height="1">'
            '<img src="data:image/png;base64,AAAA">'
            '<img width="800" src="https://cdn.example.org/real.jpg">',
        ),
        "https://cdn.example.org/real.jpg",
    ),
    "no picture": (feed_with(""), None),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_the_lead_image_is_posted_with_the_summary(
    feedbot: FeedBot, server: FeedServer, case: str
) -> None:
    body, expected = CASES[case]
    url = server.serve("/feed.xml", body)
    reply = await feedbot.admin(f"!feed add {url}")
    assert "Added feed #1" in reply, reply
    await feedbot.poll()
    posted = [s for s in feedbot.fake.sent if s.op == "post" and s.key.endswith(":summary")]
    assert len(posted) == 1
    assert posted[0].message is not None and posted[0].message.image == expected


@pytest.mark.parametrize("case", list(CASES))
def test_feedparser_finds_the_same_image_as_the_fast_path(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, expected = CASES[case]
    assert parse_feed(body).entries[0].image == expected
    monkeypatch.setattr(document, "parse_fast", lambda _data: None)
    assert parse_feed(body).entries[0].image == expected


def test_json_feed_image_and_banner_image() -> None:
    item = '{"id": "1", "url": "https://example.org/a", "content_html": "<p>x</p>"'
    head = '{"version": "https://jsonfeed.org/version/1.1", "items": ['
    both = f'{head}{item}, "image": "/i.png", "banner_image": "https://b.example/b.png"}}]}}'
    banner = f'{head}{item}, "banner_image": "https://b.example/b.png"}}]}}'
    bad = f'{head}{item}, "image": "ftp://x.example/i.png"}}]}}'
    assert parse_feed(both.encode()).entries[0].image == "https://example.org/i.png"
    assert parse_feed(banner.encode()).entries[0].image == "https://b.example/b.png"
    assert parse_feed(bad.encode()).entries[0].image is None


@pytest.mark.parametrize("fast", [True, False])
def test_atom_enclosure_and_media_group(fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not fast:
        monkeypatch.setattr(document, "parse_fast", lambda _data: None)
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f"{MEDIA_NS}><title>A</title><id>https://example.org/</id>"
        "<entry><id>https://example.org/1</id><title>One</title>"
        '<link href="https://example.org/1"/>'
        '<link rel="enclosure" type="image/png" href="https://cdn.example.org/atom.png"/>'
        "<content type='html'>&lt;p&gt;text&lt;/p&gt;</content></entry>"
        "<entry><id>https://example.org/2</id><title>Two</title>"
        '<link href="https://example.org/2"/><media:group>'
        '<media:content url="https://cdn.example.org/g.jpg" type="image/jpeg"/></media:group>'
        "<content type='html'>&lt;p&gt;text&lt;/p&gt;</content></entry></feed>"
    ).encode()
    entries = parse_feed(atom).entries
    assert [e.image for e in entries] == [
        "https://cdn.example.org/atom.png",
        "https://cdn.example.org/g.jpg",
    ]
