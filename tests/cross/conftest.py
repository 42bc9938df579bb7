"""Both platforms at once: the real Synapse and the loopback Discord server."""

from tests.discord.conftest import fake_discord, scene
from tests.matrix.conftest import make_user, matrix_client, synapse

__all__ = ["fake_discord", "make_user", "matrix_client", "scene", "synapse"]
