"""Running it for a real community (issue 18): one database, said aloud; backups; upgrades;
the version; output into a closed pipe; config mistakes named at start-up."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.storage.postgres.db import bundled_migrations as pg_migrations
from bot.storage.sqlite.db import Database, bundled_migrations
from tests import pg_server
from tests.test_cli import ROOT, assert_demo_played, bot


def test_every_command_uses_the_one_default_database_and_says_so(tmp_path: Path) -> None:
    done = bot("--no-demo", stdin="/as dana\nCould you clarify point 3?\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    db = tmp_path / "data" / "pointbot.sqlite3"
    assert f"database {db}" in done.stdout  # the absolute path
    exported = bot("questions", "export", "--format", "json", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "Could you clarify point 3?" in exported.stdout  # what the console did is there
    feeds = bot("feeds", "export", cwd=tmp_path)
    assert feeds.returncode == 0, feeds.stderr
    assert not list((tmp_path / "data").glob("console-demo*"))


def test_read_only_commands_refuse_a_database_that_does_not_exist(tmp_path: Path) -> None:
    for args in (("feeds", "export"), ("questions", "export", "--format", "md")):
        done = bot(*args, cwd=tmp_path)
        assert done.returncode == 3 and "no such database file" in done.stderr, done.stderr
    assert not (tmp_path / "data").exists()


def test_the_database_is_found_from_the_config_files_folder(tmp_path: Path) -> None:
    cfg = tmp_path / "etc" / "bot.toml"
    cfg.parent.mkdir()
    cfg.write_text(
        '[bot]\ndatabase = "state/bot.sqlite3"\n[[feeds]]\nurl = "bundled:example-feed.xml"\n'
        'targets = ["console:#general"]\n',
        "utf-8",
    )
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    done = bot("--config", str(cfg), "--no-demo", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "etc" / "state" / "bot.sqlite3").exists()
    assert not list(elsewhere.iterdir())


def test_version_and_a_closed_pipe(tmp_path: Path) -> None:
    done = bot("--version")
    assert done.returncode == 0 and done.stdout.startswith("bot ")
    piped = subprocess.run(
        f"{sys.executable} -m bot | head -2",
        check=False,
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert piped.stdout.count("\n") == 2
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr, piped.stderr


def test_backup_is_a_consistent_copy_that_opens(tmp_path: Path) -> None:
    assert bot("--no-demo", cwd=tmp_path).returncode == 0
    done = bot("db", "backup", str(tmp_path / "copies" / "one.sqlite3"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"database {tmp_path / 'data' / 'pointbot.sqlite3'}" in done.stdout
    copy = sqlite3.connect(tmp_path / "copies" / "one.sqlite3")
    assert copy.execute("SELECT COUNT(*) FROM articles").fetchone() == (1,)
    version = copy.execute("PRAGMA user_version").fetchone()[0]
    assert version == bundled_migrations()[-1].version
    copy.close()
    (tmp_path / "dated").mkdir()
    assert bot("db", "backup", str(tmp_path / "dated"), cwd=tmp_path).returncode == 0
    assert len(list((tmp_path / "dated").glob("pointbot-*.sqlite3"))) == 1
    missing = bot("db", "backup", "x.sqlite3", "--database", "nope.sqlite3", cwd=tmp_path)
    assert missing.returncode == 3 and "no such database file" in missing.stderr


async def test_backup_while_the_bot_writes(tmp_path: Path) -> None:
    from bot.storage.sqlite.backup import backup_file

    db = await Database.open(tmp_path / "live.sqlite3")
    await db.execute("CREATE TABLE busy (n INTEGER)")
    for n in range(50):
        await db.execute("INSERT INTO busy VALUES (?)", (n,))
    async with db.transaction() as conn:  # a write in progress, not committed
        await conn.execute("INSERT INTO busy VALUES (999)")
        backup_file(tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3")
    await db.close()
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("SELECT COUNT(*), MAX(n) FROM busy").fetchone() == (50, 49)
    copy.close()


async def test_migrations_back_up_first_and_log_each(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    from bot.storage.sqlite.db import Migration

    path = tmp_path / "up.sqlite3"
    first = [Migration(1, "0001_a.sql", "CREATE TABLE t (x INTEGER);")]
    db = await Database.open(path, first)
    await db.execute("INSERT INTO t VALUES (7)")
    await db.close()
    caplog.set_level("INFO")
    later = [
        *first,
        Migration(2, "0002_b.sql", "ALTER TABLE t ADD COLUMN y TEXT;"),
        Migration(3, "0003_c.sql", "CREATE TABLE u (z);"),
    ]
    db = await Database.open(path, later)
    await db.close()
    said = [r.getMessage() for r in caplog.records]
    assert any("before migrating" in m for m in said)
    assert sum("applying migration" in m for m in said) == 2
    backup = sqlite3.connect(tmp_path / "up.sqlite3.schema-1.bak")
    assert backup.execute("SELECT x FROM t").fetchall() == [(7,)]
    assert backup.execute("PRAGMA user_version").fetchone() == (1,)
    backup.close()


def test_a_newer_database_refuses_to_start_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "data" / "pointbot.sqlite3"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {bundled_migrations()[-1].version + 1}")
    conn.close()
    done = bot("--no-demo", cwd=tmp_path)
    assert done.returncode == 3
    assert "written by a newer pointbot" in done.stderr and "Traceback" not in done.stderr


def test_config_mistakes_that_used_to_pass_are_named(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        '[[feeds]]\nurl = "not a url"\ntargets = ["discord:general"]\nauthor = "x"\n'
        "intervall = 600\n"
        '[[feeds]]\nurl = "ftp://example.org/feed"\ntargets = ["console:#general"]\n'
        '[matrix]\nhomeserver = "matrix.example.org"\nuser_id = "pointbot"\n',
        "utf-8",
    )
    done = bot("--config", str(cfg), cwd=tmp_path, env={"MATRIX_PASSWORD": "x"})
    assert done.returncode == 2
    for said in (
        "feeds[0].url: 'not a url' is not a feed URL",
        "feeds[0].targets: 'discord:general': a Discord target is the channel's id",
        "feeds[0].author: unknown setting",
        "feeds[0].intervall: unknown setting",
        "feeds[1].url: 'ftp://example.org/feed' is not a feed URL",
        "matrix.homeserver: 'matrix.example.org' is not a homeserver URL",
        "matrix.user_id: 'pointbot' is not a Matrix user id",
    ):
        assert said in done.stderr, done.stderr
    assert done.stderr.count(f"(in {cfg})") >= 7


def test_json_log_lines(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        '[bot]\nlog_format = "json"\n[[feeds]]\nurl = "bundled:example-feed.xml"\n'
        'targets = ["console:#general"]\n',
        "utf-8",
    )
    done = bot("--config", str(cfg), "--no-demo", cwd=tmp_path, env={"BOT_LOG_LEVEL": "INFO"})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    assert any("applying migration 0001" in x["message"] for x in lines)


def test_the_copied_example_config_keeps_the_console_admin(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    example = (ROOT / "config" / "bot.example.toml").read_text("utf-8")
    (tmp_path / "config" / "bot.toml").write_text(example, "utf-8")
    done = bot("--no-demo", stdin="/as admin\n!feed list\n/help\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Feeds (1):" in done.stdout and "for admins only" not in done.stdout
    assert "[bot] admins lists console:admin" in done.stdout
    assert (tmp_path / "data" / "pointbot.sqlite3").exists()  # ../data beside config/


def test_a_data_directory_holds_the_database(tmp_path: Path) -> None:
    from bot.config import load_settings

    cfg = tmp_path / "etc" / "bot.toml"
    cfg.parent.mkdir()
    cfg.write_text('[bot]\ndatabase = "../data/pointbot.sqlite3"\n', "utf-8")
    state = tmp_path / "var" / "lib" / "pointbot"
    s = load_settings(cfg, {"BOT_DATA_DIR": str(state)})
    assert s.database == state / "pointbot.sqlite3"
    assert load_settings(cfg, {}).database == (tmp_path / "data" / "pointbot.sqlite3")
    cfg.write_text('[bot]\ndata_dir = "state"\n', "utf-8")
    assert load_settings(cfg, {}).database == tmp_path / "etc" / "state" / "pointbot.sqlite3"
    assert load_settings(cfg, {"BOT_DATABASE": "/x/y.db"}).database == Path("/x/y.db")


def test_release_files_agree_with_pyproject() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License")
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    # An "## Unreleased" section may come first; the first release heading is the version.
    first = next(
        line
        for line in changelog.splitlines()
        if line.startswith("## ") and line != "## Unreleased"
    )
    assert first.startswith(f"## {project['version']} ")
    unit = (ROOT / "config" / "pointbot.service").read_text("utf-8")
    for line in ("Restart=on-failure", "EnvironmentFile=", "StateDirectory=pointbot"):
        assert line in unit
    assert "BOT_DATA_DIR=" in unit and "--config /etc/pointbot/bot.toml" in unit


PG_SECRET = "s3cret-Pw-" + uuid.uuid4().hex[:8]


@pytest.fixture
async def owned_postgres(postgres_server: pg_server.Server) -> AsyncIterator[tuple[str, str]]:
    """A fresh database owned by a new login role with a password: the superuser's DSN
    for checking it, and the role's DSN (password in it) for the bot. The role and the
    database are dropped afterwards. Under trust auth the password is not checked; under
    password auth it is right, so the test works on either kind of server."""
    name, admin_dsn = await pg_server.fresh_database(postgres_server)
    role = f"pb_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(postgres_server.dsn)
    try:
        await conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{PG_SECRET}'")
        await conn.execute(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
    finally:
        await conn.close()
    parts = urlsplit(admin_dsn)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{role}:{PG_SECRET}@{host}" + (f":{parts.port}" if parts.port else "")
    bot_dsn = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    try:
        yield admin_dsn, bot_dsn
    finally:
        await pg_server.drop_database(postgres_server, name)
        conn = await asyncpg.connect(postgres_server.dsn)
        try:
            await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await conn.close()


async def test_the_main_job_on_postgresql_plays_the_demo_into_it(
    tmp_path: Path, owned_postgres: tuple[str, str]
) -> None:
    """``python -m bot`` with ``[bot] database = "postgresql://..."`` in the example config:
    what the SQLite run shows (``tests/test_cli.py``), the rows in PostgreSQL, no password
    printed, no file written beside the config, and no demo replayed on the kept world."""
    admin_dsn, bot_dsn = owned_postgres
    (tmp_path / "config").mkdir()
    example = (ROOT / "config" / "bot.example.toml").read_text("utf-8")
    line = 'database = "../data/pointbot.sqlite3"'
    assert line in example
    cfg = tmp_path / "config" / "bot.toml"
    cfg.write_text(example.replace(line, f'database = "{bot_dsn}"'), "utf-8")
    run = ("--config", str(cfg))
    info = {"BOT_LOG_LEVEL": "INFO"}

    done = await asyncio.to_thread(bot, *run, cwd=tmp_path, env=info)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert_demo_played(out)
    assert "— demo finished —" in out
    shown = bot_dsn.replace(PG_SECRET, "***")
    assert f"database {shown}" in out
    assert "applying migration" in done.stderr  # the log names the database too
    assert PG_SECRET not in out and PG_SECRET not in done.stderr
    made = await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.iterdir()))
    assert made == ["config"]  # no SQLite file, no folder beside the config

    conn = await asyncpg.connect(admin_dsn)
    try:
        version = await conn.fetchval("SELECT max(version) FROM schema_version")
        assert version == pg_migrations()[-1].version
        assert await conn.fetchval("SELECT count(*) FROM articles") == 1
        kinds = await conn.fetch("SELECT kind, count(*) AS n FROM posts GROUP BY kind")
        assert {r["kind"]: r["n"] for r in kinds} == {"summary": 1, "thread": 5}
        statuses = await conn.fetch("SELECT status FROM questions ORDER BY id")
        assert [r["status"] for r in statuses][:2] == ["answered", "answered"]
        assert await conn.fetchval("SELECT count(*) FROM answers") >= 1
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0
    finally:
        await conn.close()

    again = await asyncio.to_thread(bot, *run, cwd=tmp_path, env=info)
    assert again.returncode == 0, again.stderr
    assert "the demo is not played again" in again.stdout
    assert "pointbot opened thread" not in again.stdout
    assert PG_SECRET not in again.stdout and PG_SECRET not in again.stderr
