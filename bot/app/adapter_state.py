"""What adapters may ask of the store: their resumable state, and who is an author."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.port import Store

# Clocks of the processes sharing a database may differ this much, and no more.
CLOCK_SKEW = timedelta(hours=1)


class AdapterState:
    """Per-adapter resumable state (sync tokens, device ids, ...), each change committed."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get_state(self, platform: str, name: str) -> str | None:
        async with self.store.read() as r:
            return await r.inbound.get_state(platform, name)

    async def set_state(self, platform: str, name: str, value: str) -> None:
        async with self.store.transaction() as tx:
            await tx.inbound.set_state(platform, name, value)

    async def forget_send_notes(self, platform: str, prefix: str) -> int:
        """Delete the notes under ``prefix`` (a send's first attempt, its time as the
        value) that no undelivered row can need any more; how many.

        A note is written at the first attempt of an outbox row, after the row was queued.
        So a note older than the oldest row still pending on ``platform`` belongs to a row
        that is done (or failed for good): no resend will ask for it. Kept: every note
        younger than that (less :data:`CLOCK_SKEW`)."""
        async with self.store.transaction() as tx:
            oldest = await tx.outbox.oldest_pending_at(platform)
            cutoff = (oldest or datetime.now(UTC)) - CLOCK_SKEW
            return await tx.inbound.forget_state_before(platform, prefix, cutoff.timestamp())

    async def is_any_author(self, user_key: str) -> bool:
        """Whether ``user_key`` writes for any feed (Matrix accepts their direct chats)."""
        async with self.store.read() as r:
            return await r.posts.is_any_author(user_key)
