"""Table tests for bot.core.parsing: article text in, Article parts out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.parsing import ArticleError, detect_format, parse_article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = (FIXTURES / "seed-article.txt").read_text(encoding="utf-8").splitlines()
SEED_TITLES = [
    "Iran’s Response To Israel’s Expected Retaliation",
    "Defense Systems For Deterrence & De-Escalation",
    "Their Updated Strategic Partnership Document",
    "Speculative Iranian Military Exports To Russia",
    "Their Disagreement Over The Zangezur Corridor",
]
SEED_BODIES = [SEED[4], SEED[6], SEED[8], SEED[10], SEED[12]]
PAGE_TITLE = "Putin & Pezeshkian: What They’ll Likely Discuss"


def _article_file(name: str) -> str:
    return (FIXTURES / "articles" / name).read_text(encoding="utf-8")


def _all_text(text: str) -> str:
    a = parse_article(text)
    return "\n".join([a.subtitle, a.intro, *(p.title + p.body for p in a.points), a.conclusion])


def test_seed_plain_text() -> None:
    a = parse_article("\n".join(SEED), title="Putin and Pezeshkian", link="https://x.example/p")
    assert a.title == "Putin and Pezeshkian"
    assert a.link == "https://x.example/p"
    assert a.subtitle == SEED[0]
    assert a.intro == SEED[1]
    assert [p.title for p in a.points] == SEED_TITLES
    assert [p.number for p in a.points] == [1, 2, 3, 4, 5]
    assert [p.body for p in a.points] == SEED_BODIES
    assert a.conclusion == SEED[14]  # the reader comments after it are not article text


# (file, format, title, subtitle, bodies that differ from the seed's: {number: extra text})
# The Substack page splits each point's paragraph after its first sentence (key 0).
SEED_VARIANTS = [
    ("seed-substack-page.html", "html", PAGE_TITLE, SEED[0], {0: "two paragraphs"}),
    ("seed-notes.html", "html", "Untitled article", "", {}),
    ("seed-bold.html", "html", "Untitled article", "", {}),
    (
        "seed-list.html",
        "html",
        "Untitled article",
        "",
        {
            1: "- Israel’s response is delayed.\n\n- Iran may delay too.",
            4: "1. Drones.\n\n2. Missiles.\n\n3. Spare parts.",
        },
    ),
    ("seed-headings.md", "markdown", PAGE_TITLE, "", {}),
    ("seed-paren.md", "markdown", PAGE_TITLE, "", {}),
    ("seed-bold-point.md", "markdown", PAGE_TITLE, "", {}),
    ("seed-bold-number.md", "markdown", PAGE_TITLE, "", {}),
    ("seed-roman.txt", "text", "Untitled article", SEED[0], {}),
]


@pytest.mark.parametrize(("name", "fmt", "title", "subtitle", "extra"), SEED_VARIANTS)
def test_seed_in_every_format(
    name: str, fmt: str, title: str, subtitle: str, extra: dict[int, str]
) -> None:
    text = _article_file(name)
    assert detect_format(text) == fmt
    a = parse_article(text)
    assert a.title == title
    assert a.subtitle == subtitle
    assert a.intro == SEED[1]
    assert [p.title for p in a.points] == SEED_TITLES
    bodies = [b.replace(". ", ".\n\n", 1) for b in SEED_BODIES] if 0 in extra else SEED_BODIES
    expected = [
        body + ("\n\n" + extra[n] if n in extra else "") for n, body in enumerate(bodies, 1)
    ]
    assert [p.body for p in a.points] == expected
    assert a.conclusion == SEED[14]


@pytest.mark.parametrize(
    ("name", "unwanted"),
    [
        ("seed-substack-page.html", "Subscribe"),
        ("seed-substack-page.html", "Share"),
        ("seed-substack-page.html", "ambassador’s interview"),  # the footnote
        ("seed-substack-page.html", "Archive"),  # nav
        ("seed-substack-page.html", "Great post"),  # comments
        ("seed-substack-page.html", "window._preloads"),  # script
        ("seed-notes.html", "Subscribe"),
        ("seed-notes.html", "Share this post"),
        ("seed-notes.html", "Ibid"),
        ("seed-notes.html", "Foreign Ministry"),
    ],
)
def test_widgets_and_notes_are_not_article_text(name: str, unwanted: str) -> None:
    assert unwanted not in _all_text(_article_file(name))


# (case, text, expected [(number, title)], expected (part, substring) checks)
EDGE_CASES = [
    (
        "numbered lines in a markdown quote",
        "# T\n\nIntro words here.\n\n> 1. Quoted first\n> 2. Quoted second\n\nAfter.\n",
        [],
        [("intro", "1. Quoted first\n\n2. Quoted second")],
    ),
    (
        "numbered paragraphs in an HTML blockquote inside a point",
        "<p>Intro.</p><h3>1. Alpha</h3><blockquote><p>1. Said once.</p><p>2. Said twice.</p>"
        "</blockquote><h3>2. Beta</h3><p>B body.</p>",
        [(1, "Alpha"), (2, "Beta")],
        [("body1", "1. Said once.\n\n2. Said twice.")],
    ),
    (
        "a list of source links",
        '<p>Intro text.</p><ol><li><a href="https://a.example">Reuters: Iran summons envoy</a>'
        '</li><li><a href="https://b.example">TASS on the talks</a></li>'
        '<li><a href="https://c.example">Al Jazeera</a> explainer</li></ol>',
        [],
        [("intro", "Reuters")],
    ),
    (
        "a list starting at 3",
        '<p>Intro text.</p><ol start="3"><li>Third thing.</li><li>Fourth thing.</li></ol>',
        [],
        [("intro", "3. Third thing.\n\n4. Fourth thing.")],
    ),
    (
        "headings starting at 2",
        "<p>Intro.</p><h3>2. Later</h3><p>x</p><h3>3. Later still</h3><p>y</p>",
        [],
        [("intro", "2. Later\n\nx")],
    ),
    (
        "no numbered points",
        "<h1>Plain Essay</h1><p>First para. Two sentences.</p><p>Second para.</p>",
        [],
        [("intro", "First para. Two sentences.\n\nSecond para."), ("conclusion", "")],
    ),
    (
        "plain-text footnotes",
        "An opening paragraph with a claim in it.\nMore body text.\n1. See Reuters, 3 October.\n"
        "2. See TASS, 4 October.\n",
        [],
        [("intro", "1. See Reuters")],
    ),
    (
        "a Sources heading ends the article",
        "<p>Intro.</p><h2>1. One</h2><p>a</p><h2>2. Two</h2><p>b</p><h2>Sources</h2>"
        "<ol><li>Foo</li><li>Bar</li><li>Baz</li></ol>",
        [(1, "One"), (2, "Two")],
        [("body2", "b"), ("conclusion", "")],
    ),
    (
        "a numbered list inside a heading point is not the points",
        "<p>Intro.</p><h3>1. Alpha</h3><p>A body.</p><ol><li>x one</li><li>x two</li>"
        "<li>x three</li></ol><h3>2. Beta</h3><p>B body.</p>",
        [(1, "Alpha"), (2, "Beta")],
        [("body1", "A body.\n\n1. x one\n\n2. x two\n\n3. x three")],
    ),
    (
        "markdown items with nested sub-lists",
        "Intro.\n\n1. **First point.** Body one.\n   - sub a\n   - sub b\n"
        "2. **Second point.** Body two.\n   1. inner one\n   2. inner two\n\nClosing words.\n",
        [(1, "First point"), (2, "Second point")],
        [("body1", "Body one.\n\n- sub a\n\n- sub b"), ("conclusion", "Closing words.")],
    ),
    (
        "roman numeral headings",
        "<p>Intro.</p><h2>I. First</h2><p>a</p><h2>II. Second</h2><p>b</p>"
        "<h2>III. Third</h2><p>c</p><h2>IV. Fourth</h2><p>d</p>",
        [(1, "First"), (2, "Second"), (3, "Third"), (4, "Fourth")],
        [("body4", "d")],
    ),
    (
        "Point N: headings and a Conclusion heading",
        "<p>Intro.</p><h3>Point 1: Alpha</h3><p>a</p><h3>Point 2 – Beta</h3><p>b</p>"
        "<h2>Conclusion</h2><p>The end.</p><p>Really.</p>",
        [(1, "Alpha"), (2, "Beta")],
        [("body2", "b"), ("conclusion", "The end.\n\nReally.")],
    ),
    (
        "numbered paragraphs separated by <br> in a bare div",
        "<div>Intro text here.<br><br>1. First Title<br>Body of first.<br><br>"
        "2. Second Title<br>Body of second.</div>",
        [(1, "First Title"), (2, "Second Title")],
        [("intro", "Intro text here."), ("body2", "Body of second.")],
    ),
    (
        "short list items take the paragraphs that follow",
        "<p>Intro.</p><ol><li>Title one</li></ol><p>Body one.</p><p>More one.</p>"
        '<ol start="2"><li>Title two</li></ol><p>Body two.</p>',
        [(1, "Title one"), (2, "Title two")],
        [("body1", "Body one.\n\nMore one."), ("body2", "Body two.")],
    ),
    (
        "markdown 'Point N:' bold lead-ins",
        "**Point 1:** The first idea. More on it.\n\n**Point 2:** The second idea. More.\n",
        [(1, "The first idea"), (2, "The second idea")],
        [("body1", "More on it."), ("intro", "")],
    ),
    (
        "a long first sentence is cut for the title, the body keeps it",
        "<p><b>1.</b> " + "word " * 40 + "end. Rest.</p><p><b>2.</b> Short. Body.</p>",
        [(1, ("word " * 23).strip() + "…"), (2, "Short")],
        [("body1", "word word"), ("body1", "end. Rest.")],
    ),
    (
        "a hard-wrapped numbered paragraph is not cut at its line break",
        "Intro paragraph here.\n\n1. Putin plans to meet with new Iranian President Masoud\n"
        "Pezeshkian in Turkmenistan on Friday, the Kremlin says. More text.\n\n"
        "2. Second point in one line. Its body.\n",
        [
            (
                1,
                "Putin plans to meet with new Iranian President Masoud Pezeshkian in "
                "Turkmenistan on Friday, the Kremlin says",
            ),
            (2, "Second point in one line"),
        ],
        [("body1", "More text."), ("body2", "Its body.")],
    ),
    (
        "entities are decoded",
        "<p>AT&amp;T &lt;b&gt; caf&eacute;&nbsp;&nbsp;au&#8203;lait</p>",
        [],
        [("intro", "AT&T <b> café aulait")],
    ),
    (
        "a sequence that breaks keeps its consecutive start",
        "Intro line one.\n\n1) Alpha\nA.\n\n2) Beta\nB.\n\n4) Delta\nD.\n",
        [(1, "Alpha"), (2, "Beta")],
        [("body2", "B.\n\n4) Delta D.")],
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "points", "checks"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES]
)
def test_edge_cases(
    case: str, text: str, points: list[tuple[int, str]], checks: list[tuple[str, str]]
) -> None:
    a = parse_article(text)
    assert [(p.number, p.title) for p in a.points] == points
    parts = {"intro": a.intro, "conclusion": a.conclusion, "subtitle": a.subtitle}
    parts |= {f"body{p.number}": p.body for p in a.points}
    for part, expected in checks:
        if expected:
            assert expected in parts[part], (case, part, parts[part])
        else:
            assert parts[part] == "", (case, part)


@pytest.mark.parametrize(
    "spaced",
    [
        "Two  spaces, then   three.",  # ASCII: the double space is the only thing to find
        "Two  spaces, an \u2019apostrophe\u2019 and   three.",  # non-ASCII text
        "A tab\there and  a double space.",
        "A non-breaking\u00a0space and  a double space.",
    ],
)
def test_runs_of_spaces_in_a_paragraph_read_as_one(spaced: str) -> None:
    """A browser shows a run of spaces as one: so do titles and bodies."""
    html = f"<h3>1. First  title</h3><p>{spaced}</p><h3>2. Second</h3><p>{spaced}</p>"
    a = parse_article(html)
    assert [p.title for p in a.points] == ["First title", "Second"]
    for point in a.points:
        assert "  " not in point.body and "\t" not in point.body, point.body
        assert point.body == " ".join(spaced.split())


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("<p>Hello</p>", "html"),
        ("<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("Text with <b>bold</b>, <i>it</i> and a <br> break.", "html"),
        ("A feed description with <a href='https://x.example'>a link</a>.", "html"),
        ("# Heading\n\nText", "markdown"),
        ("Some **bold** words", "markdown"),
        ("A [link](https://example.com) here", "markdown"),
        ("1. Title\nBody\n----------\nEnd", "text"),
        ("I <3 cats and 2 < 3", "text"),
    ],
)
def test_detect_format(text: str, fmt: str) -> None:
    assert detect_format(text) == fmt


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("  \n\t  ", "empty"),
        ("\x00\x01\x02binary", "binary"),
        (bytes(range(256)).decode("latin-1") * 4, "binary"),
        ("\ufffd\ufffd\ufffd\ufffd ab", "binary"),
        ("1234 5678 ---- 42", "no readable words"),
        ("<script>alert('hi')</script><style>p{}</style>", "no readable text"),
        ("<div><img src='x.png'></div>", "no readable text"),
    ],
)
def test_unusable_text_raises(text: str, reason: str) -> None:
    with pytest.raises(ArticleError, match=reason):
        parse_article(text)


@pytest.mark.parametrize(
    ("kwargs", "field", "expected"),
    [
        ({}, "title", "Untitled article"),
        ({"title": "  Feed   title "}, "title", "Feed title"),
        ({"subtitle": "From the feed."}, "subtitle", "From the feed."),
        ({"author": "Andrew"}, "author", "Andrew"),
        ({"fmt": "text"}, "intro", "<p>Hello there.</p>"),
    ],
)
def test_caller_values_win(kwargs: dict[str, str], field: str, expected: str) -> None:
    article = parse_article("<p>Hello there.</p>", **kwargs)
    assert getattr(article, field) == expected


def test_widget_like_content_wrapper_is_kept_rather_than_losing_everything() -> None:
    html = '<div class="share-content"><p>Intro.</p><h2>1. One</h2><p>a</p><h2>2. Two</h2></div>'
    assert [p.title for p in parse_article(html).points] == ["One", "Two"]


def test_seed_read_as_markdown_keeps_its_separators() -> None:
    # In Markdown a dash line under a paragraph makes a heading; here it is a separator.
    a = parse_article("\n".join(SEED), fmt="markdown")
    assert [p.title for p in a.points] == SEED_TITLES
    assert [p.body for p in a.points] == SEED_BODIES
    assert a.conclusion.startswith(SEED[14])


def test_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown article format"):
        parse_article("text", fmt="rtf")


def test_subtitle_from_full_page_meta_description() -> None:
    page = (
        "<html><head><title>Page Title</title>"
        '<meta name="description" content="The dek from the meta tag."></head>'
        "<body><p>Body text.</p></body></html>"
    )
    a = parse_article(page)
    assert (a.title, a.subtitle, a.intro) == (
        "Page Title",
        "The dek from the meta tag.",
        "Body text.",
    )


def test_large_input_is_linear_enough() -> None:
    # 999 points (markers have at most 3 digits) in 2,000 lines: a quadratic step would
    # make this take minutes rather than milliseconds.
    lines = (f"{n}. Title {n}\nBody of point {n}. It has two sentences." for n in range(1, 1000))
    a = parse_article("Intro line.\n" + "\n".join(lines))
    assert len(a.points) == 999
    assert a.points[-1].body == "Body of point 999. It has two sentences."
