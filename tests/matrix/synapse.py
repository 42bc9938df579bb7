"""A real Synapse homeserver for tests, run as a subprocess on loopback.

Plain module (no pytest imports) so it can also be used from scripts and benchmarks.

Typical use::

    server = SynapseServer.start(workdir, python=Path(".venv-synapse/bin/python"))
    alice = server.register("alice", "secret")
    client = await server.client(alice)
    ...
    await client.close()
    server.stop()

Synapse runs from its own venv (see ``.ci/install-synapse``); this module only needs the
standard library plus matrix-nio for :meth:`SynapseServer.client`. Config files are written
as JSON, which YAML parsers accept, so no YAML library is needed on the test side.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import hmac
import inspect
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

import nio

__all__ = [
    "RegisteredUser",
    "SynapseError",
    "SynapseServer",
    "free_port",
    "sync_into_buffer",
    "wait_for",
    "wait_for_event",
]

T = TypeVar("T")

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 10.0
SERVER_NAME = "localhost"
PIDFILE_ENV = "SYNAPSE_PIDFILE"
LOG_TAIL_LINES = 40

# Every client-side rate limit, raised far beyond what a test can hit. A rate-limited
# request would otherwise make matrix-nio (or the bot) sleep and retry.
_UNLIMITED = {"per_second": 100_000, "burst_count": 100_000}
RATE_LIMITS: dict[str, Any] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {
        "address": _UNLIMITED,
        "account": _UNLIMITED,
        "failed_attempts": _UNLIMITED,
    },
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_key_requests": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_invites": {
        "per_room": _UNLIMITED,
        "per_user": _UNLIMITED,
        "per_issuer": _UNLIMITED,
    },
    "rc_third_party_invite": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_room_creation": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
}


class SynapseError(RuntimeError):
    """Synapse failed to start, stop or answer an admin request."""


@dataclass(frozen=True)
class RegisteredUser:
    """A user created through the shared-secret registration API."""

    user_id: str
    access_token: str
    device_id: str
    username: str
    password: str


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last ``lines`` lines of ``path`` (or a note that it is missing)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"<{path} not readable>"
    return "\n".join(text.splitlines()[-lines:])


# Servers still running, stopped at interpreter exit (KeyboardInterrupt, failed teardown).
_LIVE: weakref.WeakSet[SynapseServer] = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop()


@dataclass(eq=False)  # identity semantics: hashable, kept in a WeakSet
class SynapseServer:
    """A Synapse process listening on ``127.0.0.1:<port>``, data in ``workdir``.

    Create it with :meth:`start`; everything here is synchronous (stdlib HTTP), except
    :meth:`client`, which returns a matrix-nio client for use in async tests.
    """

    workdir: Path
    python: Path
    port: int
    server_name: str = SERVER_NAME
    shared_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    startup_timeout: float = STARTUP_TIMEOUT
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    start_seconds: float = field(default=0.0, init=False)

    # -- lifecycle ----------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        workdir: Path,
        python: Path,
        *,
        port: int | None = None,
        server_name: str = SERVER_NAME,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> SynapseServer:
        """Write a config into ``workdir``, start Synapse and wait until it answers.

        ``python`` is the interpreter of the venv Synapse is installed in. Raises
        :class:`SynapseError` (with the log tail) if it exits or does not answer within
        ``startup_timeout`` seconds.
        """
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        server = cls(
            workdir=workdir,
            python=Path(python),
            port=port if port is not None else free_port(),
            server_name=server_name,
            startup_timeout=startup_timeout,
        )
        server.write_config()
        server._spawn()
        return server

    @property
    def url(self) -> str:
        """Base URL of the client API, e.g. ``http://127.0.0.1:8765``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        """Path of the generated ``homeserver.yaml``."""
        return self.workdir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        """Synapse's own log file (WARNING and above)."""
        return self.workdir / "homeserver.log"

    @property
    def output_path(self) -> Path:
        """File receiving the subprocess's stdout and stderr."""
        return self.workdir / "synapse.out"

    @property
    def pidfile(self) -> Path:
        """Where the pid is written: ``$SYNAPSE_PIDFILE`` or ``<workdir>/synapse.pid``."""
        env = os.environ.get(PIDFILE_ENV)
        return Path(env) if env else self.workdir / "synapse.pid"

    @property
    def pid(self) -> int | None:
        """Pid of the running process, or None when stopped."""
        return self.process.pid if self.process and self.process.poll() is None else None

    def write_config(self) -> None:
        """Write ``homeserver.yaml`` and the log config (as JSON, a subset of YAML)."""
        log_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "precise": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "level": "WARNING",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
        }
        log_config_path = self.workdir / "log.config.yaml"
        log_config_path.write_text(json.dumps(log_config, indent=2))

        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": self.url + "/",
            "pid_file": str(self.workdir / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.workdir / "homeserver.db")},
            },
            "log_config": str(log_config_path),
            "media_store_path": str(self.workdir / "media_store"),
            "signing_key_path": str(self.workdir / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": self.shared_secret + "-macaroon",
            "form_secret": self.shared_secret + "-form",
            "report_stats": False,
            "enable_registration": False,
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "bcrypt_rounds": 4,
            "enable_metrics": False,
            "url_preview_enabled": False,
            **RATE_LIMITS,
        }
        self.config_path.write_text(json.dumps(config, indent=2))

    def _spawn(self) -> None:
        """Start the subprocess, record its pid and wait for ``/versions``."""
        if self.pid is not None:
            raise SynapseError(f"Synapse already running (pid {self.pid})")
        began = time.monotonic()
        with self.output_path.open("ab") as out:
            self.process = subprocess.Popen(
                [str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: signals reach only Synapse
            )
        try:
            _LIVE.add(self)
            self.pidfile.parent.mkdir(parents=True, exist_ok=True)
            self.pidfile.write_text(f"{self.process.pid}\n")
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began

    def _wait_until_ready(self) -> None:
        """Poll ``GET /_matrix/client/versions`` until it answers 200."""
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise SynapseError(
                    f"Synapse exited with code {code} during startup.\n"
                    f"--- {self.output_path} ---\n{_tail(self.output_path)}\n"
                    f"--- {self.log_path} ---\n{_tail(self.log_path)}"
                )
            try:
                with urllib.request.urlopen(
                    self.url + "/_matrix/client/versions", timeout=2
                ) as resp:
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise SynapseError(
                    f"Synapse did not answer on {self.url} within {self.startup_timeout:.0f} s.\n"
                    f"--- {self.output_path} ---\n{_tail(self.output_path)}\n"
                    f"--- {self.log_path} ---\n{_tail(self.log_path)}"
                )
            time.sleep(0.05)  # polling interval, not a fixed wait

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop Synapse: SIGTERM its process group, SIGKILL after ``timeout`` seconds.

        Safe to call more than once.
        """
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        if proc is not None:
            # Only remove the pidfile if it still names our process.
            with contextlib.suppress(OSError):
                if self.pidfile.read_text().strip() == str(proc.pid):
                    self.pidfile.unlink()
        _LIVE.discard(self)

    def restart(self) -> None:
        """Stop (if running) and start again on the same port, data and secrets.

        Also brings back a server stopped with :meth:`stop`. Blocks for about a second;
        from async tests that keep a bot running meanwhile, use :meth:`arestart`.
        """
        self.stop()
        self._spawn()

    async def astop(self) -> None:
        """:meth:`stop` in a worker thread, so the event loop keeps running."""
        await asyncio.to_thread(self.stop)

    async def arestart(self) -> None:
        """:meth:`restart` in a worker thread, so the event loop keeps running."""
        await asyncio.to_thread(self.restart)

    def memory_kib(self) -> int | None:
        """Resident set size (VmRSS) of the running process in KiB, if known."""
        pid = self.pid
        if pid is None:
            return None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    # -- admin API (synchronous, stdlib) -------------------------------------------------

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send a JSON request to Synapse and return the decoded JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SynapseError(f"{method} {path} -> HTTP {exc.code}: {detail}") from exc

    def register(
        self, username: str, password: str | None = None, *, admin: bool = False
    ) -> RegisteredUser:
        """Create a user with the shared-secret admin API and return its login.

        ``password`` defaults to a random one (kept in the result). Synchronous: about
        10 ms a user with ``bcrypt_rounds: 4``.
        """
        password = password if password is not None else secrets.token_urlsafe(12)
        path = "/_synapse/admin/v1/register"
        nonce = self._request("GET", path)["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), username.encode(), password.encode()]))
        mac.update(b"\x00admin" if admin else b"\x00notadmin")
        answer = self._request(
            "POST",
            path,
            {
                "nonce": nonce,
                "username": username,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return RegisteredUser(
            user_id=answer["user_id"],
            access_token=answer["access_token"],
            device_id=answer["device_id"],
            username=username,
            password=password,
        )

    async def aregister(
        self, username: str, password: str | None = None, *, admin: bool = False
    ) -> RegisteredUser:
        """:meth:`register` in a worker thread, for async code that must not block."""
        return await asyncio.to_thread(self.register, username, password, admin=admin)

    # -- matrix-nio ------------------------------------------------------------------------

    @staticmethod
    def client_config(**overrides: Any) -> nio.AsyncClientConfig:
        """An AsyncClientConfig that fails fast instead of retrying forever.

        ``max_limit_exceeded=0``: a 429 is returned, never slept on. ``max_timeouts=5``
        with a short backoff rides out a :meth:`restart` (about 1-2 s) but not more.
        """
        settings: dict[str, Any] = {
            "max_limit_exceeded": 0,
            "max_timeouts": 5,
            "backoff_factor": 0.1,
            "max_timeout_retry_wait_time": 2.0,
            "request_timeout": 10.0,
            "encryption_enabled": False,
            "store_sync_tokens": False,
        }
        settings.update(overrides)
        return nio.AsyncClientConfig(**settings)

    async def client(
        self, user: RegisteredUser, *, config: nio.AsyncClientConfig | None = None
    ) -> nio.AsyncClient:
        """A matrix-nio client already logged in as ``user`` (via its access token).

        The caller must ``await client.close()``.
        """
        client = nio.AsyncClient(
            self.url,
            user.user_id,
            device_id=user.device_id,
            config=config or self.client_config(),
        )
        client.restore_login(user.user_id, user.device_id, user.access_token)
        return client


# -- polling helpers -----------------------------------------------------------------------


@overload
async def wait_for(
    predicate: Callable[[], Awaitable[T]],
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
    message: str = ...,
) -> T: ...


@overload
async def wait_for(
    predicate: Callable[[], T],
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
    message: str = ...,
) -> T: ...


async def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for polling, not one awaited call
    interval: float = 0.05,
    message: str = "condition",
) -> Any:
    """Call ``predicate`` (sync or async) until it returns something truthy; return that.

    Raises :class:`TimeoutError` after ``timeout`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() >= deadline:
            raise TimeoutError(f"{message} not met within {timeout} s")
        await asyncio.sleep(interval)


@dataclass
class _EventBuffer:
    """Events a client has synced but no :func:`wait_for_event` call has returned yet."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_BUFFERS: weakref.WeakKeyDictionary[nio.AsyncClient, _EventBuffer] = weakref.WeakKeyDictionary()

# The first (initial) sync returns up to this many recent events per room.
_SYNC_FILTER = {"room": {"timeline": {"limit": 100}}}


async def sync_into_buffer(client: nio.AsyncClient, timeout_ms: int = 500) -> None:
    """Run one sync for ``client`` and append every new event source to its buffer.

    Timeline events of joined rooms and stripped state of invites are kept, per room. Do not
    mix with ``client.sync_forever`` on the same client: both would consume the sync token.
    """
    buffer = _BUFFERS.setdefault(client, _EventBuffer())
    response = await asyncio.wait_for(
        client.sync(timeout=timeout_ms, sync_filter=_SYNC_FILTER),
        timeout=timeout_ms / 1000 + 15,
    )
    if isinstance(response, nio.SyncError):
        raise AssertionError(f"sync failed for {client.user_id}: {response}")
    if client.olm is not None:
        await _encryption_upkeep(client, buffer)
    for room_id, joined in response.rooms.join.items():
        buffer.events.setdefault(room_id, []).extend(
            _with_room(_event_source(e), room_id) for e in joined.timeline.events
        )
    for room_id, invited in response.rooms.invite.items():
        buffer.events.setdefault(room_id, []).extend(_event_source(e) for e in invited.invite_state)


async def _encryption_upkeep(client: nio.AsyncClient, buffer: _EventBuffer) -> None:
    """What ``sync_forever`` does between syncs for a client with encryption, devices
    trusted on first use; buffered events whose key came late are decrypted now."""
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()
    for events in buffer.events.values():
        for index, source in enumerate(events):
            if source.get("type") != "m.room.encrypted" or "room_id" not in source:
                continue
            event = nio.MegolmEvent.from_dict(source)
            if isinstance(event, nio.MegolmEvent):
                event.room_id = source["room_id"]
                with contextlib.suppress(nio.EncryptionError):
                    decrypted = client.decrypt_event(event)
                    if not isinstance(decrypted, nio.MegolmEvent):
                        events[index] = _event_source(decrypted)


def _with_room(source: dict[str, Any], room_id: str) -> dict[str, Any]:
    """Undecrypted events keep their room, so a late key can still decrypt them."""
    return {**source, "room_id": room_id} if source.get("type") == "m.room.encrypted" else source


def _event_source(event: Any) -> dict[str, Any]:
    """The event's JSON as received. matrix-nio 0.26 pops ``content`` out of the source of
    invite-state member events while parsing; put it back."""
    source = dict(getattr(event, "source", None) or {})
    if "content" not in source and isinstance(getattr(event, "content", None), dict):
        source["content"] = event.content
    return source


async def wait_for_event(
    client: nio.AsyncClient,
    room_id: str,
    match: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for polling, not one awaited call
    *,
    consume: bool = True,
) -> dict[str, Any]:
    """Sync ``client`` until an event in ``room_id`` satisfies ``match``; return its source.

    Events are looked for among those synced since the client's first sync through these
    helpers, oldest first; each client keeps a buffer so nothing is lost between calls. With
    ``consume`` (the default) the returned event is dropped from the buffer, so a second
    call with the same ``match`` waits for the next such event. Raises :class:`TimeoutError`
    with the event types seen.
    """
    buffer = _BUFFERS.setdefault(client, _EventBuffer())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with buffer.lock:
        while True:
            pending = buffer.events.get(room_id, [])
            for index, source in enumerate(pending):
                if match(source):
                    if consume:
                        del pending[index]
                    return source
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [(e.get("type"), e.get("sender")) for e in pending]
                raise TimeoutError(
                    f"no matching event in {room_id} for {client.user_id} within {timeout} s;"
                    f" unmatched events: {seen}"
                )
            await sync_into_buffer(client, timeout_ms=max(50, min(500, int(remaining * 1000))))
