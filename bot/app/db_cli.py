"""``bot db backup PATH``: a consistent copy of the bot's database, also while it runs."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from bot.app.cli_args import EXIT_USAGE, CliFailure, existing_database, fail
from bot.storage.port import backup_database
from bot.storage.sqlite.files import DATABASE_SUFFIX
from bot.storage.types import BackupError


def add_db_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``db backup`` on the ``bot`` command."""
    db = subparsers.add_parser("db", help="the database file: backups")
    sub = db.add_subparsers(dest="db_command", required=True)
    backup = sub.add_parser(
        "backup", help="copy the database to PATH (a file, or a folder for a dated file)"
    )
    backup.add_argument("path", help="where the copy goes; an existing folder gets a dated name")
    # SUPPRESS: the top-level parser may have these too; a default here would erase them.
    backup.add_argument("--config", default=argparse.SUPPRESS, help="TOML settings file")
    backup.add_argument(
        "--database", default=argparse.SUPPRESS, help="SQLite file or postgresql:// DSN"
    )
    backup.set_defaults(func=cmd_db_backup)


def cmd_db_backup(args: argparse.Namespace) -> int:
    try:
        source = existing_database(args)
    except CliFailure as exc:
        return fail(exc.message, exc.code)
    dest = Path(args.path).expanduser().absolute()
    if isinstance(source, str):  # PostgreSQL: refused, in words
        try:
            backup_database(source, dest)
        except BackupError as exc:
            return fail(str(exc))
        return fail("a PostgreSQL database is backed up with pg_dump")
    if dest.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        dest = dest / f"{source.stem}-{stamp}{source.suffix or DATABASE_SUFFIX}"
    if dest == source:
        return fail(f"{dest}: that is the database itself; give another path", EXIT_USAGE)
    try:
        size = backup_database(source, dest)
    except BackupError as exc:
        return fail(str(exc))
    print(f"backed up database {source} to {dest} ({size / 1024:.0f} KiB)")
    return 0
