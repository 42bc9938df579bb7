"""A loopback Discord API v10 + gateway for tests that drive discord.py.

See docs/testing-discord.md.
"""

from .model import Channel, ChannelType, Guild, Intent, Member, MessageType, Perm, Role, User
from .rest import RateLimitRule, RequestRecord
from .server import BotSend, FakeDiscord, InteractionRecord

__all__ = [
    "BotSend",
    "Channel",
    "ChannelType",
    "FakeDiscord",
    "Guild",
    "Intent",
    "InteractionRecord",
    "Member",
    "MessageType",
    "Perm",
    "RateLimitRule",
    "RequestRecord",
    "Role",
    "User",
]
