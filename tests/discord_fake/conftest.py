"""The loopback Discord server as a fixture, shared by every Discord test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.discord_fake import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A running FakeDiscord with discord.py pointed at it; no internal errors at the end."""
    server = FakeDiscord()
    await server.start()
    try:
        with server.point_discord_py_here():
            yield server
    finally:
        await server.stop()
    assert server.internal_errors == []
