"""The reading set (tests/fixtures/reading) scored: points found, questions detected, routed.

For each split ("tune": the rules were tuned on it; "held": scored once at the end; "blind" to
"blind5": written by others, each scored once on arrival, blind5 never tuned on), prints
the articles whose points the parser found as labelled, then per kind of message: precision,
recall and F1 of "a question for the author", and the accuracy of the point (over the
messages a careful reader takes for questions; 0 = the whole article).

    python bench/eval_reading.py [--split tune|held|blind|...|blind5|all] [--mistakes]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.questions import classify  # noqa: E402
from tests.core.reading_set import KINDS, SPLITS, Message, articles, messages, parsed  # noqa: E402


def _f(x: float | None) -> str:
    return "   —" if x is None else f"{x:.2f}"


def _prf(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p is not None and r is not None and p + r else None
    return p, r, f


def score_parser(split: str) -> None:
    keys = [a for a in articles().values() if a.split == split]
    good = 0
    print(f"\n== {split}: points of {len(keys)} articles")
    for a in keys:
        got = tuple(p.title.lower() for p in parsed(a.key).points)
        ok = got == a.titles
        good += ok
        mark = "ok " if ok else "BAD"
        print(f"  {mark} {a.file}: {len(got)} points (want {len(a.titles)})")
        if not ok:
            print(f"      got  {list(got)}\n      want {list(a.titles)}")
    print(f"  {good}/{len(keys)} articles parsed as labelled")


def score_messages(split: str, mistakes: bool) -> None:
    rows: list[tuple[Message, bool, int, str]] = []
    for m in messages():
        if articles()[m.article].split != split:
            continue
        c = classify(m.text, parsed(m.article))
        rows.append((m, c.is_question, c.point or 0, c.reason))
    print(f"\n== {split}: {len(rows)} messages")
    head = f"  {'kind':<11} {'n':>3}  {'P':>5} {'R':>5} {'F1':>5}  tp/fp/fn/tn    point acc"
    print(f"{head}       wrong point")
    for kind in [*KINDS, "all"]:
        sel = [r for r in rows if kind in ("all", r[0].kind)]
        if not sel:
            continue
        tp = sum(m.question and q for m, q, _, _ in sel)
        fp = sum(not m.question and q for m, q, _, _ in sel)
        fn = sum(m.question and not q for m, q, _, _ in sel)
        tn = len(sel) - tp - fp - fn
        p, r, f = _prf(tp, fp, fn)
        asked = [(m, pt) for m, _, pt, _ in sel if m.question]
        right = sum(m.point == pt for m, pt in asked)
        acc = f"{right}/{len(asked)} = {right / len(asked):.2f}" if asked else "—"
        # A point other than the labelled one (not the whole article): the costly mistake.
        wrong = sum(pt not in (m.point, 0) for m, pt in asked) if asked else "—"
        counts = f"{tp}/{fp}/{fn}/{tn}"
        prf = f"{_f(p):>5} {_f(r):>5} {_f(f):>5}"
        line = f"  {kind:<11} {len(sel):>3}  {prf}  {counts:<14} {acc:<16}"
        print(f"{line} {wrong}")
    if mistakes:
        print("  mistakes:")
        for m, q, pt, why in rows:
            if q != m.question or (m.question and pt != m.point):
                want = f"q={int(m.question)} p={m.point}"
                print(f"    [{m.article} {m.kind}] {m.text!r}: want {want}, got q={int(q)} p={pt}")
                print(f"        {why}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=[*SPLITS, "all"], default="tune")
    ap.add_argument("--mistakes", action="store_true", help="list every wrong call")
    args = ap.parse_args()
    for split in SPLITS if args.split == "all" else (args.split,):
        score_parser(split)
        score_messages(split, args.mistakes)


if __name__ == "__main__":
    main()
