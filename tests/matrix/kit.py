"""Helpers for the Matrix adapter tests: bot settings, state stores, reading what members see."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nio

from bot.adapters.matrix import MatrixAdapter
from bot.config import MatrixSettings, Secret

from .synapse import RegisteredUser, SynapseServer, sync_into_buffer

MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": MEGOLM}

# Fast reconnection and short long-polls: a homeserver restart is ridden out within ~1 s.
FAST: dict[str, Any] = {"poll_timeout_ms": 5_000, "reconnect_delays": (0.1, 0.5)}

Event = dict[str, Any]


class MemoryState:
    """The adapter's state store, in a dict (what the runtime keeps in SQLite)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    async def get_state(self, platform: str, name: str) -> str | None:
        return self.values.get((platform, name))

    async def set_state(self, platform: str, name: str, value: str) -> None:
        self.values[(platform, name)] = value


def bot_settings(synapse: SynapseServer, user: RegisteredUser) -> MatrixSettings:
    return MatrixSettings(synapse.url, user.user_id, Secret(user.password), None)


def new_adapter(
    synapse: SynapseServer, user: RegisteredUser, state: Any, **options: Any
) -> MatrixAdapter:
    return MatrixAdapter(bot_settings(synapse, user), state, **{**FAST, **options})


def relation(event: Event) -> dict[str, Any]:
    rel = event.get("content", {}).get("m.relates_to")
    return rel if isinstance(rel, dict) else {}


def thread_of(event: Event) -> str | None:
    rel = relation(event)
    return rel.get("event_id") if rel.get("rel_type") == "m.thread" else None


def replied_to(event: Event) -> str | None:
    """The event this one really replies to (not a thread's fallback)."""
    rel = relation(event)
    if rel.get("is_falling_back"):
        return None
    target = rel.get("m.in_reply_to", {}).get("event_id")
    return target if isinstance(target, str) else None


def mentioned(event: Event) -> frozenset[str]:
    return frozenset(event.get("content", {}).get("m.mentions", {}).get("user_ids", []))


def message_from(
    sender: str, pred: Callable[[Event], bool] = lambda e: True
) -> Callable[[Event], bool]:
    """Matcher: an ``m.room.message`` by ``sender`` for which ``pred`` holds."""

    def match(event: Event) -> bool:
        return (
            event.get("type") == "m.room.message" and event.get("sender") == sender and pred(event)
        )

    return match


def body_starts(prefix: str) -> Callable[[Event], bool]:
    return lambda e: str(e.get("content", {}).get("body", "")).startswith(prefix)


def in_reply_to(event_id: str) -> Callable[[Event], bool]:
    return lambda e: replied_to(e) == event_id


async def room_history(client: nio.AsyncClient, room_id: str, limit: int = 300) -> list[Event]:
    """Every message event of the room (threads included), oldest first, from /messages."""
    resp = await client.room_messages(room_id, start=None, limit=limit)
    assert isinstance(resp, nio.RoomMessagesResponse), resp
    events = [e.source for e in resp.chunk]
    return [e for e in reversed(events) if e.get("type") == "m.room.message"]


async def send_text(
    client: nio.AsyncClient,
    room_id: str,
    body: str,
    *,
    thread: str | None = None,
    reply_to: str | None = None,
) -> str:
    """A member writes ``body`` (in ``thread``, or as a reply); returns the event id."""
    content: dict[str, Any] = {"msgtype": "m.text", "body": body}
    if thread is not None:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread,
            "is_falling_back": reply_to is None,
            "m.in_reply_to": {"event_id": reply_to or thread},
        }
    elif reply_to is not None:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    if client.olm is not None and room_id not in client.rooms:
        await sync_into_buffer(client, timeout_ms=50)  # nio encrypts only for rooms it knows
    # Members trust on first use, as Element does by default.
    resp = await client.room_send(
        room_id, "m.room.message", content, ignore_unverified_devices=True
    )
    assert isinstance(resp, nio.RoomSendResponse), resp
    return str(resp.event_id)


async def encrypted_client(
    synapse: SynapseServer, user: RegisteredUser, store: Path
) -> nio.AsyncClient:
    """A member's own client with its own encryption store, keys uploaded (as Element's
    would be once logged in). The caller closes it."""
    await asyncio.to_thread(store.mkdir, parents=True, exist_ok=True)
    config = synapse.client_config(encryption_enabled=True, pickle_key="member")
    client = nio.AsyncClient(
        synapse.url, user.user_id, device_id=user.device_id, store_path=str(store), config=config
    )
    client.restore_login(user.user_id, user.device_id, user.access_token)
    assert client.olm is not None, "matrix-nio's encryption is not installed"
    uploaded = await client.keys_upload()
    assert isinstance(uploaded, nio.KeysUploadResponse), uploaded
    return client


async def raw_event(client: nio.AsyncClient, room_id: str, event_id: str) -> Event:
    """The event as the homeserver stores it (not decrypted)."""
    path = nio.Api._build_path(
        ["rooms", room_id, "event", event_id], {"access_token": client.access_token}
    )
    response = await client.send("GET", path)
    assert response.status == 200, await response.text()
    event: Event = await response.json()
    return event
