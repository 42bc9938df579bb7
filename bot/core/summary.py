"""Pure renderers for an article's announcement and a point thread's opening message.

Every function returns text that fits the limit it is given. Defaults are 1900 characters:
under Discord's 2000-character message limit with room for a mention or prefix the
adapter may add, and well under the 4096 of an embed description (DISCORD_LIMIT). Matrix
has no such limit, but the same cap keeps one announcement readable on every platform.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from .models import Article, Point, Rendered
from .parsing.textutil import ELLIPSIS, cut_sentences, cut_words, flat, paragraphs
from .template import DEFAULT, DEFAULT_HEADING, PLACEHOLDER_MAX, Template

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


def summary_blurb(article: Article, max_chars: int = 400, template: Template = DEFAULT) -> str:
    """The subtitle, else the intro's first sentences, cut at a sentence boundary.

    Only the blocks ``template`` shows count: without ``subtitle`` it is the intro's
    sentences, without ``intro`` only the subtitle. When even the first sentence is longer
    than ``max_chars`` it is cut at a word boundary and ends with "…".
    """
    source = flat(article.subtitle) if "subtitle" in template.blocks else ""
    if not source and "intro" in template.blocks:
        source = flat(" ".join(paragraphs(article.intro)))
    return cut_sentences(source, max_chars)[0]


def heading_values(
    article: Article, *, feed: str = "", date: datetime | None = None
) -> dict[str, str]:
    """The placeholders' values, each within :data:`PLACEHOLDER_MAX` characters."""
    values = {
        "title": flat(article.title),
        "author": flat(article.author),
        "feed": flat(feed),
        "date": f"{date:%Y-%m-%d}" if date else "",
        "points_count": str(len(article.points)),
    }
    cut = {k: cut_words(v, PLACEHOLDER_MAX[k]) for k, v in values.items()}
    link = article.link
    if len(link) > PLACEHOLDER_MAX["link"]:  # a cut link would be broken: the site instead
        parts = urlsplit(link)
        link = cut_words(f"{parts.scheme}://{parts.netloc}/", PLACEHOLDER_MAX["link"])
    return {**cut, "link": link}


def fill_heading(template: Template, values: dict[str, str]) -> str:
    """The heading line; placeholders were checked when the template was set."""
    return " ".join(template.heading.format_map(values).split())


def _compose(
    article: Article,
    title: str,
    blurb: str,
    items: list[tuple[int, str]],
    more: int,
    *,
    template: Template = DEFAULT,
) -> tuple[str, str]:
    """(text, html) of an announcement from already-shortened pieces, blocks in the
    template's order (the byline always under the heading)."""
    lines = [title]
    linked = article.link and not (template.heading != DEFAULT_HEADING and article.link in title)
    head = [f"<b>{_link_html(article.link, title) if article.link else escape(title)}</b>"]
    if article.author and "byline" in template.blocks:
        lines.append(f"by {article.author}")
        head.append(f"<em>by {escape(article.author)}</em>")
    if linked:
        lines.append(article.link)
        head.append(_link_html(article.link))
    html = ["<p>" + "<br>".join(head) + "</p>"]
    lines.append("")
    blurb_done = False
    for block in template.blocks:
        if block in ("subtitle", "intro") and not blurb_done:
            blurb_done = True
            if blurb:
                lines += [""] * (lines[-1] != "") + [blurb, ""]
                html.append(f"<p>{escape(blurb)}</p>")
        elif block == "points":
            _points(lines, html, items, more)
    return "\n".join(lines).rstrip("\n"), "".join(html)


def _points(lines: list[str], html: list[str], items: list[tuple[int, str]], more: int) -> None:
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


def render_summary(
    article: Article,
    *,
    max_chars: int = MESSAGE_LIMIT,
    template: Template = DEFAULT,
    feed: str = "",
    date: datetime | None = None,
) -> Rendered:
    """The announcement: heading, byline, link, blurb and one "N. Title" line per point,
    as ``template`` chooses (``feed`` and ``date`` fill its {feed} and {date}).

    Too long for ``max_chars``: point titles are shortened step by step, then the tail of
    the list is replaced by "… and N more points", then the blurb and title are cut.
    """
    custom = template.heading != DEFAULT_HEADING
    title = (
        fill_heading(template, heading_values(article, feed=feed, date=date))
        if custom
        else flat(article.title)
    )
    card = title if custom else article.title
    blurb = summary_blurb(article, min(400, max(max_chars // 4, 80)), template)
    points = [(p.number, flat(p.title)) for p in article.points]
    text, html = _compose(article, title, blurb, points, 0, template=template)
    lo = len(points)  # how many point lines are shown
    for step in _TITLE_STEPS:
        if len(text) <= max_chars:
            return Rendered(
                text=text, html=html, title=card, url=article.link or None, image=article.image
            )
        points = [(n, cut_words(t, step)) for n, t in points]
        text, html = _compose(article, title, blurb, points, 0, template=template)
    if len(text) > max_chars:
        # Keep as many points as fit, found by bisection: each try is a full compose.
        lo, hi = 0, len(points)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if (
                len(
                    _compose(
                        article, title, blurb, points[:mid], len(points) - mid, template=template
                    )[0]
                )
                <= max_chars
            ):
                lo = mid
            else:
                hi = mid - 1
        text, html = _compose(
            article, title, blurb, points[:lo], len(points) - lo, template=template
        )
    if len(text) > max_chars:  # a giant title or blurb: cut those too, then the whole
        title, blurb = cut_words(title, 200), cut_sentences(blurb, 200)[0]
        card = title if custom else card
        text, html = _compose(
            article, title, blurb, points[:lo], len(points) - lo, template=template
        )
        text = cut_words(text, max_chars)
    return Rendered(text=text, html=html, title=card, url=article.link or None, image=article.image)


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
