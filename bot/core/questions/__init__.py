"""Is a chat message a question for the author, and which point of the article is it about?

Pure and rule-based, in six languages (English, Spanish, Portuguese, French, Italian,
German): ``detect`` decides whether a message asks the author something, ``refs`` finds
explicit references to a point, ``phrases`` and ``retrieval`` route by the words a message
shares with one point. Every verdict carries a short reason naming what decided it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import Article

from .detect import is_question
from .lexicon import QUOTED, STOP_WORDS
from .phrases import listing, pair_point, quoted_point
from .refs import explicit_point_reference, for_article, step_in_point
from .retrieval import closest_point

__all__ = [
    "QUOTED",
    "STOP_WORDS",
    "Classification",
    "classify",
    "explicit_point_reference",
    "is_question",
]


@dataclass(frozen=True, slots=True)
class Classification:
    """What the core decided about one chat message."""

    is_question: bool
    point: int | None  # resolved point number, or None (= the whole article / unknown)
    reason: str  # short plain-words why
    missing_point: int | None = None  # an explicit reference to a point that does not exist
    source: str = "none"  # "explicit" | "thread" | "reply" | "phrase" | "none"


def _by_words(text: str, article: Article, asks: bool) -> tuple[int | None, str]:
    """A quoted phrase, a step inside one point, a verbatim pair, else (for a question) the
    point its content is clearly closest to."""
    point, why = quoted_point(text, article)
    if point is not None:
        return point, why
    step = step_in_point(text, article)
    if step is not None:
        return step
    point, pair_why = pair_point(text, article)
    if point is not None:
        return point, pair_why
    point, bm25_why = closest_point(text, article) if asks else (None, "")
    if point is not None:
        return point, bm25_why
    why = "; ".join(w for w in (pair_why, bm25_why) if w)
    return (
        None,
        f"{why}; about the whole article" if why else "names no point; about the whole article",
    )


def _resolve(
    text: str,
    article: Article | None,
    thread_point: int | None,
    reply_point: int | None,
    asks: bool,
) -> tuple[int | None, int | None, str, str]:
    """(point, missing_point, source, reason) in the documented order of precedence."""
    refs = for_article(text, article)
    known = article.point_numbers if article is not None else None
    if known is not None:  # a thread or stored question of a point the article lacks: none
        thread_point = thread_point if thread_point in known else None
        reply_point = reply_point if reply_point in known else None
    valid = [r for r in refs if known is None or r.number in known]
    if valid:
        ref = valid[0]
        named = sorted({ref.number, *ref.also, *(r.number for r in valid)})
        if len(named) == 1:
            said = "" if ref.said.lower() == f"point {ref.number}" else f" ('{ref.said}')"
            return ref.number, None, "explicit", f"names point {ref.number}{said}"
        why = f"names points {listing(named)}; took point {ref.number}"
        return ref.number, None, "explicit", why
    strong = [r for r in refs if not r.weak]
    if strong and known is not None:
        n = strong[0].number
        has = f"has points {listing(known)}" if known else "has no numbered points"
        return None, n, "none", f"point {n} does not exist; the article {has}"
    if thread_point is not None:
        return thread_point, None, "thread", f"asked in point {thread_point}'s thread"
    if reply_point is not None:
        return reply_point, None, "reply", f"replies to a question about point {reply_point}"
    if article is not None and article.points:
        point, why = _by_words(text, article, asks)
        return point, None, "phrase" if point is not None else "none", why
    return None, None, "none", "names no point; about the whole article"


def classify(
    text: str,
    article: Article | None,
    *,
    thread_point: int | None = None,
    reply_point: int | None = None,
) -> Classification:
    """Decide whether ``text`` is a question for the author and which point it is about.

    The point comes from, in order: an explicit reference, the thread it was asked in, the
    stored question it replies to, a quoted phrase of one point (allowing small typos), a
    step inside one point, a near-verbatim phrase of one point, the point its words are
    clearly closest to; else None (the whole article).
    """
    verdict, why = is_question(text, author=article.author if article is not None else "")
    point, missing, source, where = _resolve(text, article, thread_point, reply_point, verdict)
    return Classification(verdict, point, f"{why}; {where}", missing, source)
