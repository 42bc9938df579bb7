"""Property tests (Hypothesis): no text a member can type makes the grammar, the number
reader or the question classifier raise, and what they return is always well-formed."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.commands import COMMANDS, CommandUsageError, Unknown, parse_command
from bot.core.models import Article
from bot.core.numbers import MAX_NUMBER, read_number
from bot.core.parsing.textutil import _NUMBER_MARKER, split_marker
from bot.core.questions import classify
from tests.core.test_questions import ARTICLE

TRICKY = ["²", "③", "١٢", "１２", "-", "#", "q", ":", "\u202e", "\u200b", "\x00", " ", "\n"]
# Text shaped like commands: a prefix, a command name, then anything (digits of any script,
# huge numbers, control characters) in between.
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
)
ARGS = st.lists(st.one_of(NUMBERS, st.sampled_from(TRICKY), st.text(max_size=8)), max_size=6)
COMMAND_TEXT = st.builds(
    lambda name, args, sep: f"!{name}{sep}{' '.join(args)}",
    st.sampled_from([*COMMANDS, "q", "nope"]),
    ARGS,
    st.sampled_from([" ", "", "  ", "\t", ": "]),
)
ANY_TEXT = st.one_of(st.text(), COMMAND_TEXT)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
@example("!vote 9223372036854775808")
@example("!faq ²")
@example("!notify digest 1²:00")
@example("!merge ③ into 1")
def test_any_text_is_a_command_a_usage_error_or_chatter(text: str) -> None:
    try:
        command = parse_command(text)
    except CommandUsageError as exc:
        assert exc.command in COMMANDS
        assert exc.usage and "\n" not in exc.usage and len(exc.usage) < 300
        return
    if command is None:
        return
    if isinstance(command, Unknown):
        assert command.suggestion is None or command.suggestion in COMMANDS
        return
    # Every number a command carries fits the database's INTEGER and is a real id.
    for name in ("question_id", "into", "article_id", "point"):
        value = getattr(command, name, None)
        assert value is None or 1 <= value <= MAX_NUMBER, (name, value)


@settings(deadline=None)  # a loaded CI machine must not turn slowness into a failure
@given(st.text())
@example("9223372036854775808")
@example("0" * 5000 + "1")
def test_read_number_takes_ascii_digits_in_range_only(text: str) -> None:
    value = read_number(text)
    if value is None:
        assert not (text.isascii() and text.isdigit()) or int(text) > MAX_NUMBER
    else:
        assert text.isascii() and text.isdigit() and 0 <= value <= MAX_NUMBER
        assert value == int(text.lstrip("0") or "0")


@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=2**64),
    st.integers(min_value=0, max_value=2**64),
    st.integers(min_value=0, max_value=2**64),
)
def test_read_number_respects_its_bounds(value: int, lowest: int, highest: int) -> None:
    got = read_number(str(value), lowest=lowest, highest=min(highest, MAX_NUMBER))
    assert got == (value if lowest <= value <= min(highest, MAX_NUMBER) else None)


POINT_REFS = st.builds(
    lambda words, ref, n: f"{words} {ref}{n}?",
    st.text(max_size=40),
    st.sampled_from(["point ", "points ", "#", "re: ", "pt. ", "§", "item "]),
    NUMBERS,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(), POINT_REFS),
    st.one_of(st.none(), st.integers(min_value=-5, max_value=20)),
    st.one_of(st.none(), st.integers(min_value=-5, max_value=20)),
)
@example("Can you clarify point 99999999999999999999?", None, None)
@example("What about point ³?", None, None)
def test_the_classifier_never_raises_and_names_a_point_that_exists(
    text: str, thread_point: int | None, reply_point: int | None
) -> None:
    article: Article = ARTICLE
    numbers = {p.number for p in article.points}
    verdict = classify(text, article, thread_point=thread_point, reply_point=reply_point)
    assert isinstance(verdict.is_question, bool) and verdict.reason
    assert verdict.point is None or verdict.point in numbers
    assert verdict.missing_point is None or verdict.missing_point not in numbers
    classify(text, None)  # without an article too


def _marker_by_regex(text: str) -> tuple[int, str] | None:
    """split_marker's answer for text opening with an ASCII digit, by its regex alone (a
    marker opening with another script's digit is not read at all)."""
    m = _NUMBER_MARKER.match(text) if text[:1].isascii() else None
    if m is None or not int(m.group("digits")):
        return None
    return int(m.group("digits")), text[m.end() :]


MARKER_TEXT = st.builds(
    lambda number, dot, gap, rest: f"{number}{dot}{gap}{rest}",
    st.sampled_from(["0", "3", "12", "00", "07", "100", "1٣", "٣"]),
    st.sampled_from([".", ")", ":", "", "-", "/"]),
    st.sampled_from(["", " ", "  ", "\t", " - ", " : ", " – ", "\n"]),
    st.text(st.sampled_from("Ab -–—:.)\n\t\u00a07"), max_size=6),
)


@settings(max_examples=500, deadline=None)
@given(MARKER_TEXT)
@example("3. Title")
@example("12) Title")
@example("0. Title")
@example("3.  Title")
@example("3. - Title")
@example("3. \u00a0Title")
@example("1/ Crate training")
@example("24/7 support")
def test_the_marker_fast_path_reads_numbers_as_the_regex_does(text: str) -> None:
    """split_marker reads "3. Title" without its regex: it must agree with the regex."""
    assert split_marker(text) == _marker_by_regex(text)
