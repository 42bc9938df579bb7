"""Issue 11: ordinal points, steps inside points, and questions read in six languages.

Small tables of their own, plus the tune half of the labelled reading set
(tests/fixtures/reading); the held-out half is scored by bench/eval_reading.py only.
"""

from __future__ import annotations

import pytest

from bot.core.models import Article, Point
from bot.core.parsing import explain_article, parse_article
from bot.core.questions import classify, is_question
from tests.core.reading_set import SPLITS, articles, messages, parsed

# --- the labelled set itself -----------------------------------------------------------------


def test_the_set_is_big_enough_and_split_by_article() -> None:
    arts = articles()
    assert len(arts) >= 12
    assert {a.split for a in arts.values()} == set(SPLITS)
    msgs = messages()
    assert len(msgs) >= 300
    assert all(m.article in arts for m in msgs)
    for m in msgs:
        assert (m.point is None) == (not m.question), m.text


# The splits the rules were tuned on (the blind ones after their one score; blind7 never).
TUNED = ("tune", "blind", "blind2", "blind3", "blind4", "blind5", "blind6")


@pytest.mark.parametrize("key", [k for k, a in articles().items() if a.split in TUNED])
def test_tuned_articles_parse_as_labelled(key: str) -> None:
    got = [p.title.lower() for p in parsed(key).points]
    assert tuple(got) == articles()[key].titles


# --- articles --------------------------------------------------------------------------------

ORDINAL_HTML = """<h1>Stopping</h1><p>Intro text here for the article.</p>
<h2>First, write the rules down</h2><p>First, this sounds dull. It is not.</p>
<p>Step 1: collect.</p><p>Step 2: decide.</p>
<h2>Second: name one owner</h2><p>One person decides.</p>
<h2>Finally, move on quickly</h2><p>Within a week.</p>"""


def test_ordinal_headings_are_points_and_steps_inside_one_are_not() -> None:
    article = parse_article(ORDINAL_HTML)
    assert [p.title for p in article.points] == [
        "Write the rules down",
        "Name one owner",
        "Move on quickly",
    ]
    assert {p.marker for p in article.points} == {"ordinal"}
    assert "Step 1: collect." in article.points[0].body  # the steps stay in point 1's body
    assert "First, this sounds dull" in article.points[0].body  # a sentence, not a point


MIXED_ORDINALS = """# Saving

Intro paragraph for the article.

## First, decide what counts

Body one.

**Second,** pick a number you can hit.

Body two.

## Third, automate it

Body three. First, this is a sentence. Second, so is this.

## Finally, refill it

Body four.
"""


def test_ordinals_in_headings_and_a_bold_lead_in_are_one_sequence() -> None:
    """An author who made one ordinal a bold line and the others headings wrote one list."""
    article = parse_article(MIXED_ORDINALS)
    assert [p.title for p in article.points] == [
        "Decide what counts",
        "Pick a number you can hit",
        "Automate it",
        "Refill it",
    ]
    assert "First, this is a sentence" in article.points[2].body


def test_last_with_its_colon_ends_an_ordinal_sequence() -> None:
    html = (
        "<p>Intro.</p><h2>First: curate less</h2><p>One.</p><h2>Second: the table</h2>"
        "<p>Two.</p><h2>Last year's numbers</h2><p>Not a point.</p>"
        "<h2>Last: say yes</h2><p>Three.</p>"
    )
    titles = [p.title for p in parse_article(html).points]
    assert titles == ["Curate less", "The table", "Say yes"]


PLAIN_ORDINALS = """Cinco cosas que aprendí

Hola a todos: aquí van las lecciones que más me sirvieron este año, una por una.

Primero, entrena la respiración bilateral.

En la piscina yo respiraba siempre por la derecha. Primero, parecía imposible.

Segundo, aprende a orientarte.

Levanta la vista cada seis brazadas.

Por último, nunca nades sin apoyo.

Nada siempre con alguien.
"""
NEWSLETTER = """Hi friends,

This issue collects what made the biggest difference for us this year, in order.

1/ Crate training is kindness, not a cage

A crate is a den, not a punishment. It is open 24/7 in our house.

2/ Socialise before the window closes

Let the puppy meet the world calmly.

3/ Keep training sessions short

Five minutes, three times a day.
"""


@pytest.mark.parametrize(
    ("text", "titles", "in_first_body"),
    [
        (
            PLAIN_ORDINALS,
            ["Entrena la respiración bilateral", "Aprende a orientarte", "Nunca nades sin apoyo"],
            "Primero, parecía imposible",  # a longer paragraph opening "Primero," stays one
        ),
        (
            NEWSLETTER,
            [
                "Crate training is kindness, not a cage",
                "Socialise before the window closes",
                "Keep training sessions short",
            ],
            "open 24/7 in our house",  # "24/7" inside a body is no marker
        ),
    ],
    ids=["plain-text ordinal lines", "N/ lines"],
)
def test_plain_text_points_as_newsletters_write_them(
    text: str, titles: list[str], in_first_body: str
) -> None:
    """A short line of its own opening with an ordinal is a heading in plain text; so is a
    "1/" line."""
    article = parse_article(text, fmt="text")
    assert [p.title for p in article.points] == titles
    assert in_first_body in article.points[0].body


def test_a_numbered_run_inside_a_point_does_not_join_the_points() -> None:
    """Only ordinals cross from headings to other markup: "2." and "3." in a list stay there."""
    md = (
        "## 1. Alpha\n\nText.\n\n2. sub two\n3. sub three\n\n"
        "## 2. Beta\n\nText.\n\n## 3. Gamma\n\nEnd."
    )
    assert [p.title for p in parse_article(md).points] == ["Alpha", "Beta", "Gamma"]


def test_a_lead_in_split_over_two_bold_elements_is_one_title() -> None:
    html = (
        "<p><strong>1) Cutting </strong><strong>too late.</strong> Body one.</p>"
        "<p><strong>2) What are we not doing?</strong> Body two.</p>"
    )
    assert [p.title for p in parse_article(html).points] == [
        "Cutting too late",
        "What are we not doing?",
    ]


def test_worded_markers_in_other_languages_are_points() -> None:
    text = "# T\n\n**Regel 1:** Pünktlich. Text.\n\n**Regel 2:** Kurz. Text.\n"
    article = parse_article(text)
    assert [(p.title, p.marker) for p in article.points] == [
        ("Pünktlich", "regel"),
        ("Kurz", "regel"),
    ]


def test_explain_says_which_blocks_became_points_and_why_not_the_others() -> None:
    lines = explain_article(ORDINAL_HTML)
    assert any(ln.startswith("rejected:") and "lies inside point 1" in ln for ln in lines)
    assert any("point 2 ('Name one owner'), ordinal heading" in ln for ln in lines)
    assert any("'First, this sounds dull" in ln and "body of point 1" in ln for ln in lines)
    assert any("'Intro text here" in ln and ln.endswith("starts a sequence)") for ln in lines)


# --- is it a question? -----------------------------------------------------------------------

DETECTION = [
    # (message, a question for the author)
    ("how long should the taper be for a half marathon", True),
    ("what's a tempo run", True),
    ("which shoes do you race in", True),
    ("Why do we even bother??", False),
    ("Am I the only one who reads these twice?", False),
    ("Who could have predicted that 🙄", False),
    ("Isn't every plan a guess anyway?", False),
    ("Who else is reading this on the train?", False),
    ("Anyone here tried this with kids?", False),
    ("¿Alguien lo ha probado en invierno?", False),
    ("Quelqu'un a un avis ?", False),
    ("Hat jemand das schon gemacht?", False),
    ("¿Puedes aclarar lo del fondo?", True),
    ("Was ist mit Abgleich gemeint", True),
    ("Non ho capito il secondo punto", True),
    ("Pode explicar melhor?", True),
    ("Pouvez-vous préciser ce point", True),
    ("> a line from the article\nso true", False),
    ("`code` **bold**", False),
    ("<@123456> look", False),
    ("Great piece, thanks!", False),
]


@pytest.mark.parametrize(("text", "expected"), DETECTION)
def test_detection(text: str, expected: bool) -> None:
    verdict, why = is_question(text)
    assert verdict is expected, why


# --- which point? ----------------------------------------------------------------------------

RULES = Article(
    title="Meetings",
    points=(
        Point(1, "No agenda, no meeting", "Invitations need a written agenda.", "rule"),
        Point(2, "Decisions are written down", "Someone types the decision and owner.", "rule"),
        Point(3, "Short by default", "Twenty-five minutes leaves time to walk.", "rule"),
    ),
)
STEPS = Article(
    title="Onboarding",
    points=(
        Point(1, "Laptop ready", "Accounts are created before day one.", "step"),
        Point(2, "Pair on a bug", "A senior developer pairs on a real bug.", "step"),
        Point(3, "Ship by Friday", "A one-line change goes to production.", "step"),
    ),
)
ORDINALS = Article(
    title="Hiring",
    points=(
        Point(1, "Hire for ownership", "Ask what they owned end to end.", "ordinal"),
        Point(2, "Pay for a work sample", "Step 1: send it. Step 2: pay four hours.", "ordinal"),
        Point(3, "Check references", "Call two references not listed.", "ordinal"),
    ),
)

ROUTING = [
    # (message, article, point)
    ("Rule 2: where do decisions live?", RULES, 2),
    ("re #1: can I decline?", RULES, 1),
    ("the last rule, is it strict?", RULES, 3),
    ("¿Puedes aclarar la regla 3?", RULES, 3),
    ("Regel 2: wer schreibt?", RULES, 2),
    ("step 3: what if the deploy fails?", STEPS, 3),
    ("Schritt 2: welcher Bug?", STEPS, 2),
    ("Step 2: why four hours?", ORDINALS, 2),  # a step inside point 2, not point 2 by number
    ("Third: is it legal?", ORDINALS, 3),
    ("Third: is it legal?", RULES, None),  # a bare ordinal names nothing on a rule article
    ("the 'finally' one — which references?", ORDINALS, 3),
    ("el segundo punto, ¿cuánto pagáis?", ORDINALS, 2),
    ("terzo punto: quanti?", ORDINALS, 3),
    ("Le point 1, comment ?", ORDINALS, 1),
    ("what do you mean by 'writen agenda'?", RULES, 1),  # a typo inside quotes
    ("'senoir developer' — always?", STEPS, 2),
    ("How do you stop the invite without an agenda?", RULES, 1),  # by content
    ("What do you do?", RULES, None),  # no content words: the whole article
]


@pytest.mark.parametrize(("text", "article", "point"), ROUTING)
def test_routing(text: str, article: Article, point: int | None) -> None:
    c = classify(text, article)
    assert c.point == point, c.reason


def test_a_paraphrase_names_the_words_that_decided_it() -> None:
    c = classify("Who types in the owner, and when?", RULES)
    assert c.point == 2 and c.source == "phrase"
    assert "'types'" in c.reason and "point to point 2" in c.reason


def test_a_paraphrase_between_two_points_goes_to_the_whole_article() -> None:
    c = classify("Does the agenda decide the owner?", RULES)
    assert c.point is None and ("alike" in c.reason or "names no point" in c.reason), c.reason


@pytest.mark.parametrize("m", [m for m in messages() if articles()[m.article].split == "tune"])
def test_tune_half_detection(m: object) -> None:
    from tests.core.reading_set import Message

    assert isinstance(m, Message)
    c = classify(m.text, parsed(m.article))
    assert c.is_question is m.question, c.reason


@pytest.mark.parametrize("split", ["blind", "blind2", "blind3", "blind4"])
def test_the_blind_sets_tuned_on_keep_their_scores(split: str) -> None:
    """A floor under the tuned figures of docs/reading.md (F1 0.94-0.98, point 0.62-0.69,
    5-9 wrong points a set): a rule change that loses ground on them shows here."""
    tp = fp = fn = right = wrong = asked = 0
    for m in messages():
        if articles()[m.article].split != split:
            continue
        c = classify(m.text, parsed(m.article))
        tp += m.question and c.is_question
        fp += not m.question and c.is_question
        fn += m.question and not c.is_question
        if m.question:
            asked += 1
            right += (c.point or 0) == m.point
            wrong += (c.point or 0) not in (0, m.point)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.93, (split, f1)
    assert right / asked >= 0.60, (split, right, asked)
    assert wrong <= 10, (split, wrong)


GERMAN = Article(
    title="Bereitschaft",
    points=(
        Point(1, "Jeder Alarm braucht eine Handlung", "Alarme ohne Handlung werden gelöscht."),
        Point(2, "Die Übergabe gehört ins Dokument", "Jede Übergabe wird im Dokument notiert."),
        Point(3, "Ruhezeiten sind nicht verhandelbar", "Nach Nachteinsätzen gibt es Ausgleich."),
        Point(4, "Düngen mit Beinwell", "Beinwell ergibt einen guten Dünger für Tomaten."),
    ),
)


@pytest.mark.parametrize(
    ("text", "point", "said"),
    [
        ("Gibt es eine Vorlage für das Übergabedokument?", 2, "übergabedokument"),
        ("Kann man den Beinwell-Dünger fertig kaufen?", 4, "beinwell-dünger"),
    ],
)
def test_a_compound_the_reader_coined_is_read_as_its_parts(
    text: str, point: int, said: str
) -> None:
    """German readers join words the article keeps apart; hyphens join them everywhere."""
    c = classify(text, GERMAN)
    assert c.point == point, c.reason
    assert said in c.reason


def test_a_marker_word_with_a_hash_is_a_marker() -> None:
    md = "Intro.\n\n## Rule #1: Prep situations\n\nOne.\n\n## Rule #2: Say yes\n\nTwo.\n"
    article = parse_article(md)
    assert [p.title for p in article.points] == ["Prep situations", "Say yes"]
    assert {p.marker for p in article.points} == {"rule"}


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        (
            "Intro.\n\nStep one: Test the battery\n\nText.\n\n"
            "Step two: Check the coolant\n\nText.\n",
            ["Test the battery", "Check the coolant"],
        ),
        (
            "Intro.\n\nStep one is to look.\n\nStep two is to act.\n",  # prose, not markers
            [],
        ),
    ],
    ids=["spelt numbers", "prose"],
)
def test_a_marker_word_may_spell_its_number(text: str, titles: list[str]) -> None:
    assert [p.title for p in parse_article(text, fmt="text").points] == titles
