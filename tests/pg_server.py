"""A real PostgreSQL server for the tests: the one ``POINTBOT_PG_DSN`` names, or a throw-away
cluster started here.

Without ``POINTBOT_PG_DSN`` a cluster is made with the PostgreSQL binaries
(``/usr/lib/postgresql/<n>/bin/initdb`` and ``pg_ctl``, newest version first) in a temporary
directory, listening on a free loopback port and on a Unix socket in that directory, trusting
local connections; it is stopped and removed when the test session ends. initdb refuses to
run as root: as root, the cluster belongs to the ``postgres`` user (``runuser -u postgres``).

When no binaries are found, the tests that need PostgreSQL are skipped, unless
``POINTBOT_REQUIRE_POSTGRES=1`` (CI sets it), when they fail: a CI run that silently tested
one backend would look green.

Each test gets its own empty database (:func:`fresh_database`): ``CREATE DATABASE`` from
``template0`` takes a few milliseconds, far cheaper than a cluster per test.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV_DSN = "POINTBOT_PG_DSN"
ENV_REQUIRE = "POINTBOT_REQUIRE_POSTGRES"


class PostgresUnavailable(Exception):
    """No PostgreSQL to test against (the reason in words)."""


@dataclass(frozen=True, slots=True)
class Server:
    """A running server and a superuser DSN for it (its database: ``postgres``)."""

    dsn: str

    def dsn_for(self, database: str) -> str:
        parts = urlsplit(self.dsn)
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def required() -> bool:
    return os.environ.get(ENV_REQUIRE, "") == "1"


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory that has initdb and pg_ctl."""

    def version(path: str) -> int:
        try:
            return int(Path(path).parent.parent.name)
        except ValueError:
            return 0

    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def server() -> Iterator[Server]:
    """The server the tests use, for as long as the ``with`` lasts."""
    dsn = os.environ.get(ENV_DSN)
    if dsn:
        yield Server(dsn)
        return
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            f"no PostgreSQL binaries (initdb, pg_ctl) found and {ENV_DSN} is not set"
        )
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="pointbot-pg-"))
    data = base / "data"
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    log = base / "server.log"

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[-800:]}"
            )

    started = False
    try:
        run(
            str(bindir / "initdb"),
            "-D", str(data),
            "-U", "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )  # fmt: skip
        options = (
            f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
        started = True
        yield Server(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    finally:
        if started:
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


async def fresh_database(srv: Server) -> tuple[str, str]:
    """A new empty database on ``srv``: its name and its DSN."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(srv.dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    return name, srv.dsn_for(name)


async def drop_database(srv: Server, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(srv.dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
