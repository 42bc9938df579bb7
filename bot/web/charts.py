"""Server-side SVG charts for the "where readers are stuck" page.

Design: pure functions from value types to SVG text. No script, no external font, no
stylesheet link: the SVG is inlined in the page, so the CSP (no inline script, same-origin
only) holds and the chart shows without JavaScript. Every piece of text that comes from
the data (article and point titles) goes through :func:`xml.sax.saxutils.escape`, so a
title such as ``<script>`` stays text. Each chart carries ``<title>`` and ``<desc>`` and
``role="img"`` with ``aria-labelledby`` so screen readers read a summary, and each bar
has its own ``<title>`` with its numbers (a tooltip, and the figure for a reader who
cannot see the bar's height).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from bot.core.models import QuestionStatus
from bot.storage.types import QuestionRecord

#: Drawing sizes, in SVG user units.
BAR_HEIGHT_MAX = 160
BAR_WIDTH = 36
BAR_GAP = 14
MARGIN_LEFT = 40
MARGIN_TOP = 20
LABEL_SPACE = 56

OPEN_FILL = "#c0392b"
ANSWERED_FILL = "#27ae60"
DAY_FILL = "#2c6fbb"


@dataclass(frozen=True, slots=True)
class PointCount:
    """Questions on one point of an article: open ones (queued, waiting for the author)
    and answered ones. ``number`` 0 is "the whole article" (a question with no point)."""

    number: int
    title: str
    open: int
    answered: int

    @property
    def total(self) -> int:
        return self.open + self.answered


@dataclass(frozen=True, slots=True)
class DayCount:
    """Questions asked on one day (UTC)."""

    day: date
    count: int


def point_counts(
    points: Sequence[tuple[int, str]], records: Iterable[QuestionRecord]
) -> list[PointCount]:
    """Counts per point, the points with the most questions first (ties: point order).

    A queued question counts as open, an answered one as answered; dismissed and withdrawn
    ones do not count (the author decided they were not a question on the text). A
    duplicate folded into another question still counts: another reader was stuck at the
    same place. Points without questions are kept (with zero) so the chart shows every
    point; a point the article no longer has appears if it has questions.
    """
    titles = dict(points)
    opened: Counter[int] = Counter()
    answered: Counter[int] = Counter()
    for rec in records:
        q = rec.question
        n = q.point or 0
        if q.status is QuestionStatus.QUEUED:
            opened[n] += 1
        elif q.status is QuestionStatus.ANSWERED:
            answered[n] += 1
    order = [n for n, _ in points]
    extra = sorted(n for n in set(opened) | set(answered) if n not in titles)
    order += extra
    rows = [
        PointCount(
            n,
            titles.get(n, "The whole article" if n == 0 else "(a point the article no longer has)"),
            opened[n],
            answered[n],
        )
        for n in order
    ]
    pos = {n: i for i, n in enumerate(order)}
    return sorted(rows, key=lambda r: (-r.total, pos[r.number]))


def per_day(records: Iterable[QuestionRecord]) -> list[DayCount]:
    """Questions asked per day, from the first day to the last, days without questions
    included (a gap is information too)."""
    counts: Counter[date] = Counter(rec.question.asked_at.date() for rec in records)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [
        DayCount(first + timedelta(days=i), counts[first + timedelta(days=i)])
        for i in range((last - first).days + 1)
    ]


def _scale(value: int, top: int) -> float:
    return 0.0 if top <= 0 else round(value * BAR_HEIGHT_MAX / top, 2)


def _header(width: int, height: int, ident: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
    ]


def points_svg(counts: Sequence[PointCount], title: str, ident: str = "stuck") -> str:
    """Stacked bars, one per point in the order given: answered at the bottom, open on
    top, each bar labelled with its point number and total. Heights are proportional to
    the largest total."""
    top = max((c.total for c in counts), default=0)
    width = MARGIN_LEFT + max(1, len(counts)) * (BAR_WIDTH + BAR_GAP) + BAR_GAP
    height = MARGIN_TOP + BAR_HEIGHT_MAX + LABEL_SPACE
    base = MARGIN_TOP + BAR_HEIGHT_MAX
    if counts:
        desc = "; ".join(
            f"point {c.number or 'whole article'} ({c.title}): {c.open} open, {c.answered} answered"
            for c in counts
        )
    else:
        desc = "No questions yet."
    out = _header(width, height, ident, title, desc)
    out.append(
        f'<line x1="{MARGIN_LEFT}" y1="{base}" x2="{width - BAR_GAP}" y2="{base}" stroke="#555"/>'
    )
    for i, c in enumerate(counts):
        x = MARGIN_LEFT + BAR_GAP + i * (BAR_WIDTH + BAR_GAP)
        h_ans = _scale(c.answered, top)
        h_open = _scale(c.open, top)
        label = f"point {c.number}" if c.number else "whole article"
        out.append(f'<g class="bar" data-point="{c.number}">')
        out.append(
            f"<title>{escape(label)}: {escape(c.title)}: {c.open} open, "
            f"{c.answered} answered</title>"
        )
        out.append(
            f'<rect class="answered" x="{x}" y="{base - h_ans}" width="{BAR_WIDTH}" '
            f'height="{h_ans}" fill="{ANSWERED_FILL}" data-count="{c.answered}"/>'
        )
        out.append(
            f'<rect class="open" x="{x}" y="{base - h_ans - h_open}" width="{BAR_WIDTH}" '
            f'height="{h_open}" fill="{OPEN_FILL}" data-count="{c.open}"/>'
        )
        cx = x + BAR_WIDTH // 2
        out.append(
            f'<text class="total" x="{cx}" y="{base - h_ans - h_open - 4}" '
            f'text-anchor="middle" font-size="12">{c.total}</text>'
        )
        short = c.title if len(c.title) <= 9 else c.title[:8] + "…"
        out.append(
            f'<text class="label" x="{cx}" y="{base + 16}" text-anchor="middle" '
            f'font-size="12">{escape(str(c.number) if c.number else "all")}</text>'
        )
        out.append(
            f'<text class="label-title" x="{cx}" y="{base + 32}" text-anchor="middle" '
            f'font-size="9">{escape(short)}</text>'
        )
        out.append("</g>")
    lx = MARGIN_LEFT
    ly = height - 8
    out.append(
        f'<g class="legend"><rect x="{lx}" y="{ly - 9}" width="10" height="10" '
        f'fill="{OPEN_FILL}"/><text x="{lx + 14}" y="{ly}" font-size="11">open</text>'
        f'<rect x="{lx + 60}" y="{ly - 9}" width="10" height="10" fill="{ANSWERED_FILL}"/>'
        f'<text x="{lx + 74}" y="{ly}" font-size="11">answered</text></g>'
    )
    out.append("</svg>")
    return "\n".join(out)


def days_svg(days: Sequence[DayCount], title: str, ident: str = "days") -> str:
    """One bar per day, proportional to the busiest day; the first and last days are
    labelled with their dates and each bar's ``<title>`` gives its date and count."""
    top = max((d.count for d in days), default=0)
    bw = 12 if len(days) > 20 else 24
    width = MARGIN_LEFT + max(1, len(days)) * (bw + 4) + BAR_GAP + 40
    height = MARGIN_TOP + BAR_HEIGHT_MAX + 40
    base = MARGIN_TOP + BAR_HEIGHT_MAX
    if days:
        desc = (
            f"{sum(d.count for d in days)} questions from {days[0].day.isoformat()} to "
            f"{days[-1].day.isoformat()}; busiest day {top} questions."
        )
    else:
        desc = "No questions yet."
    out = _header(width, height, ident, title, desc)
    out.append(
        f'<line x1="{MARGIN_LEFT}" y1="{base}" x2="{width - BAR_GAP}" y2="{base}" stroke="#555"/>'
    )
    for i, d in enumerate(days):
        x = MARGIN_LEFT + 4 + i * (bw + 4)
        h = _scale(d.count, top)
        out.append(
            f'<rect class="day" x="{x}" y="{base - h}" width="{bw}" height="{h}" '
            f'fill="{DAY_FILL}" data-day={quoteattr(d.day.isoformat())} '
            f'data-count="{d.count}"><title>{d.day.isoformat()}: {d.count} '
            f"question{'' if d.count == 1 else 's'}</title></rect>"
        )
    if days:
        out.append(
            f'<text x="{MARGIN_LEFT}" y="{base + 16}" font-size="11">'
            f"{days[0].day.isoformat()}</text>"
        )
        if len(days) > 1:
            out.append(
                f'<text x="{width - BAR_GAP}" y="{base + 32}" text-anchor="end" '
                f'font-size="11">{days[-1].day.isoformat()}</text>'
            )
    out.append(
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + 4}" text-anchor="end" '
        f'font-size="11">{top}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)
