"""The duplicate matcher on the labelled pairs: precision, recall, F1, mistakes, threshold sweep.

Figures are given for each split of tests/fixtures/duplicates.tsv ("tune"; "seen1", "seen2"
and "held": earlier held-out sets, each scored once and then tuned on; "held2": never tuned
on), at THRESHOLD (merged at intake) and at SUGGEST (merged or shown as "may repeat"), then
the speed of one comparison and of the !queue hints.

    python bench/eval_duplicates.py [--split tune|seen1|seen2|held|held2|all] [--no-article]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import texts  # noqa: E402
from bot.app.authoring import HINT_CANDIDATES, may_repeat  # noqa: E402
from bot.core.duplicates import SUGGEST, THRESHOLD, compare, find_duplicate, matcher  # noqa: E402
from bot.core.models import ChatRef, Platform, Question, QuestionStatus, UserRef  # noqa: E402
from tests.core.test_duplicates import ARTICLES, Pair, labelled_pairs  # noqa: E402

SPLITS = ["tune", "seen1", "seen2", "held", "held2"]
TUNED = ["tune", "seen1", "seen2", "held"]
SWEEP = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]


def counts(pairs: list[Pair], scores: list[float], threshold: float) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) with "merged" meaning a score at or above ``threshold``."""
    merged = [s >= threshold for s in scores]
    tp = sum(m and p.duplicate for p, m in zip(pairs, merged, strict=True))
    fp = sum(m and not p.duplicate for p, m in zip(pairs, merged, strict=True))
    fn = sum(not m and p.duplicate for p, m in zip(pairs, merged, strict=True))
    return tp, fp, fn, len(pairs) - tp - fp - fn


def prf(tp: int, fp: int, fn: int, tn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}  (tp {tp}, fp {fp}, fn {fn}, tn {tn})"


def report(split: str, pairs: list[Pair], no_article: bool) -> None:
    results = [compare(p.a, p.b, None if no_article else ARTICLES[p.article]) for p in pairs]
    scores = [s for s, _ in results]
    dup = sum(p.duplicate for p in pairs)
    print(f"\n== {split}: {len(pairs)} pairs ({dup} duplicates, {len(pairs) - dup} not)")
    for name, t in (("merge", THRESHOLD), ("hint", SUGGEST)):
        print(f"at {name} ({t}): {prf(*counts(pairs, scores, t))}")
        for dup, kind in sorted({(p.duplicate, p.kind) for p in pairs}):
            sel = [
                (p, s)
                for p, s in zip(pairs, scores, strict=True)
                if (p.duplicate, p.kind) == (dup, kind)
            ]
            tp, fp, fn, _ = counts([p for p, _ in sel], [s for _, s in sel], t)
            label = "duplicate" if dup else "not"
            print(f"  {label:9} {kind:10} {tp + fp:2}/{len(sel):2}  (wrong {fp}, missed {fn})")
    print(f"mistakes (merge: >= {THRESHOLD}; hint: >= {SUGGEST}):")
    for p, (s, why) in zip(pairs, results, strict=True):
        if p.duplicate != (s >= SUGGEST) or (not p.duplicate and s >= THRESHOLD):
            tag = "FALSE MERGE" if s >= THRESHOLD else "false hint" if s >= SUGGEST else "missed"
            print(f"  {tag:11} #{p.id:<3} {p.kind:10} {s:.2f} {why}\n      {p.a}\n      {p.b}")
        elif p.duplicate and s < THRESHOLD:
            print(f"  {'hint only':11} #{p.id:<3} {p.kind:10} {s:.2f} {why}")
    print("sweep:")
    for t in SWEEP:
        print(f"  {t:.2f}  {prf(*counts(pairs, scores, t))}")


def speed() -> None:
    """One new question against 200 open ones on its point, as the bot runs it."""
    everything = labelled_pairs()
    article = ARTICLES["seed"]
    pool = [(i, 3, p.b) for i, p in enumerate(everything)][:200]
    new = [p.a for p in everything]
    for text in new:  # open questions are profiled once, when they are first compared
        find_duplicate(text, 3, pool, article)
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for text in new:
            find_duplicate(text, 3, pool, article)
        rounds.append((time.perf_counter() - start) / (len(new) * len(pool)) * 1e6)
    matcher._profile.cache_clear()
    start = time.perf_counter()
    for text in new:
        matcher._profile(text)
    cold = (time.perf_counter() - start) / len(new) * 1e6
    print(
        f"\nspeed: {min(rounds):.2f} µs per comparison (best of 5; median "
        f"{statistics.median(rounds):.2f}), {min(rounds) * len(pool) / 1000:.2f} ms per new "
        f"question against {len(pool)} open; profiling a new question {cold:.0f} µs"
    )


def queue_speed(n: int = 300) -> None:
    """!queue's "may repeat" hints for ``n`` open questions on one point, rendered."""
    texts_seen: dict[str, None] = {}
    for p in labelled_pairs():
        texts_seen.update({p.a: None, p.b: None})
    pool = list(texts_seen)[:n]
    who, where = UserRef(Platform("bench"), "u", "U"), ChatRef(Platform("bench"), "c")
    now = datetime.now(UTC)
    qs = [
        Question(i + 1, 1, 3, who, where, t, QuestionStatus.QUEUED, now, votes=(i * 7) % 5)
        for i, t in enumerate(pool)
    ]
    qs.sort(key=lambda q: (-q.votes, q.id))  # the queue's order
    arts = {1: ARTICLES["seed"]}

    def render(limit: int | None) -> tuple[float, float, int]:
        matcher._profile.cache_clear()
        start = time.perf_counter()
        hints = may_repeat(qs, arts, limit)
        texts.queue(qs, arts, "!", hints)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(5):
            start = time.perf_counter()
            texts.queue(qs, arts, "!", may_repeat(qs, arts, limit))
            warm.append(time.perf_counter() - start)
        return cold * 1e3, min(warm) * 1e3, len(hints)

    for limit in (HINT_CANDIDATES, None):
        cold, warm, hinted = render(limit)
        bound = f"at most {limit} older each" if limit else "every older one"
        print(
            f"!queue with {len(qs)} open questions on one point ({bound}): {warm:.1f} ms "
            f"(best of 5, profiles cached), {cold:.1f} ms cold; {hinted} hints"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    ap.add_argument("--no-article", action="store_true", help="score without article IDF")
    args = ap.parse_args()
    everything = labelled_pairs()
    print(f"{len(everything)} pairs, threshold {THRESHOLD}")
    for split in SPLITS if args.split == "all" else [args.split]:
        report(split, [p for p in everything if p.split == split], args.no_article)
    if args.split == "all":
        dev = [p for p in everything if p.split in TUNED]
        scores = [
            compare(p.a, p.b, None if args.no_article else ARTICLES[p.article])[0] for p in dev
        ]
        print(f"\n== tuned on ({' + '.join(TUNED)}):")
        print(f"at merge: {prf(*counts(dev, scores, THRESHOLD))}")
        print(f"at hint:  {prf(*counts(dev, scores, SUGGEST))}")
    speed()
    queue_speed()


if __name__ == "__main__":
    main()
