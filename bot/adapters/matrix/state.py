"""What the Matrix adapter keeps across restarts, in the core's adapter_state table.

Names are prefixed with the bot's user id, so switching accounts never reuses another
account's sync token or device. Values are strings (JSON for the collections).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Protocol

PLATFORM = "matrix"
RECENT_EVENTS = 256  # event ids remembered as handled; a sync never redelivers more


class StateStore(Protocol):
    """Per-adapter resumable state (``bot.app.adapter_state.AdapterState`` fits)."""

    async def get_state(self, platform: str, name: str) -> str | None: ...

    async def set_state(self, platform: str, name: str, value: str) -> None: ...


class MatrixState:
    """Device id, sync token, handled event ids, direct rooms, inviters, warned rooms."""

    def __init__(self, store: StateStore, user_id: str) -> None:
        self.store = store
        self.user_id = user_id
        self.device_id: str | None = None
        self.next_batch: str | None = None
        self.recent: deque[str] = deque(maxlen=RECENT_EVENTS)
        self.direct_rooms: dict[str, str] = {}  # user id -> room id
        self.inviters: dict[str, str] = {}  # room id -> who invited the bot
        self.warned_encrypted: set[str] = set()  # rooms told that E2EE is not supported

    def _name(self, what: str) -> str:
        return f"{self.user_id}/{what}"

    async def _get_json(self, what: str, default: Any) -> Any:
        raw = await self.store.get_state(PLATFORM, self._name(what))
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    async def _set(self, what: str, value: str) -> None:
        await self.store.set_state(PLATFORM, self._name(what), value)

    async def load(self) -> None:
        self.device_id = await self.store.get_state(PLATFORM, self._name("device_id"))
        self.next_batch = await self.store.get_state(PLATFORM, self._name("next_batch"))
        self.recent.extend(str(e) for e in await self._get_json("recent_events", []))
        self.direct_rooms = {
            str(k): str(v) for k, v in (await self._get_json("direct_rooms", {})).items()
        }
        self.inviters = {str(k): str(v) for k, v in (await self._get_json("inviters", {})).items()}
        self.warned_encrypted = {str(r) for r in await self._get_json("warned_encrypted", [])}

    def handled(self, event_id: str) -> bool:
        return event_id in self.recent

    async def save_sync(self, next_batch: str, *, events_handled: bool) -> None:
        """Record progress: handled ids first, so a crash in between only re-skips them."""
        if events_handled:
            await self._set("recent_events", json.dumps(list(self.recent)))
        if next_batch != self.next_batch:
            await self._set("next_batch", next_batch)
            self.next_batch = next_batch

    async def save_device(self, device_id: str) -> None:
        if device_id != self.device_id:
            await self._set("device_id", device_id)
            self.device_id = device_id

    async def add_direct_room(self, user_id: str, room_id: str) -> None:
        self.direct_rooms[user_id] = room_id
        await self._set("direct_rooms", json.dumps(self.direct_rooms, sort_keys=True))

    async def forget_direct_room(self, room_id: str) -> None:
        """The direct chat is over (someone left): the next message opens a new one."""
        kept = {u: r for u, r in self.direct_rooms.items() if r != room_id}
        if kept != self.direct_rooms:
            self.direct_rooms = kept
            await self._set("direct_rooms", json.dumps(kept, sort_keys=True))

    def is_direct(self, room_id: str) -> bool:
        return room_id in self.direct_rooms.values()

    async def add_inviter(self, room_id: str, user_id: str) -> None:
        self.inviters[room_id] = user_id
        await self._set("inviters", json.dumps(self.inviters, sort_keys=True))

    async def mark_warned(self, room_id: str) -> None:
        self.warned_encrypted.add(room_id)
        await self._set("warned_encrypted", json.dumps(sorted(self.warned_encrypted)))
