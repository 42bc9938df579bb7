"""The fake's REST API v10 (the subset a discord.py bot uses), mounted under /api/v10.

Responses carry ``Content-Type: application/json`` exactly (discord.py's ``json_or_text``
compares the header verbatim), X-RateLimit-* headers, and Discord-shaped errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .gateway import strip_content
from .model import (
    JSON,
    MISSING_ACCESS,
    REQUIRE_TAG,
    ApiError,
    Channel,
    ChannelType,
    Intent,
    MessageFlag,
    MessageRecord,
    MessageType,
    Perm,
    form_error,
    unknown,
)

if TYPE_CHECKING:
    from .server import FakeDiscord, InteractionRecord

API = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FILE_FIELD = re.compile(r"^files\[(\d+)\]$")
BODY = web.RequestKey("fake_discord_body", object)
NOT_ACKNOWLEDGED = ApiError(400, 40060, "Interaction has already been acknowledged.")
THREAD_ARCHIVED = ApiError(
    400,
    50083,
    "Tried to perform an operation on an archived thread, such as editing a message or "
    "adding a user to the thread",
)
THREAD_LOCKED = ApiError(400, 160005, "Thread is locked")


@dataclass
class RequestRecord:
    method: str
    path: str  # relative to /api/v10
    query: dict[str, str]
    status: int
    at: float  # loop time when the response was produced
    body: Any


@dataclass
class RateLimitRule:
    method: str
    prefix: str
    remaining: int
    retry_after: float
    is_global: bool
    scope: str


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def no_content() -> web.Response:
    return web.Response(status=204)


def snowflake_arg(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit():
        raise form_error([name], "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    return int(raw)


def query_snowflake(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise form_error([name], "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    return int(raw)


def bucket_hash(method: str, template: str) -> str:
    return hashlib.md5(f"{method} {template}".encode(), usedforsecurity=False).hexdigest()


class Rest:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    # ---- plumbing -----------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API + "/"):
            return await handler(request)
        rel = request.path[len(API) :]
        try:
            response = await self._guarded(request, rel, handler)
        finally:
            self.fake.notify()
        self.fake.requests.append(
            RequestRecord(
                method=request.method,
                path=rel,
                query=dict(request.query),
                status=response.status,
                at=asyncio.get_running_loop().time(),
                body=request.get(BODY),
            )
        )
        return response

    async def _guarded(
        self, request: web.Request, rel: str, handler: Handler
    ) -> web.StreamResponse:
        unauthenticated = rel.startswith(("/webhooks/", "/interactions/"))
        if (
            not unauthenticated
            and request.headers.get("Authorization") != f"Bot {self.world.token}"
        ):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        for rule in self.fake.rate_limits:
            if (
                rule.remaining > 0
                and rule.method in ("*", request.method)
                and rel.startswith(rule.prefix)
            ):
                rule.remaining -= 1
                return self._too_many(rule, request)
        try:
            response = await handler(request)
        except ApiError as error:
            return json_response(error.body(), error.status)
        except web.HTTPNotFound:
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        except web.HTTPMethodNotAllowed:
            return json_response({"message": "405: Method Not Allowed", "code": 0}, 405)
        except Exception as error:  # a bug in the fake: fail fast (a 5xx makes discord.py retry)
            self.fake.internal_errors.append(error)
            message = f"FakeDiscord internal error: {error!r}"
            return json_response({"message": message, "code": 0}, 400)
        route = request.match_info.route.resource
        template = route.canonical if route is not None else rel
        response.headers.update(
            {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                "X-RateLimit-Reset-After": "1.000",
                "X-RateLimit-Bucket": bucket_hash(request.method, template),
                "Via": "1.1 google",
            }
        )
        return response

    def _too_many(self, rule: RateLimitRule, request: web.Request) -> web.Response:
        headers = {
            "Retry-After": str(math.ceil(rule.retry_after)),
            "Via": "1.1 google",
            "X-RateLimit-Scope": "global" if rule.is_global else rule.scope,
        }
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            route = request.match_info.route.resource
            template = route.canonical if route is not None else request.path
            headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                    "X-RateLimit-Bucket": bucket_hash(request.method, template),
                }
            )
        body = {
            "message": "You are being rate limited.",
            "retry_after": rule.retry_after,
            "global": rule.is_global,
        }
        return json_response(body, 429, headers)

    async def json_body(self, request: web.Request) -> Any:
        if not request.can_read_body:
            request[BODY] = None
            return None
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
        request[BODY] = body
        return body

    async def message_body(
        self, request: web.Request
    ) -> tuple[JSON, dict[int, tuple[str, bytes, str]]]:
        """JSON, or multipart/form-data with ``payload_json`` and ``files[n]`` parts."""
        files: dict[int, tuple[str, bytes, str]] = {}
        if request.content_type == "multipart/form-data":
            form = await request.post()
            raw = form.get("payload_json")
            try:
                body = json.loads(str(raw)) if raw is not None else {}
            except ValueError:
                raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
            for name, value in form.items():
                match = FILE_FIELD.match(name)
                if match and isinstance(value, web.FileField):
                    files[int(match.group(1))] = (
                        value.filename,
                        value.file.read(),
                        value.content_type,
                    )
            request[BODY] = body
        else:
            body = await self.json_body(request) or {}
        if not isinstance(body, dict):
            raise form_error([], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
        return body, files

    def attachments(
        self, channel: Channel, body: JSON, files: dict[int, tuple[str, bytes, str]]
    ) -> list[JSON]:
        declared = {
            str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)
        }
        stored: list[JSON] = []
        for index, (filename, data, content_type) in sorted(files.items()):
            meta = declared.get(str(index), {})
            attachment_id = self.world.ids.next()
            name = meta.get("filename") or filename
            url = f"{self.fake.root_url}/attachments/{channel.id}/{attachment_id}/{name}"
            item: JSON = {
                "id": str(attachment_id),
                "filename": name,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": content_type,
            }
            if meta.get("description"):
                item["description"] = meta["description"]
            self.fake.attachment_blobs[attachment_id] = data
            stored.append(item)
        return stored

    def channel(self, request: web.Request) -> Channel:
        """The channel in the route, if the bot can see it (else 404/403 as Discord)."""
        channel = self.world.get_channel(snowflake_arg(request, "channel_id"))
        if channel.is_dm:
            return channel
        if not self.world.permissions_for(self.world.bot.id, channel) & Perm.VIEW_CHANNEL:
            raise ApiError(*MISSING_ACCESS)
        return channel

    def bot_perms(self, channel: Channel) -> int:
        return self.world.permissions_for(self.world.bot.id, channel)

    def routes(self) -> list[tuple[str, str, Handler]]:
        r = [
            ("GET", "/users/@me", self.get_me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("DELETE", "/users/@me/guilds/{guild_id}", self.leave_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("PATCH", "/channels/{channel_id}", self.edit_channel),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("GET", "/channels/{channel_id}/messages", self.history),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                self.thread_from_message,
            ),
            ("POST", "/channels/{channel_id}/threads", self.thread_without_message),
            ("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread),
            ("DELETE", "/channels/{channel_id}/thread-members/@me", self.leave_thread),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self.react,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self.unreact,
            ),
            (
                "GET",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
                self.reactors,
            ),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("GET", "/webhooks/{application_id}/{token}/messages/@original", self.get_original),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/@original", self.edit_original),
            (
                "DELETE",
                "/webhooks/{application_id}/{token}/messages/@original",
                self.delete_original,
            ),
            ("POST", "/webhooks/{application_id}/{token}", self.create_followup),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self.get_followup),
            (
                "PATCH",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self.edit_followup,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self.delete_followup,
            ),
        ]
        for prefix in (
            "/applications/{application_id}",
            "/applications/{application_id}/guilds/{guild_id}",
        ):
            r += [
                ("GET", prefix + "/commands", self.list_commands),
                ("PUT", prefix + "/commands", self.overwrite_commands),
                ("POST", prefix + "/commands", self.upsert_command),
                ("GET", prefix + "/commands/{command_id}", self.get_command),
                ("DELETE", prefix + "/commands/{command_id}", self.delete_command),
            ]
        return [(method, API + path, handler) for method, path, handler in r]

    # ---- users, application, gateway ---------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        user = self.world.bot.payload()
        user.update(
            verified=True, mfa_enabled=False, email=None, locale="en-US", premium_type=0, bio=""
        )
        return json_response(user)

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(snowflake_arg(request, "user_id"))
        if user is None:
            raise unknown("User")
        return json_response(user.payload())

    async def create_dm(self, request: web.Request) -> web.Response:
        body = await self.json_body(request) or {}
        user = self.world.users.get(int(body.get("recipient_id") or 0))
        if user is None or user.bot:
            raise unknown("User")
        return json_response(self.world.channel_payload(self.world.dm_channel(user)))

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(self.fake.application_payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return json_response(
            {"url": self.fake.gateway_url, "shards": 1, "session_start_limit": limit}
        )

    # ---- guilds ----------------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self.world.get_guild(snowflake_arg(request, "guild_id"))
        data = self.world.guild_payload(guild)
        if request.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return json_response(data)

    async def leave_guild(self, request: web.Request) -> web.Response:
        """Leave Guild: 204, then a GUILD_DELETE without ``unavailable`` (the docs: the
        user was removed). The guild is gone from the bot's view, channels included."""
        guild = self.world.get_guild(snowflake_arg(request, "guild_id"))
        guild.members.pop(self.world.bot.id, None)
        del self.world.guilds[guild.id]
        self.world.left_guilds.append(guild)
        self.world.emit("GUILD_DELETE", {"id": str(guild.id)})
        return no_content()

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self.world.get_guild(snowflake_arg(request, "guild_id"))
        channels = [self.world.channels[c] for c in guild.channel_ids]
        return json_response(
            [
                self.world.channel_payload(c)
                for c in channels
                if self.bot_perms(c) & Perm.VIEW_CHANNEL
            ]
        )

    async def get_roles(self, request: web.Request) -> web.Response:
        guild = self.world.get_guild(snowflake_arg(request, "guild_id"))
        return json_response([r.payload() for r in guild.roles.values()])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self.world.get_guild(snowflake_arg(request, "guild_id"))
        member = guild.members.get(snowflake_arg(request, "user_id"))
        if member is None:
            raise unknown("Member")
        return json_response(member.payload())

    async def active_threads(self, request: web.Request) -> web.Response:
        guild = self.world.get_guild(snowflake_arg(request, "guild_id"))
        bot = self.world.bot.id
        threads = [
            t
            for t in self.world.channels.values()
            if t.is_thread
            and t.guild_id == guild.id
            and not t.archived
            and self.bot_perms(t) & Perm.VIEW_CHANNEL
        ]
        return json_response(
            {
                "threads": [self.world.thread_payload(t) for t in threads],
                "members": [
                    self.world.thread_member_payload(t, bot) for t in threads if bot in t.member_ids
                ],
            }
        )

    # ---- channels ----------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        return json_response(self.world.channel_payload(channel, for_user=self.world.bot.id))

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        body = await self.json_body(request) or {}
        perms = self.bot_perms(channel)
        if channel.is_thread:
            manage = bool(perms & Perm.MANAGE_THREADS)
            bot = self.world.bot.id
            if ("locked" in body or "rate_limit_per_user" in body) and not manage:
                raise ApiError(403, 50013, "Missing Permissions")
            unarchive_only = set(body) <= {"archived"} and body.get("archived") is False
            if unarchive_only and channel.archived and not manage:
                # "Editing a thread to set archived to false only requires the current user
                # has already been added to the thread"; "Threads that have locked set to
                # true can only be unarchived by a user with the MANAGE_THREADS permission".
                if channel.locked:
                    raise THREAD_LOCKED
                if bot not in channel.member_ids:
                    raise ApiError(403, 50013, "Missing Permissions")
            elif not manage and channel.owner_id != bot:
                raise ApiError(403, 50013, "Missing Permissions")
            if channel.locked and not manage and set(body) & {"name", "applied_tags"}:
                raise THREAD_LOCKED  # nor "update properties like its title or tags"
            if "name" in body:
                channel.name = str(body["name"])
            if "auto_archive_duration" in body:
                channel.auto_archive_duration = int(body["auto_archive_duration"])
                channel.last_activity = self.world.now()
            if "applied_tags" in body:
                channel.applied_tags = [int(t) for t in body["applied_tags"] or []]
            if "archived" in body or "locked" in body:
                self.world.set_archived(
                    channel, bool(body.get("archived", channel.archived)), locked=body.get("locked")
                )
            else:
                self.world.emit("THREAD_UPDATE", self.world.thread_payload(channel))
            return json_response(self.world.thread_payload(channel, for_user=self.world.bot.id))
        if not perms & Perm.MANAGE_CHANNELS:
            raise ApiError(403, 50013, "Missing Permissions")
        if "name" in body:
            channel.name = str(body["name"])
        if "topic" in body:
            channel.topic = body["topic"]
        payload = self.world.channel_payload(channel)
        self.world.emit("CHANNEL_UPDATE", payload)
        return json_response(payload)

    async def typing(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        if not channel.is_dm and not self.bot_perms(channel) & self.world.send_permission(channel):
            raise ApiError(403, 50013, "Missing Permissions")
        return no_content()

    # ---- messages ----------------------------------------------------------------------

    async def history(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        raw_limit = request.query.get("limit", "50")
        if not raw_limit.isdigit():
            raise form_error(["limit"], "NUMBER_TYPE_COERCE", f'Value "{raw_limit}" is not int.')
        limit = int(raw_limit)
        if not 1 <= limit <= 100:
            raise form_error(
                ["limit"], "NUMBER_TYPE_MAX", "int value should be less than or equal to 100."
            )
        if not self.bot_perms(channel) & Perm.READ_MESSAGE_HISTORY:
            return json_response([])  # Discord answers an empty list without the permission
        records = self.world.history(
            channel,
            limit=limit,
            around=query_snowflake(request, "around"),
            before=query_snowflake(request, "before"),
            after=query_snowflake(request, "after"),
        )
        return json_response([self.readable(m) for m in records])

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        if not self.bot_perms(channel) & Perm.READ_MESSAGE_HISTORY:
            raise ApiError(403, 50001, "Missing Access")
        record = self.world.get_message(channel, snowflake_arg(request, "message_id"))
        return json_response(self.readable(record))

    def readable(self, record: MessageRecord) -> JSON:
        """A message as the app may read it over REST: Discord applies the Message Content
        rule to REST too ("This endpoint is restricted according to whether the
        MESSAGE_CONTENT Privileged Intent is enabled for your application"), by the
        application's setting, not by what a gateway session asked for."""
        payload = self.world.message_payload(record)
        if self.fake.gateway.allowed_privileged_intents & Intent.MESSAGE_CONTENT:
            return payload
        if record.guild_id is None:
            return payload
        stripped = strip_content({**payload, "guild_id": str(record.guild_id)}, self.world.bot.id)
        stripped.pop("guild_id", None)
        return stripped

    def _check_can_send(self, channel: Channel) -> None:
        if channel.type == ChannelType.GUILD_FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.is_dm:
            recipient = self.world.users[channel.recipient_id or 0]
            if not recipient.accepts_dms:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        perms = self.bot_perms(channel)
        if not perms & self.world.send_permission(channel):
            raise ApiError(403, 50013, "Missing Permissions")
        if channel.is_thread and channel.locked and not perms & Perm.MANAGE_THREADS:
            raise THREAD_LOCKED

    def _bot_body(self, channel: Channel, body: JSON, files: dict[int, Any]) -> JSON:
        perms = (
            self.bot_perms(channel) if not channel.is_dm else Perm.EMBED_LINKS | Perm.ATTACH_FILES
        )
        if files and not perms & Perm.ATTACH_FILES:
            raise ApiError(403, 50013, "Missing Permissions")
        if (
            body.get("message_reference")
            and not channel.is_dm
            and not perms & Perm.READ_MESSAGE_HISTORY
        ):
            raise ApiError(403, 50013, "Missing Permissions")
        if body.get("embeds") and not perms & Perm.EMBED_LINKS:
            body = {**body, "embeds": []}  # Discord drops embeds silently without EMBED_LINKS
        return body

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        body, files = await self.message_body(request)
        self._check_can_send(channel)
        effective = self._bot_body(channel, body, files)
        record, created = self.world.create_message(
            channel,
            self.world.bot,
            effective,
            attachments=self.attachments(channel, body, files),
            request=body,
        )
        self.fake.record_bot_send(record, body, f"POST /channels/{channel.id}/messages", created)
        return json_response(self.world.message_payload(record, with_nonce=True))

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        record = self.world.get_message(channel, snowflake_arg(request, "message_id"))
        body, _files = await self.message_body(request)
        if record.author_id != self.world.bot.id:
            only_flags = set(body) <= {"flags"}
            if not (only_flags and self.bot_perms(channel) & Perm.MANAGE_MESSAGES):
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        if channel.is_thread:
            if channel.locked and not self.bot_perms(channel) & Perm.MANAGE_THREADS:
                raise THREAD_LOCKED  # "won't be able to create or update messages"
            if channel.archived:
                raise THREAD_ARCHIVED
        self.world.edit_message(record, body)
        self.fake.bot_edits.append((record.id, body))
        return json_response(self.world.message_payload(record))

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        record = self.world.get_message(channel, snowflake_arg(request, "message_id"))
        if (
            record.author_id != self.world.bot.id
            and not self.bot_perms(channel) & Perm.MANAGE_MESSAGES
        ):
            raise ApiError(403, 50013, "Missing Permissions")
        self.world.delete_message(record)
        return no_content()

    # ---- threads -----------------------------------------------------------------------

    async def thread_from_message(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        body = await self.json_body(request) or {}
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        record = self.world.get_message(channel, snowflake_arg(request, "message_id"))
        if not self.bot_perms(channel) & Perm.CREATE_PUBLIC_THREADS:
            raise ApiError(403, 50013, "Missing Permissions")
        if record.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        kind = ChannelType.PUBLIC_THREAD if channel.type == ChannelType.GUILD_TEXT else 10
        thread = self.world.create_thread(
            channel,
            self.world.bot,
            name=body.get("name"),
            thread_type=kind,
            auto_archive_duration=body.get("auto_archive_duration"),
            # Discord: "The created thread and the message it was started from will share
            # the same id".
            thread_id=record.id,
        )
        record.thread_id = thread.id
        record.data["flags"] = int(record.data["flags"]) | MessageFlag.HAS_THREAD
        self.world.emit("MESSAGE_UPDATE", self.world.message_payload(record, gateway=True))
        starter_reference = {
            "type": 0,
            "message_id": str(record.id),
            "channel_id": str(channel.id),
            "guild_id": str(channel.guild_id),
        }
        self.world.create_message(
            thread,
            self.world.users[record.author_id],
            {},
            kind=MessageType.THREAD_STARTER_MESSAGE,
            extra={"message_reference": starter_reference},
            system=True,
            emit=False,
        )
        return json_response(self.world.thread_payload(thread, for_user=self.world.bot.id), 201)

    async def thread_without_message(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        if channel.type == ChannelType.GUILD_FORUM:
            return await self._forum_post(request, channel)
        body = await self.json_body(request) or {}
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        kind = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        if kind not in (10, 11, 12):
            raise form_error(["type"], "BASE_TYPE_CHOICES", "Value must be one of {10, 11, 12}.")
        needed = (
            Perm.CREATE_PRIVATE_THREADS
            if kind == ChannelType.PRIVATE_THREAD
            else Perm.CREATE_PUBLIC_THREADS
        )
        if not self.bot_perms(channel) & needed:
            raise ApiError(403, 50013, "Missing Permissions")
        thread = self.world.create_thread(
            channel,
            self.world.bot,
            name=body.get("name"),
            thread_type=kind,
            auto_archive_duration=body.get("auto_archive_duration"),
        )
        if kind != ChannelType.PRIVATE_THREAD:
            self.world.create_message(
                channel,
                self.world.bot,
                {"content": thread.name},
                kind=MessageType.THREAD_CREATED,
                extra={
                    "message_reference": {
                        "channel_id": str(thread.id),
                        "guild_id": str(thread.guild_id),
                    }
                },
                system=True,
            )
        return json_response(self.world.thread_payload(thread, for_user=self.world.bot.id), 201)

    async def _forum_post(self, request: web.Request, forum: Channel) -> web.Response:
        body, files = await self.message_body(request)
        if not self.bot_perms(forum) & Perm.SEND_MESSAGES:
            raise ApiError(403, 50013, "Missing Permissions")
        message = body.get("message")
        if not isinstance(message, dict):
            raise form_error(["message"], "BASE_TYPE_REQUIRED", "This field is required")
        tags = [int(t) for t in body.get("applied_tags") or []]
        check_forum_tags(forum, tags, manage=bool(self.bot_perms(forum) & Perm.MANAGE_THREADS))
        self.world.check_message_body(message, has_attachments=bool(files))
        thread = self.world.create_thread(
            forum,
            self.world.bot,
            name=body.get("name"),
            thread_type=ChannelType.PUBLIC_THREAD,
            auto_archive_duration=body.get("auto_archive_duration"),
            applied_tags=tags,
        )
        thread.starter_message_id = thread.id
        record, _ = self.world.create_message(
            thread,
            self.world.bot,
            self._bot_body(forum, message, files),
            attachments=self.attachments(thread, message, files),
            request=body,
            message_id=thread.id,  # a forum post's first message shares the thread's id
        )
        self.fake.record_bot_send(record, body, f"POST /channels/{forum.id}/threads", True)
        payload = self.world.thread_payload(thread, for_user=self.world.bot.id)
        payload["message"] = self.world.message_payload(record, with_nonce=True)
        return json_response(payload, 201)

    async def archived_threads(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        if not self.bot_perms(channel) & Perm.READ_MESSAGE_HISTORY:
            raise ApiError(403, 50001, "Missing Access")
        limit = int(request.query.get("limit", "50"))
        before = request.query.get("before")
        threads = [
            t
            for t in self.world.channels.values()
            if t.is_thread
            and t.parent_id == channel.id
            and t.archived
            and t.type != ChannelType.PRIVATE_THREAD
        ]
        threads.sort(key=lambda t: t.archive_timestamp, reverse=True)
        if before:
            threads = [t for t in threads if t.archive_timestamp < before]
        bot = self.world.bot.id
        page = threads[:limit]
        return json_response(
            {
                "threads": [self.world.thread_payload(t) for t in page],
                "members": [
                    self.world.thread_member_payload(t, bot) for t in page if bot in t.member_ids
                ],
                "has_more": len(threads) > limit,
            }
        )

    async def join_thread(self, request: web.Request) -> web.Response:
        thread = self.channel(request)
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        self.world.join_thread(thread, self.world.bot.id)
        return no_content()

    async def leave_thread(self, request: web.Request) -> web.Response:
        thread = self.channel(request)
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        thread.member_ids.pop(self.world.bot.id, None)
        return no_content()

    # ---- reactions ---------------------------------------------------------------------

    def _reaction_target(self, request: web.Request) -> tuple[Channel, MessageRecord, str]:
        channel = self.channel(request)
        record = self.world.get_message(channel, snowflake_arg(request, "message_id"))
        key = self.world.emoji_key(self.world.guild_of(channel), request.match_info["emoji"])
        return channel, record, key

    async def react(self, request: web.Request) -> web.Response:
        channel, record, key = self._reaction_target(request)
        perms = self.bot_perms(channel)
        if not perms & Perm.READ_MESSAGE_HISTORY:
            raise ApiError(403, 50013, "Missing Permissions")
        if key not in record.reactions and not perms & Perm.ADD_REACTIONS:
            raise ApiError(403, 50013, "Missing Permissions")
        if channel.is_thread and channel.archived:
            raise THREAD_ARCHIVED  # "Users cannot ... add reactions ... in archived threads"
        self.world.add_reaction(record, self.world.bot.id, key)
        return no_content()

    async def unreact(self, request: web.Request) -> web.Response:
        _channel, record, key = self._reaction_target(request)
        self.world.remove_reaction(record, self.world.bot.id, key)
        return no_content()

    async def reactors(self, request: web.Request) -> web.Response:
        _channel, record, key = self._reaction_target(request)
        users = [self.world.users[u].payload() for u in record.reactions.get(key, [])]
        return json_response(users[: int(request.query.get("limit", "25"))])

    # ---- application commands --------------------------------------------------------------

    def _command_scope(self, request: web.Request) -> int | None:
        if snowflake_arg(request, "application_id") != self.world.application_id:
            raise ApiError(
                403, 20012, "You are not authorized to perform this action on this application"
            )
        if "guild_id" not in request.match_info:
            return None
        guild = self.world.guilds.get(snowflake_arg(request, "guild_id"))
        if guild is None or self.world.bot.id not in guild.members:
            raise ApiError(*MISSING_ACCESS)
        return guild.id

    async def list_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        return json_response(list(self.world.commands.get(scope, {}).values()))

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body = await self.json_body(request)
        return json_response(self.world.overwrite_commands(scope, body))

    async def upsert_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        command = self.world.normalize_command(await self.json_body(request), scope, None)
        commands = self.world.commands.setdefault(scope, {})
        created = int(command["id"]) not in commands
        commands[int(command["id"])] = command
        return json_response(command, 201 if created else 200)

    def _command(self, request: web.Request) -> tuple[int | None, int]:
        scope = self._command_scope(request)
        command_id = snowflake_arg(request, "command_id")
        if command_id not in self.world.commands.get(scope, {}):
            raise unknown("application command")
        return scope, command_id

    async def get_command(self, request: web.Request) -> web.Response:
        scope, command_id = self._command(request)
        return json_response(self.world.commands[scope][command_id])

    async def delete_command(self, request: web.Request) -> web.Response:
        scope, command_id = self._command(request)
        del self.world.commands[scope][command_id]
        return no_content()

    # ---- interactions and their webhooks ---------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.Response:
        record = self.fake.interactions_by_id.get(snowflake_arg(request, "interaction_id"))
        if record is None or record.token != request.match_info["token"]:
            raise unknown("interaction")
        body, files = await self.message_body(request)
        if record.acknowledged:
            raise NOT_ACKNOWLEDGED
        if asyncio.get_running_loop().time() - record.created_at > self.fake.interaction_deadline:
            raise unknown("interaction")  # Discord: a response must arrive within 3 seconds
        kind = body.get("type")
        data = body.get("data") or {}
        if kind not in (1, 4, 5, 6, 7, 8, 9, 10):
            raise form_error(
                ["type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10}."
            )
        channel = self.world.channels[record.channel_id]
        ephemeral = bool(int(data.get("flags") or 0) & MessageFlag.EPHEMERAL)
        message: MessageRecord | None = None
        if kind in (4, 5):
            message = self._interaction_message(
                record,
                channel,
                data if kind == 4 else {},
                ephemeral=ephemeral,
                loading=kind == 5,
                attachments=self.attachments(channel, data, files),
                request=body,
            )
            record.original = message
        record.callbacks.append(body)
        record.acknowledged = True
        record.responded.set()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        callback: JSON = {
            "interaction": {
                "id": str(record.id),
                "type": record.payload["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            },
        }
        if message is not None:
            callback["interaction"]["response_message_id"] = str(message.id)
            callback["resource"] = {"type": kind, "message": self.world.message_payload(message)}
        else:
            callback["resource"] = {"type": kind}
        return json_response(callback)

    def _interaction_message(
        self,
        record: InteractionRecord,
        channel: Channel,
        data: JSON,
        *,
        ephemeral: bool,
        loading: bool,
        attachments: list[JSON],
        request: JSON,
        followup: bool = False,
    ) -> MessageRecord:
        extra: JSON = {
            "webhook_id": str(self.world.application_id),
            "application_id": str(self.world.application_id),
            "interaction_metadata": record.metadata(),
        }
        if not followup and record.kind == 2:
            extra["interaction"] = record.legacy_interaction()
        message, _ = self.world.create_message(
            channel,
            self.world.bot,
            data,
            kind=MessageType.CHAT_INPUT_COMMAND if record.kind == 2 else MessageType.DEFAULT,
            extra=extra,
            attachments=attachments,
            ephemeral=ephemeral,
            request=request,
            system=loading,
            force_flags=MessageFlag.LOADING if loading else 0,
        )
        route = (
            "POST /webhooks (followup)" if followup else f"POST /interactions/{record.id}/callback"
        )
        self.fake.record_bot_send(message, request, route, True)
        return message

    def _interaction_for_webhook(self, request: web.Request) -> InteractionRecord:
        record = self.fake.interactions_by_token.get(request.match_info["token"])
        if record is None or snowflake_arg(request, "application_id") != self.world.application_id:
            raise unknown("Webhook")
        return record

    def _webhook_message(self, request: web.Request, record: InteractionRecord) -> MessageRecord:
        raw = request.match_info.get("message_id", "@original")
        if raw == "@original":
            if record.original is None or record.original.deleted:
                raise unknown("Message")
            return record.original
        wanted = snowflake_arg(request, "message_id")
        for message in [record.original, *record.followups]:
            if message is not None and message.id == wanted and not message.deleted:
                return message
        raise unknown("Message")

    async def get_original(self, request: web.Request) -> web.Response:
        record = self._interaction_for_webhook(request)
        return json_response(self.world.message_payload(self._webhook_message(request, record)))

    async def edit_original(self, request: web.Request) -> web.Response:
        record = self._interaction_for_webhook(request)
        message = self._webhook_message(request, record)
        body, files = await self.message_body(request)
        if files:
            channel = self.world.channels[message.channel_id]
            message.data["attachments"] = [
                *message.data["attachments"],
                *self.attachments(channel, body, files),
            ]
        self.world.edit_message(message, body)
        self.fake.bot_edits.append((message.id, body))
        record.edits.append(body)
        self.fake.notify()
        return json_response(self.world.message_payload(message))

    async def delete_original(self, request: web.Request) -> web.Response:
        record = self._interaction_for_webhook(request)
        self.world.delete_message(self._webhook_message(request, record))
        return no_content()

    async def create_followup(self, request: web.Request) -> web.Response:
        record = self._interaction_for_webhook(request)
        if not record.acknowledged:
            raise unknown("Webhook")
        body, files = await self.message_body(request)
        channel = self.world.channels[record.channel_id]
        ephemeral = bool(int(body.get("flags") or 0) & MessageFlag.EPHEMERAL)
        message = self._interaction_message(
            record,
            channel,
            body,
            ephemeral=ephemeral,
            loading=False,
            attachments=self.attachments(channel, body, files),
            request=body,
            followup=True,
        )
        record.followups.append(message)
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(self.world.message_payload(message))
        return no_content()

    async def get_followup(self, request: web.Request) -> web.Response:
        return await self.get_original(request)

    async def edit_followup(self, request: web.Request) -> web.Response:
        return await self.edit_original(request)

    async def delete_followup(self, request: web.Request) -> web.Response:
        return await self.delete_original(request)


def check_forum_tags(forum: Channel, tags: list[int], *, manage: bool) -> None:
    """A forum post's ``applied_tags`` as Discord checks them: known tags; with REQUIRE_TAG
    at least one (40067, or 40066 when every tag is moderated and the poster cannot set
    them); a moderated tag only from someone with Manage Threads."""
    by_id = {int(t["id"]): t for t in forum.available_tags}
    for index, tag in enumerate(tags):
        if tag not in by_id:
            raise form_error(["applied_tags", index], "FORUM_TAG_UNKNOWN", "Unknown forum tag")
    if not manage and any(by_id[t].get("moderated") for t in tags):
        # The docs say a moderated tag "can only be added to or removed from threads by a
        # member with the MANAGE_THREADS permission" but not which error: a guess.
        raise ApiError(403, 50013, "Missing Permissions")
    if forum.flags & REQUIRE_TAG and not tags:
        settable = [t for t in by_id.values() if manage or not t.get("moderated")]
        if not settable:
            raise ApiError(
                400, 40066, "There are no tags available that can be set by non-moderators"
            )
        raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
