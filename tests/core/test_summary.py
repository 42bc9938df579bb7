"""Table tests for bot.core.summary: Article in, bounded text and safe HTML out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.models import Article, Point
from bot.core.parsing import parse_article
from bot.core.summary import (
    DISCORD_LIMIT,
    ONE_THREAD,
    render_point_opening,
    render_summary,
    summary_blurb,
    thread_title,
)

SEED_TEXT = (Path(__file__).resolve().parents[1] / "fixtures" / "seed-article.txt").read_text(
    encoding="utf-8"
)
SEED = parse_article(SEED_TEXT, title="Putin & Pezeshkian", link="https://x.example/p/1")
LONG_TITLE = "An extraordinarily long point title that keeps going well past any sensible length"
MANY = Article(
    title="Sixty points",
    link="https://x.example/p/60",
    author="Andrew",
    intro="Intro sentence one. Intro sentence two.",
    points=tuple(Point(n, f"{LONG_TITLE} number {n}", "Body.") for n in range(1, 61)),
)
ALLOWED_TAGS = {"a", "b", "br", "ol", "li", "p", "em"}


def _tags(html: str) -> set[str]:
    return set(re.findall(r"</?([a-zA-Z0-9]+)", html))


@pytest.mark.parametrize(
    ("intro", "subtitle", "max_chars", "expected"),
    [
        ("One. Two. Three.", "The dek.", 400, "The dek."),
        (
            "First sentence here. Second one. Third.",
            "",
            400,
            "First sentence here. Second one. Third.",
        ),
        ("First sentence here. Second one. Third.", "", 35, "First sentence here. Second one."),
        ("First sentence here. Second one. Third.", "", 25, "First sentence here."),
        ("Mr. Smith went to Washington. He stayed.", "", 35, "Mr. Smith went to Washington."),
        ("A single sentence that is far too long to fit", "", 20, "A single sentence…"),
        ("Para one.\n\nPara two is here.", "", 400, "Para one. Para two is here."),
        ("", "", 400, ""),
    ],
)
def test_summary_blurb(intro: str, subtitle: str, max_chars: int, expected: str) -> None:
    article = Article(title="T", intro=intro, subtitle=subtitle)
    blurb = summary_blurb(article, max_chars)
    assert blurb == expected
    assert len(blurb) <= max_chars


def test_seed_summary_lists_every_point() -> None:
    r = render_summary(SEED)
    lines = r.text.splitlines()
    assert lines[:3] == ["Putin & Pezeshkian", "https://x.example/p/1", ""]
    assert lines[3] == summary_blurb(SEED)
    assert lines[-5:] == [f"{p.number}. {p.title}" for p in SEED.points]
    assert (r.title, r.url) == ("Putin & Pezeshkian", "https://x.example/p/1")
    assert "<li>Their Updated Strategic Partnership Document</li>" in (r.html or "")
    assert "Putin &amp; Pezeshkian" in (r.html or "")


@pytest.mark.parametrize("max_chars", [300, 600, 1000, 1900, 2000, DISCORD_LIMIT])
def test_summary_fits_limit_with_sixty_long_titles(max_chars: int) -> None:
    r = render_summary(MANY, max_chars=max_chars)
    assert len(r.text) <= max_chars
    assert r.text.startswith("Sixty points\nby Andrew\nhttps://x.example/p/60\n")
    assert _tags(r.html or "") <= ALLOWED_TAGS
    if max_chars < DISCORD_LIMIT:
        assert re.search(r"… and \d+ more points$", r.text)
        shown = len(re.findall(r"^\d+\. ", r.text, flags=re.MULTILINE))
        assert f"and {60 - shown} more points" in r.text


def test_summary_shortens_titles_before_dropping_points() -> None:
    r = render_summary(MANY, max_chars=DISCORD_LIMIT)
    assert "60. " in r.text and "more points" not in r.text
    assert all(len(line) <= 125 for line in r.text.splitlines())


@pytest.mark.parametrize(
    ("link", "linked"),
    [
        ("https://x.example/p", True),
        ("http://x.example/p", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("", False),
    ],
)
def test_only_web_links_are_linked(link: str, linked: bool) -> None:
    html = render_summary(Article(title="T", link=link, intro="Hi.")).html or ""
    assert ("<a href=" in html) is linked
    assert "<script" not in html


def test_html_escapes_titles() -> None:
    article = Article(
        title="<script>alert(1)</script>",
        author="<b>me</b>",
        intro="1 < 2 & 3 > 2.",
        points=(Point(1, "<script>x</script> & co", "b"), Point(2, "ok", "b")),
    )
    r = render_summary(article)
    html = r.html or ""
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;me&lt;/b&gt;" in html
    assert "1 &lt; 2 &amp; 3 &gt; 2." in html
    assert r.text.splitlines()[0] == "<script>alert(1)</script>"  # plain text stays literal


def test_pointless_article_says_one_thread() -> None:
    r = render_summary(Article(title="Essay", intro="Just prose. More prose."))
    assert r.text.splitlines()[-1] == ONE_THREAD
    assert r.url is None


@pytest.mark.parametrize(
    ("number", "title", "limit", "expected"),
    [
        (
            3,
            "Their Updated Strategic Partnership Document",
            100,
            "3. Their Updated Strategic Partnership Document",
        ),
        (3, "Their Updated Strategic Partnership Document", 30, "3. Their Updated Strategic…"),
        (12, "x" * 200, 20, "12. " + "x" * 15 + "…"),
        (None, "", 100, "Putin & Pezeshkian"),
    ],
)
def test_thread_title(number: int | None, title: str, limit: int, expected: str) -> None:
    point = Point(number, title, "body") if number is not None else None
    result = thread_title(point, SEED, limit)
    assert result == expected
    assert len(result) <= limit


def test_point_opening_short_body_is_whole() -> None:
    point = SEED.points[2]
    r = render_point_opening(SEED, point)
    assert r.text == f"Point 3: {point.title}\n\n{point.body}"
    assert r.title == f"Point 3: {point.title}"
    assert "read the full point" not in r.text


@pytest.mark.parametrize("max_chars", [400, 450, 500])
def test_point_opening_cut_at_sentence_with_link(max_chars: int) -> None:
    point = SEED.points[0]
    r = render_point_opening(SEED, point, max_chars=max_chars)
    assert len(r.text) <= max_chars
    head, body = r.text.split("\n\n", 1)
    assert head == "Point 1: Iran’s Response To Israel’s Expected Retaliation"
    shown, tail = body.split(" … read the full point: ")
    assert tail == "https://x.example/p/1"
    assert point.body.startswith(shown) and shown.endswith(".")
    assert '<a href="https://x.example/p/1">' in (r.html or "")


@pytest.mark.parametrize("max_chars", [60, 120, 200])
def test_point_opening_tiny_limits_still_fit(max_chars: int) -> None:
    r = render_point_opening(SEED, SEED.points[0], max_chars=max_chars)
    assert len(r.text) <= max_chars
    assert r.text.startswith("Point 1: ")


def test_point_opening_without_link_ends_with_ellipsis() -> None:
    article = Article(title="T", points=(Point(1, "Title", "One. Two. Three. " * 50),))
    r = render_point_opening(article, article.points[0], max_chars=100)
    assert len(r.text) <= 100
    assert r.text.endswith(". …")
    assert r.url is None
