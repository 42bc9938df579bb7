"""Pure renderer of an article's FAQ: its answered questions, grouped by point.

The FAQ is one chat message, so it is cut to fit ``max_chars`` (the same 1900-character
default as the announcement). Whole question-and-answer pairs are kept in reading order
(points in order, "the whole article" last; within a point most votes first) until the
next would not fit; the rest are counted in a last line that points to the off-line export.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html import escape

from .models import Article, Question, Rendered
from .parsing.textutil import ELLIPSIS, cut_words
from .summary import MESSAGE_LIMIT

MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 700
NO_ANSWERS = "No answered questions yet."
ANONYMOUS = "a reader"


def faq_title(article: Article) -> str:
    return f"FAQ — {' '.join(article.title.split())}"


def more_answers(count: int) -> str:
    """The last line when ``count`` answers did not fit."""
    return f"{ELLIPSIS} and {count} more answer{'s' if count != 1 else ''} (bot questions export)"


def section_title(article: Article, point: int | None) -> str:
    """A point's heading; questions on the article as a whole go under "The whole article"."""
    if not point:
        return "The whole article"
    p = article.point(point)
    return f"Point {point} — {' '.join(p.title.split())}" if p else f"Point {point}"


def _is_web_link(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def group_by_point(
    article: Article, answered: Sequence[Question]
) -> list[tuple[int, list[Question]]]:
    """``(point, questions)`` in reading order: the article's points, then any number it no
    longer has, then 0 for the whole article. Within a point: most votes, then oldest."""
    groups: dict[int, list[Question]] = {}
    for q in answered:
        groups.setdefault(q.point or 0, []).append(q)
    known = [n for n in article.point_numbers if n in groups]
    stray = sorted(n for n in groups if n and n not in article.point_numbers)
    order = known + stray + ([0] if 0 in groups else [])
    return [(n, sorted(groups[n], key=lambda q: (-q.votes, q.id))) for n in order]


def _pair(q: Question, anonymous: Collection[int]) -> tuple[str, str]:
    """(text, html) of one question and its answer, each cut to a readable length."""
    asker = ANONYMOUS if (q.anonymous or q.id in anonymous) else q.asker.name
    question = cut_words(" ".join(q.text.split()), MAX_QUESTION_CHARS)
    answer = cut_words(" ".join((q.answer or "").split()), MAX_ANSWER_CHARS)
    text = f"Q: {question} — asked by {asker}\nA: {answer}"
    html = (
        f"<p><b>Q:</b> {escape(question)} — <em>asked by {escape(asker)}</em><br>"
        f"<b>A:</b> {escape(answer)}</p>"
    )
    return text, html


def render_faq(
    article: Article,
    answered: Sequence[Question],
    *,
    anonymous: Collection[int] = frozenset(),
    max_chars: int = MESSAGE_LIMIT,
) -> Rendered:
    """The FAQ message of ``article`` from its ``answered`` questions (answer filled in).

    ``anonymous``: ids of questions asked anonymously (besides those whose own flag says
    so): their asker is shown as "a reader". The plain text never exceeds ``max_chars``.
    """
    title = faq_title(article)
    link = article.link if _is_web_link(article.link) else ""
    head_text = [title] + ([link] if link else [])
    head_html = escape(title)
    if link:
        head_html = f'<a href="{escape(link, quote=True)}">{head_html}</a>'
    html_parts = [f"<p><b>{head_html}</b></p>"]

    # Every block is preceded by a blank line, so its cost is its length plus two newlines.
    blocks: list[tuple[str | None, str, str]] = []  # (section heading if first, text, html)
    for point, questions in group_by_point(article, answered):
        for i, q in enumerate(questions):
            text, html = _pair(q, anonymous)
            blocks.append((section_title(article, point) if i == 0 else None, text, html))

    def cost(block: tuple[str | None, str, str]) -> int:
        heading, text, _ = block
        return len(text) + 2 + (len(heading) + 2 if heading is not None else 0)

    used = len("\n".join(head_text))
    total = used + sum(cost(b) for b in blocks)
    shown = len(blocks)
    if total > max_chars:
        reserve = len(more_answers(len(blocks))) + 2
        shown = 0
        for block in blocks:
            if used + cost(block) + reserve > max_chars:
                break
            used += cost(block)
            shown += 1

    lines = list(head_text)
    for heading, text, html in blocks[:shown]:
        if heading is not None:
            lines += ["", heading]
            html_parts.append(f"<p><b>{escape(heading)}</b></p>")
        lines += ["", text]
        html_parts.append(html)
    if not blocks:
        lines += ["", NO_ANSWERS]
        html_parts.append(f"<p>{escape(NO_ANSWERS)}</p>")
    elif shown < len(blocks):
        tail = more_answers(len(blocks) - shown)
        lines += ["", tail]
        html_parts.append(f"<p><em>{escape(tail)}</em></p>")
    text = "\n".join(lines)
    if len(text) > max_chars:  # only when even the title and the last line do not fit
        text = cut_words(text, max_chars)
    return Rendered(text, "".join(html_parts), title=title, url=link or None)
