"""Authors are told of new questions, not flooded: one direct message each, a daily digest,
or nothing, as each author chose with ``!notify``.

A notice is queued in the very transaction that stores the question, so a question is never
stored untold or told twice (its key is ``notify:{question}:{author}``). A digest is one
direct message however many questions it lists; its key names the author and the slot
(date and time of day), and the author's ``last_digest_at`` moves in the same transaction,
so a retry or a restart never sends a slot twice and never skips a question.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote

from bot.app.delivery import Delivery
from bot.core.models import ChatRef, Platform, Rendered
from bot.core.summary import MESSAGE_LIMIT
from bot.storage.port import Store, Tx
from bot.storage.types import DigestPref, OutboxItem, QuestionBrief

log = logging.getLogger(__name__)

MODES = ("each", "digest", "none")
MAX_WAIT = 60.0  # the loop looks again at least this often (preferences change)
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


# wording ---------------------------------------------------------------------------------


def where_asked(ref: ChatRef) -> str:
    """A link to where a question was asked, as the author's platform shows one."""
    if ref.platform == "matrix" and ref.message:
        safe = "!$:@.-_~"
        return f"https://matrix.to/#/{quote(ref.channel, safe)}/{quote(ref.message, safe)}"
    if ref.platform == "discord":
        return f"<#{ref.thread or ref.channel}>"  # a channel mention is a link in Discord
    return f"{ref.channel} on {ref.platform}" + (" (in a thread)" if ref.thread else "")


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _about(b: QuestionBrief) -> str:
    if not b.point:
        return "the whole article"
    return f"point {b.point} ({b.point_title})" if b.point_title else f"point {b.point}"


def new_question_notice(b: QuestionBrief, prefix: str) -> str:
    return (
        f"New question #{b.id} on “{b.article_title}”, {_about(b)}, from {b.asker_label} "
        f"(asked in {where_asked(b.where)}):\n> {_clip(b.text, 600)}\n"
        f"Answer with {prefix}answer {b.id} <your answer>; {prefix}queue lists every open "
        f"question. ({prefix}notify digest 09:00 or {prefix}notify none if this is too much.)"
    )


def digest_text(
    questions: Sequence[QuestionBrief], since: datetime, prefix: str, max_chars: int
) -> str:
    """One message listing every question; cut to ``max_chars`` with a count of the rest."""
    n = len(questions)
    head = (
        f"Your digest: {n} new question{'s' if n != 1 else ''} on your articles since "
        f"{since:%Y-%m-%d %H:%M} UTC."
    )
    foot = f"Answer with {prefix}answer <number> <your answer>; {prefix}queue lists them all."
    lines = [head]
    article: int | None = None
    budget = max_chars - len(head) - len(foot) - 2
    for i, b in enumerate(questions):
        entry = []
        if b.article_id != article:
            entry += ["", f"“{b.article_title}”"]
        entry += [
            f"#{b.id} {_about(b)} — {b.asker_label}: {_clip(b.text, 200)}",
            f"    asked in {where_asked(b.where)}",
        ]
        rest = f"… and {n - i} more"
        cost = len("\n".join(entry)) + 1
        if cost + (len(rest) + 1 if i < n - 1 else 0) > budget:
            lines.append(rest)
            break
        budget -= cost
        lines += entry
        article = b.article_id
    return "\n".join([*lines, "", foot])


def preference_set(mode: str, at: str, prefix: str) -> str:
    if mode == "each":
        return "You will get a direct message for each new question on your articles."
    if mode == "digest":
        return (
            f"You will get one direct message a day at {at} UTC listing the new questions on "
            "your articles since the last one (none on days without questions)."
        )
    return f"You will not be told of new questions; {prefix}queue shows them whenever you look."


# each ------------------------------------------------------------------------------------


def _dm_to(user_key: str) -> ChatRef:
    platform, _, uid = user_key.partition(":")
    return ChatRef(Platform(platform), uid)


async def queue_new_question_notices(
    tx: Tx, now: datetime, question_id: int, *, prefix: str = "!"
) -> int:
    """Queue a direct message about new question ``question_id`` to each author of the
    subscription it was asked in who wants one (inside the transaction that stores it);
    returns how many.

    A question stored already merged into another (a duplicate) and an author's own
    question tell nobody: there is nothing new to answer.
    """
    b = await tx.notifications.brief(question_id)
    if b is None or b.merged_into is not None:
        return 0
    queued = 0
    where = b.where
    for user_key, mode in await tx.notifications.authors_to_tell(
        b.article_id, where.platform, where.channel
    ):
        if mode != "each" or user_key == b.asker_key:
            continue
        item = OutboxItem(
            key=f"notify:{question_id}:{user_key}",
            op="dm",
            where=_dm_to(user_key),
            message=Rendered(new_question_notice(b, prefix)),
            purpose="notice",
            question_id=question_id,
            article_id=b.article_id,
        )
        queued += await tx.outbox.add(item, now)
    return queued


# digest ----------------------------------------------------------------------------------


def parse_hhmm(text: str) -> time | None:
    m = _HHMM.fullmatch(text.strip())
    return time(int(m.group(1)), int(m.group(2))) if m else None


def last_slot(digest_at: str, now: datetime) -> datetime:
    """The latest moment at or before ``now`` that is ``digest_at`` (UTC) on some day."""
    at = parse_hhmm(digest_at) or time(9, 0)  # a hand-edited bad value: the default
    slot = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    return slot if slot <= now else slot - timedelta(days=1)


class Digests:
    """Sends each digest author their digest once its time of day has come."""

    def __init__(
        self,
        store: Store,
        delivery: Delivery,
        clock: Callable[[], datetime],
        *,
        prefix: str = "!",
        max_chars: int = MESSAGE_LIMIT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.prefix = prefix
        self.max_chars = max_chars
        self.sleep = sleep

    async def send_due(self) -> int:
        """Queue every digest that is due; returns how many were queued."""
        now = self.clock()
        queued = 0
        async with self.store.transaction() as tx:
            for pref in await tx.notifications.digest_prefs():
                # One author's digest failing must not hold back the others' (nor be retried
                # every pass): its writes are undone, the slot is skipped, the error logged.
                try:
                    async with tx.savepoint():
                        queued += await self._one(tx, pref, now)
                except Exception:
                    log.exception("the digest for %s failed; skipped", pref.user_key)
                    await tx.notifications.mark_digested(pref.user_key, now)
        if queued:
            self.delivery.kick()
        return queued

    async def _one(self, tx: Tx, pref: DigestPref, now: datetime) -> int:
        """Queue ``pref``'s digest if its slot has come; how many rows were queued."""
        slot = last_slot(pref.digest_at, now)
        since = pref.last_digest_at or slot - timedelta(days=1)
        if since >= slot:
            return 0  # this slot's digest went out (or the choice came after it)
        questions = await tx.notifications.new_questions_for(pref.user_key, since, now)
        await tx.notifications.mark_digested(pref.user_key, now)
        if not questions:
            return 0
        item = OutboxItem(
            key=f"digest:{pref.user_key}:{slot:%Y-%m-%dT%H:%M}",
            op="dm",
            where=_dm_to(pref.user_key),
            message=Rendered(digest_text(questions, since, self.prefix, self.max_chars)),
            purpose="notice",
        )
        return int(await tx.outbox.add(item, now))

    async def seconds_until_next(self) -> float:
        """Seconds until the next digest falls due (0 when one is due now)."""
        now = self.clock()
        waits = []
        async with self.store.read() as r:
            prefs = await r.notifications.digest_prefs()
        for pref in prefs:
            slot = last_slot(pref.digest_at, now)
            if pref.last_digest_at is None or pref.last_digest_at < slot:
                return 0.0
            waits.append((slot + timedelta(days=1) - now).total_seconds())
        return min(waits, default=MAX_WAIT)

    async def run(self) -> None:
        """Send digests as they fall due, until cancelled."""
        while True:
            try:
                await self.send_due()
                wait = await self.seconds_until_next()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not stop digests for good
                log.exception("digest pass failed; trying again shortly")
                wait = MAX_WAIT
            # At least a second: a digest that stays due (a failing pass) must not spin.
            await self.sleep(min(MAX_WAIT, max(1.0, wait)))


# the choice ------------------------------------------------------------------------------


async def set_preference(
    store: Store,
    user_key: str,
    mode: str,
    at: str | None,
    *,
    now: datetime | None = None,
    prefix: str = "!",
) -> str:
    """Store how ``user_key`` hears of new questions; returns the confirmation to show."""
    usage = f"{prefix}notify each, {prefix}notify digest 09:00 (UTC) or {prefix}notify none"
    if mode not in MODES:
        return f"“{mode}” is not a choice; use {usage}. Nothing changed."
    when = None
    if mode == "digest" and at is not None:
        parsed = parse_hhmm(at)
        if parsed is None:
            return f"“{at}” is not a time of day as HH:MM (UTC), like 09:00. Nothing changed."
        when = f"{parsed:%H:%M}"
    moment = now or datetime.now(UTC)
    async with store.transaction() as tx:
        digest_at = await tx.notifications.set_pref(user_key, mode, when, moment)
    return preference_set(mode, digest_at, prefix)
