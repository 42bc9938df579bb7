"""The folder that holds the bot's end-to-end encryption keys and the login they belong to.

``<folder>/<user>_<device>.db`` is matrix-nio's SQLite store: the device's identity keys,
its Olm and Megolm sessions, the devices it knows and how far it trusts them.
``<folder>/session.json`` is the login (device id and access token) those keys belong to,
so a restart comes back as the same device instead of logging in as a new one.
``<folder>/cross-signing.json`` pins each member's cross-signing master key
(``trust = "verified"``). The folder sits beside the database and is backed up with it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SESSION_FILE = "session.json"
PINS_FILE = "cross-signing.json"


@dataclass(frozen=True, slots=True)
class SavedLogin:
    device_id: str
    access_token: str


def crypto_installed() -> bool:
    """Whether matrix-nio's encryption (the vodozemac bindings) can be imported."""
    try:
        from nio.crypto import ENCRYPTION_ENABLED
    except ImportError:  # pragma: no cover - nio itself is a dependency
        return False
    return bool(ENCRYPTION_ENABLED)


class CryptoStore:
    """One account's encryption folder (created on first use, readable by the bot only)."""

    def __init__(self, path: Path, user_id: str) -> None:
        self.path = path
        self.user_id = user_id

    def prepare(self) -> str | None:
        """Create the folder and prove it writable; the reason in words when it is not."""
        probe = self.path / ".write-test"
        try:
            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            return f"its encryption store {self.path} is not writable ({exc.strerror or exc})"
        return None

    def device_file(self, device_id: str) -> Path:
        return self.path / f"{self.user_id}_{device_id}.db"

    def has_device(self, device_id: str) -> bool:
        """Whether keys for ``device_id`` were kept here."""
        return self.device_file(device_id).exists()

    def saved_login(self) -> SavedLogin | None:
        """The login saved with the keys, if it is this account's and the keys are there."""
        try:
            data = json.loads((self.path / SESSION_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        device, token = data.get("device_id"), data.get("access_token")
        if data.get("user_id") != self.user_id or not isinstance(device, str):
            return None
        if not isinstance(token, str) or not self.has_device(device):
            return None
        return SavedLogin(device, token)

    def save_login(self, device_id: str, access_token: str) -> None:
        """Write the login atomically, readable by the bot's user only (it is a secret)."""
        data = {"user_id": self.user_id, "device_id": device_id, "access_token": access_token}
        self._write(SESSION_FILE, data)

    def pins(self) -> dict[str, str]:
        """Each user's cross-signing master key as first seen."""
        try:
            data = json.loads((self.path / PINS_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def save_pins(self, pins: dict[str, str]) -> None:
        self._write(PINS_FILE, pins)

    def _write(self, name: str, data: object) -> None:
        target = self.path / name
        temp = target.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, sort_keys=True)
            os.replace(temp, target)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
