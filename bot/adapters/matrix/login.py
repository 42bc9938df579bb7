"""Logging the Matrix adapter in, on the device its encryption keys belong to.

The login saved with the keys is reused (no new login, no new device); else the access
token or the password, on the device id kept in the state store. Then the homeserver is asked
whether it holds that device's keys: keys made just now for a device it already has keys for
would be refused (a lost store), so the bot becomes a new device; keys it lost (the device
was logged out elsewhere) are uploaded again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import nio

from bot.adapters.base import PermissionFailure
from bot.adapters.matrix.errors import TRANSPORT_ERRORS, failure_of, transport_failure
from bot.adapters.matrix.inbound import PLATFORM, Me

if TYPE_CHECKING:
    from bot.adapters.matrix.adapter import MatrixAdapter

log = logging.getLogger(__name__)


async def log_in(self: MatrixAdapter) -> None:
    """Log in on the device kept with the encryption keys (or in the state), then make
    sure the homeserver holds that device's keys."""
    client, s = self.client, self.settings
    try:
        device, token = await _authenticate(self)
        if client.olm is not None:
            device, token = await _check_device_keys(self, device, token)
        profile = await client.get_displayname(s.user_id)
    except TRANSPORT_ERRORS as exc:
        raise transport_failure(exc, "login", s.homeserver) from exc
    if device:
        await self.state.save_device(device)
        if client.olm is not None and self.encryption.store is not None:
            self.encryption.store.save_login(device, token)
    display = getattr(profile, "displayname", None)
    self.me = Me(s.user_id, display if isinstance(display, str) else "")
    log.info("logged in to %s as %s, device %s", s.homeserver, s.user_id, device)


async def _authenticate(self: MatrixAdapter, *, new_device: bool = False) -> tuple[str, str]:
    """(device id, access token) from the saved login, the token or the password."""
    client, s = self.client, self.settings
    if s.access_token is not None:
        token = s.access_token.reveal()
        client.access_token = token
        who = await client.whoami()
        if isinstance(who, nio.ErrorResponse):
            raise failure_of(who, "login", s.user_id)
        if who.user_id != s.user_id:
            raise PermissionFailure(str(PLATFORM), "login", f"the access token is {who.user_id}'s")
        client.restore_login(who.user_id, who.device_id or "", token)
        return str(who.device_id or ""), token
    if s.password is None:
        raise PermissionFailure(str(PLATFORM), "login", "no password or access token")
    store = self.encryption.store if self.encryption.enabled else None
    saved = store.saved_login() if store is not None and not new_device else None
    if saved is not None:  # the same device as last time, without a new login
        client.restore_login(s.user_id, saved.device_id, saved.access_token)
        who = await client.whoami()
        if not isinstance(who, nio.ErrorResponse) and who.device_id == saved.device_id:
            return saved.device_id, saved.access_token
        log.info("the saved login of device %s is no longer valid; logging in", saved.device_id)
    if new_device:
        client.device_id = ""
    resp = await client.login(s.password.reveal(), device_name=s.device_name)
    if isinstance(resp, nio.ErrorResponse):
        raise failure_of(resp, "login", s.user_id)
    return str(resp.device_id), str(resp.access_token)


async def _check_device_keys(self: MatrixAdapter, device: str, token: str) -> tuple[str, str]:
    """Keys made just now for a device the homeserver already has keys for would be
    refused (and nobody could read the bot): log in as a new device instead. Keys the
    homeserver lost (the device was logged out) are uploaded again."""
    client = self.client
    assert client.olm is not None
    on_server = await self.encryption.keys_on_server(client, device)
    if client.olm.account.shared and not on_server:
        log.warning("the homeserver has no keys for device %s; uploading them again", device)
        client.olm.account.shared = False
    elif not client.olm.account.shared and on_server:
        if self.settings.password is None:
            self.encryption.turn_off(
                client,
                f"the keys of its device {device} are not in its encryption store "
                f"({self.encryption.store_path()}); give it an access token for a new device",
            )
            return device, token
        log.warning(
            "the encryption keys of device %s are not in %s; logging in as a new device "
            "(people will see a new device of the bot)",
            device,
            self.encryption.store_path(),
        )
        client.olm, client.store = None, None
        return await _authenticate(self, new_device=True)
    return device, token
