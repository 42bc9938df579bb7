"""Benchmark parse_article on a ~3,000-word HTML article against a bare lxml parse.

Run from the repository root: ``python bench/bench_parse.py [repetitions]``. The article is
built in code (deterministic): 8 numbered <h3> points of several paragraphs, a blockquote,
a Substack subscribe widget and a footnote list, like a feed's content:encoded. Prints
articles/second and mean ms for both, their ratio (target: parse within 4x of the bare
parse), and the peak memory of one parse measured with tracemalloc.
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.parsing import parse_article

_VOCABULARY = (
    "the strategic partnership between both countries will likely shape regional security "
    "talks while leaders discuss air defense systems sanctions trade corridors energy prices "
    "and the balance of power across the Caucasus and the Middle East this autumn"
)
_WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 22))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int = 6) -> str:
    return "<p>" + " ".join(_sentence(rng) for _ in range(sentences)) + "</p>"


def build_article(seed: int = 7) -> str:
    """A deterministic ~3,000-word article fragment with 8 numbered <h3> points."""
    rng = random.Random(seed)
    parts = [_paragraph(rng), _paragraph(rng)]
    parts.append(
        '<div class="subscription-widget-wrap"><div class="subscription-widget">'
        "<p>Thanks for reading! Subscribe for free to receive new posts.</p>"
        '<form><input type="email" placeholder="Type your email"><button>Subscribe</button>'
        "</form></div></div>"
    )
    for n in range(1, 9):
        parts.append(f"<h3>{n}. {_sentence(rng)[:-1].title()}</h3>")
        parts += [_paragraph(rng) for _ in range(3)]
        if n == 4:
            parts.append("<blockquote><p>1. " + _sentence(rng) + "</p></blockquote>")
    parts += ["<hr>", _paragraph(rng), "<h4>Notes</h4>", "<ol>"]
    parts += [f'<li>See <a href="https://example.com/{i}">source {i}</a>.</li>' for i in range(6)]
    parts.append('</ol><p class="button-wrapper"><a class="button" href="#">Share</a></p>')
    return "\n".join(parts)


def _time(fn: Callable[[], object], reps: int) -> float:
    """Mean seconds per call over ``reps`` calls."""
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def main(reps: int = 500, rounds: int = 5) -> None:
    doc = build_article()
    words = len(lxml.html.fromstring(doc).text_content().split())
    article = parse_article(doc, title="Bench")
    assert len(article.points) == 8, article.points
    # Interleaved rounds, so a noisy moment on a shared machine hits both sides alike.
    bare_runs, our_runs = [], []
    for _ in range(rounds):
        bare_runs.append(_time(lambda: lxml.html.fromstring(doc), reps))
        our_runs.append(_time(lambda: parse_article(doc, title="Bench"), reps))
    bare, ours = sum(bare_runs) / rounds, sum(our_runs) / rounds
    best = min(o / b for o, b in zip(our_runs, bare_runs, strict=True))
    tracemalloc.start()
    parse_article(doc, title="Bench")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"document: {len(doc)} chars, {words} words, {len(article.points)} points; "
        f"{rounds} rounds x {reps} reps"
    )
    print(f"lxml.html.fromstring: {1 / bare:8.0f} articles/s  {bare * 1000:.3f} ms mean")
    print(f"parse_article:        {1 / ours:8.0f} articles/s  {ours * 1000:.3f} ms mean")
    print(f"ratio: {ours / bare:.2f}x the bare parse (best round {best:.2f}x; target <= 4x)")
    # tracemalloc sees Python allocations only, not libxml2's own tree memory.
    print(f"peak Python memory of one parse_article: {peak / 1024:.0f} KiB (tracemalloc)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
