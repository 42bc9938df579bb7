"""Refusing loopback, private and link-local addresses (server-side request forgery).

A feed URL is typed by an admin in chat, and a feed server chooses where it redirects: either
could point the bot at the machine itself, the local network or a cloud metadata address.
The resolver used for every connection drops such addresses unless their network is allowed
in the config, so the address checked is the very address connected to, on every hop.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(OSError):
    """The host resolves only to addresses the bot must not fetch from."""


def _kind(addr: Address) -> str | None:
    """What is wrong with ``addr`` for a public fetch, or None if it is public."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return _kind(addr.ipv4_mapped)
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_unspecified or addr.is_multicast or addr.is_reserved:
        return "reserved"
    if addr.is_private or not addr.is_global:
        return "private"
    return None


class AddressGuard:
    """Which addresses may be fetched: public ones, and those in ``allowed`` networks."""

    def __init__(self, allowed: tuple[str, ...] = ()) -> None:
        self.allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed)

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``address`` (of ``host``) is refused, or None when it may be fetched."""
        try:
            addr = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{host} has an address that cannot be checked ({address})"
        kind = _kind(addr)
        if kind is None or any(addr in net for net in self.allowed):
            return None
        return (
            f"{host} resolves to {addr}, a {kind} address; the bot does not fetch from such "
            "addresses unless [polling] allow_private_addresses includes its network"
        )

    def refusal_for_literal(self, host: str) -> str | None:
        """For a URL whose host is an IP address (the resolver never sees those)."""
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return None
        return self.refusal(host, host.strip("[]"))


class GuardedResolver(AbstractResolver):
    """The default threaded resolver, with refused addresses removed."""

    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if self.guard.refusal(host, r["host"]) is None]
        if not kept:
            reason = self.guard.refusal(host, found[0]["host"]) if found else None
            raise AddressRefused(reason or f"{host} has no address")
        return kept

    async def close(self) -> None:
        await self._inner.close()
