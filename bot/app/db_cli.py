"""``bot db backup PATH``: a consistent copy of the bot's database, also while it runs.
``bot db migrate --to postgresql://...``: the SQLite database copied into PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app.cli_args import EXIT_USAGE, CliFailure, existing_database, fail
from bot.storage.port import backup_database
from bot.storage.sqlite.files import DATABASE_SUFFIX
from bot.storage.types import BackupError, StorageError


def add_db_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``db backup`` on the ``bot`` command."""
    db = subparsers.add_parser("db", help="the database: backups, moving to PostgreSQL")
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
    migrate = sub.add_parser(
        "migrate",
        help="copy the SQLite database into an empty PostgreSQL database (stop the bot first)",
    )
    migrate.add_argument(
        "--to", required=True, metavar="DSN", help="postgresql://user:password@host/database"
    )
    migrate.add_argument("--config", default=argparse.SUPPRESS, help="TOML settings file")
    migrate.add_argument("--database", default=argparse.SUPPRESS, help="SQLite file")
    migrate.set_defaults(func=cmd_db_migrate)


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


class _Bar:
    """The copy's progress in rows: one line redrawn on a terminal, a line every tenth of
    the way otherwise."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.tty = sys.stderr.isatty()

    def __call__(self, table: str, rows: int) -> None:
        if not table:
            self.total = rows
            return
        before, self.done = self.done, self.done + rows
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} rows {table:<24}"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
        elif self.done * 10 // max(self.total, 1) > before * 10 // max(self.total, 1):
            sys.stderr.write(f"{self.done}/{self.total} rows copied\n")
        sys.stderr.flush()


def cmd_db_migrate(args: argparse.Namespace) -> int:
    from bot.storage.dsn import redact
    from bot.storage.transfer import copy_sqlite_to_postgres

    dsn: str = args.to
    if not dsn.startswith(("postgresql://", "postgres://")):
        return fail(f"--to needs a postgresql:// address, not {dsn!r}", EXIT_USAGE)
    try:
        source = existing_database(args)
    except CliFailure as exc:
        return fail(exc.message, exc.code)
    if not isinstance(source, Path):
        return fail(
            "the database to copy from is already PostgreSQL; give the SQLite file with --database",
            EXIT_USAGE,
        )
    try:
        counts, total = asyncio.run(copy_sqlite_to_postgres(source, dsn, _Bar()))
    except StorageError as exc:
        return fail(str(exc))
    width = max(len(c.table) for c in counts)
    for c in counts:
        print(
            f"  {c.table:<{width}}  {c.sqlite_rows:>8} in SQLite {c.postgres_rows:>8} in PostgreSQL"
        )
    print(
        f"copied {total} rows in {sum(1 for c in counts if c.sqlite_rows)} tables from "
        f"{source} to {redact(dsn)}; every table's count matches. Set [bot] database to "
        "that address (password included) and start the bot."
    )
    return 0
