"""The summary template's checks (made when it is set) and the renderer honouring it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.discord import render as discord_render
from bot.core.models import Article, Point
from bot.core.summary import render_summary
from bot.core.template import (
    DEFAULT,
    HEADING_LIMITS,
    PLACEHOLDER_MAX,
    Template,
    TemplateError,
    blocks_of,
    heading_of,
    longest,
)

ARTICLE = Article(
    title="Five ways to sleep",
    link="https://example.org/sleep",
    author="Ada",
    subtitle="A short guide.",
    intro="Sleep matters. Here is how.",
    points=(Point(1, "Dark room", "Body."), Point(2, "Cool air", "Body.")),
)


def test_the_discord_heading_limit_is_the_adapters_embed_title_limit() -> None:
    assert HEADING_LIMITS["discord"] == discord_render.EMBED_TITLE_LIMIT


def test_the_longest_heading_counts_each_placeholder_at_its_most() -> None:
    assert longest("{title} on {feed}") == PLACEHOLDER_MAX["title"] + 4 + PLACEHOLDER_MAX["feed"]
    assert longest("{{literal}} {title}") == len("{literal} ") + PLACEHOLDER_MAX["title"]


def test_a_heading_fits_one_platform_and_not_another() -> None:
    heading = "{title} — {link}"  # 150 + 3 + 200 = 353
    assert heading_of(heading, ["matrix"]) == heading
    with pytest.raises(TemplateError, match="past Discord's limit for an embed title of 256"):
        heading_of(heading, ["matrix", "discord"])


def test_blocks_keep_their_order_and_none_is_empty() -> None:
    assert blocks_of("points, subtitle") == ("points", "subtitle")
    assert blocks_of("none") == ()
    with pytest.raises(TemplateError, match="no block 'image'"):
        blocks_of("image")


def test_the_default_template_renders_as_before() -> None:
    assert render_summary(ARTICLE, template=DEFAULT) == render_summary(ARTICLE)


def test_placeholders_and_blocks_in_the_rendered_summary() -> None:
    template = Template("{points_count} tips from {author} ({date})", ("points", "intro"))
    got = render_summary(ARTICLE, template=template, date=datetime(2026, 1, 4, tzinfo=UTC))
    assert got.text.splitlines() == [
        "2 tips from Ada (2026-01-04)",
        "https://example.org/sleep",
        "",
        "1. Dark room",
        "2. Cool air",
        "",
        "Sleep matters. Here is how.",
    ]
    assert got.title == "2 tips from Ada (2026-01-04)"  # the Discord card shows the heading
    assert "<li>Cool air</li></ol><p>Sleep matters. Here is how.</p>" in (got.html or "")


def test_intro_next_to_subtitle_shows_only_without_one() -> None:
    both = ("subtitle", "intro")
    assert "A short guide." in render_summary(ARTICLE, template=Template("{title}!", both)).text
    plain = Article(title="T", intro="Sleep matters.")
    assert "Sleep matters." in render_summary(plain, template=Template("{title}!", both)).text
    assert "Sleep" not in render_summary(plain, template=Template("{title}!", ("subtitle",))).text


def test_a_long_value_is_cut_and_a_long_link_becomes_the_site() -> None:
    long = Article(title="word " * 100, link="https://example.org/" + "a" * 300)
    got = render_summary(long, template=Template("{title} {link}", ()))
    heading = got.text.splitlines()[0]
    assert heading.endswith(" https://example.org/")
    assert len(heading) <= longest("{title} {link}")


def test_a_stored_template_reads_back_and_bad_storage_is_the_default() -> None:
    t = Template("{feed}: {title}", ("points",))
    assert Template.from_json(t.to_json()) == t
    assert Template.from_json("{not json") == DEFAULT
    assert Template.from_json(None) == DEFAULT
    assert Template.from_json('{"heading": "{nope}", "blocks": []}') == DEFAULT
    assert Template.from_json('{"heading": "{title}", "blocks": ["image"]}') == DEFAULT
