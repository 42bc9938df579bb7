"""Filters per subscription and ``!feed preview``, through the real poller against feeds on
a loopback server.

Two communities read one feed: server one (#a1) where Ann is admin, server two (#b1) where
Ben is. Each one's filters decide only what its own channels get.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import ConfigError, FeedSettings, load_settings
from bot.core.models import Role
from bot.feeds import filters
from bot.feeds.document import FeedEntry
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.feeds.conftest import FeedBot, FeedServer, feed_settings, make_feedbot, paragraphs

BODIES = {"e3": "<p>Tonight the leaders discuss <b>air</b> defense, and the count goes on.</p>" * 8}


def rss(items: list[tuple[str, str, str, str]]) -> bytes:
    """(guid, title, author, category) items, newest first."""
    parts = [
        f"<item><title>{title}</title><guid isPermaLink='false'>{guid}</guid>"
        f"<link>https://example.org/{guid}</link><author>{author}</author>"
        f"<category>{cat}</category><pubDate>Mon, 0{len(items) - i} Jan 2026 08:00:00 GMT"
        f"</pubDate><description><![CDATA[{BODIES.get(guid) or paragraphs(guid)}]]>"
        "</description></item>"
        for i, (guid, title, author, cat) in enumerate(items)
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Shared'
        f"</title><link>https://example.org/</link>{''.join(parts)}</channel></rss>"
    ).encode()


FIRST = [("e1", "Opening", "ana@example.org (Ana)", "News")]
NEXT = [
    ("e4", "Sponsored: buy our widget", "ads@example.org (Ads)", "Promo"),
    ("e3", "Election results tonight", "bo@example.org (Bo)", "Politics"),
    ("e2", "Rust 2.0 released", "ana@example.org (Ana)", "Tech"),
    *FIRST,
]


@pytest.fixture
def two(feedbot: FeedBot) -> FeedBot:
    fake = feedbot.fake
    fake.communities.update({"#a1": "fake:one", "#b1": "fake:two"})
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


def titles(fb: FeedBot, channel: str) -> list[str]:
    return [s.splitlines()[0] for s in fb.summaries(channel)]


async def test_each_community_filters_its_own_subscription(
    two: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    assert "Added feed #1" in await say(two, "ann", f"!feed add {url}", "#a1")
    assert "Added feed #1" in await say(two, "ben", f"!feed add {url}", "#b1")

    said = await say(two, "ann", "!feed filter 1 exclude title re:^Sponsored", "#a1")
    assert "now has the filter exclude title re:^Sponsored here" in said
    said = await say(two, "ben", '!feed filter 1 include text "air defense"', "#b1")
    assert 'include text "air defense"' in said
    await say(two, "ben", "!feed filter 1 include category tech", "#b1")
    assert "include category tech" in await say(two, "ben", "!feed filter 1 list", "#b1")
    assert "re:^Sponsored" not in await say(two, "ben", "!feed filter 1 list", "#b1")

    server.serve("/feed.xml", rss(NEXT))
    await two.poll(advance=901)
    assert titles(two, "#a1") == [
        "Opening",
        "Rust 2.0 released",
        "Election results tonight",
    ]
    # Ben: only Tech, or a text with the phrase "air defense" (whole words, any case).
    assert titles(two, "#b1") == ["Opening", "Rust 2.0 released", "Election results tonight"]

    status = await say(two, "ann", "!feed status 1", "#a1")
    assert (
        "“Sponsored: buy our widget” (2026-01-04) — not posted: excluded by `title re:^Sponsored`"
        in status
    )
    assert "“Election results tonight”" in status and "posted: " in status
    status_b = await say(two, "ben", "!feed status 1", "#b1")
    assert "matches no include filter" in status_b
    # Another poll posts nothing more: what a filter held back is recorded, not retried.
    before = len(two.summaries())
    await two.poll(advance=901)
    assert len(two.summaries()) == before


async def test_exclude_wins_and_clear_lets_everything_through(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url}")
    await feedbot.admin("!feed filter 1 include author ana")
    await feedbot.admin("!feed filter 1 exclude category tech")
    server.serve("/feed.xml", rss(NEXT[1:]))
    await feedbot.poll(advance=901)
    # Rust is Ana's (included) but Tech (excluded): exclude wins. Bo is not included.
    assert titles(feedbot, "#general") == ["Opening"]
    status = await feedbot.admin("!feed status 1")
    assert "“Rust 2.0 released” (2026-01-02) — not posted: excluded by `category tech`" in status
    assert "Cleared 2 filters" in await feedbot.admin("!feed filter 1 clear")
    assert "no filters" in await feedbot.admin("!feed filter 1 list")
    server.serve("/feed.xml", rss(NEXT))
    await feedbot.poll(advance=901)
    assert titles(feedbot, "#general")[-1] == "Sponsored: buy our widget"


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("!feed filter 1 exclude colour red", "a filter's field is one of title, author"),
        ("!feed filter 1 exclude title re:(a", "is not a regular expression I can run"),
        ("!feed filter 1 exclude title re:(a)\\1", "without backreferences"),
        ("!feed filter 1 maybe title x", "I did not understand 'maybe'"),
        ("!feed filter 1 exclude title", "needs a field and a pattern"),
        ("!feed filter 1", "needs what to do"),
        ("!feed filter 1 exclude title ...", "has no word to look for"),
    ],
)
async def test_a_bad_filter_is_refused_in_plain_words(
    feedbot: FeedBot, server: FeedServer, command: str, says: str
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url}")
    assert says in await feedbot.admin(command)
    assert "no filters" in await feedbot.admin("!feed filter 1 list")


async def test_preview_says_where_and_why_not_and_posts_nothing(
    two: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await say(two, "ann", f"!feed add {url}", "#a1")
    await say(two, "ben", f"!feed add {url}", "#b1")
    await say(two, "ann", "!feed filter 1 exclude title re:^Sponsored", "#a1")
    server.serve("/feed.xml", rss(NEXT))
    before = len(two.fake.sent)
    said = await two.admin("!feed preview 1 2", channel="#a1")
    assert said.startswith("Feed #1 “Shared”, its 2 latest entries (nothing is posted):")
    assert (
        "• “Sponsored: buy our widget” — would be posted to fake:#b1; "
        "not to fake:#a1: excluded by `title re:^Sponsored`"
    ) in said
    assert "• “Election results tonight” — would be posted to fake:#a1, fake:#b1" in said
    assert [s for s in two.fake.sent[before:] if s.op != "reply"] == []
    mine = await say(two, "ann", "!feed preview 1", "#a1")
    assert "fake:#b1" not in mine and "“Opening” — would be posted to fake:#a1" in mine
    assert "seen before: posted" in mine
    await say(two, "ben", "!feed pause 1", "#b1")
    said = await two.admin("!feed preview 1 1", channel="#a1")
    assert "not to fake:#b1: paused" in said
    assert "from 1 to 20" in await say(two, "ann", "!feed preview 1 50", "#a1")


def entry(**fields: str) -> FeedEntry:
    base = {"key": "k", "title": "", "link": "", "author": "", "description": "", "content": ""}
    return FeedEntry(**{**base, **fields}, published=None)  # type: ignore[arg-type]


def test_words_are_whole_case_folded_and_phrases_keep_their_order() -> None:
    e = entry(title="The Air-Defense systems, SANCTIONS & trade")
    assert filters.matches(filters.rule("include", "title", "sanctions"), e)
    assert filters.matches(filters.rule("include", "title", "air defense"), e)
    assert filters.matches(filters.rule("include", "title", '"air defense"'), e)
    assert not filters.matches(filters.rule("include", "title", '"defense air"'), e)
    assert not filters.matches(filters.rule("include", "title", "sanction"), e)  # whole words
    assert not filters.matches(filters.rule("include", "title", "sanctions energy"), e)


def test_word_terms_match_across_punctuation_and_markup_but_not_inside_words() -> None:
    e = entry(content="<p>Die <b>Straße</b>—air…defense! x_y 3rd</p>&amp; more")

    def hit(pattern: str) -> bool:
        return filters.matches(filters.rule("include", "text", pattern), e)

    assert hit("STRASSE") and hit('"air defense"') and hit("x_y") and hit("more")
    assert hit('"straße air"')  # the em dash and the tags between are not words
    assert not hit("x") and not hit("y")  # "_" is a word character: x_y is one word
    assert not hit("rd") and not hit("defens") and not hit("p") and not hit("amp")
    assert not hit('"defense air"')
    # A hit inside a word ("baa a") must not hide the whole-word one overlapping it.
    overlap = entry(title="baa a a")
    assert filters.matches(filters.rule("include", "title", '"a a"'), overlap)
    assert not filters.matches(filters.rule("include", "title", '"a a a"'), overlap)


def test_held_by_shares_an_entrys_field_text_across_subscriptions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.core.models import FeedId, Platform
    from bot.feeds.ingest import split_by_filters
    from bot.storage.types import Target

    calls: list[str] = []
    real = filters.field_text

    def counted(e: FeedEntry, field: str) -> str:
        calls.append(field)
        return real(e, field)

    monkeypatch.setattr(filters, "field_text", counted)
    e = entry(content="<p>energy prices</p>", title="Sponsored: energy")
    rules = {
        1: [
            filters.rule("exclude", "text", "sanctions"),
            filters.rule("exclude", "title", "re:^X"),
        ],
        2: [filters.rule("include", "text", '"energy prices"')],
        3: [filters.rule("exclude", "title", "sponsored")],
    }
    targets = [
        Target(i, FeedId(1), Platform("fake"), f"#{i}", subscription_id=i) for i in (1, 2, 3)
    ]
    passed, held = split_by_filters(e, targets, rules)
    assert [t.subscription_id for t in passed] == [1, 2]
    assert held == {3: "excluded by `title sponsored`"}
    assert sorted(calls) == ["text", "title"]  # each field read once for the three


def test_a_pathological_regex_finishes_at_once() -> None:
    r = filters.rule("exclude", "text", "re:(a+)+$")
    e = entry(content="a" * 200_000 + "!")
    started = time.perf_counter()
    assert filters.held_by([r], e) is None
    # A backtracking engine takes longer than the universe's age here; RE2 is linear.
    assert time.perf_counter() - started < 5


async def test_config_filters_apply_to_the_config_subscription(
    db: SqliteStore, fake: FakeChatAdapter, clock: Clock, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    spec = FeedSettings(
        url, ("fake:#news",), filters=("exclude title re:^Sponsored", 'include text "air defense"')
    )
    fb = await make_feedbot(db, fake, clock, replace(feed_settings(), feeds=(spec,)))
    try:
        await fb.app.sync_config_feeds()
        await fb.poll()
        server.serve("/feed.xml", rss(NEXT))
        await fb.poll(advance=901)
        # The first read is filtered too: "Opening" has no "air defense" in it.
        assert titles(fb, "#news") == ["Election results tonight"]
        listed = await fb.admin("!feed filter 1 list", channel="#news")
        assert 'exclude title re:^Sponsored; include text "air defense"' in listed
    finally:
        await fb.app.fetcher.close()


def test_config_filters_are_checked_when_the_config_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(
        '[[feeds]]\nurl = "https://w.example/feed"\ntargets = ["console:#general"]\n'
        'filters = ["exclude title re:^Sponsored", "exclude colour red", "include title re:(x"]\n'
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    text = str(err.value)
    assert "feeds[0].filters[1]" in text and "field is one of" in text
    assert "feeds[0].filters[2]" in text and "not a regular expression" in text
    path.write_text(
        '[[feeds]]\nurl = "https://w.example/feed"\ntargets = ["console:#general"]\n'
        'filters = ["Exclude TITLE re:^Sponsored"]\n'
    )
    assert load_settings(path, {}).feeds[0].filters == ("exclude title re:^Sponsored",)
