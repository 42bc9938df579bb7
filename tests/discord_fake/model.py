"""Discord's enums, permission/intents bits, error shapes and the fake's records.

Values follow https://discord.com/developers/docs (permissions, gateway intents, channel
and message types, JSON error codes); payload shapes follow what discord.py 2.7 parses
(``discord/types/*.py``).
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, IntFlag
from functools import reduce
from typing import Any

JSON = dict[str, Any]
DISCORD_EPOCH_MS = 1_420_070_400_000


class Perm(IntFlag):
    """Discord permission bits (https://discord.com/developers/docs/topics/permissions)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40


ALL_PERMISSIONS = reduce(lambda a, b: a | b, Perm)
DEFAULT_EVERYONE_PERMISSIONS = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.ADD_REACTIONS
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CHANGE_NICKNAME
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.USE_VAD
)
# Exactly what the README's invite link grants (permissions=309237730368): a real install's
# bot role. Tests that need more (Manage Threads, Manage Messages) grant it explicitly.
INVITE_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.EMBED_LINKS
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
)
assert int(INVITE_PERMISSIONS) == 309237730368
DEFAULT_BOT_PERMISSIONS = INVITE_PERMISSIONS
REQUIRE_TAG = 1 << 4  # channel flag of a forum whose posts must carry a tag
DM_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.USE_EXTERNAL_EMOJIS
)


class Intent(IntFlag):
    """Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents)."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_INTEGRATIONS = 1 << 4
    GUILD_WEBHOOKS = 1 << 5
    GUILD_INVITES = 1 << 6
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15


PRIVILEGED_INTENTS = Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES | Intent.MESSAGE_CONTENT


class ChannelType(IntEnum):
    GUILD_TEXT = 0
    DM = 1
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15


THREAD_TYPES = frozenset({10, 11, 12})


class ComponentType(IntEnum):
    ACTION_ROW = 1
    BUTTON = 2


class ButtonStyle(IntEnum):
    PRIMARY = 1
    SECONDARY = 2
    SUCCESS = 3
    DANGER = 4
    LINK = 5
    PREMIUM = 6


class MessageType(IntEnum):
    DEFAULT = 0
    THREAD_CREATED = 18
    REPLY = 19
    CHAT_INPUT_COMMAND = 20
    THREAD_STARTER_MESSAGE = 21


class MessageFlag(IntFlag):
    SUPPRESS_EMBEDS = 1 << 2
    HAS_THREAD = 1 << 5
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12


# Flags a bot may set when creating or editing its own message.
SETTABLE_MESSAGE_FLAGS = MessageFlag.SUPPRESS_EMBEDS | MessageFlag.SUPPRESS_NOTIFICATIONS


class ApiError(Exception):
    """A Discord JSON error: ``{"message": ..., "code": ...}`` with an HTTP status."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(kind: str) -> ApiError:
    codes = {
        "Guild": 10004,
        "Channel": 10003,
        "Member": 10007,
        "Message": 10008,
        "User": 10013,
        "Emoji": 10014,
        "Webhook": 10015,
        "interaction": 10062,
        "application command": 10063,
    }
    return ApiError(404, codes[kind], f"Unknown {kind}")


MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
MISSING_ACCESS = (403, 50001, "Missing Access")


def form_error(path: Iterable[str | int], code: str, message: str) -> ApiError:
    """A 400 "Invalid Form Body" (50035) error with Discord's nested ``errors`` shape."""
    leaf: JSON = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(list(path)):
        leaf = {str(key): leaf}
    return ApiError(400, 50035, "Invalid Form Body", leaf)


def iso(moment: datetime) -> str:
    """Discord's timestamp format: ISO 8601 with microseconds and +00:00."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now_iso() -> str:
    return iso(datetime.now(UTC))


def snowflake_iso(snowflake: int) -> str:
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return iso(datetime.fromtimestamp(ms / 1000, UTC))


class Snowflakes:
    """Strictly increasing snowflakes whose timestamp part is the current time."""

    def __init__(self) -> None:
        self._last = 0
        self._increment = 0

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        self._increment = (self._increment + 1) & 0xFFF
        value = (ms << 22) | (1 << 17) | (1 << 12) | self._increment
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value


@dataclass
class User:
    id: int
    username: str
    global_name: str | None
    bot: bool = False
    discriminator: str = "0"
    accepts_dms: bool = True

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": self.discriminator,
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    managed: bool = False
    bot_id: int | None = None
    mentionable: bool = False

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(int(self.permissions)),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Member:
    user: User
    guild_id: int
    role_ids: list[int]
    joined_at: str
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    def payload(self, *, with_user: bool = True) -> JSON:
        data: JSON = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int
    deny: int

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(int(self.allow)),
            "deny": str(int(self.deny)),
        }


@dataclass
class Channel:
    """A guild text/forum channel, a thread, or a DM channel."""

    id: int
    type: int
    name: str | None
    guild_id: int | None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    last_message_id: int | None = None
    available_tags: list[JSON] = field(default_factory=list)
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    archive_timestamp: str = ""
    create_timestamp: str = ""
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: dict[int, str] = field(default_factory=dict)  # user id -> join timestamp
    applied_tags: list[int] = field(default_factory=list)
    starter_message_id: int | None = None
    last_activity: float = 0.0  # world clock: a message, an unarchive, a new duration
    flags: int = 0
    # DM
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    emojis: dict[int, JSON] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]


@dataclass
class MessageRecord:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    data: JSON  # static part of the Discord message object
    mention_ids: list[int] = field(default_factory=list)
    reference_id: int | None = None
    reactions: dict[str, list[int]] = field(default_factory=dict)
    reaction_emoji: dict[str, JSON] = field(default_factory=dict)
    nonce: str | int | None = None
    created_monotonic: float = field(default_factory=time.monotonic)
    request: JSON | None = None  # the JSON body the bot sent, as received
    ephemeral: bool = False
    deleted: bool = False
    thread_id: int | None = None
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def content(self) -> str:
        return str(self.data.get("content", ""))


USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")

EMBED_TEXT_LIMITS: list[tuple[tuple[str, ...], int]] = [
    (("title",), 256),
    (("description",), 4096),
    (("footer", "text"), 2048),
    (("author", "name"), 256),
]


def _dig(data: JSON, path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


EMBED_MEDIA_SCHEMES = ("http", "https", "attachment")


def _check_embed_media(media: Any, where: list[str | int]) -> None:
    """Embed Image / Thumbnail Structure (docs/resources/message.md): ``url`` is required,
    "only supports http(s) and attachments"; ``proxy_url``, ``height`` and ``width`` are
    filled in by Discord once it has fetched the picture (the fake fetches nothing and
    stores the object as sent)."""
    if not isinstance(media, dict):
        raise form_error(where, "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
    url = media.get("url")
    if not isinstance(url, str) or not url:
        raise form_error([*where, "url"], "BASE_TYPE_REQUIRED", "This field is required")
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in EMBED_MEDIA_SCHEMES or not url[len(scheme) + 1 :].startswith("//"):
        raise form_error(
            [*where, "url"],
            "URL_TYPE_INVALID_SCHEME",
            f'Scheme "{scheme}" is not supported. Scheme must be one of '
            "('http', 'https', 'attachment').",
        )


def validate_embeds(embeds: Any) -> list[JSON]:
    """Apply Discord's embed limits; return the embeds as Discord stores them."""
    if not isinstance(embeds, list):
        raise form_error(["embeds"], "BASE_TYPE_ARRAY", "Must be an array.")
    if len(embeds) > 10:
        raise form_error(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    stored: list[JSON] = []
    for index, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            raise form_error(
                ["embeds", index], "DICT_TYPE_CONVERT", "Only dictionaries may be used."
            )
        for path, limit in EMBED_TEXT_LIMITS:
            text = _dig(embed, path)
            if text is None:
                continue
            if len(str(text)) > limit:
                raise form_error(
                    ["embeds", index, *path],
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {limit} or fewer in length.",
                )
            total += len(str(text))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise form_error(
                ["embeds", index, "fields"],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            )
        for f_index, item in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                text = item.get(key)
                if text is None or str(text) == "":
                    raise form_error(
                        ["embeds", index, "fields", f_index, key],
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    )
                if len(str(text)) > limit:
                    raise form_error(
                        ["embeds", index, "fields", f_index, key],
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {limit} or fewer in length.",
                    )
                total += len(str(text))
        for media in ("image", "thumbnail"):
            if media in embed and embed[media] is not None:
                _check_embed_media(embed[media], ["embeds", index, media])
        kept = copy.deepcopy(embed)
        kept.setdefault("type", "rich")
        kept["content_scan_version"] = 0
        stored.append(kept)
    if total > 6000:
        raise form_error(
            ["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    return stored


def validate_components(components: Any) -> list[JSON]:
    """Apply Discord's rules for message components (action rows of buttons; select menus
    and the v2 layout components are not modelled); return them as Discord stores them."""
    if not isinstance(components, list):
        raise form_error(["components"], "BASE_TYPE_ARRAY", "Must be an array.")
    if len(components) > 5:
        raise form_error(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    custom_ids: set[str] = set()
    for index, row in enumerate(components):
        where: list[str | int] = ["components", index]
        if not isinstance(row, dict) or row.get("type") != ComponentType.ACTION_ROW:
            if isinstance(row, dict) and isinstance(row.get("type"), int) and row["type"] > 2:
                raise NotImplementedError(f"component type {row['type']} is not modelled")
            raise form_error([*where, "type"], "BASE_TYPE_CHOICES", "Must be an action row.")
        children = row.get("components")
        if not isinstance(children, list) or not 1 <= len(children) <= 5:
            raise form_error(
                [*where, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "An action row holds 1 to 5 buttons.",
            )
        for c_index, button in enumerate(children):
            _validate_button(button, [*where, "components", c_index], custom_ids)
    return copy.deepcopy(components)


def _validate_button(button: Any, where: list[str | int], custom_ids: set[str]) -> None:
    if not isinstance(button, dict) or button.get("type") != ComponentType.BUTTON:
        kind = button.get("type") if isinstance(button, dict) else None
        if isinstance(kind, int) and kind > 2:
            raise NotImplementedError(f"component type {kind} is not modelled")
        raise form_error([*where, "type"], "BASE_TYPE_CHOICES", "Must be a button.")
    style = button.get("style")
    if style not in set(ButtonStyle):
        raise form_error([*where, "style"], "BASE_TYPE_CHOICES", "Value must be one of 1-6.")
    label = button.get("label")
    if label is not None and len(str(label)) > 80:
        raise form_error(
            [*where, "label"], "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length."
        )
    custom_id = button.get("custom_id")
    if style == ButtonStyle.LINK:
        if not button.get("url") or custom_id is not None:
            raise form_error(where, "BUTTON_COMPONENT_INVALID_URL", "A link button needs a url.")
        return
    if style == ButtonStyle.PREMIUM:
        raise NotImplementedError("premium buttons are not modelled")
    if not label and not button.get("emoji"):
        raise form_error([*where, "label"], "BASE_TYPE_REQUIRED", "This field is required")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        raise form_error(
            [*where, "custom_id"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    if custom_id in custom_ids:
        raise form_error(
            [*where, "custom_id"],
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    custom_ids.add(custom_id)


def buttons_of(message: JSON) -> list[JSON]:
    """The buttons of a message, row by row."""
    return [c for row in message.get("components") or [] for c in row.get("components") or []]
