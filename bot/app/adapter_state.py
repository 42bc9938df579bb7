"""What adapters may ask of the store: their resumable state, and who is an author."""

from __future__ import annotations

from bot.storage.port import Store


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

    async def is_any_author(self, user_key: str) -> bool:
        """Whether ``user_key`` writes for any feed (Matrix accepts their direct chats)."""
        async with self.store.read() as r:
            return await r.posts.is_any_author(user_key)
