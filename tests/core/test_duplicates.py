"""Table tests for bot.core.duplicates: does a new question repeat an open one on its point."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.core.duplicates import SUGGEST, THRESHOLD, Match, compare, find_duplicate, similar_pairs
from bot.core.models import Article, Point

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@cache
def seed() -> Article:
    """The seed article (lines 1-15 of the fixture), split by layout alone."""
    lines = (FIXTURES / "seed-article.txt").read_text(encoding="utf-8").splitlines()
    points = tuple(
        Point(int(lines[i].split(".")[0]), lines[i].split(". ", 1)[1], lines[i + 1])
        for i in range(3, 13, 2)
    )
    return Article(
        "Putin and Pezeshkian",
        subtitle=lines[0],
        intro=lines[1],
        points=points,
        conclusion=lines[14],
    )


TECH = Article(
    title="Back to the monolith",
    intro=(
        "After three years of microservices, our twelve-person team merged thirty "
        "services back into one deployable. Here is what we learned."
    ),
    points=(
        Point(
            1,
            "On-call got worse, not better",
            (
                "Thirty services meant thirty dashboards and thirty sets of alerts. Our "
                "pager went off four times a week, usually for a timeout in a service "
                "nobody had touched in months. Distributed tracing helped us find the "
                "culprit, but it did not reduce the noise."
            ),
        ),
        Point(
            2,
            "Network calls are not function calls",
            (
                "Every hop added serialization, retries and a failure mode. Our checkout "
                "request crossed nine services, and its p99 latency rose from 40 ms to "
                "180 ms. Inside one process the same work is a function call that cannot "
                "time out."
            ),
        ),
        Point(
            3,
            "One pipeline beats thirty",
            (
                "Each service had its own build, its own dependency versions and its own "
                "deploy pipeline. Upgrading the logging library took six weeks. Now one "
                "build runs the whole test suite in eleven minutes and we deploy twice a "
                "day."
            ),
        ),
        Point(
            4,
            "Boundaries come from modules, not from the network",
            (
                "We kept the domain boundaries: billing, catalogue and accounts are "
                "separate packages with import rules checked in CI. A service boundary is"
                " an expensive way to enforce what a linter can enforce for free."
            ),
        ),
        Point(
            5,
            "When microservices still make sense",
            (
                "If you have hundreds of engineers, parts with very different scaling "
                "needs, or a component that must be written in another language, split it"
                " out. For a team of twelve, the coordination cost outweighs the benefit."
            ),
        ),
    ),
    conclusion=(
        "Start with a well-structured monolith and split only when a measured need appears."
    ),
)
OATS = Article(
    title="Overnight oats that actually keep you full",
    intro=("Five minutes the night before gives you a breakfast that lasts until lunch."),
    points=(
        Point(
            1,
            "Use rolled oats, not instant",
            (
                "Rolled oats soak up liquid slowly and keep some bite; instant oats turn "
                "to paste by morning. Steel-cut oats stay too hard unless you cook them "
                "first."
            ),
        ),
        Point(
            2,
            "Get the ratio right",
            (
                "Start with one part oats to one and a half parts milk by volume. Any "
                "milk works, including oat or soy milk; add more if you like them loose. "
                "Too little liquid gives a dense, gluey pot."
            ),
        ),
        Point(
            3,
            "Add protein",
            (
                "A spoon of Greek yogurt or a tablespoon of chia seeds adds protein and "
                "makes the oats creamier. Protein slows digestion, which is why you stay "
                "full until lunch."
            ),
        ),
        Point(
            4,
            "Soak for at least six hours",
            (
                "Leave the jar in the fridge for at least six hours, ideally overnight. "
                "They keep for up to four days, but the texture softens after the second "
                "day."
            ),
        ),
        Point(
            5,
            "Sweeten with fruit, not syrup",
            (
                "Mashed banana or grated apple sweetens without a sugar spike. Oats "
                "contain beta-glucan, a soluble fibre that can lower LDL cholesterol when"
                " you eat about three grams a day."
            ),
        ),
    ),
    conclusion=("Rolled oats, the right ratio, some protein and a night in the fridge."),
)
SLEEP = Article(
    title="Sleep: five habits that matter more than gadgets",
    intro=("Trackers and apps promise better sleep; these habits cost nothing and work better."),
    points=(
        Point(
            1,
            "Keep the same wake-up time",
            (
                "A fixed wake-up time, weekends included, anchors your body clock more "
                "than a fixed bedtime does. Sleeping in two hours on Sunday is like "
                "flying across two time zones."
            ),
        ),
        Point(
            2,
            "Get morning light",
            (
                "Ten to thirty minutes of daylight within an hour of waking tells the "
                "brain when the day starts. A cloudy sky still gives far more light than "
                "indoor lamps."
            ),
        ),
        Point(
            3,
            "Cut caffeine after noon",
            (
                "Caffeine has a half-life of about five hours, so a 3 pm coffee is still "
                "half in your blood at 8 pm. Decaf is not zero: a cup has 2 to 15 mg."
            ),
        ),
        Point(
            4,
            "Keep the bedroom cool",
            (
                "Around 18 °C suits most adults; the body needs to drop its core "
                "temperature to fall asleep. A warm shower an hour before bed helps by "
                "drawing heat to the skin."
            ),
        ),
        Point(
            5,
            "Don't fight insomnia in bed",
            (
                "If you are awake for more than twenty minutes, get up and read in dim "
                "light until you feel sleepy. Lying awake teaches the brain that bed is a"
                " place for worrying. Sleep trackers often make this worse."
            ),
        ),
    ),
    conclusion=(
        "Fix the wake-up time, get light early, and keep caffeine and worry out of the evening."
    ),
)
ARTICLES = {"seed": seed(), "tech": TECH, "oats": OATS, "sleep": SLEEP}


class Pair(NamedTuple):
    id: int
    split: str  # "tune", "seen1", "seen2", "held" (tuned on) or "held2" (held out)
    article: str
    point: int | None
    duplicate: bool
    kind: str
    a: str
    b: str


@cache
def labelled_pairs() -> tuple[Pair, ...]:
    """The labelled set in tests/fixtures/duplicates.tsv."""
    with (FIXTURES / "duplicates.tsv").open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(
            (line for line in f if not line.startswith("#")), delimiter="\t", quoting=csv.QUOTE_NONE
        )
        return tuple(
            Pair(
                int(r["id"]),
                r["split"],
                r["article"],
                int(r["point"]) if r["point"] else None,
                r["label"] == "1",
                r["kind"],
                r["a"],
                r["b"],
            )
            for r in rows
        )


def predict(pair: Pair, threshold: float = THRESHOLD) -> bool:
    """Whether the matcher merges ``pair.a`` (new) into ``pair.b`` (open)."""
    open_questions = [(1, pair.point, pair.b)]
    return (
        find_duplicate(
            pair.a, pair.point, open_questions, ARTICLES[pair.article], threshold=threshold
        )
        is not None
    )


def precision_recall(pairs: list[Pair], threshold: float = THRESHOLD) -> tuple[float, float]:
    """Precision and recall of the matcher on ``pairs`` (1.0 when nothing is predicted)."""
    predicted = [predict(p, threshold) for p in pairs]
    tp = sum(1 for p, m in zip(pairs, predicted, strict=True) if m and p.duplicate)
    merged, duplicates = sum(predicted), sum(p.duplicate for p in pairs)
    return (tp / merged if merged else 1.0), (tp / duplicates if duplicates else 1.0)


# --- representative pairs --------------------------------------------------------------------

CLANDESTINE = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
FOLLOW_UP = "Clandestine in what sense, by whose definition?"  # the seed's other reader comment


class Row(NamedTuple):
    article: str
    new: str
    old: str
    merged: bool
    reason: str  # the start of the reason


ROWS = [
    # the same request: a quoted phrase, the same wording, other words, numbers as words
    Row(
        "seed",
        CLANDESTINE,
        'What exactly are "clandestine arms transfers"?',
        True,
        "same quoted phrase 'clandestine arms transfers'",
    ),
    Row(
        "seed",
        "I don't understand what you mean by 'face-saving'",
        'What do you mean by "face-saving"?',
        True,
        "same quoted phrase 'face-saving'",
    ),
    Row(
        "seed",
        "Which air defense systems would Russia offer Iran?",
        "What air defence systems might Russia offer to Iran?",
        True,
        "same wording (shared: ",
    ),
    Row(
        "seed",
        "Why did Iran summon the Russian ambassador?",
        "Why was the Russian ambassador summoned by Iran?",
        True,
        "same wording",
    ),
    Row(
        "tech",
        "Why did upgrading the logging library take six weeks?",
        "Why did the logging library upgrade take 6 weeks?",
        True,
        "same wording",
    ),
    Row(
        "oats",
        "Can I use instant oats instead of rolled oats?",
        "Is it OK to use instant oats rather than rolled oats?",
        True,
        "same wording",
    ),
    Row(  # "°C" reads as "degrees"
        "sleep",
        "Is 18 °C the right bedroom temperature?",
        "Is 18 degrees right for the bedroom?",
        True,
        "same request in other words",
    ),
    # close, but below the precision-first threshold: missed rather than risk a wrong merge
    Row("seed", CLANDESTINE, FOLLOW_UP, False, "same request in other words (shared: clandestine"),
    # vetoes: another kind of question, number, negation, point, actor, role or time
    Row(
        "seed",
        "Why did Russia deny the drone imports?",
        "Did Russia deny the drone imports?",
        False,
        "asks something else (reason vs yes/no)",
    ),
    Row(
        "seed",
        'What do you mean by "clandestine arms transfers"?',
        'Why would "clandestine arms transfers" be in the document at all?',
        False,
        "asks something else (meaning vs reason)",
    ),
    Row(
        "seed",
        "Could you clarify what BRICS is?",
        "Could you clarify the BRICS Summit date?",
        False,
        "asks something else (meaning vs time)",
    ),
    Row(
        "seed",
        "Would Russia give Iran the S-400?",
        "Would Russia give Iran the S-300?",
        False,
        "different numbers",
    ),
    Row(
        "seed",
        "Why did Russia deny the drone reports?",
        "Why didn't Russia deny the drone reports?",
        False,
        "one is negated",
    ),
    Row(
        "tech",
        "When do microservices make sense?",
        "When do microservices not make sense?",
        False,
        "one is negated",
    ),
    Row(
        "seed",
        "How does point 2 relate to point 4?",
        "How does point 2 relate to point 3?",
        False,
        "names other points",
    ),
    Row(
        "seed",
        "Why does Putin want Iran to exercise restraint?",
        "Why does Israel want Iran to exercise restraint?",
        False,
        "about someone else",
    ),
    Row(
        "seed",
        "Has Russia changed its stance on the corridor?",
        "Has Iran changed its stance on the corridor?",
        False,
        "about someone else",
    ),
    Row(
        "seed",
        "Will Russia promise to support Iran in a war with Israel?",
        "Would Russia support Israel in a war with Iran?",
        False,
        "the same words in other roles",
    ),
    Row(
        "oats",
        "Can I use regular yogurt instead of Greek yogurt?",
        "Can I use Greek yogurt instead of milk?",
        False,
        "the same words in other roles",
    ),
    Row(
        "tech",
        "How long does the test suite take now?",
        "How long did the test suite take before the merge?",
        False,
        "asks about another time",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.new[:40])
def test_representative_pairs(row: Row) -> None:
    score, reason = compare(row.new, row.old, ARTICLES[row.article])
    assert 0.0 <= score <= 1.0
    assert (score >= THRESHOLD) is row.merged, (score, reason)
    assert reason.startswith(row.reason), reason


@pytest.mark.parametrize("row", [r for r in ROWS if r.merged], ids=lambda r: r.new[:40])
def test_symmetric_enough(row: Row) -> None:
    """Which of the two came first does not decide whether they are duplicates."""
    assert compare(row.old, row.new, ARTICLES[row.article])[0] >= THRESHOLD


# --- the API contract ------------------------------------------------------------------------

QUOTE_A = 'What do you mean by "face-saving"?'
QUOTE_B = 'Could you clarify "face-saving"?'
WORDING = "Which air defense systems would Russia offer Iran?"


def test_nothing_open_is_no_match() -> None:
    assert find_duplicate(QUOTE_A, 2, [], seed()) is None


def test_only_the_same_point_is_a_candidate() -> None:
    assert find_duplicate(QUOTE_A, 2, [(7, 3, QUOTE_B), (8, None, QUOTE_B)], seed()) is None
    assert find_duplicate(QUOTE_A, None, [(7, 2, QUOTE_B)], seed()) is None
    match = find_duplicate(QUOTE_A, None, [(7, 2, QUOTE_B), (8, None, QUOTE_B)], seed())
    assert match is not None and match.question_id == 8  # None and None are the same point


def test_best_of_several_wins() -> None:
    open_questions = [
        (1, 2, "Would the air defense equipment be enough to stop Israeli missiles?"),
        (2, 2, "What air defence systems might Russia offer to Iran?"),
        (3, 2, QUOTE_B),
    ]
    match = find_duplicate(WORDING, 2, open_questions, seed())
    assert match == Match(2, 1.0, match.reason if match else "")
    assert match is not None and match.reason.startswith("same wording (shared: ")


def test_a_tie_goes_to_the_older_question() -> None:
    match = find_duplicate(QUOTE_A, 2, [(9, 2, QUOTE_B), (4, 2, QUOTE_B)], seed())
    assert match is not None and match.question_id == 4


def test_threshold_is_a_parameter() -> None:
    open_questions = [(5, 3, FOLLOW_UP)]
    assert find_duplicate(CLANDESTINE, 3, open_questions, seed()) is None
    match = find_duplicate(CLANDESTINE, 3, open_questions, seed(), threshold=0.5)
    assert match is not None and 0.5 <= match.score < THRESHOLD
    assert match.reason == "same request in other words (shared: clandestine, meaning)"


def test_works_without_the_article() -> None:
    match = find_duplicate(QUOTE_A, 2, [(1, 2, QUOTE_B)])
    assert match is not None and match.reason == "same quoted phrase 'face-saving'"
    assert find_duplicate(WORDING, 2, [(1, 2, "Would Russia give Iran the S-300?")]) is None


# --- the "may repeat" band ------------------------------------------------------------------

PARAPHRASE = "Why is the Zangezur Corridor such a sensitive issue?"
OTHER_WORDS = "What makes the corridor so sensitive for them?"


def test_the_seed_reader_pair_may_repeat_but_is_not_merged() -> None:
    score, reason = compare(FOLLOW_UP, CLANDESTINE, seed())
    assert SUGGEST <= score < THRESHOLD, (score, reason)
    assert reason == "same request in other words (shared: clandestine, meaning)"


def test_similar_pairs_hints_each_question_at_an_older_one_in_the_band() -> None:
    open_questions = [
        (1, 3, CLANDESTINE),
        (2, 3, FOLLOW_UP),  # other words: the band
        (3, 3, "Could you clarify the BRICS Summit date?"),  # another request
        (4, 5, PARAPHRASE),
        (5, 5, OTHER_WORDS),  # "the corridor" is the Zangezur Corridor
    ]
    hints = similar_pairs(open_questions, seed())
    assert set(hints) == {2, 5}
    assert hints[2].question_id == 1 and SUGGEST <= hints[2].score < THRESHOLD
    assert hints[2].reason == "same request in other words (shared: clandestine, meaning)"
    assert hints[5].question_id == 4


def test_similar_pairs_only_within_a_point_and_only_older() -> None:
    assert similar_pairs([(1, 3, CLANDESTINE), (2, 4, FOLLOW_UP)], seed()) == {}
    hints = similar_pairs([(2, 3, FOLLOW_UP), (1, 3, CLANDESTINE)], seed())
    assert set(hints) == {2} and hints[2].question_id == 1  # ids say which is older


def test_similar_pairs_leaves_out_what_would_merge() -> None:
    """A pair at or above THRESHOLD was kept apart on purpose (!ask --new): no hint."""
    same = 'What exactly are "clandestine arms transfers"?'
    assert compare(same, CLANDESTINE, seed())[0] >= THRESHOLD
    assert similar_pairs([(1, 3, CLANDESTINE), (2, 3, same)], seed()) == {}
    assert set(similar_pairs([(1, 3, CLANDESTINE), (2, 3, same)], seed(), high=1.01)) == {2}


def test_similar_pairs_limit_bounds_the_candidates_in_the_order_given() -> None:
    open_questions = [(1, 3, "Could you clarify the BRICS Summit date?"), (2, 3, CLANDESTINE)]
    open_questions.append((3, 3, FOLLOW_UP))
    assert similar_pairs(open_questions, seed(), limit=1) == {}  # only #1 was looked at
    assert similar_pairs(open_questions[::-1], seed(), limit=1)[3].question_id == 2


# --- the labelled set ------------------------------------------------------------------------


def test_labelled_set_shape() -> None:
    pairs = labelled_pairs()
    assert len({p.id for p in pairs}) == len(pairs) >= 120
    assert sum(p.duplicate for p in pairs) >= 50 and sum(not p.duplicate for p in pairs) >= 70
    assert {p.split for p in pairs} == {"tune", "seen1", "seen2", "held", "held2"}
    assert {p.article for p in pairs} == set(ARTICLES)


def test_precision_on_the_tuning_pairs() -> None:
    tuned = [p for p in labelled_pairs() if p.split != "held2"]
    precision, recall = precision_recall(tuned)
    assert precision >= 0.95 and recall >= 0.4, (precision, recall)


def test_precision_on_the_held_out_pairs() -> None:
    """The held-out pairs were never tuned on: this is the honest figure, and it can fail."""
    held = [p for p in labelled_pairs() if p.split == "held2"]
    assert len(held) >= 80
    precision, recall = precision_recall(held)
    assert precision >= 0.9, (precision, recall)
