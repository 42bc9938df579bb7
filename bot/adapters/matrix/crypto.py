"""End-to-end encryption for the Matrix adapter: matrix-nio's Olm and Megolm (vodozemac).

:class:`Encryption` decides whether encryption works (library installed, not turned off,
store writable), does between syncs what ``sync_forever`` would (upload keys, query and
claim them, send queued to-device messages, apply the trust policy), and encrypts what the
bot sends into an encrypted room. Every event type is encrypted, reactions included
(matrix-nio leaves reactions in the clear; the spec has no such exception), with
``m.relates_to`` copied to the clear part so the homeserver can aggregate threads, edits
and reactions. Mentions stay inside the encrypted content.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import nio

from bot.adapters.base import TemporaryFailure
from bot.adapters.matrix.errors import failure_of
from bot.adapters.matrix.store import CryptoStore, crypto_installed
from bot.adapters.matrix.trust import TrustPolicy
from bot.config import MatrixSettings

log = logging.getLogger(__name__)

PLATFORM = "matrix"
DEFAULT_STORE_KEY = "pointbot-matrix-store"  # nio needs one; MATRIX_STORE_KEY overrides it


class Encryption:
    """The encryption side of one adapter; ``reason`` says why it is off (None: it is on)."""

    def __init__(self, settings: MatrixSettings, store_path: Path | None) -> None:
        self.settings = settings
        self.store = CryptoStore(store_path, settings.user_id) if store_path else None
        self.reason: str | None = self._why_not()
        self.trust = TrustPolicy(settings.trust, self.store)
        self._sharing: dict[str, asyncio.Lock] = {}

    def _why_not(self) -> str | None:
        if not self.settings.encryption:
            return "encryption is turned off in its settings ([matrix] encryption = false)"
        if not crypto_installed():
            return "matrix-nio's encryption support is not installed (matrix-nio[e2e])"
        if self.store is None:
            return "no encryption store is configured"
        return self.store.prepare()

    @property
    def enabled(self) -> bool:
        return self.reason is None

    def client_options(self) -> dict[str, Any]:
        """nio settings: its SQLite store in our folder, sealed with the store key."""
        if not self.enabled:
            return {"encryption_enabled": False}
        key = self.settings.store_key.reveal() if self.settings.store_key else DEFAULT_STORE_KEY
        return {"encryption_enabled": True, "pickle_key": key}

    def store_path(self) -> str:
        return str(self.store.path) if self.enabled and self.store else ""

    def turn_off(self, client: nio.AsyncClient, reason: str) -> None:
        """Give up encryption for this run (the notice then says why)."""
        log.error("end-to-end encryption is off: %s", reason)
        self.reason = reason
        client.olm = None  # nio encrypts and decrypts only while it has an Olm machine
        client.store = None

    async def keys_on_server(self, client: nio.AsyncClient, device_id: str) -> bool:
        """Whether the homeserver already holds identity keys for ``device_id``."""
        method, path, data = nio.Api.keys_query(client.access_token, [client.user_id])
        response = await client.send(method, path, data)
        answer = await response.json()
        devices = answer.get("device_keys", {}).get(client.user_id, {}) if answer else {}
        return isinstance(devices, dict) and device_id in devices

    # between syncs ---------------------------------------------------------------------

    async def maintain(self, client: nio.AsyncClient) -> None:
        """Upload, query and claim keys when nio says so; send queued to-device messages."""
        if client.olm is None:
            return
        if client.should_upload_keys:
            self._check(await client.keys_upload(), "keys_upload")
        if client.should_query_keys:
            self._check(await client.keys_query(), "keys_query")
            await self.trust.review(client)
        if client.should_claim_keys:
            claim = client.get_users_for_key_claiming()
            self._check(await client.keys_claim(claim), "keys_claim")
        for answer in await client.send_to_device_messages():
            if isinstance(answer, nio.ErrorResponse):
                log.warning("a to-device message was not sent: %s", answer)

    @staticmethod
    def _check(answer: Any, operation: str) -> None:
        if isinstance(answer, nio.ErrorResponse):
            raise failure_of(answer, operation)

    # sending -----------------------------------------------------------------------------

    def encrypts(self, client: nio.AsyncClient, room_id: str) -> bool:
        room = client.rooms.get(room_id)
        return client.olm is not None and room is not None and bool(room.encrypted)

    async def encrypt(
        self, client: nio.AsyncClient, room_id: str, event_type: str, content: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The ``m.room.encrypted`` content for one event, the room key shared first.

        What ``AsyncClient.room_send`` does before encrypting, with the trust policy applied
        and for every event type.
        """
        room = client.rooms[room_id]
        if not room.members_synced:
            self._check(await client.joined_members(room_id), "joined_members")
        if client.should_query_keys:
            self._check(await client.keys_query(), "keys_query")
        if self.trust.unreviewed(client, room.users):
            await self.trust.review(client)
        lock = self._sharing.setdefault(room_id, asyncio.Lock())
        async with lock:  # one key share per room at a time; nio refuses a second
            if client.olm is not None and client.olm.should_share_group_session(room_id):
                try:
                    await client.share_group_session(
                        room_id, ignore_unverified_devices=self.settings.trust == "tofu"
                    )
                except nio.OlmTrustError as exc:  # a device appeared after the review
                    raise TemporaryFailure(PLATFORM, "encrypt", str(exc), ids=room_id) from exc
        try:
            kind, encrypted = client.encrypt(room_id, event_type, content)
        except (nio.LocalProtocolError, nio.EncryptionError) as exc:
            raise TemporaryFailure(PLATFORM, "encrypt", str(exc), ids=room_id) from exc
        return kind, encrypted
