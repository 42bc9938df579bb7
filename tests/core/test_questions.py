"""Table tests for bot.core.questions: is it a question for the author, and which point."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.core.models import Article, Point
from bot.core.questions import classify, explicit_point_reference, is_question

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "seed-article.txt"


@cache
def seed() -> tuple[Article, tuple[str, ...]]:
    """The seed article and its four reader comments (lines 16–19), split by layout alone.

    Deliberately tiny and independent of the real article parser (owned elsewhere).
    """
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    points = []
    for i in range(3, 13, 2):  # lines 4–13: "N. Title" then the paragraph
        m = re.fullmatch(r"(\d+)\.\s+(.+)", lines[i])
        assert m, lines[i]
        points.append(Point(int(m[1]), m[2], lines[i + 1]))
    article = Article(
        title="Putin and Pezeshkian",
        subtitle=lines[0],
        intro=lines[1],
        points=tuple(points),
        conclusion=lines[14],
    )
    return article, tuple(lines[15:19])


ARTICLE = seed()[0]
OPINION, PRAISE, EXPLAIN, FOLLOW_UP = seed()[1]


# --- the seed comments -----------------------------------------------------------------------


def test_seed_layout() -> None:
    assert ARTICLE.point_numbers == (1, 2, 3, 4, 5)
    assert EXPLAIN.startswith("Please explain") and FOLLOW_UP.startswith("Clandestine")


SEED = [
    # (comment, thread_point, reply_point, is a question, point, source)
    (EXPLAIN, None, None, True, 3, "explicit"),
    (EXPLAIN, 1, None, True, 3, "explicit"),  # explicit beats thread context
    (FOLLOW_UP, None, None, True, None, "none"),  # "clandestine" is in points 3 and 4
    (FOLLOW_UP, 3, None, True, 3, "thread"),
    (FOLLOW_UP, None, 3, True, 3, "reply"),
    (FOLLOW_UP, 3, 4, True, 3, "thread"),  # thread before reply
    ("'clandestine arms transfers' in what sense?", None, None, True, 3, "phrase"),
    (OPINION, None, None, False, None, "none"),  # touches 2 and 5: no single point
    (PRAISE, None, None, False, None, "none"),
]


@pytest.mark.parametrize("row", SEED)
def test_seed_comments(row: tuple[str, int | None, int | None, bool, int | None, str]) -> None:
    text, thread, reply, *expected = row
    c = classify(text, ARTICLE, thread_point=thread, reply_point=reply)
    assert [c.is_question, c.point, c.source] == expected, c.reason
    assert c.missing_point is None


def test_seed_reasons_are_plain_words() -> None:
    assert classify(EXPLAIN, ARTICLE).reason == (
        "asks for an answer (polite request: 'please explain'); names point 3"
    )
    assert "opinion" not in classify(OPINION, ARTICLE).reason  # names the rule, not a guess
    assert classify(PRAISE, ARTICLE).reason.startswith("praise")


# --- is it a question for the author? --------------------------------------------------------

IS_QUESTION = [
    # questions: a real question mark
    ("Why would Russia risk its ties with Israel?", True, "question mark"),
    ("So what happens if the strike comes before Friday?", True, "question mark"),
    ("How sure are you that the S-400s will arrive in time?", True, "question mark"),
    ("Thoughts on the BRICS angle?", True, "question mark"),
    ("Great piece. But why would Iran wait?", True, "question mark"),
    ("Who knew? And why does Russia care so much?", True, "question mark"),
    ("Is 'face-saving' the right word here?", True, "question mark"),
    ("Russia, will it actually help?", True, "question mark"),  # a country, not a reader
    ("Andrew, what do you mean by face-saving?", True, "question mark"),  # the author by name
    ("@Korybko why the delay?", True, "question mark"),  # @ the author
    ("Mr. Korybko, could you clarify the timeline?", True, "question mark"),
    ("Hi Andrew, how are you? What does 'lull' mean here?", True, "question mark"),
    # questions: requests without a question mark
    ("Please explain the second point", True, "polite request"),
    ("pls clarify what you meant about the corridor", True, "polite request"),
    ("clarify point 3", True, "imperative"),
    ("Elaborate on the second point.", True, "imperative"),
    ("So explain why Iran would wait", True, "imperative"),
    ("Can you expand on the Zangezur issue", True, "can you"),
    ("Could you say more about the air defence systems.", True, "can you"),
    ("I'd like to know who proposed the secret clauses.", True, "would like"),
    ("I would appreciate a source for the drone exports", True, "would like"),
    ("I wonder why Putin went to Turkmenistan at all.", True, "wondering"),
    ("I was wondering whether the corridor dispute is settled", True, "wondering"),
    ("We need to understand what Russia actually promised", True, "wants to know"),
    ("Curious why the summit matters so much", True, "curious"),
    ("I don't understand what you mean by a lull", True, "confused"),
    ("Not sure what you mean by proceeding points.", True, "confused"),
    ("More detail on the BRICS timing please", True, "asks for more"),
    ("Any sources for the drone exports", True, "asks for more"),
    ("what do you mean by 'secret clauses'", True, "asks you"),
    ("Why do you think Iran will be disappointed", True, "asks you"),
    ("Question: will it be signed at BRICS", True, "labelled"),
    ("I have a question about point 3", True, "labelled"),
    ("Quick question: why Turkmenistan", True, "labelled"),
    ("Would love to hear your take on the India route.", True, "would like"),
    ("would be great if you could explain point 2", True, "can you"),
    ("how come Russia doesn't just sell more S-400s", True, "asks you"),
    ("Please, if you have a minute, explain the corridor dispute", True, "polite request"),
    # requests said as statements: not understanding, something unclear
    ("point 3 is unclear to me", True, "not clear"),
    ("tip 4 is a bit confusing", True, "not clear"),
    ("the second one is really vague", True, "not clear"),
    ("I'm confused by the 'secret clauses' part", True, "not clear"),
    ("confused about point 2", True, "not clear"),
    ("I don't understand point 2", True, "confused"),
    ("i dont get the bit about the corridor", True, "confused"),
    ("more on the corridor please", True, "polite after"),
    ("je ne comprends pas le point 2", True, "asks in french"),
    ("c'est pas clair, le point 4", True, "asks in french"),
    ("ich verstehe Punkt 4 nicht", True, "asks in german"),
    ("Punkt 2 verstehe ich nicht", True, "asks in german"),
    ("Punkt 3 ist mir nicht ganz klar", True, "asks in german"),
    ("no me queda claro el punto 3", True, "asks in spanish"),
    ("não ficou claro o ponto 5", True, "asks in portuguese"),
    ("non mi è chiaro il punto 1", True, "asks in italian"),
    ("non capisco il terzo punto", True, "asks in italian"),
    # chat shorthand and slips in the request words
    ("can u explain point 3", True, "can you"),
    ("cna you explian teh second point", True, "can you"),
    ("wat do u mean by secret clauses", True, "asks you"),
    ("wdym by face-saving", True, "asks you"),
    ("whats ment by a lull", True, "without a question mark"),
    ("Id like to know more about point 5", True, "would like"),
    ("im wondering why Iran waits", True, "wondering"),
    ("pls elabroate on the corridor", True, "polite request"),
    ("pls clarfy the timeline", True, "polite request"),
    ("would love a follow up on the corridor", True, "would like"),
    ("the bit about the corridor lost me", True, "confused"),
    ("I'm not sure I get the difference between the two routes", True, "confused"),
    # yes/no questions without a question mark, also after a reference label
    ("re 4: is the corridor open to trucks or only rail", True, "without a question mark"),
    ("is it worth waiting for the summit or not", True, "without a question mark"),
    ("should we read the treaty as binding", True, "without a question mark"),
    ("am i reading the second clause wrong", True, "without a question mark"),
    ("ok real question, binoculars first or a scope", True, "labelled"),
    ("if you were starting today what would you actually buy", True, "asks you"),
    ("I don't really follow the 50x per inch rule", True, "confused"),
    ("queria saber se a fumaça ajuda mesmo", True, "asks in portuguese"),
    ("me interesa saber qué mapas compras tú", True, "asks in spanish"),
    ("je me demande si tu congèles les grains", True, "asks in french"),
    ("dis-moi comment tu refroidis les grains", True, "asks in french"),
    ("mich würde interessieren, wie du die Steine flach hältst", True, "asks in german"),
    ("sag mal, welche Säge nimmst du", True, "asks in german"),
    ("vorrei sapere quanto vino usi", True, "asks in italian"),
    ("wondering whether the rule applies at night too", True, "wondering"),
    ("some evidence would be nice", True, "would like"),
    ("I'd love a bit more on colour", True, "would like"),
    ("your #6, what categories do you use", True, "without a question mark"),
    ("point 4 question - do i need to match it exactly", True, "without a question mark"),
    ("how big should the crate be", True, "without a question mark"),
    ("la parte della carota non mi è chiara", True, "asks in italian"),
    ("fiquei na dúvida sobre o cardume", True, "asks in portuguese"),
    ("würde mich interessieren, ob du das selbst machst", True, "asks in german"),
    ("me gustaría saber qué boya usas", True, "asks in spanish"),
    ("Ma la padella deve essere di ghisa? Non vorrei rovinarla", True, "question mark"),
    ("is 90g an hour realistic for you? yeah i know it depends", True, "question mark"),
    ("what brand of silicone do you use", True, "without a question mark"),
    ("so if it trips what exactly am i supposed to do", True, "supposed"),
    ("would want a source on the pipe damage thing", True, "asks for more"),
    ("not sure i buy that chemical cleaners never work", True, "doubts"),
    ("about the 2nd one, do you put allergies on the list", True, "without a question mark"),
    ("j'ai pas bien compris comment tu t'entraînes", True, "asks in french"),
    ("frag mich gerade ob entkoffeinierter Kaffee auch zu viel ist", True, "asks in german"),
    ("versteh nicht ganz was du beim Tagebuch einträgst", True, "asks in german"),
    ("me pregunto cómo encontraste el dato", True, "asks in spanish"),
    ("q haces cuando dos fuentes dan fechas distintas", True, "without a question mark"),
    ("does signing it early change anything", True, "without a question mark"),
    ("wie lang sollte so ein Vertrag laufen", True, "without a question mark"),
    ("was machst du wenn die Quellen sich widersprechen", True, "asks in german"),
    ("cada cuánto se revisa el acuerdo", True, "without a question mark"),
    ("con che frequenza si rinnova l'accordo", True, "without a question mark"),
    ("c'est quoi la différence entre les deux accords", True, "asks in french"),
    ("tu peux réexpliquer le point 3", True, "asks in french"),
    ("j'aimerais une source pour le point 2", True, "asks in french"),
    ("Hätte gern mehr zu den Quellen", True, "asks in german"),
    ("kanst du Punkt 2 nochmal erklären", True, "asks in german"),
    ("me vendría bien un ejemplo del punto 4", True, "asks in spanish"),
    ("mi piacerebbe sapere di più sul punto 1", True, "asks in italian"),
    # not questions: praise, opinion, remarks
    ("Interesting analysis.", False, "praise"),
    ("Great piece!", False, "praise"),
    ("Thanks, well written as always", False, "praise"),
    ("Spot on.", False, "praise"),
    ("Please keep writing!", False, "a remark"),  # "please" without a request verb
    ("Russia will never risk a war with Israel for Iran.", False, "a remark"),
    ("There are 3 points I disagree with.", False, "a remark"),
    ("I'd like to see Russia stay out of it.", False, "a remark"),  # a wish, not a request
    ("I would be surprised if you could prove that.", False, "a remark"),
    ("I think you're wrong about point 2.", False, "a remark"),
    ("the weather is confusing today", False, "a remark"),  # not the article
    ("this is so confusing haha", False, "a remark"),
    ("I'm confused by people who run ultras", False, "a remark"),
    ("more on that later please", False, "a remark"),
    ("i dont care about the corridor tbh", False, "a remark"),
    ("im so tired after the summit coverage", False, "a remark"),
    ("id love to join next time", False, "a remark"),
    ("cant wait for the next piece", False, "a remark"),
    ("Das Wetter ist unklar", False, "a remark"),
    ("no está claro si va a llover", False, "a remark"),
    ("le temps n'est pas clair", False, "a remark"),
    ("ich verstehe die Welt nicht mehr", False, "a remark"),
    ("whats up everyone", False, "rhetorical"),
    ("can i just say this is brilliant", False, "a remark"),
    ("why do toy shops still sell these, it's a scam", False, "rhetorical"),
    ("how is anyone supposed to compete with that, honestly", False, "rhetorical"),
    ("qué envidia las fotos del lago de ayer", False, "a remark"),
    ("Est-ce que quelqu'un ici connaît une librairie à Lyon ?", False, "other readers"),
    ("¿alguien sabe si abren el domingo?", False, "other readers"),
    ("why does he only pee inside after the walk. WHY 😭", False, "rhetorical"),
    ("is there anything sharper than puppy teeth? no. no there is not", False, "rhetorical"),
    ("why do all the cool fish need 200 litres, why", False, "rhetorical"),
    ("who has time to review every loss tho?", False, "rhetorical"),
    ("how old are everyone's pups btw?", False, "other readers"),
    ("singt hier noch jemand im Kirchenchor?", False, "other readers"),
    ("off topic but is the meetup still on for the 14th?", False, "off topic"),
    ("why do people still warm up cars for 20 minutes, it's not 1975", False, "rhetorical"),
    ("¿Por qué todos los museos cuelgan los cuadros tan altos?", False, "rhetorical"),
    ("perché nessuno ti dice che le prime faranno schifo? 😂", False, "rhetorical"),
    ("who designs a roundabout with five exits. honestly who", False, "rhetorical"),
    ("why do players always go fishing. what is it with fishing", False, "rhetorical"),
    ("what even happened to prices", False, "rhetorical"),
    ("4 hours of editing with a day job? yeah that's how shows die", False, "rhetorical"),
    ("moi je transpire devant 4 collègues, on en parle ?", False, "rhetorical"),
    ("Qué post tan bonito, gracias", False, "a remark"),
    ("has anyone here done it through an app? is it as good as a course", False, "other readers"),
    ("anyone else's parent hide their pills? how did you deal with it", False, "other readers"),
    ("Kann ich bestätigen, feste Aufstehzeit war bei mir der Gamechanger.", False, "a remark"),
    ("is it just me or is the map wrong", False, "a remark"),
    ("quién necesita aliados, ¿verdad? 🙃", False, "rhetorical"),
    ("Wer hat eigentlich entschieden, dass das eine gute Idee ist?!", False, "rhetorical"),
    ("cómo puede ser que cueste tanto, esto es un robo", False, "rhetorical"),
    ("Nutzt hier jemand diese Karten oder seid ihr alle bei Google?", False, "other readers"),
    ("¿alguien ha probado esa ruta? vale la pena o es muy larga?", False, "other readers"),
    # not questions: rhetorical
    ("who knew?", False, "rhetorical"),
    ("Right?", False, "rhetorical"),
    ("Isn't it obvious?", False, "rhetorical"),
    ("What could possibly go wrong?", False, "rhetorical"),
    ("How about that?", False, "rhetorical"),
    ("So Russia just watches, right?", False, "rhetorical"),
    ("Russia won't help Iran, isn't it obvious?", False, "rhetorical"),
    ("Who would have thought Moscow would be this cautious?", False, "rhetorical"),
    ("Seriously? This is absurd.", False, "rhetorical"),
    ("lol what?", False, "rhetorical"),
    ("Is it any wonder they delayed?", False, "rhetorical"),
    ("Can you believe this?", False, "rhetorical"),
    ("Wait, what?", False, "rhetorical"),
    # not questions: addressed to other readers
    ("@bob do you agree?", False, "addressed to @bob"),
    ("@alice what did you mean?", False, "addressed to @alice"),
    ("what did you mean by that, @alice?", False, "addressed to @alice"),
    ("<@123456> do you agree?", False, "addressed to @123456"),
    ("Bob, do you agree with this?", False, "addressed to Bob"),
    ("Anyone else think the corridor matters more?", False, "other readers"),
    ("Does anyone know where the S-400s are based?", False, "other readers"),
    ("What do you all think?", False, "other readers"),
    ("Can someone explain point 3?", False, "other readers"),
    ("Someone please explain the corridor thing", False, "other readers"),
    ("Is this a good deal for Iran, everyone?", False, "other readers"),
    # not questions: quotes, greetings, noise
    ("he asked 'why?'", False, "inside a quote"),
    ('He said "what now?" and left.', False, "inside a quote"),
    ("“Why now?” is what everyone asked.", False, "inside a quote"),
    ("Hello, how are you?", False, "rhetorical"),
    ("Hi everyone!", False, "greeting"),
    ("Good morning all", False, "greeting"),
    ("see https://example.com/page?id=3 for the map", False, "a remark"),
    ("???", False, "no words asking"),
    ("   ", False, "empty"),
]


@pytest.mark.parametrize(("text", "expected", "rule"), IS_QUESTION)
def test_is_question(text: str, expected: bool, rule: str) -> None:
    verdict, reason = is_question(text, author="Andrew Korybko")
    assert (verdict, rule in reason) == (expected, True), reason


def test_is_question_table_is_balanced() -> None:
    assert sum(1 for _, expected, _ in IS_QUESTION if expected) >= 20
    assert sum(1 for _, expected, _ in IS_QUESTION if not expected) >= 20


def test_without_author_a_name_is_someone_else() -> None:
    assert is_question("Andrew, what do you mean?") == (
        False,
        "addressed to Andrew, not the author",
    )


# --- which point? ----------------------------------------------------------------------------

EXPLICIT = [
    ("Nr. 7, das Regal: eine Skizze?", 7),
    ("cna you explian the 3rd one agian", 3),
    ("the second one, is it safe?", 2),
    ("the first one of my friends to try it", None),
    ("point 3", 3),
    ("Point 3: why?", 3),
    ("pt 3", 3),
    ("pt. 3 is odd", 3),
    ("pt.3", 3),
    ("#3 makes no sense", 3),
    ("re 3: who signed it?", 3),
    ("re: 3 who signed it?", 3),
    ("RE #2 - which systems?", 2),
    ("the third point", 3),
    ("point three", 3),
    ("in your 2nd point you mention S-400", 2),
    ("3rd point", 3),
    ("points 2 and 3", 2),
    ("item 3", 3),
    ("section 3", 3),
    ("§4", 4),
    ("point III?", 3),
    ("point IV.", 4),
    ("point number 5", 5),
    ("point no. 5", 5),
    ("point 9", 9),
    ("3 points", None),  # a count
    ("the 3 points I disagree with", None),
    ("#30 trending", 30),  # the number as written: #30 is never point 3
    ("#3rd", None),
    ("issue#3", None),
    ("the point I made earlier", None),  # a pronoun, not Roman one
    ("at some point 2 years ago", None),
    ("my first point is this", None),  # the reader's own list
    ("a 3 point plan", None),
    ("point 5 percent", None),
    ("checkpoint 3", None),
    ("there's no point", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), EXPLICIT)
def test_explicit_point_reference(text: str, expected: int | None) -> None:
    assert explicit_point_reference(text) == expected


class Case(NamedTuple):
    text: str
    point: int | None
    source: str
    why: str  # words the reason must contain
    thread: int | None = None
    reply: int | None = None
    missing: int | None = None


CLASSIFY = [
    Case("How does this relate to point 4?", 4, "explicit", "names point 4", thread=2),
    Case("What about point 9?", None, "none", "point 9 does not exist", thread=2, missing=9),
    Case("point 9?", None, "none", "the article has points 1–5", missing=9),
    Case("point 0?", None, "none", "names no point"),
    Case("#30 is trending, why?", 2, "thread", "asked in point 2's thread", thread=2),
    Case("#30 is trending, why?", None, "none", "names no point"),  # not "missing"
    Case("Why #4 at all?", 4, "explicit", "names point 4"),
    Case("Do points 2 and 3 contradict?", 2, "explicit", "names points 2 and 3; took point 2"),
    Case("point 2 vs point 4: which matters?", 2, "explicit", "names points 2 and 4"),
    Case("point 9 or point 2?", 2, "explicit", "names point 2"),
    Case("Why?", 5, "reply", "replies to a question about point 5", reply=5),
    Case("Why?", None, "none", "names no point; about the whole article"),
    Case("why the secret clauses?", 3, "phrase", "'secret clauses' occurs only in point 3"),
    Case("What is the Zangezur corridor dispute about?", 5, "phrase", "'zangezur corridor'"),
    Case("Why would the arms transfer be clandestine?", 3, "phrase", "'arms transfer'"),
    Case("what is “Zangezur”?", 5, "phrase", "quotes 'Zangezur' from point 5"),
    Case("What is meant by 'clandestine'?", None, "none", "names no point"),  # points 3 and 4
    Case("Why 'mutually face-saving'?", 2, "phrase", "from point 2"),
    Case("Is the ‘updated strategic partnership document’ public?", 3, "phrase", "point 3"),
    Case("Are the Iranian drones and missile exports real?", 4, "phrase", "only in point 4"),
    Case("Air defense systems and the Zangezur corridor?", None, "none", "points 2 and 5"),
    Case("Why Friday?", None, "none", "names no point"),
    Case("Why 'secret clauses'?", 1, "thread", "point 1's thread", thread=1),  # context first
]


@pytest.mark.parametrize("case", CLASSIFY, ids=lambda c: c.text)
def test_classify_point(case: Case) -> None:
    c = classify(case.text, ARTICLE, thread_point=case.thread, reply_point=case.reply)
    assert (c.point, c.missing_point, c.source) == (case.point, case.missing, case.source), c.reason
    assert case.why in c.reason


def test_missing_point_with_few_or_no_points() -> None:
    two = Article(title="t", points=(Point(1, "A", "alpha"), Point(2, "B", "beta")))
    assert classify("point 3?", two).reason.endswith("the article has points 1 and 2")
    flat = Article(title="t", intro="No numbered points here.")
    c = classify("what about point 3?", flat, thread_point=None)
    assert (c.point, c.missing_point) == (None, 3)
    assert c.reason.endswith("the article has no numbered points")


def test_without_an_article_references_are_taken_as_given() -> None:
    c = classify("Why point 7?", None)
    assert (c.is_question, c.point, c.source) == (True, 7, "explicit")
    assert classify("Why 'secret clauses'?", None).point is None
    assert classify("Why?", None, thread_point=2).point == 2


def test_author_from_article_makes_their_name_the_author() -> None:
    article = Article(title="t", author="Andrew Korybko", points=ARTICLE.points)
    assert classify("Andrew, what do you mean by point 3?", article).is_question
    assert not classify("Bob, what do you mean by point 3?", article).is_question


def test_classify_is_repeatable_and_cached_per_article() -> None:
    first = [classify(t, ARTICLE) for t, *_ in CLASSIFY]
    assert first == [classify(t, ARTICLE) for t, *_ in CLASSIFY]
