"""The duplicate matcher on the labelled pairs: precision, recall, F1, mistakes, threshold sweep.

Figures are given for each split of tests/fixtures/duplicates.tsv ("tune"; "seen1" and
"seen2": earlier held-out sets, each scored once and then tuned on; "held": never tuned on),
then the speed of one comparison.

    python bench/eval_duplicates.py [--split tune|seen1|seen2|held|all] [--no-article]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import duplicates  # noqa: E402
from bot.core.duplicates import THRESHOLD, compare, find_duplicate  # noqa: E402
from tests.core.test_duplicates import ARTICLES, Pair, labelled_pairs  # noqa: E402

SPLITS = ["tune", "seen1", "seen2", "held"]
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
    print(prf(*counts(pairs, scores, THRESHOLD)))
    for kind in sorted({p.kind for p in pairs}):
        sel = [(p, s) for p, s in zip(pairs, scores, strict=True) if p.kind == kind]
        tp, fp, fn, _ = counts([p for p, _ in sel], [s for _, s in sel], THRESHOLD)
        print(f"  {kind:10} merged {tp + fp:2}/{len(sel):2}  (wrong merges {fp}, missed {fn})")
    print("mistakes:")
    for p, (s, why) in zip(pairs, results, strict=True):
        if p.duplicate != (s >= THRESHOLD):
            tag = "FALSE MERGE" if s >= THRESHOLD else "missed"
            print(f"  {tag:11} #{p.id:<3} {p.kind:10} {s:.2f} {why}\n      {p.a}\n      {p.b}")
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
    duplicates._profile.cache_clear()
    start = time.perf_counter()
    for text in new:
        duplicates._profile(text)
    cold = (time.perf_counter() - start) / len(new) * 1e6
    print(
        f"\nspeed: {min(rounds):.2f} µs per comparison (best of 5; median "
        f"{statistics.median(rounds):.2f}), {min(rounds) * len(pool) / 1000:.2f} ms per new "
        f"question against {len(pool)} open; profiling a new question {cold:.0f} µs"
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
        dev = [p for p in everything if p.split != "held"]
        scores = [
            compare(p.a, p.b, None if args.no_article else ARTICLES[p.article])[0] for p in dev
        ]
        print(f"\n== tuned on (tune + seen1 + seen2): {prf(*counts(dev, scores, THRESHOLD))}")
    speed()


if __name__ == "__main__":
    main()
