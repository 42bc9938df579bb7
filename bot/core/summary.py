"""Pure renderers for an article's announcement and a point thread's opening message.

Every function returns text that fits the limit it is given. Defaults are 1900 characters:
under Discord's 2000-character message limit with room for a mention or prefix the
adapter may add, and well under the 4096 of an embed description (DISCORD_LIMIT). Matrix
has no such limit, but the same cap keeps one announcement readable on every platform.
"""

from __future__ import annotations

import hashlib
from html import escape

from .models import Article, Point, Rendered
from .parsing.textutil import ELLIPSIS, cut_sentences, cut_words, flat, paragraphs

DISCORD_LIMIT = 4096  # embed description; Matrix is generous but keeps the same cap
MESSAGE_LIMIT = 1900  # a plain Discord message (2000) less room for an adapter's prefix
ONE_THREAD = "No numbered points: discussion happens in one thread for the whole article."
_TITLE_STEPS = (120, 80, 60, 40)


def _is_web_link(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _link_html(url: str, label: str | None = None) -> str:
    """An <a> for http(s) URLs only; anything else (javascript:, data:) stays plain text."""
    text = escape(label if label is not None else url)
    return f'<a href="{escape(url, quote=True)}">{text}</a>' if _is_web_link(url) else text


def summary_blurb(article: Article, max_chars: int = 400) -> str:
    """The subtitle, else the intro's first sentences, cut at a sentence boundary.

    When even the first sentence is longer than ``max_chars`` it is cut at a word
    boundary and ends with "…".
    """
    source = flat(article.subtitle) or flat(" ".join(paragraphs(article.intro)))
    return cut_sentences(source, max_chars)[0]


def _compose(
    article: Article, title: str, blurb: str, items: list[tuple[int, str]], more: int
) -> tuple[str, str]:
    """(text, html) of an announcement from already-shortened pieces."""
    lines = [title]
    head = [f"<b>{_link_html(article.link, title) if article.link else escape(title)}</b>"]
    if article.author:
        lines.append(f"by {article.author}")
        head.append(f"<em>by {escape(article.author)}</em>")
    if article.link:
        lines.append(article.link)
        head.append(_link_html(article.link))
    html = ["<p>" + "<br>".join(head) + "</p>"]
    lines.append("")
    if blurb:
        lines += [blurb, ""]
        html.append(f"<p>{escape(blurb)}</p>")
    if items:
        lines += [f"{n}. {t}" for n, t in items]
        consecutive = [n for n, _ in items] == list(range(1, len(items) + 1))
        if consecutive:
            html.append("<ol>" + "".join(f"<li>{escape(t)}</li>" for _, t in items) + "</ol>")
        else:
            html.append("<p>" + "<br>".join(escape(f"{n}. {t}") for n, t in items) + "</p>")
    else:
        lines.append(ONE_THREAD)
        html.append(f"<p>{escape(ONE_THREAD)}</p>")
    if more:
        tail = f"{ELLIPSIS} and {more} more point{'s' if more > 1 else ''}"
        lines.append(tail)
        html.append(f"<p>{escape(tail)}</p>")
    return "\n".join(lines), "".join(html)


def render_summary(article: Article, *, max_chars: int = MESSAGE_LIMIT) -> Rendered:
    """The announcement: title, byline, link, blurb and one "N. Title" line per point.

    Too long for ``max_chars``: point titles are shortened step by step, then the tail of
    the list is replaced by "… and N more points", then the blurb and title are cut.
    """
    title = flat(article.title)
    blurb = summary_blurb(article, min(400, max(max_chars // 4, 80)))
    points = [(p.number, flat(p.title)) for p in article.points]
    text, html = _compose(article, title, blurb, points, 0)
    lo = len(points)  # how many point lines are shown
    for step in _TITLE_STEPS:
        if len(text) <= max_chars:
            return Rendered(
                text=text,
                html=html,
                title=article.title,
                url=article.link or None,
                image=article.image,
            )
        points = [(n, cut_words(t, step)) for n, t in points]
        text, html = _compose(article, title, blurb, points, 0)
    if len(text) > max_chars:
        # Keep as many points as fit, found by bisection: each try is a full compose.
        lo, hi = 0, len(points)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if (
                len(_compose(article, title, blurb, points[:mid], len(points) - mid)[0])
                <= max_chars
            ):
                lo = mid
            else:
                hi = mid - 1
        text, html = _compose(article, title, blurb, points[:lo], len(points) - lo)
    if len(text) > max_chars:  # a giant title or blurb: cut those too, then the whole
        title, blurb = cut_words(title, 200), cut_sentences(blurb, 200)[0]
        text, html = _compose(article, title, blurb, points[:lo], len(points) - lo)
        text = cut_words(text, max_chars)
    return Rendered(
        text=text, html=html, title=article.title, url=article.link or None, image=article.image
    )


def thread_title(point: Point | None, article: Article, limit: int = 100) -> str:
    """\"N. Point title\" (or the article title for a pointless article) within ``limit``."""
    name = f"{point.number}. {flat(point.title)}" if point else flat(article.title)
    return cut_words(name, limit)


def render_point_opening(
    article: Article, point: Point, *, max_chars: int = MESSAGE_LIMIT
) -> Rendered:
    """A point thread's first message: "Point N: Title" and the body, cut at a sentence.

    When the body is cut it ends with "… read the full point: <link>" (just "…" without a
    link), and the whole message stays within ``max_chars``.
    """
    heading = cut_words(f"Point {point.number}: {flat(point.title)}", max(max_chars // 2, 40))
    body = "\n\n".join(paragraphs(point.body))
    more = f" {ELLIPSIS} read the full point: {article.link}" if article.link else f" {ELLIPSIS}"
    room = max_chars - len(heading) - 2
    shown, was_cut = cut_sentences(body, room)
    if was_cut:
        shown = cut_sentences(body, max(room - len(more), 0))[0].removesuffix(ELLIPSIS)
    text = cut_words(f"{heading}\n\n{shown}" + (more if was_cut else ""), max_chars)
    html = [f"<p><b>{escape(heading)}</b></p>"]
    html += [f"<p>{escape(p)}</p>" for p in shown.split("\n\n") if p]
    if was_cut and article.link:
        html.append(f"<p>{ELLIPSIS} read the full point: {_link_html(article.link)}</p>")
    elif was_cut:
        html.append(f"<p>{ELLIPSIS}</p>")
    return Rendered(text=text, html="".join(html), title=heading, url=article.link or None)


def content_hash(article: Article) -> str:
    """A digest of what readers see, to tell an updated entry from an unchanged one."""
    h = hashlib.sha256()
    for part in (article.title, article.subtitle, article.intro, article.conclusion):
        h.update(part.encode())
        h.update(b"\0")
    for p in article.points:
        h.update(f"{p.number}\0{p.title}\0{p.body}\0".encode())
    return h.hexdigest()
