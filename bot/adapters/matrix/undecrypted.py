"""Encrypted events the bot cannot decrypt yet (their room key has not arrived).

Nothing is dropped: each such event is kept (in the adapter's state, so a restart keeps it
too), the key is asked for with a room key request to the sending device, and every sync
tries again. Once it decrypts, the event goes to the core like any other (the core's inbound
claim still makes it count once); after ``timeout`` seconds without a key it is logged and
given up, telling nobody.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nio

from bot.adapters.matrix.state import MatrixState

log = logging.getLogger(__name__)

MAX_KEPT = 1000  # beyond this the oldest are given up (a flood of undecryptable events)


@dataclass
class Pending:
    room_id: str
    source: dict[str, Any]
    since: float


def _as_megolm(room_id: str, source: dict[str, Any]) -> nio.MegolmEvent | None:
    event = nio.MegolmEvent.from_dict(source)
    if not isinstance(event, nio.MegolmEvent):
        return None
    event.room_id = room_id
    return event


class Undecrypted:
    """Kept undecryptable events, by event id, and the room keys asked for."""

    def __init__(
        self, state: MatrixState, *, timeout: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.state = state
        self.timeout = timeout
        self.clock = clock
        self.pending: dict[str, Pending] = {}
        self.requested: set[str] = set()  # session ids

    async def load(self) -> None:
        raw = await self.state.store.get_state("matrix", self.state.user_id + "/undecrypted")
        try:
            items = json.loads(raw) if raw else []
        except ValueError:
            items = []
        for item in items if isinstance(items, list) else []:
            source = item.get("source") if isinstance(item, dict) else None
            if isinstance(source, dict) and isinstance(source.get("event_id"), str):
                self.pending[source["event_id"]] = Pending(
                    str(item.get("room_id")), source, float(item.get("since", self.clock()))
                )

    async def _save(self) -> None:
        items = [
            {"room_id": p.room_id, "source": p.source, "since": p.since}
            for p in self.pending.values()
        ]
        await self.state.store.set_state(
            "matrix", self.state.user_id + "/undecrypted", json.dumps(items)
        )

    async def keep(self, client: nio.AsyncClient, room_id: str, source: dict[str, Any]) -> None:
        """Remember an event nio could not decrypt and ask its sender's device for the key."""
        event_id = source.get("event_id")
        event = _as_megolm(room_id, source)
        if not isinstance(event_id, str) or event is None or event_id in self.pending:
            return
        log.info(
            "cannot decrypt %s in %s from %s yet (no key for session %s); asking for it",
            event_id,
            room_id,
            event.sender,
            event.session_id,
        )
        self.pending[event_id] = Pending(room_id, source, self.clock())
        while len(self.pending) > MAX_KEPT:
            oldest = next(iter(self.pending))
            log.warning("gave up on undecryptable event %s: too many kept", oldest)
            del self.pending[oldest]
        await self._save()
        await self.request_key(client, event)

    async def request_key(self, client: nio.AsyncClient, event: nio.MegolmEvent) -> None:
        """A room key request to the sending device (what ``request_room_key`` sends to our
        own devices), registered with nio so a forwarded key is accepted when it comes."""
        if event.session_id in self.requested or client.olm is None:
            return
        if event.session_id in client.outgoing_key_requests:
            return
        message = event.as_key_request(
            event.sender, client.device_id, event.session_id, event.device_id
        )
        method, path, data = nio.Api.to_device(
            client.access_token, message.type, message.as_dict(), event.session_id
        )
        try:
            answer = await client._send(  # nio's own path, so it records the request
                nio.RoomKeyRequestResponse,
                method,
                path,
                data,
                (event.session_id, event.session_id, event.room_id, event.algorithm),
            )
        except Exception as exc:  # asked again on the next event of that session
            log.warning("room key request for %s failed: %s", event.session_id, exc)
            return
        if not isinstance(answer, nio.ErrorResponse):
            self.requested.add(event.session_id)

    async def retry(self, client: nio.AsyncClient) -> list[tuple[str, dict[str, Any]]]:
        """The kept events that decrypt now, as (room, decrypted event); expired ones dropped."""
        if not self.pending or client.olm is None:
            return []
        ready: list[tuple[str, dict[str, Any]]] = []
        now, before = self.clock(), len(self.pending)
        for event_id, item in list(self.pending.items()):
            event = _as_megolm(item.room_id, item.source)
            decrypted: Any = None
            if event is not None:
                try:
                    decrypted = client.decrypt_event(event)
                except nio.EncryptionError:
                    decrypted = None
            if decrypted is not None and not isinstance(decrypted, nio.MegolmEvent):
                ready.append((item.room_id, dict(getattr(decrypted, "source", {}) or {})))
                log.info("decrypted %s in %s now that its key arrived", event_id, item.room_id)
                del self.pending[event_id]
            elif now - item.since >= self.timeout:
                log.warning(
                    "gave up on %s in %s from %s: its room key did not arrive within %.0f s",
                    event_id,
                    item.room_id,
                    item.source.get("sender"),
                    self.timeout,
                )
                del self.pending[event_id]
            elif event is not None and event.session_id not in self.requested:
                await self.request_key(client, event)  # e.g. kept from before a restart
        if len(self.pending) != before:
            await self._save()
        return ready
