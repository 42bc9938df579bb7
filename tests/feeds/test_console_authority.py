"""Authority on the console (each channel its own community, admins only from the config):
the author takeover of issue 19, tried with a configured admin naming a new author."""

from __future__ import annotations

from dataclasses import replace

from bot.adapters.console import ConsoleAdapter
from bot.adapters.console_session import ConsoleSession
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.feeds.conftest import FeedServer, Item, feed_settings, rss20

ITEMS = [Item(f"e{n}", f"Entry {n}", f"Mon, 0{n} Jan 2026 08:00:00 GMT") for n in (2, 1)]


async def test_an_author_named_for_one_channel_answers_only_there(
    db: SqliteStore, clock: Clock, server: FeedServer
) -> None:
    url = server.serve("/f.xml", rss20(ITEMS))
    lines: list[str] = []
    console = ConsoleAdapter(lines.append)
    app = Bot(
        db,
        {console.platform: console},
        replace(feed_settings(), admins=frozenset({"console:admin"})),
        clock,
    )
    await console.start(app.conversation.handle)
    session = ConsoleSession(console, lines.append, app.delivery.drain)

    async def say(*typed: str) -> str:
        start = len(lines)
        for line in typed:
            await session.line(line)
        return "\n".join(lines[start:])

    try:
        said = await say("/as admin", "/in a", f"!feed add {url} author carol")
        assert "Added feed #1" in said and "console:carol now answers" in said
        # The same URL for channel b, naming Mallory: b's subscription only; Carol is not
        # told (she authors a's), and the reply says who now answers there.
        said = await say("/in b", f"!feed add {url} author mallory")
        assert "console:mallory now answers its readers' questions here" in said
        assert "I told" not in said
        await say("/as kim", "/in a", "!ask What is entry 2 about?")
        said = await say("/as mallory", "/in b", "!queue", "!answer 1 Mine now.")
        assert "What is entry 2 about" not in said
        assert "Question #1 is not on an article of yours" in said
        said = await say("/as carol", "/in a", "!answer 1 It is about two things.")
        assert "Carol (an author) answered your question #1" in said
        # Naming another author in a: said, and Carol (its author before) is told.
        said = await say("/as admin", "/in a", f"!feed add {url} author lee")
        assert "I told console:carol, its authors before." in said
        assert "made console:lee an author of feed #1" in said  # Carol's direct message
    finally:
        await app.fetcher.close()
        await console.close()
