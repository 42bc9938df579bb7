"""Which devices get the keys to the bot's messages in encrypted rooms.

``tofu`` (trust on first use, the default): every device of every member, each new device
logged once. ``verified``: only devices their owner has cross-signed. matrix-nio 0.26 has no
cross-signing support at all (it ignores the master and self-signing keys in ``/keys/query``),
so this module checks the chain itself: the device keys are signed by the owner's
self-signing key, which is signed by the owner's master key, and that master key is the one
seen first for that user (pinned in the store; a changed master key trusts nothing of that
user until its pin is removed). Devices failing the check are blacklisted in nio's store, so
they never receive a room key; the bot's own verification of other people (its user-signing
key, interactive verification) is not implemented.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import nio
import vodozemac

from bot.adapters.matrix.store import CryptoStore

log = logging.getLogger(__name__)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def signed_by(obj: Mapping[str, Any], user_id: str, public_key: str) -> bool:
    """Whether ``obj`` carries ``user_id``'s valid ed25519 signature by ``public_key``."""
    signature = _dict(_dict(obj.get("signatures")).get(user_id)).get(f"ed25519:{public_key}")
    if not isinstance(signature, str):
        return False
    body = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    try:
        key = vodozemac.Ed25519PublicKey.from_base64(public_key)
        key.verify_signature(
            nio.Api.to_canonical_json(body).encode(),
            vodozemac.Ed25519Signature.from_base64(signature),
        )
    except (vodozemac.KeyException, vodozemac.SignatureException, ValueError):
        return False
    return True


def cross_signing_key(keys: Mapping[str, Any], user_id: str, usage: str) -> str | None:
    """The public key of ``user_id``'s cross-signing key for ``usage``, or None."""
    if keys.get("user_id") != user_id or usage not in (keys.get("usage") or []):
        return None
    found = [v for k, v in _dict(keys.get("keys")).items() if k.startswith("ed25519:")]
    return found[0] if len(found) == 1 and isinstance(found[0], str) else None


def cross_signed_devices(
    answer: Mapping[str, Any], pins: dict[str, str]
) -> tuple[set[tuple[str, str]], list[str]]:
    """The (user, device) pairs a ``/keys/query`` answer shows cross-signed by their owner.

    ``pins`` (user -> master key) is updated with users seen for the first time; the second
    value lists users whose master key differs from their pin (nothing of theirs counts).
    """
    signed: set[tuple[str, str]] = set()
    changed: list[str] = []
    masters, selves = _dict(answer.get("master_keys")), _dict(answer.get("self_signing_keys"))
    for user_id, devices in _dict(answer.get("device_keys")).items():
        master = cross_signing_key(_dict(masters.get(user_id)), user_id, "master")
        self_keys = _dict(selves.get(user_id))
        ssk = cross_signing_key(self_keys, user_id, "self_signing")
        if master is None or ssk is None or not signed_by(self_keys, user_id, master):
            continue
        pinned = pins.setdefault(user_id, master)
        if pinned != master:
            changed.append(user_id)
            continue
        for device_id, keys in _dict(devices).items():
            if signed_by(_dict(keys), user_id, ssk):
                signed.add((user_id, device_id))
    return signed, changed


class TrustPolicy:
    """Applies ``[matrix] trust`` to the devices matrix-nio knows, after each key query."""

    def __init__(self, mode: str, store: CryptoStore | None) -> None:
        self.mode = mode
        self.store = store

    def unreviewed(self, client: nio.AsyncClient, users: Iterable[str]) -> bool:
        """Whether a device of ``users`` has not been given a trust state yet."""
        return any(
            d.trust_state is nio.crypto.TrustState.unset
            for u in users
            for d in client.device_store.active_user_devices(u)
            if d.id != client.device_id
        )

    async def review(self, client: nio.AsyncClient) -> None:
        """Give every device not reviewed yet (or, for ``verified``, every device) its state."""
        if client.olm is None:
            return
        if self.mode == "verified":
            await self._cross_signed_only(client)
            return
        for device in list(client.device_store):
            if device.trust_state is nio.crypto.TrustState.unset and not self._own(client, device):
                log.info(
                    "new device %s of %s (ed25519 %s): it gets the room keys (trust = tofu)",
                    device.id,
                    device.user_id,
                    device.ed25519,
                )
                client.ignore_device(device)  # nio: "ignored" devices are shared with

    async def _cross_signed_only(self, client: nio.AsyncClient) -> None:
        users = sorted({d.user_id for d in client.device_store})
        if not users:
            return
        method, path, data = nio.Api.keys_query(client.access_token, users)
        response = await client.send(method, path, data)
        answer = await response.json()
        if response.status != 200 or not isinstance(answer, dict):
            log.warning("could not read cross-signing keys (HTTP %s)", response.status)
            return
        pins = self.store.pins() if self.store else {}
        before = dict(pins)
        signed, changed = cross_signed_devices(answer, pins)
        for user_id in changed:
            log.warning(
                "%s's cross-signing master key changed: none of their devices gets room keys "
                "until the pin for them is removed from %s",
                user_id,
                self.store.path if self.store else "the store",
            )
        if self.store is not None and pins != before:
            self.store.save_pins(pins)
        for device in list(client.device_store):
            if self._own(client, device):
                continue
            if (device.user_id, device.id) in signed:
                if not device.verified:
                    client.unblacklist_device(device)
                    client.verify_device(device)
                    log.info(
                        "device %s of %s is cross-signed: it gets the room keys",
                        device.id,
                        device.user_id,
                    )
            elif not device.blacklisted:
                client.unverify_device(device)
                client.blacklist_device(device)
                log.info(
                    "device %s of %s is not cross-signed by its owner: it gets no room keys "
                    "(trust = verified)",
                    device.id,
                    device.user_id,
                )

    @staticmethod
    def _own(client: nio.AsyncClient, device: Any) -> bool:
        return bool(device.user_id == client.user_id and device.id == client.device_id)
