"""The FAQ message: answered questions grouped by point, cut to fit, safe as HTML."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.faq import render_faq
from bot.core.models import (
    Article,
    ArticleId,
    ChatRef,
    Platform,
    Point,
    Question,
    QuestionId,
    QuestionStatus,
    UserRef,
)

ARTICLE = Article(
    title="Three Things",
    link="https://example.org/three",
    points=(Point(1, "First", "…"), Point(2, "Second", "…"), Point(3, "Third", "…")),
)
FAKE = Platform("fake")


def q(
    qid: int, point: int | None, text: str = "", answer: str = "", *, votes: int = 0, **kw: object
) -> Question:
    return Question(
        id=QuestionId(qid),
        article_id=ArticleId(1),
        point=point,
        asker=UserRef(FAKE, f"u{qid}", f"Asker{qid}"),
        where=ChatRef(FAKE, "#general"),
        text=text or f"Question {qid}?",
        status=QuestionStatus.ANSWERED,
        asked_at=datetime(2026, 1, 5, tzinfo=UTC),
        votes=votes,
        answer=answer or f"Answer {qid}.",
        **kw,  # type: ignore[arg-type]
    )


def test_points_in_order_whole_article_last_most_votes_first_within_a_point() -> None:
    out = render_faq(ARTICLE, [q(1, None), q(2, 3), q(3, 1), q(4, 3, votes=5)]).text
    lines = out.splitlines()
    assert lines[0] == "FAQ — Three Things" and lines[1] == "https://example.org/three"
    order = [
        "Point 1 — First",
        "Question 3?",
        "Point 3 — Third",
        "Question 4?",
        "Question 2?",
        "The whole article",
        "Question 1?",
    ]
    positions = [out.index(s) for s in order]
    assert positions == sorted(positions)
    assert "Point 2" not in out  # no answered question there, no heading
    assert "Q: Question 3? — asked by Asker3\nA: Answer 3." in out


def test_anonymous_askers_are_a_reader_by_flag_or_by_id() -> None:
    out = render_faq(ARTICLE, [q(1, 1), q(2, 2, anonymous=True), q(3, 3)], anonymous={3}).text
    assert "asked by Asker1" in out
    assert "Asker2" not in out and "Asker3" not in out
    assert out.count("asked by a reader") == 2


def test_html_escapes_everything_and_links_only_web_addresses() -> None:
    evil = q(1, 1, "<script>alert(1)</script>?", 'Use <b>bold</b> & "quotes"')
    r = render_faq(ARTICLE, [evil])
    assert r.html is not None
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in r.html
    assert '<a href="https://example.org/three">' in r.html
    assert "<script>alert(1)</script>?" in r.text  # plain text stays as written
    sneaky = Article(title="X", link="javascript:alert(1)", points=ARTICLE.points)
    r2 = render_faq(sneaky, [q(1, 1)])
    assert r2.html is not None and "href" not in r2.html and "javascript" not in r2.text
    assert r.title == "FAQ — Three Things" and r.url == "https://example.org/three"


def test_too_many_answers_are_cut_whole_with_a_count_of_the_rest() -> None:
    many = [q(i, 1 + i % 3, f"Question number {i} " + "word " * 30, "yes " * 60) for i in range(40)]
    r = render_faq(ARTICLE, many, max_chars=1900)
    assert len(r.text) <= 1900
    shown = r.text.count("\nQ: ")
    assert 0 < shown < 40
    assert r.text.endswith(f"… and {40 - shown} more answers (bot questions export)")
    assert r.html is not None and r.html.count("<b>Q:</b>") == shown
    # Every answer shown is shown whole (no pair is split by the cut).
    assert r.text.count("\nA: ") == shown


def test_everything_fits_means_no_count_line() -> None:
    r = render_faq(ARTICLE, [q(1, 1), q(2, 2)])
    assert "more answer" not in r.text


def test_tiny_limit_still_respected() -> None:
    r = render_faq(ARTICLE, [q(1, 1)], max_chars=40)
    assert len(r.text) <= 40


def test_no_answers_yet_and_a_point_the_article_no_longer_has() -> None:
    assert "No answered questions yet." in render_faq(ARTICLE, []).text
    out = render_faq(ARTICLE, [q(1, 9), q(2, None), q(3, 2)]).text
    assert out.index("Point 2 — Second") < out.index("Point 9") < out.index("The whole article")


def test_long_question_and_answer_are_shortened() -> None:
    r = render_faq(ARTICLE, [q(1, 1, "why " * 200 + "?", "because " * 300)])
    q_line = next(line for line in r.text.splitlines() if line.startswith("Q: "))
    a_line = next(line for line in r.text.splitlines() if line.startswith("A: "))
    assert len(q_line) < 400 and q_line.split(" — asked by")[0].endswith("…")
    assert len(a_line) <= 710 and a_line.endswith("…")
