"""PostgreSQL addresses (``postgresql://user:password@host:port/database``) as the config and
the commands carry them: told apart from a SQLite file's path, and shown without their
password. No driver is imported here (the config reads this before any database opens)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")


def is_dsn(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (a ``postgresql://`` URL)."""
    return isinstance(target, str) and target.startswith(SCHEMES)


def redact(dsn: str) -> str:
    """``dsn`` without its password (``***`` in its place), for logs and messages.

    A password given as a query parameter (``?password=...``) is hidden too."""
    try:
        parts = urlsplit(dsn)
        password = parts.password
        port = parts.port
    except ValueError:
        return "postgresql://…"
    netloc = parts.netloc
    if password is not None:
        host = parts.hostname or ""
        if ":" in host:  # IPv6
            host = f"[{host}]"
        if port is not None:
            host = f"{host}:{port}"
        netloc = f"{parts.username or ''}:***@{host}"
    query = (
        "&".join(
            "password=***" if item.lower().startswith("password=") else item
            for item in parts.query.split("&")
        )
        if parts.query
        else ""
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class Dsn(str):
    """A DSN as the settings keep it: the string itself (to connect with), whose ``repr``
    (what a dataclass's repr, a traceback's locals, a debugger show) hides the password."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(redact(str(self)))
