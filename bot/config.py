"""Settings: loaded once at start-up from a TOML file and the environment, then passed in.

Every problem is collected and reported in one :class:`ConfigError` naming each bad key and
where it came from, so an admin fixes them all in one go. Secrets come only from the
environment (or a ``.env`` file that ``__main__`` loads into it) and never show in ``repr``.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import config_checks as check
from bot.core.template import Template, TemplateError
from bot.core.template import from_config as template_from_config
from bot.datapath import database_path
from bot.feeds.filters import FilterError, parse_spec
from bot.storage.sqlite.files import DEFAULT_DATABASE

BUNDLED_FEED = "bundled:example-feed.xml"
DEFAULT_CONFIG = Path("config/bot.toml")
TRUST_POLICIES = ("tofu", "verified")  # [matrix] trust


class ConfigError(Exception):
    """Start-up settings are missing or malformed; the message names every bad key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("configuration problems:\n  - " + "\n  - ".join(problems))


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class FeedSettings:
    url: str
    targets: tuple[str, ...]  # "platform:channel"
    authors: tuple[str, ...] = ()  # "platform:user id"
    title: str = ""
    interval_s: int | None = None
    full_article: str | None = None  # "teasers" | "always" | "never"; None: [polling]'s
    filters: tuple[str, ...] = ()  # "include|exclude <field> <pattern>", as !feed filter takes
    max_per_day: int | None = None  # new entries a day at most; None: no cap
    template: Template | None = None  # the summary's heading and blocks; None: default


FULL_ARTICLE_MODES = ("teasers", "always", "never")


@dataclass(frozen=True, slots=True)
class QuestionSettings:
    """Guard rails on questions: the ``[questions]`` table."""

    max_chars: int = 2000  # longer questions are refused with the limit stated
    max_per_hour: int = 10  # per member, across every channel and platform


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How feeds are fetched: the ``[polling]`` table (documented in config/bot.example.toml)."""

    user_agent: str = "pointbot/0.1"
    contact: str = ""  # an email address or URL, sent in the User-Agent
    interval_s: int = 900
    failures_before_pause: int = 5
    timeout_s: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_concurrent: int = 16
    max_per_host: int = 2
    fetch_full_article: str = "teasers"
    allow_private_addresses: tuple[str, ...] = ()  # CIDR networks feeds may resolve into


@dataclass(frozen=True, slots=True)
class MatrixSettings:
    homeserver: str
    user_id: str
    password: Secret | None
    access_token: Secret | None
    device_name: str = "pointbot"
    # When either is set, the bot joins and answers only these rooms (ids or aliases) and
    # rooms on these homeservers (server names), and leaves any other it is invited to.
    allowed_rooms: tuple[str, ...] = ()
    allowed_homeservers: tuple[str, ...] = ()
    # End-to-end encryption: on when matrix-nio's crypto is installed, unless turned off.
    encryption: bool = True
    # The encryption keys and saved login; None: a "matrix-store" folder beside the database.
    store_path: Path | None = None
    trust: str = "tofu"  # "tofu" (every member's device) or "verified" (cross-signed only)
    store_key: Secret | None = None  # MATRIX_STORE_KEY: passphrase sealing the stored keys


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: Secret
    auto_archive_minutes: int = 1440
    # When set, the bot serves only these servers (guild ids) and leaves any other.
    allowed_guilds: tuple[str, ...] = ()
    # Sharding (several processes): Discord splits guilds over shard_count gateway
    # sessions, guild (id >> 22) % shard_count going to shard that; this process runs
    # shard_ids (None: every shard, 0..shard_count-1). Each id runs in one process only.
    shard_count: int = 1
    shard_ids: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """Lease lengths for several processes on one database (seconds). A process renews
    its leases every third of their length; a dead one's work moves to another after
    at most one length."""

    # Which process runs Matrix, and which polls each feed.
    lease_seconds: float = 30.0
    # How long a claimed outbox row stays a worker's before another may send it (with the
    # same idempotency key): longer than the slowest send plus its retries' timeouts.
    outbox_lease_seconds: float = 120.0


@dataclass(frozen=True, slots=True)
class WebSettings:
    """``[web]``: the bot's own HTTP server: ``/metrics``, ``/healthz`` and, with
    ``public_url``, the author's desk and the admin's board (sign-in links from ``!web``)."""

    host: str
    port: int
    stuck_after_s: int = 900  # /healthz: an outbox row due longer than this is stuck
    # The address people open (sign-in links are built on it), e.g. https://bot.example.org;
    # None: no desk, only the operations endpoints.
    public_url: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    database: Path = Path(DEFAULT_DATABASE)
    command_prefix: str = "!"
    acknowledge: str = "reply"  # "reply" (says the number) or "reaction" (a ✅ on the question)
    admins: frozenset[str] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"  # "text" (one line for a person) or "json" (JSON lines)
    log_sql: bool = False  # DEBUG logs of the database driver (statements with their values)
    feeds: tuple[FeedSettings, ...] = ()
    polling: PollSettings = field(default_factory=PollSettings)
    questions: QuestionSettings = field(default_factory=QuestionSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    matrix: MatrixSettings | None = None
    discord: DiscordSettings | None = None
    web: WebSettings | None = None
    source: str = "built-in defaults"

    @property
    def platforms(self) -> tuple[str, ...]:
        found = []
        if self.matrix:
            found.append("matrix")
        if self.discord:
            found.append("discord")
        return tuple(found)


def example_feed() -> FeedSettings:
    """The bundled example: the seed article as a local feed, posted to the console."""
    return FeedSettings(
        url=BUNDLED_FEED,
        targets=("console:#general",),
        authors=("console:author",),
        title="Example feed (bundled)",
    )


_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}


class _Reader:
    """Typed access to a TOML table that records problems instead of raising at once."""

    def __init__(self, data: Mapping[str, Any], source: str, problems: list[str]) -> None:
        self.data = data
        self.source = source
        self.problems = problems

    def _bad(self, key: str, why: str) -> None:
        self.problems.append(f"{key}: {why} (in {self.source})")

    def get_str(self, key: str, default: str, table: Mapping[str, Any] | None = None) -> str:
        value = (table if table is not None else self.data).get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str) or not value.strip():
            self._bad(key, "must be a non-empty string")
            return default
        return value

    def get_bool(self, key: str, default: bool, table: Mapping[str, Any]) -> bool:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, bool):
            self._bad(key, "must be true or false")
            return default
        return value

    def get_list(self, key: str, table: Mapping[str, Any]) -> tuple[str, ...]:
        value = table.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._bad(key, "must be a list of strings")
            return ()
        return tuple(value)

    def identities(self, key: str, table: Mapping[str, Any]) -> tuple[str, ...]:
        values = self.get_list(key, table)
        for v in values:
            platform, _, ident = v.partition(":")
            if platform not in ("console", "matrix", "discord") or not ident:
                self._bad(key, f"{v!r} is not 'console:…', 'matrix:…' or 'discord:…'")
        return values


def load_settings(path: Path | None, env: Mapping[str, str]) -> Settings:
    """Read ``path`` (if given, else ``config/bot.toml`` when it exists) and ``env``.

    With no file at all, the defaults run the console adapter on the bundled example feed.
    """
    problems: list[str] = []
    data: dict[str, Any] = {}
    source = "built-in defaults"
    chosen = path if path is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    if chosen is not None:
        source = str(chosen)
        try:
            data = tomllib.loads(chosen.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"config file {chosen} does not exist"]) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError([f"{chosen} is not valid TOML: {exc}"]) from None
    r = _Reader(data, source, problems)

    bot_t = data.get("bot", {})
    if not isinstance(bot_t, dict):
        problems.append(f"bot: must be a table (in {source})")
        bot_t = {}
    database = database_path(
        env,
        r.get_str("bot.database", DEFAULT_DATABASE, bot_t),
        r.get_str("bot.data_dir", ".", bot_t) if "data_dir" in bot_t else None,
        config=chosen,
        named="database" in bot_t,
    )
    prefix = r.get_str("bot.command_prefix", "!", bot_t)
    if len(prefix) > 3 or any(c.isspace() or c.isalnum() for c in prefix):
        problems.append(f"bot.command_prefix: {prefix!r} must be 1–3 symbols (in {source})")
    level = env.get("BOT_LOG_LEVEL") or r.get_str("bot.log_level", "INFO", bot_t)
    if level.upper() not in _LEVELS:
        problems.append(f"bot.log_level: {level!r} is not one of {sorted(_LEVELS)} (in {source})")
    admins = r.identities("bot.admins", bot_t) if "admins" in bot_t else ()
    acknowledge = r.get_str("bot.acknowledge", "reply", bot_t)
    if acknowledge not in ("reply", "reaction"):
        problems.append(
            f"bot.acknowledge: {acknowledge!r} is not 'reply' or 'reaction' (in {source})"
        )
    log_format = r.get_str("bot.log_format", "text", bot_t)
    if log_format not in ("text", "json"):
        problems.append(f"bot.log_format: {log_format!r} is not 'text' or 'json' (in {source})")
    log_sql = r.get_bool("bot.log_sql", False, bot_t)
    known = {
        "database",
        "data_dir",
        "command_prefix",
        "log_level",
        "log_format",
        "log_sql",
        "admins",
        "acknowledge",
    }
    for unknown in sorted(set(bot_t) - known):
        problems.append(f"bot.{unknown}: unknown setting (in {source})")

    feeds = _feeds(data.get("feeds", []), r)
    polling = _polling(data.get("polling", {}), r)
    questions = _questions(data.get("questions", {}), r)
    matrix = _matrix(data.get("matrix"), env, r)
    discord = _discord(data.get("discord"), env, r)
    web = _web(data.get("web"), r)
    cluster = _cluster(data.get("cluster", {}), r)
    sections = {"bot", "feeds", "polling", "questions", "matrix", "discord", "web", "cluster"}
    for unknown in sorted(set(data) - sections):
        problems.append(f"{unknown}: unknown section (in {source})")
    if problems:
        raise ConfigError(problems)
    if chosen is None:
        feeds = (example_feed(),)
        admins = ("console:admin",)
    return Settings(
        database=database,
        command_prefix=prefix,
        acknowledge=acknowledge,
        admins=frozenset(admins),
        log_level=level.upper(),
        log_format=log_format,
        log_sql=log_sql,
        feeds=feeds,
        polling=polling,
        questions=questions,
        matrix=matrix,
        discord=discord,
        web=web,
        cluster=cluster,
        source=source,
    )


FEED_KEYS = frozenset(
    [
        "url",
        "targets",
        "authors",
        "title",
        "interval",
        "full_article",
        "filters",
        "max_per_day",
        "template",
    ]
)
_FEED_KEYS_SAID = ", ".join(sorted(FEED_KEYS))


def _feeds(raw: Any, r: _Reader) -> tuple[FeedSettings, ...]:
    if not isinstance(raw, list):
        r._bad("feeds", "must be an array of tables ([[feeds]])")
        return ()
    out = []
    for i, table in enumerate(raw):
        key = f"feeds[{i}]"
        if not isinstance(table, dict):
            r._bad(key, "must be a table")
            continue
        url = r.get_str(f"{key}.url", "", table)
        if url and (why := check.feed_url(url)):
            r._bad(f"{key}.url", why)
        targets = r.identities(f"{key}.targets", table)
        if not targets:
            r._bad(f"{key}.targets", "needs at least one 'platform:channel' to post to")
        for why in filter(None, map(check.target, targets)):
            r._bad(f"{key}.targets", why)
        authors = r.identities(f"{key}.authors", table)
        for why in filter(None, map(check.user, authors)):
            r._bad(f"{key}.authors", why)
        for unknown in sorted(set(table) - FEED_KEYS):
            r._bad(
                f"{key}.{unknown}", f"unknown setting (a feed takes {', '.join(sorted(FEED_KEYS))})"
            )
        interval = table.get("interval", None)
        if interval is not None and (not isinstance(interval, int) or interval < 60):
            r._bad(f"{key}.interval", "must be a whole number of seconds, at least 60")
            interval = None
        full = table.get("full_article", None)
        if full is not None and full not in FULL_ARTICLE_MODES:
            r._bad(f"{key}.full_article", f"must be one of {', '.join(FULL_ARTICLE_MODES)}")
            full = None
        rules = _filters(r, f"{key}.filters", table.get("filters", []))
        cap = table.get("max_per_day", None)
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            r._bad(f"{key}.max_per_day", "must be a whole number, at least 1")
            cap = None
        template = _template(r, f"{key}.template", table.get("template", None), targets)
        out.append(
            FeedSettings(
                url=url,
                targets=targets,
                authors=authors,
                title=str(table.get("title", "")),
                interval_s=interval,
                full_article=full,
                filters=rules,
                max_per_day=cap,
                template=template,
            )
        )
    return tuple(out)


def _template(r: _Reader, key: str, value: object, targets: tuple[str, ...]) -> Template | None:
    """A feed's ``template = {heading = "...", blocks = [...]}``, checked for the platforms
    of its targets (as ``!feed template`` checks it)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        r._bad(key, 'must be a table like {heading = "{title}", blocks = ["points"]}')
        return None
    try:
        return template_from_config(value, [t.partition(":")[0] for t in targets])
    except TemplateError as exc:
        r._bad(key, str(exc))
        return None


def _filters(r: _Reader, key: str, value: object) -> tuple[str, ...]:
    """A feed's ``filters``: strings like ``exclude title re:^Sponsored``, each checked."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r._bad(key, 'must be a list of strings like "exclude title re:^Sponsored"')
        return ()
    good = []
    for i, text in enumerate(value):
        try:
            rule = parse_spec(text)
        except FilterError as exc:
            r._bad(f"{key}[{i}]", str(exc))
            continue
        good.append(f"{rule.kind} {rule.field} {rule.pattern}")
    return tuple(good)


def _number(r: _Reader, table: Mapping[str, Any], key: str, default: float, low: float) -> float:
    """A number at least ``low`` from ``[polling]``, or the default (problem recorded)."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        r._bad(f"polling.{key}", f"must be a number, at least {low:g}")
        return default
    return value


_POLLING_KEYS = frozenset(
    [
        "user_agent",
        "contact",
        "interval",
        "failures_before_pause",
        "timeout",
        "max_bytes",
        "max_concurrent",
        "max_per_host",
        "fetch_full_article",
        "allow_private_addresses",
    ]
)


def _questions(raw: Any, r: _Reader) -> QuestionSettings:
    if not isinstance(raw, dict):
        r._bad("questions", "must be a table")
        return QuestionSettings()
    values: dict[str, int] = {}
    for key, low in (("max_chars", 20), ("max_per_hour", 1)):
        value = raw.get(key, getattr(QuestionSettings(), key))
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            r._bad(f"questions.{key}", f"must be a whole number, at least {low}")
        else:
            values[key] = value
    for unknown in sorted(set(raw) - {"max_chars", "max_per_hour"}):
        r._bad(f"questions.{unknown}", "unknown setting")
    return QuestionSettings(**values)


def _web(raw: Any, r: _Reader) -> WebSettings | None:
    """``[web] listen = "127.0.0.1:8080"``; no section (or no ``listen``): no server."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        r._bad("web", "must be a table ([web])")
        return None
    for unknown in sorted(set(raw) - {"listen", "stuck_after", "public_url"}):
        r._bad(f"web.{unknown}", "unknown setting")
    if "listen" not in raw:
        return None
    listen = r.get_str("web.listen", "127.0.0.1:8080", raw)
    host, sep, port_text = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        r._bad("web.listen", f"{listen!r} is not host:port, like 127.0.0.1:8080")
        return None
    stuck = raw.get("stuck_after", 900)
    if isinstance(stuck, bool) or not isinstance(stuck, int) or stuck < 60:
        r._bad("web.stuck_after", "must be a whole number of seconds, at least 60")
        stuck = 900
    public_url: str | None = None
    if "public_url" in raw:
        public_url = r.get_str("web.public_url", "", raw).rstrip("/")
        if not public_url.startswith(("http://", "https://")) or public_url.endswith("://"):
            r._bad(
                "web.public_url",
                f"{public_url!r} is not an http(s) URL, like https://bot.example.org",
            )
            public_url = None
    return WebSettings(host=host, port=int(port_text), stuck_after_s=stuck, public_url=public_url)


def _polling(raw: Any, r: _Reader) -> PollSettings:
    if not isinstance(raw, dict):
        r._bad("polling", "must be a table ([polling])")
        return PollSettings()
    d = PollSettings()
    agent = r.get_str("polling.user_agent", d.user_agent, raw)
    contact = raw.get("contact", "")
    if not isinstance(contact, str):
        r._bad("polling.contact", "must be a string: an email address or a URL")
        contact = ""
    mode = raw.get("fetch_full_article", d.fetch_full_article)
    if mode not in FULL_ARTICLE_MODES:
        r._bad("polling.fetch_full_article", f"must be one of {', '.join(FULL_ARTICLE_MODES)}")
        mode = d.fetch_full_article
    networks = r.get_list("polling.allow_private_addresses", raw)
    for net in networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            r._bad("polling.allow_private_addresses", f"{net!r} is not a network like 127.0.0.0/8")
    for unknown in sorted(set(raw) - _POLLING_KEYS):
        r._bad(f"polling.{unknown}", "unknown setting")
    return PollSettings(
        user_agent=agent,
        contact=contact.strip(),
        interval_s=int(_number(r, raw, "interval", d.interval_s, 60)),
        failures_before_pause=int(_number(r, raw, "failures_before_pause", 5, 1)),
        timeout_s=float(_number(r, raw, "timeout", d.timeout_s, 1)),
        max_bytes=int(_number(r, raw, "max_bytes", d.max_bytes, 1024)),
        max_concurrent=int(_number(r, raw, "max_concurrent", d.max_concurrent, 1)),
        max_per_host=int(_number(r, raw, "max_per_host", d.max_per_host, 1)),
        fetch_full_article=mode,
        allow_private_addresses=networks,
    )


def _matrix(raw: Any, env: Mapping[str, str], r: _Reader) -> MatrixSettings | None:
    table = raw if isinstance(raw, dict) else {}
    homeserver = env.get("MATRIX_HOMESERVER") or table.get("homeserver", "")
    user_id = env.get("MATRIX_USER_ID") or table.get("user_id", "")
    password = env.get("MATRIX_PASSWORD")
    token = env.get("MATRIX_ACCESS_TOKEN")
    if not (homeserver or user_id or password or token):
        return None
    if "password" in table or "access_token" in table:
        r._bad("matrix.password", "secrets belong in the environment (.env), not the file")
    if not homeserver:
        r.problems.append("MATRIX_HOMESERVER: not set (environment or [matrix] homeserver)")
    if not user_id:
        r.problems.append("MATRIX_USER_ID: not set (environment or [matrix] user_id)")
    if not (password or token):
        r.problems.append("MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN: one must be set (environment)")
    for var, key, why in (
        ("MATRIX_HOMESERVER", "matrix.homeserver",
         homeserver and check.web_url(str(homeserver), what="a homeserver URL")),
        ("MATRIX_USER_ID", "matrix.user_id", user_id and check.matrix_user_id(str(user_id))),
    ):  # fmt: skip
        if why and var in env:
            r.problems.append(f"{var}: {why} (in the environment)")
        elif why:
            r._bad(key, str(why))
    encryption = table.get("encryption", True)
    if not isinstance(encryption, bool):
        r._bad("matrix.encryption", "must be true or false")
        encryption = True
    store = table.get("store_path")
    if store is not None and (not isinstance(store, str) or not store.strip()):
        r._bad("matrix.store_path", "must be a non-empty path")
        store = None
    trust = table.get("trust", "tofu")
    if trust not in TRUST_POLICIES:
        r._bad("matrix.trust", f"{trust!r} is not one of {', '.join(map(repr, TRUST_POLICIES))}")
        trust = "tofu"
    store_key = env.get("MATRIX_STORE_KEY")
    return MatrixSettings(
        homeserver=str(homeserver),
        user_id=str(user_id),
        password=Secret(password) if password else None,
        access_token=Secret(token) if token else None,
        device_name=str(table.get("device_name", "pointbot")),
        allowed_rooms=r.get_list("matrix.allowed_rooms", table),
        allowed_homeservers=r.get_list("matrix.allowed_homeservers", table),
        encryption=encryption,
        store_path=Path(store) if store else None,
        trust=str(trust),
        store_key=Secret(store_key) if store_key else None,
    )


def _discord(raw: Any, env: Mapping[str, str], r: _Reader) -> DiscordSettings | None:
    table = raw if isinstance(raw, dict) else {}
    if "token" in table:
        r._bad("discord.token", "secrets belong in the environment (DISCORD_TOKEN), not the file")
    archive = table.get("auto_archive_minutes", 1440)
    if archive not in (60, 1440, 4320, 10080):
        r._bad("discord.auto_archive_minutes", "must be 60, 1440, 4320 or 10080 (minutes)")
        archive = 1440
    guilds = r.get_list("discord.allowed_guilds", table)
    for guild in guilds:
        if not guild.isdigit():
            r._bad("discord.allowed_guilds", f"{guild!r} is not a server id (digits)")
    count, ids = _shards(table, r)
    known = {"token", "auto_archive_minutes", "allowed_guilds", "shard_count", "shard_ids"}
    for unknown in sorted(set(table) - known):
        r._bad(f"discord.{unknown}", "unknown setting")
    token = env.get("DISCORD_TOKEN")
    if not token:
        return None
    return DiscordSettings(
        Secret(token),
        auto_archive_minutes=archive,
        allowed_guilds=guilds,
        shard_count=count,
        shard_ids=ids,
    )


def _shards(table: Mapping[str, Any], r: _Reader) -> tuple[int, tuple[int, ...] | None]:
    count = table.get("shard_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        r._bad("discord.shard_count", f"{count!r} must be a whole number, 1 or more")
        count = 1
    if "shard_ids" not in table:
        return count, None
    raw = table["shard_ids"]
    if (
        not isinstance(raw, list)
        or not raw
        or any(isinstance(i, bool) or not isinstance(i, int) for i in raw)
    ):
        r._bad("discord.shard_ids", "must be a list of shard numbers, e.g. [0, 1]")
        return count, None
    ids = tuple(raw)
    outside = [i for i in ids if not 0 <= i < count]
    if outside:
        r._bad(
            "discord.shard_ids",
            f"{outside} not between 0 and {count - 1} (shard_count is {count})",
        )
    if len(set(ids)) != len(ids):
        r._bad("discord.shard_ids", "a shard is listed twice")
    return count, tuple(sorted(set(ids)))


def _cluster(raw: Any, r: _Reader) -> ClusterSettings:
    if not isinstance(raw, dict):
        r._bad("cluster", "must be a table")
        return ClusterSettings()
    found: dict[str, float] = {}
    for key, low in (("lease_seconds", 3.0), ("outbox_lease_seconds", 10.0)):
        if key not in raw:
            continue
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
            r._bad(f"cluster.{key}", f"{value!r} must be a number of seconds, {low:g} or more")
            continue
        found[key] = float(value)
    for unknown in sorted(set(raw) - {"lease_seconds", "outbox_lease_seconds"}):
        r._bad(f"cluster.{unknown}", "unknown setting")
    return ClusterSettings(**found)
