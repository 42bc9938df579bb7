"""Teasers read from their pages; OPML import and export."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.feeds.cli import _import, add_feed_commands
from bot.feeds.document import FeedEntry
from bot.feeds.opml import OpmlError, OpmlFeed, read_opml, write_opml
from bot.feeds.teaser import is_teaser, main_html
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.feeds.conftest import (
    FeedBot,
    FeedServer,
    Item,
    feed_settings,
    make_feedbot,
    paragraphs,
    rss20,
    utc,
)
from tests.reads import reads

POINTS = "".join(f"<h3>{n}. Point number {n}</h3>{paragraphs(f'point{n}', 2)}" for n in (1, 2, 3))
PAGE = f"""<!doctype html><html><head><title>Site</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us and our many long-winded pages</a></nav>
<div class="sidebar"><p>{"Subscribe to our newsletter for the latest updates. " * 5}</p></div>
<div class="content"><h1>Three points</h1>{paragraphs("intro", 2)}{POINTS}</div>
<footer><p>{"Copyright and legal text that is long enough to count. " * 4}</p></footer>
</body></html>"""
TEASER = "<p>Three points about the summit. Read more</p>"


def _teaser_feed(server: FeedServer) -> bytes:
    page = server.serve("/post/1", PAGE.encode(), content_type="text/html")
    item = Item("t1", "Three points", content=TEASER)
    return rss20([item]).replace(b"https://example.org/t1", page.encode())


async def test_a_teaser_is_read_from_its_page(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed", _teaser_feed(server))
    await feedbot.admin(f"!feed add {url}")
    assert server.count("/post/1") == 1
    [summary] = feedbot.summaries()
    assert "1. Point number 1" in summary and "3. Point number 3" in summary
    titles = [t.title for t in feedbot.fake.threads()]
    assert titles == ["1. Point number 1", "2. Point number 2", "3. Point number 3"]


async def test_full_article_never_keeps_the_teaser(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock, server: FeedServer
) -> None:
    fb = await make_feedbot(db, fake, clock, feed_settings(fetch_full_article="never"))
    try:
        url = server.serve("/feed", _teaser_feed(server))
        await fb.admin(f"!feed add {url}")
        assert server.count("/post/1") == 0
        assert len(fake.threads()) == 1  # no points in a teaser: one thread
    finally:
        await fb.app.fetcher.close()


async def test_a_per_feed_choice_wins(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed", _teaser_feed(server))
    await feedbot.admin(f"!feed add {url} full never")
    assert server.count("/post/1") == 0


@pytest.mark.parametrize(
    ("content", "teaser"),
    [
        (TEASER, True),
        (paragraphs("long", 5), False),
        (paragraphs("long", 5) + "<p>Continue reading…</p>", True),
        (paragraphs("long", 5) + "<p>The end [...]</p>", True),
    ],
)
def test_teaser_detection(content: str, teaser: bool) -> None:
    entry = FeedEntry("k", "T", "https://example.org/1", "", "", content, None)
    assert is_teaser(entry) is teaser


def test_main_html_prefers_the_densest_container_over_chrome() -> None:
    found = main_html(PAGE.encode())
    assert "Point number 2" in found and "newsletter" not in found and "Copyright" not in found
    single = b"<html><body><nav>menu</nav><article>" + paragraphs("x", 3).encode() + b"</article>"
    assert main_html(single + b"</body></html>").startswith("<article>")


OPML = b"""<?xml version="1.0"?><opml version="1.0"><head><title>Mine</title></head><body>
<outline text="Tech"><outline text="A" title="Feed A" type="rss" xmlUrl="https://a.example/feed"
 htmlUrl="https://a.example/"/><outline text="B" xmlUrl="https://b.example/rss"/></outline>
<outline text="A again" xmlUrl="https://a.example/feed"/><outline text="folder only"/>
</body></opml>"""


def test_opml_is_read_flattened_and_deduplicated() -> None:
    assert read_opml(OPML) == [
        OpmlFeed("https://a.example/feed", "Feed A", "https://a.example/"),
        OpmlFeed("https://b.example/rss", "B", ""),
    ]
    with pytest.raises(OpmlError, match="not OPML"):
        read_opml(b"<rss/>")
    with pytest.raises(OpmlError, match="not well-formed"):
        read_opml(b"<opml><body>")


def test_opml_round_trip() -> None:
    feeds = [OpmlFeed("https://a.example/feed", "Feed A & co", "https://a.example/")]
    text = write_opml(feeds, now=utc(2026, 1, 5, 9, 0))
    assert "Mon, 05 Jan 2026 09:00:00 GMT" in text
    assert read_opml(text.encode()) == feeds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot")
    add_feed_commands(parser.add_subparsers(dest="command"))
    return parser


def test_import_without_checks_then_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_bytes(OPML)
    dbfile = str(tmp_path / "cli.sqlite3")
    args = _parser().parse_args(
        [
            "feeds",
            "import",
            str(opml),
            "--no-check",
            "--target",
            "console:#news",
            "--author",
            "console:ana",
            "--database",
            dbfile,
        ]
    )
    assert args.func(args) == 0
    said = capsys.readouterr()
    assert "2 imported, 0 already present, 0 not added, 2 outlines skipped." in said.out
    assert "skipped: https://a.example/feed: listed twice in the file" in said.out
    assert "skipped: folder only: it has no xmlUrl" in said.out
    assert f"database {dbfile}" in said.err  # a writing command says which database
    assert args.func(args) == 0  # again: nothing new, and it says so
    assert "0 imported, 2 already present" in capsys.readouterr().out
    args = _parser().parse_args(["feeds", "export", "--database", dbfile])
    assert args.func(args) == 0
    assert read_opml(capsys.readouterr().out.encode()) == read_opml(OPML)


def test_import_needs_a_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["feeds", "import", "x.opml", "--database", str(tmp_path / "d")])
    assert args.func(args) == 2
    assert "needs at least one --target" in capsys.readouterr().err
    args = _parser().parse_args(["feeds", "import", "x.opml", "--target", "discord:general"])
    assert args.func(args) == 2
    assert "'discord:general': a Discord target is the channel's id" in capsys.readouterr().err


def test_export_refuses_a_database_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.sqlite3"
    args = _parser().parse_args(["feeds", "export", "--database", str(missing)])
    assert args.func(args) == 3
    assert "no such database file" in capsys.readouterr().err
    assert not missing.exists()


async def test_import_checks_each_feed(tmp_path: Path, server: FeedServer, db: SqliteStore) -> None:
    good = server.serve("/good", rss20([Item("1", "One")], title="Good one"))
    feeds = [OpmlFeed(good), OpmlFeed(server.url("/missing"))]
    args = argparse.Namespace(
        target=["console:#news"], author=[], no_check=False, database=db.path, config=None
    )
    report = await _import(args, feed_settings(), feeds, backfill=0)
    assert report.added == 1 and report.failed == [(server.url("/missing"), "HTTP 404")]
    [feed] = await reads(db).feeds.all()
    assert feed.url == good and feed.title == "Good one" and feed.backfill == 0
