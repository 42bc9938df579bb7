"""Everything the bot says to people, in one place, so wording stays consistent."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.models import Action, Article, Question, QuestionStatus
from bot.core.wording import count, names, plural
from bot.storage.types import QuestionEvent

MAX_QUOTE = 160


def quote(text: str, limit: int = MAX_QUOTE) -> str:
    """A one-line excerpt of user text, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def point_label(article: Article, point: int | None) -> str:
    if point is None or point == 0:
        return "the whole article"
    p = article.point(point)
    return f"point {point} ({p.title})" if p else f"point {point}"


def points_list(article: Article) -> str:
    return "\n".join(f"{p.number}. {p.title}" for p in article.points)


def point_range(article: Article) -> str:
    nums = article.point_numbers
    if not nums:
        return "no numbered points"
    if len(nums) == 1:
        return f"only point {nums[0]}"
    return f"points {nums[0]}–{nums[-1]}"


def acknowledged(q_id: int, article: Article, point: int | None, prefix: str) -> str:
    return (
        f"Thanks — your question #{q_id} on {point_label(article, point)} is queued for the "
        f"author. You will be mentioned here when it is answered. "
        f"({prefix}questions lists yours.)"
    )


def missing_point(article: Article, number: int) -> str:
    if not article.points:
        return (
            f"“{article.title}” has no numbered points, so there is no point {number}. "
            "Ask again without a point number and it goes to the author as a question on the "
            "whole article."
        )
    return (
        f"“{article.title}” has no point {number}; it has {point_range(article)}:\n"
        f"{points_list(article)}\n"
        "Ask again naming one of these, or without a number for the whole article. "
        "Nothing was queued."
    )


def no_article_here(prefix: str) -> str:
    return (
        "No article has been posted here yet, so there is nothing to ask the author about. "
        f"Ask in a channel or thread where an article was posted ({prefix}help for commands)."
    )


def answered_notice(q: Question, article: Article, answer: str, by: str) -> str:
    """``by``: who answered, named as the platform shows them."""
    return (
        f"{by} (an author) answered your question #{q.id} on {point_label(article, q.point)}:\n"
        f"> {quote(q.text)}\n{answer}"
    )


def answer_record(q: Question, article: Article, answer: str, askers: list[str], by: str) -> str:
    """What a point's thread keeps of an answer given to questions asked elsewhere."""
    who = names(askers)
    return (
        f"Answered by {by}: question #{q.id} on {point_label(article, q.point)}, asked by {who}:\n"
        f"> {quote(q.text)}\n{answer}"
    )


def dismissed_notice(q: Question, article: Article, reason: str | None) -> str:
    why = f" Reason: {reason}" if reason else " No reason was given."
    return (
        f"The author closed your question #{q.id} on {point_label(article, q.point)} "
        f"without answering it.{why}\n> {quote(q.text)}"
    )


def reopened_notice(q: Question, article: Article) -> str:
    return (
        f"Your question #{q.id} on {point_label(article, q.point)} is open again and back "
        "in the author's queue."
    )


STATUS_WORD = {
    QuestionStatus.QUEUED: "waiting for the author",
    QuestionStatus.ANSWERED: "answered",
    QuestionStatus.DISMISSED: "closed without an answer",
    QuestionStatus.WITHDRAWN: "withdrawn",
}


def own_questions(questions: Iterable[Question], titles: dict[int, Article]) -> str:
    lines = []
    for q in questions:
        art = titles.get(q.article_id)
        where = point_label(art, q.point) if art else "an article"
        line = f"#{q.id} — {STATUS_WORD[q.status]} — {where}: {quote(q.text, 100)}"
        if q.status is QuestionStatus.ANSWERED and q.answer:
            line += f"\n    answer: {quote(q.answer, 200)}"
        if q.status is QuestionStatus.DISMISSED and q.reason:
            line += f"\n    reason: {quote(q.reason, 200)}"
        lines.append(line)
    if not lines:
        return "You have not asked any questions yet."
    return "Your questions:\n" + "\n".join(lines)


def queue(
    questions: list[Question],
    articles: dict[int, Article],
    prefix: str,
    may_repeat: dict[int, tuple[int, str]] | None = None,
) -> str:
    """The open questions by article and point; under a question that may repeat an older
    one on its point, a hint with the merge command (``may_repeat``: id -> (older id, why))."""
    if not questions:
        return "No open questions. Nothing waits for you."
    out = [f"Open questions ({len(questions)}), most votes first, then oldest:"]
    current: tuple[int, int] | None = None
    for q in questions:
        art = articles[q.article_id]
        if current is None or current[0] != q.article_id:
            out.append(f"“{art.title}”")
        if current != (q.article_id, q.point or 0):
            out.append(f"  {point_label(art, q.point)}")
        current = (q.article_id, q.point or 0)
        votes = f"{q.votes} vote{'s' if q.votes != 1 else ''}"
        out.append(f"    #{q.id} ({votes}) {q.asker_label}: {quote(q.text, 140)}")
        if may_repeat and q.id in may_repeat:
            older, why = may_repeat[q.id]
            out.append(
                f"      may repeat #{older} ({_hint_reason(why)}) — "
                f"{prefix}merge {q.id} into {older}"
            )
    out.append(
        f"Answer with {prefix}answer <number> <text>; close with {prefix}dismiss <number> [reason]."
    )
    return "\n".join(out)


def _hint_reason(reason: str) -> str:
    """The matcher's reason as a hint says it: "same request in other words: a, b"."""
    return reason.replace(" (shared: ", ": ").removesuffix(")") if "(shared: " in reason else reason


def not_allowed(command: str, needed: str) -> str:
    return f"{command} is for {needed}s only, and you are not one here, so nothing was done."


def unknown_command(name: str, suggestion: str | None, prefix: str) -> str:
    hint = f" Did you mean {prefix}{suggestion}?" if suggestion else ""
    return f"I don't know the command {prefix}{name}.{hint} {prefix}help lists what I understand."


def no_such_question(q_id: int) -> str:
    return f"There is no question #{q_id}."


def state_unchanged(q_id: int, status: QuestionStatus) -> str:
    if status is QuestionStatus.QUEUED:
        return f"Question #{q_id} is already open and waiting for the author; nothing changed."
    return f"Question #{q_id} was already {STATUS_WORD[status]}; nothing changed."


def not_yours(q_id: int) -> str:
    return f"Question #{q_id} is not on an article of yours, so nothing was done."


FEEDS_NOT_AVAILABLE = (
    "Managing feeds from chat is not available in this setup; feeds come from the config "
    "file (config/bot.example.toml)."
)


def points(article: Article, with_threads: set[int], prefix: str) -> str:
    lines = [f"Points of “{article.title}”:"]
    for p in article.points:
        state = "thread open" if p.number in with_threads else "no thread here"
        lines.append(f"{p.number}. {p.title} ({state})")
    if not article.points:
        lines.append("This article has no numbered points; it has one discussion thread.")
    lines.append(f"Ask with {prefix}ask point N <question>, or ask inside a thread.")
    return "\n".join(lines)


# The one reply to a message whose handling failed unexpectedly (a bug, a broken database):
# nothing it asked for was done, and it is not retried (bot.app.conversation.handle).
WENT_WRONG = (
    "Sorry, that went wrong on our side; it has been logged, and nothing was changed. "
    "Please try again later, or tell a moderator if it keeps happening."
)


ACK_REACTION = "✅"  # the acknowledgement when the config asks for reactions


VOTE_EMOJI = frozenset({"👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "+1", ":+1:", "thumbsup"})

IGNORED = (
    "Sorry, questions from you are not being taken here. If you think this is a mistake, "
    "ask a moderator."
)


def too_long(length: int, limit: int) -> str:
    return (
        f"That question is {length:,} characters long; the limit here is {limit:,}. "
        "Could you shorten it and ask again? Nothing was queued."
    )


def edit_refused(qid: int, why: str) -> str:
    """An edit of a question that a new question with its text would not pass."""
    return f"Question #{qid} keeps its earlier text; your edit was not taken. {why}"


def too_many(per_hour: int) -> str:
    return (
        f"You have asked {count(per_hour, 'question')} in the last hour, the most allowed here. "
        "Please wait a while before asking more; nothing was queued."
    )


def decided(q_id: int, status: QuestionStatus, told: list[str]) -> str:
    who = names(told)
    were = plural(len(set(told)), "was")
    if status is QuestionStatus.ANSWERED:
        return f"Answer to #{q_id} sent to {who}."
    if status is QuestionStatus.DISMISSED:
        return f"Question #{q_id} closed; {who} {were} told."
    return f"Question #{q_id} is open again; {who} {were} told."


def corrected_notice(q: Question, answer: str) -> str:
    return f"Correction — the author's answer to your question #{q.id} now reads:\n{answer}"


def record_corrected(q: Question, answer: str) -> str:
    return f"Correction — the author's answer to question #{q.id} now reads:\n{answer}"


def corrected(q_id: int, places: int) -> str:
    if places == 0:
        return f"Answer to #{q_id} updated; it had not been delivered anywhere yet."
    return f"Answer to #{q_id} corrected in {count(places, 'place')}."


def is_merged(q: Question, prefix: str) -> str:
    return (
        f"Question #{q.id} was merged into #{q.merged_into}: answer #{q.merged_into} and its "
        f"asker is told too (or {prefix}unmerge {q.id} first)."
    )


def cannot_merge(source: int, into: int) -> str:
    return (
        f"Could not merge #{source} into #{into}: both must be open questions on the same "
        f"article, #{into} must not be merged itself, and #{source} must have no duplicates "
        "of its own."
    )


def merged_notice(q: Question, target: Question, prefix: str) -> str:
    return (
        f"The author merged your question #{q.id} into #{target.id}, which asks the same:\n"
        f"> {quote(target.text)}\nYou will get its answer too. If yours asks something else, "
        f"{prefix}separate {q.id} makes it a question of its own again."
    )


def keep_separate(q_id: int, prefix: str) -> tuple[Action, ...]:
    """The button offered with a merge: the asker's one press to undo it."""
    return (Action("Keep mine separate", f"{prefix}separate {q_id}"),)


def not_your_question(q_id: int, prefix: str) -> str:
    return (
        f"Only the person who asked #{q_id} can keep it separate, so nothing was done. "
        f"To ask something else yourself: {prefix}ask --new <your question>."
    )


def not_merged(q_id: int) -> str:
    return f"Question #{q_id} is already a question of its own; nothing changed."


def kept_separate(q_id: int, was_in: int) -> str:
    return (
        f"Your question #{q_id} is back in the author's queue as a question of its own, "
        f"apart from #{was_in}."
    )


def promoted_notice(q: Question, withdrawn: int) -> str:
    return (
        f"Question #{withdrawn}, which yours was merged into, was withdrawn, so your question "
        f"#{q.id} is back in the author's queue in its place (with its followers)."
    )


def unmerged_notice(q: Question) -> str:
    return f"Your question #{q.id} is a question of its own again, back in the author's queue."


def history(q: Question, events: list[QuestionEvent]) -> str:
    lines = [f"History of #{q.id} ({quote(q.text, 80)}):"]
    for e in events:
        change = (
            str(e.to_status)
            if e.from_status in (None, e.to_status)
            else f"{e.from_status} → {e.to_status}"
        )
        note = f" — {e.note}" if e.note else ""
        lines.append(f"{e.at:%Y-%m-%d %H:%M} UTC  {e.actor_key}: {change}{note}")
    return "\n".join(lines)


def ignored_changed(user_key: str, *, on: bool, changed: bool) -> str:
    if on:
        return (
            f"Questions from {user_key} are now refused politely."
            if changed
            else f"{user_key} was already ignored."
        )
    return (
        f"Questions from {user_key} are taken again." if changed else f"{user_key} was not ignored."
    )


def duplicate_found(q_id: int, same_id: int, same_text: str, prefix: str) -> str:
    return (
        f"This looks like question #{same_id}, which asks the same:\n> {quote(same_text)}\n"
        f"I've added you to it as #{q_id}: you will get its answer too, and your vote counts "
        f"for it. If yours asks something else, {prefix}separate {q_id} keeps it a question of "
        f"its own ({prefix}ask --new skips this check next time)."
    )
