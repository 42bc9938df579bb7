"""Delivers outbox rows through the adapters: in order per channel, retried, exactly once.

A row is sent with its own key as the adapter's idempotency key, so the retry that follows
a crash between "sent" and "marked done" returns the first send's ref instead of posting
again. Within one channel or room rows go out in the order they were queued (a summary
before its threads, an acknowledgement before the answer); a failing row holds back the
rows behind it in the same channel and nowhere else.

Several processes may deliver from one database: each pass claims its rows
(:meth:`~bot.storage.port.Outbox.claim`: the due head of each channel, for the platforms
this process runs) under the process's identity for ``lease``; another process takes a row
over only once that runs out, and sends it with the same key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.adapters.base import (
    AdapterError,
    ChatAdapter,
    NotFoundFailure,
    PermissionFailure,
    TemporaryFailure,
)
from bot.app.cluster import process_identity
from bot.app.observe import NULL_OBSERVER, Observer
from bot.core.models import ArticleId, ChatRef, Platform, UserRef
from bot.storage.port import Store, Tx
from bot.storage.types import OutboxRow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def failure_kind(exc: BaseException) -> str:
    """The metrics label of a send failure: temporary, permission, not_found or other."""
    if isinstance(exc, TemporaryFailure):
        return "temporary"
    if isinstance(exc, PermissionFailure):
        return "permission"
    if isinstance(exc, NotFoundFailure):
        return "not_found"
    return "other"


class Delivery:
    """The outbox worker. ``deliver_due`` does one pass; ``run`` keeps passing until stopped."""

    observer: Observer = NULL_OBSERVER

    def __init__(
        self,
        store: Store,
        adapters: Mapping[Platform, ChatAdapter],
        clock: Clock,
        *,
        base_backoff: float = 2.0,
        max_backoff: float = 600.0,
        worker: str | None = None,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 50,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.clock = clock
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.worker = worker if worker is not None else process_identity()
        self.lease = lease
        self.batch = batch  # channels claimed per round: the rest are left to other workers
        self._wake = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        # Set by deliver_due for a round's last row: _deliver then claims the next round in
        # the transaction that marks the row done, and leaves the claimed rows here.
        self._claim_next = False
        self._claimed_next: list[OutboxRow] | None = None
        # Rows claimed inside the unit of work that queued them (claim_in, then offer): the
        # next pass starts with them instead of claiming. _passes tells an offer whether a
        # pass began since its claim (that pass may have claimed the same rows: the offer is
        # then dropped, never delivered twice).
        self._passes = 0
        self._offered: dict[int, OutboxRow] = {}

    def kick(self) -> None:
        """Ask the running worker for a pass now (new rows were queued)."""
        self._wake.set()

    async def claim_in(self, tx: Tx) -> tuple[int, list[OutboxRow]] | None:
        """Claim the due heads inside ``tx``, the unit of work that has just queued rows
        (an inbound message's replies), so the next pass need not claim them in a
        transaction of its own: one ``BEGIN``..``COMMIT`` less per message
        (docs/bench-intake.md). Hand the result to :meth:`offer` once ``tx`` has committed;
        if it rolls back, the claim goes with it and nothing is offered.

        Claims only for the platforms this process delivers (``adapters``), as a pass
        would, so a row is never leased to a process that cannot send it. None while a
        pass is running: it claims for itself."""
        if self._pass_lock.locked():
            return None
        return self._passes, await self._claim(tx)

    def offer(self, claim: tuple[int, list[OutboxRow]] | None) -> None:
        """Give the next pass the rows :meth:`claim_in` claimed (its unit committed).
        Dropped if a pass began since the claim (one running now did too: :meth:`claim_in`
        claims nothing during a pass): it may have claimed and sent the same rows (they are
        this process's, so it could); unsent ones stay claimed by this process and the next
        pass claims them again."""
        if claim is None:
            return
        seen, rows = claim
        if seen != self._passes:
            return
        for row in rows:
            self._offered[row.id] = row  # a newer claim of the same row replaces the older

    async def deliver_due(self) -> int:
        """Claim and try every due row once (the head of each channel, then the next, while
        heads get delivered); returns how many were delivered."""
        async with self._pass_lock:
            self._passes += 1
            delivered = 0
            blocked: set[tuple[str, str]] = set()
            # Claimed with the last round's mark, or (first round) in the units of work
            # that queued them (offer).
            ahead: list[OutboxRow] | None = None
            if self._offered:
                ahead = sorted(self._offered.values(), key=lambda r: r.id)
                self._offered = {}
            for _ in range(500):  # at most this many rounds per pass
                if ahead is None:
                    async with self.store.transaction() as tx:
                        claimed = await self._claim(tx)
                else:
                    claimed, ahead = ahead, None
                progressed = False
                for i, row in enumerate(claimed):
                    lane = (row.item.where.platform, row.item.where.channel)
                    if lane in blocked:
                        continue
                    # The round's last row claims the next round in the transaction that
                    # marks it done: one BEGIN..COMMIT less per round (docs/bench-intake.md).
                    self._claim_next = i == len(claimed) - 1
                    self._claimed_next = None
                    if await self._deliver_safely(row):
                        delivered += 1
                        progressed = True
                        ahead = self._claimed_next
                    else:
                        blocked.add(lane)
                    self._claim_next = False
                if not progressed:
                    return delivered
            return delivered

    async def release(self) -> None:
        """When the process stops (after its adapters closed): end its claims on rows not
        delivered (claimed in a message's unit of work, or by a pass cut short), so a
        restarted bot or another process sends them at once rather than after the lease."""
        self._offered = {}
        try:
            async with self.store.transaction() as tx:
                released = await tx.outbox.release_claims(self.worker)
        except Exception:  # stopping anyway; the lease still runs out
            log.warning("could not release this process's outbox claims", exc_info=True)
            return
        if released:
            log.info("released %d outbox rows claimed but not delivered", released)

    async def _claim(self, tx: Tx) -> list[OutboxRow]:
        return await tx.outbox.claim(
            self.worker,
            self.clock(),
            self.lease,
            [str(p) for p in self.adapters],
            limit=self.batch,
        )

    async def drain(self, max_passes: int = 50) -> None:
        """Deliver until nothing due is left that can be delivered now (tests, scripts)."""
        for _ in range(max_passes):
            if await self.deliver_due() == 0:
                return

    async def run(self) -> None:
        """Deliver forever: on every kick, and when the earliest retry falls due."""
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not stop delivery for good
                log.exception("outbox pass failed; trying again shortly")
            timeout = await self._seconds_until_next()
            with contextlib.suppress(TimeoutError):
                # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that
                # lands with a wake-up (gh-86296), and the worker then never stopped.
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _seconds_until_next(self) -> float:
        async with self.store.read() as r:
            nxt = await r.outbox.next_due_at()
        if nxt is None:
            return 60.0
        return min(60.0, max(0.05, (nxt - self.clock()).total_seconds()))

    async def _deliver_safely(self, row: OutboxRow) -> bool:
        """:meth:`_deliver`, with a bug on one row contained: logged, the row retried with
        backoff (its lane waits), the other lanes go on."""
        try:
            return await self._deliver(row)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("outbox row %d could not be delivered or recorded", row.id)
            with contextlib.suppress(Exception):
                await self._failed(row, exc, retryable=True)
            return False

    async def _deliver(self, row: OutboxRow) -> bool:
        item = row.item
        adapter = self.adapters.get(item.where.platform)
        if adapter is None:
            # The platform is not running in this process; the row waits for it.
            return False
        started = time.perf_counter()
        try:
            ref = await self._send(adapter, row)
        except asyncio.CancelledError:
            raise
        except AdapterError as exc:
            self.observer.send_failed(item.where.platform, failure_kind(exc))
            return await self._failed(row, exc, retryable=exc.retryable)
        except Exception as exc:  # an adapter bug: keep the row, retry with backoff
            log.exception("adapter %s raised on outbox row %d", item.where.platform, row.id)
            self.observer.send_failed(item.where.platform, "other")
            return await self._failed(row, exc, retryable=True)
        self.observer.send_finished(item.where.platform, time.perf_counter() - started)
        now = self.clock()
        async with self.store.transaction() as tx:
            await tx.outbox.mark_done(row.id, ref, now)
            if item.purpose == "ack" and item.question_id is not None and ref is not None:
                # A 👍 on the acknowledgement is a vote for its question.
                await tx.questions.record_acknowledgement(item.question_id, ref)
            if item.purpose in ("summary", "thread") and ref is not None:
                assert item.article_id is not None
                await tx.posts.record(
                    article_id=ArticleId(item.article_id),
                    target_id=item.target_id,
                    kind=item.purpose,
                    point=item.point or 0,
                    ref=ref,
                    now=now,
                )
            if self._claim_next:
                # Claimed after the mark, so this row is no longer a head; were the claim
                # to fail, the mark rolls back with it and the row is sent again with its
                # key (the adapters' idempotency), as after any failed mark.
                self._claimed_next = await self._claim(tx)
        if item.purpose == "ack":
            self.observer.question_acknowledged()
        log.debug("delivered outbox row %d (%s %s) to %s", row.id, item.op, item.purpose, ref)
        return True

    async def _send(self, adapter: ChatAdapter, row: OutboxRow) -> ChatRef | None:
        item = row.item
        if item.op == "post":
            return await adapter.post(item.where, item.message, key=item.key)
        if item.op == "open_thread":
            return await adapter.open_thread(
                item.where, item.title or "", item.message, key=item.key
            )
        if item.op == "reply":
            return await adapter.reply(item.where, item.message, mention=item.mention, key=item.key)
        if item.op == "react":
            await adapter.react(item.where, item.message.text, key=item.key)
            return item.where
        if item.op == "edit":
            await adapter.edit(item.where, item.message)
            return item.where
        if item.op == "dm":
            user = UserRef(item.where.platform, item.where.channel)
            return await adapter.direct_message(user, item.message, key=item.key)
        raise ValueError(f"unknown outbox op {item.op!r}")

    async def _failed(self, row: OutboxRow, exc: BaseException, *, retryable: bool) -> bool:
        item = row.item
        if not retryable:
            log.error(
                "outbox row %d (%s to %s %s) failed for good: %s",
                row.id,
                item.op,
                item.where.platform,
                item.where.channel,
                exc,
            )
            async with self.store.transaction() as tx:
                await tx.outbox.mark_failed(row.id, str(exc))
            # A dead target must not hold back the rows behind it.
            return True
        delay = min(self.max_backoff, self.base_backoff * 2 ** min(row.attempts, 20))
        if isinstance(exc, TemporaryFailure) and exc.retry_after is not None:
            delay = exc.retry_after  # the platform said when; waiting longer only delays
        log.warning(
            "outbox row %d (%s to %s %s) failed, attempt %d, retrying in %.1fs: %s",
            row.id,
            item.op,
            item.where.platform,
            item.where.channel,
            row.attempts + 1,
            delay,
            exc,
        )
        next_at = self.clock() + timedelta(seconds=delay)
        async with self.store.transaction() as tx:
            await tx.outbox.mark_retry(row.id, str(exc), next_at)
        return False
