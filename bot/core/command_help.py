"""``!help <command>``: what one command does, how to type it, who may use it. Pure."""

from __future__ import annotations

from bot.core.commands import ALIASES, COMMANDS, _suggest
from bot.core.models import Role

WHO = {
    Role.MEMBER: "anyone",
    Role.AUTHOR: "the feed's authors (and admins)",
    Role.ADMIN: "admins",
}

# One or two sentences beyond the one-line summary, with an example; {p} is the prefix.
DETAILS: dict[str, str] = {
    "ask": "Usually not needed: a message with a question mark, or a request such as "
    '"please explain point 3", is taken as a question. Example: {p}ask point 3 what is meant '
    "by secret clauses",
    "questions": "Lists each of your questions with its number, its point and what became of "
    "it (waiting, answered with the answer, closed with the reason).",
    "points": "The points of the latest article in this channel, and which have a thread.",
    "vote": "Backs a question so the author sees it higher in the queue; a 👍 on the "
    "question does the same. Example: {p}vote 4",
    "separate": "Your question was folded into another one but asks something else: it goes "
    "back to the queue on its own, with its votes. Only its asker may. Example: {p}separate 7",
    "web": "Authors and admins, in a direct message: a one-time link to the web desk (it "
    "works once, within 10 minutes). {p}web logout ends every session you have there.",
    "help": "{p}help lists the commands you may use; {p}help <command> explains one.",
    "queue": "Open questions on your articles, grouped by article and point, most votes "
    "first; a hint says when one may repeat another.",
    "answer": "Every asker (and whoever's duplicate was merged into it) is mentioned where "
    "they asked. Answering again corrects the answer everywhere. Example: {p}answer 3 <text>",
    "dismiss": "Closes the question without an answer; the asker is told, with the reason. "
    "Example: {p}dismiss 9 covered in point 4",
    "reopen": "Puts an answered or dismissed question back in the queue; the askers are told.",
    "merge": "The first question asks what the second asks: its asker follows the second "
    "and gets its answer. Example: {p}merge 7 into 3",
    "unmerge": "Undoes exactly one merge. Example: {p}unmerge 7",
    "history": "Every change to a question: who, when, why. Example: {p}history 3",
    "faq": "One message per article with its answered questions, grouped by point, updated "
    "in place the next time.",
    "notify": "each: a direct message per new question (the default); digest 18:30: one "
    "message a day at that time (UTC); none: nothing.",
    "ignore": "Refuses this identity's questions (politely) until {p}unignore. Example: "
    "{p}ignore matrix:@spam:example.org flooding",
    "unignore": "Accepts the identity's questions again.",
    "feed": "{p}feed add <url> [where] [author <user>] [backfill none|latest|N]; "
    "{p}feed list; {p}feed status|pause|resume|remove|post <id>.",
}


def command_help(topic: str, prefix: str, role: Role) -> str:
    """The help for ``topic`` (a command name or alias, without the prefix)."""
    name = ALIASES.get(topic, topic)
    spec = COMMANDS.get(name)
    if spec is None:
        guess = _suggest(name)
        maybe = f" Did you mean {prefix}help {guess}?" if guess else ""
        return f"I don't know the command {prefix}{topic}.{maybe} {prefix}help lists them."
    lines = [f"{prefix}{spec.usage} — {spec.summary}"]
    if name in DETAILS:
        lines.append(DETAILS[name].format(p=prefix))
    who = WHO[spec.role]
    lines.append(f"Who may use it: {who}." + ("" if role >= spec.role else " (Not you, here.)"))
    return "\n".join(lines)
