"""What the Discord adapter keeps across restarts, in the core's ``adapter_state`` table.

Names are prefixed with the bot's user id, so a new bot account never resumes another's
progress. Kept:

* ``known``: the channels and threads the bot posted in, most recently used first (at
  most :data:`MAX_KNOWN`): where catch-up reads history after an outage;
* ``last/<container>``: the newest message id handled there, the resume point;
* ``thread/<key digest>``: the thread an ``open_thread`` (or forum post) created for an
  outbox key, written right after creating it, so a retry finds it instead of opening a
  second one;
* ``asked/<interaction id>``: the public message that answered a ``/ask``, so the answer
  that comes days later can reply to it;
* ``forum/<forum id>``: the newest article post there, linked from its point posts;
* ``commands``: a digest of the slash commands last registered;
* ``sent/<nonce>``: when an outbox key was first sent (``bot.adapters.discord.sent``);
  deleted once no undelivered row can need it (at start and every
  :data:`~bot.adapters.discord.sent.PRUNE_EVERY` first attempts).
"""

from __future__ import annotations

import json
from typing import Protocol

PLATFORM = "discord"
MAX_KNOWN = 200  # catch-up reads at most this many channels and threads after an outage


class StateStore(Protocol):
    """Per-adapter resumable state (``bot.app.adapter_state.AdapterState`` fits)."""

    async def get_state(self, platform: str, name: str) -> str | None: ...

    async def set_state(self, platform: str, name: str, value: str) -> None: ...

    async def forget_send_notes(self, platform: str, prefix: str) -> int: ...


class DiscordState:
    """A thin, cached view of the adapter's rows in the state store."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.prefix = ""
        self.known: list[str] = []
        self._last: dict[str, int] = {}

    async def load(self, bot_user_id: int) -> None:
        self.prefix = f"{bot_user_id}/"
        raw = await self.store.get_state(PLATFORM, self.prefix + "known")
        try:
            self.known = [str(c) for c in json.loads(raw)] if raw else []
        except (ValueError, TypeError):
            self.known = []
        self._last.clear()

    async def get(self, name: str) -> str | None:
        return await self.store.get_state(PLATFORM, self.prefix + name)

    async def put(self, name: str, value: str) -> None:
        await self.store.set_state(PLATFORM, self.prefix + name, value)

    async def forget_send_notes(self) -> int:
        """Delete the ``sent/`` notes no undelivered row can need (see the store's method)."""
        return await self.store.forget_send_notes(PLATFORM, self.prefix + "sent/")

    # where the bot is, and how far it read -----------------------------------------------

    def is_known(self, container: str) -> bool:
        return container in self.known

    async def remember(self, container: str, sent_id: int) -> None:
        """The bot posted ``sent_id`` in ``container``: read it after an outage.

        A container seen for the first time starts its resume point at the bot's own
        message, so catch-up never mistakes older history for new questions.
        """
        if await self.last(container) is None:
            await self.set_last(container, sent_id)
        if self.known[:1] == [container]:
            return
        self.known = [container, *(c for c in self.known if c != container)][:MAX_KNOWN]
        await self.put("known", json.dumps(self.known))

    async def track(self, container: str, start: int | None = None) -> None:
        """Read ``container`` after an outage too (a thread a member started under a known
        channel), from ``start`` if it has no resume point yet."""
        if start is not None and await self.last(container) is None:
            await self.set_last(container, start)
        if container not in self.known:
            self.known = [*self.known[: MAX_KNOWN - 1], container]
            await self.put("known", json.dumps(self.known))

    async def forget(self, container: str) -> None:
        """The channel or thread is gone or hidden from the bot: stop reading it."""
        if container in self.known:
            self.known = [c for c in self.known if c != container]
            await self.put("known", json.dumps(self.known))

    async def last(self, container: str) -> int | None:
        if container in self._last:
            return self._last[container]
        raw = await self.get(f"last/{container}")
        if raw is None or not raw.isdigit():
            return None
        self._last[container] = int(raw)
        return int(raw)

    async def set_last(self, container: str, message_id: int) -> None:
        """Move the resume point forward (never back)."""
        current = await self.last(container)
        if current is not None and current >= message_id:
            return
        self._last[container] = message_id
        await self.put(f"last/{container}", str(message_id))

    # threads opened, interactions answered ---------------------------------------------

    async def thread_for(self, key_digest: str) -> int | None:
        raw = await self.get(f"thread/{key_digest}")
        return int(raw) if raw and raw.isdigit() else None

    async def save_thread(self, key_digest: str, thread_id: int) -> None:
        await self.put(f"thread/{key_digest}", str(thread_id))

    async def asked_message(self, interaction_id: str) -> int | None:
        raw = await self.get(f"asked/{interaction_id}")
        return int(raw) if raw and raw.isdigit() else None

    async def save_asked_message(self, interaction_id: str, message_id: int) -> None:
        await self.put(f"asked/{interaction_id}", str(message_id))
