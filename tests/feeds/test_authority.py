"""Who may do what with feeds: a community admin governs only their own community's
subscriptions, nobody becomes another community's author, bot admins still govern all.

The fake platform has two communities: server one (#a1, #a2) where Ann has Manage Server,
and server two (#b1) where Ben has it. "admin" is a bot admin (config ``[bot] admins``).
"""

from __future__ import annotations

import pytest

from bot.core.models import Role
from tests.feeds.conftest import FeedBot, FeedServer, Item, rss20
from tests.reads import reads

ITEMS = [Item(f"e{n}", f"Entry {n}", f"Mon, 0{n} Jan 2026 08:00:00 GMT") for n in (3, 2, 1)]
MORE = [Item("e4", "Entry 4", "Sun, 04 Jan 2026 09:00:00 GMT"), *ITEMS]


@pytest.fixture
def two(feedbot: FeedBot) -> FeedBot:
    fake = feedbot.fake
    fake.communities.update({"#a1": "fake:one", "#a2": "fake:one", "#b1": "fake:two"})
    fake.community_roles[("ann", "fake:one")] = Role.ADMIN
    fake.community_roles[("ben", "fake:two")] = Role.ADMIN
    return feedbot


async def say(fb: FeedBot, who: str, text: str, channel: str) -> str:
    before = len(fb.fake.sent)
    await fb.fake.say(fb.fake.user(who), text, channel=channel)
    await fb.app.delivery.drain()
    replies = [s for s in fb.fake.sent[before:] if s.op == "reply"]
    assert replies, f"no reply to {text!r}"
    return replies[-1].text


async def test_a_community_admin_sees_and_changes_only_their_own_feeds(
    two: FeedBot, server: FeedServer
) -> None:
    mine = server.serve("/a.xml", rss20(ITEMS, title="Ann's"))
    theirs = server.serve("/b.xml", rss20(ITEMS, title="Ben's"))
    assert "Added feed #1" in await say(two, "ann", f"!feed add {mine}", "#a1")
    assert "Added feed #2" in await say(two, "ben", f"!feed add {theirs}", "#b1")

    listed = await say(two, "ann", "!feed list", "#a2")
    assert "Ann's" in listed and "Ben's" not in listed and "#b1" not in listed
    for action in ("pause 2", "remove 2", "post 2", "status 2", "resume 2"):
        said = await say(two, "ann", f"!feed {action}", "#a1")
        assert said.startswith("There is no feed #2 in this server"), (action, said)

    feed = await reads(two.app.store).feeds.get(2)
    assert feed is not None and not feed.paused
    assert "Ben's" in await say(two, "ben", "!feed list", "#b1")
    server.serve("/b.xml", rss20(MORE, title="Ben's"))
    await two.poll(advance=901)
    assert two.summaries("#b1")[-1].startswith("Entry 4")  # still posting there


async def test_a_community_admin_cannot_add_to_another_servers_channel(
    two: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/a.xml", rss20(ITEMS))
    said = await say(two, "ann", f"!feed add {url} #b1", "#a1")
    assert said == (
        "fake:#b1 is not in this server: you can add feeds only to its own channels. "
        "Nothing was added."
    )
    assert server.count("/a.xml") == 0 and not two.summaries()
    # Their own second channel is fine.
    assert "posting to fake:#a2" in await say(two, "ann", f"!feed add {url} #a2", "#a1")


async def test_a_shared_feed_is_paused_and_removed_per_community(
    two: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/f.xml", rss20(ITEMS))
    await say(two, "ann", f"!feed add {url}", "#a1")
    assert "Added feed #1" in await say(two, "ben", f"!feed add {url}", "#b1")
    said = await say(two, "ben", "!feed pause 1", "#b1")
    assert said.startswith("Paused feed #1") and "here" in said
    assert "paused" not in (await say(two, "ann", "!feed list", "#a1")).split("\n")[2]
    assert "paused" in (await say(two, "ben", "!feed list", "#b1")).split("\n")[2]

    server.serve("/f.xml", rss20(MORE))
    await two.poll(advance=901)
    assert two.summaries("#a1")[-1].startswith("Entry 4")
    assert not any(s.startswith("Entry 4") for s in two.summaries("#b1"))

    assert "Removed feed #1" in await say(two, "ben", "!feed remove 1", "#b1")
    assert "#a1" in await say(two, "ann", "!feed list", "#a1")
    assert "No feeds yet" in await say(two, "ben", "!feed list", "#b1")


async def test_naming_yourself_author_of_an_existing_feed_makes_you_author_of_yours_only(
    two: FeedBot, server: FeedServer
) -> None:
    """The takeover of issue 19: Ben adds Ann's feed's URL naming himself its author."""
    url = server.serve("/f.xml", rss20(ITEMS))
    await say(two, "ann", f"!feed add {url} author carol", "#a1")
    said = await say(two, "ben", f"!feed add {url} author ben", "#b1")
    assert "Added feed #1" in said
    assert "fake:ben now answers its readers' questions here as its author." in said
    assert "I told" not in said  # Ben's subscription had no authors before

    await two.fake.say(two.fake.user("dana"), "!ask Who wrote this and why?", channel="#a1")
    await two.app.delivery.drain()
    assert "Who wrote this" not in await say(two, "ben", "!queue", "#b1")
    assert "is not on an article of yours" in await say(two, "ben", "!answer 1 It was me.", "#b1")
    assert "not on an article of yours" not in await say(two, "carol", "!answer 1 I did.", "#a1")
    told = [s.text for s in two.fake.sent if "answered your question #1" in s.text]
    assert told and told[0].startswith("Carol (an author) answered")
    # Carol heard of the question; Ben never did.
    dms = [s for s in two.fake.sent if s.op == "dm"]
    assert {s.where.channel for s in dms if "Who wrote this" in s.text} == {"@carol"}


async def test_adding_an_author_is_said_and_told_to_the_authors_before(
    two: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/f.xml", rss20(ITEMS))
    await say(two, "ann", f"!feed add {url} author carol", "#a1")
    said = await say(two, "ann", f"!feed add {url} author mallory", "#a1")
    assert "fake:mallory now answers its readers' questions here as its author." in said
    assert "I told fake:carol, its authors before." in said
    dm = [s for s in two.fake.sent if s.op == "dm" and s.where.channel == "@carol"]
    assert len(dm) == 1 and "Ann (fake:ann) made fake:mallory an author of feed #1" in dm[0].text
    again = await say(two, "ann", f"!feed add {url} author mallory", "#a1")
    assert "fake:mallory already answer its readers here." in again
    assert len([s for s in two.fake.sent if s.op == "dm" and s.where.channel == "@carol"]) == 1


async def test_a_bot_admin_still_governs_every_community(two: FeedBot, server: FeedServer) -> None:
    a = server.serve("/a.xml", rss20(ITEMS, title="Ann's"))
    b = server.serve("/b.xml", rss20(ITEMS, title="Ben's"))
    await say(two, "ann", f"!feed add {a}", "#a1")
    await say(two, "ben", f"!feed add {b}", "#b1")
    listed = await two.admin("!feed list", channel="#a1")
    assert "Ann's" in listed and "Ben's" in listed
    assert (await two.admin("!feed pause 2", channel="#a1")).startswith("Paused feed #2")
    assert "paused" in (await say(two, "ben", "!feed list", "#b1"))
    said = await two.admin(f"!feed add {a} #b1 author carol", channel="#a1")
    assert "posting to fake:#b1" in said and "fake:carol now answers" in said
    assert "Removed feed #2" in await two.admin("!feed remove 2", channel="#a1")


async def test_feed_commands_from_a_community_admin_need_their_community(
    two: FeedBot, server: FeedServer
) -> None:
    """In a direct chat nothing says which server is meant."""
    two.fake.roles["ann"] = Role.ADMIN  # so the role check passes there
    said = await say(two, "ann", "!feed list", "@ann")
    assert said.startswith("Feed commands work in a channel of your server or room")
