"""Fixtures giving tests a real Synapse homeserver (see docs/testing-matrix.md).

``synapse`` is a synchronous session fixture: the subprocess is started once and polled
with urllib, so no event loop is shared between tests and the async tests keep the default
function loop scope.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import nio
import pytest

from .synapse import RegisteredUser, SynapseServer

REPO_ROOT = Path(__file__).resolve().parents[2]

MakeUser = Callable[..., RegisteredUser]
MakeClient = Callable[[RegisteredUser], Awaitable[nio.AsyncClient]]


def synapse_python() -> Path | None:
    """The interpreter of the Synapse venv, or None if there is none.

    Looked up in order: ``$SYNAPSE_PYTHON``, ``$SYNAPSE_VENV/bin/python``,
    ``<repo>/.venv-synapse/bin/python``. An explicitly set variable that points nowhere
    is not silently replaced by the default.
    """
    if python := os.environ.get("SYNAPSE_PYTHON"):
        candidate = Path(python)
    elif venv := os.environ.get("SYNAPSE_VENV"):
        candidate = Path(venv) / "bin" / "python"
    else:
        candidate = REPO_ROOT / ".venv-synapse" / "bin" / "python"
    return candidate if candidate.exists() else None


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """A running Synapse for the whole session; stopped at the end (also on Ctrl-C).

    Skips when Synapse is not installed, unless ``POINTBOT_REQUIRE_SYNAPSE=1`` (CI), where
    a missing Synapse is an error.
    """
    python = synapse_python()
    if python is None:
        message = (
            "Synapse is not installed: run `bash .ci/install-synapse` "
            "(or set SYNAPSE_PYTHON / SYNAPSE_VENV)"
        )
        if os.environ.get("POINTBOT_REQUIRE_SYNAPSE") == "1":
            pytest.fail(message + " [POINTBOT_REQUIRE_SYNAPSE=1]", pytrace=False)
        pytest.skip(message)
    server = SynapseServer.start(tmp_path_factory.mktemp("synapse"), python)
    try:
        yield server
    finally:  # runs on normal teardown and on KeyboardInterrupt; atexit is the last resort
        server.stop()


_user_counter = itertools.count(1)


@pytest.fixture
def make_user(synapse: SynapseServer) -> MakeUser:
    """Factory registering a uniquely named user: ``make_user("alice", admin=False)``.

    The localpart is ``<prefix>-<n>-<random>``, so tests never collide within a session
    or across restarts of the same server.
    """

    def make(
        prefix: str = "user", *, admin: bool = False, password: str | None = None
    ) -> RegisteredUser:
        username = f"{prefix.lower()}-{next(_user_counter)}-{secrets.token_hex(3)}"
        return synapse.register(username, password, admin=admin)

    return make


@pytest.fixture
async def matrix_client(synapse: SynapseServer) -> AsyncIterator[MakeClient]:
    """Factory of logged-in matrix-nio clients (``await matrix_client(user)``), all closed
    at teardown."""
    clients: list[nio.AsyncClient] = []

    async def make(user: RegisteredUser) -> nio.AsyncClient:
        client = await synapse.client(user)
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            await client.close()
