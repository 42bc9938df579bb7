"""``bot questions export``: every question and answer, off-line, as Markdown, CSV or JSON.

It reads the database the bot uses (``--database``, else ``BOT_DATABASE``, else the config)
and never creates one: a path that does not exist is a mistake worth one plain line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import cast

from bot.app.cli_args import CliFailure, existing_database, fail
from bot.app.export import FORMATS, ExportError, Format, export_questions
from bot.core.numbers import number
from bot.storage.port import open_store
from bot.storage.types import StorageError


def add_questions_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``questions export`` on the ``bot`` command."""
    questions = subparsers.add_parser("questions", help="readers' questions and answers")
    sub = questions.add_subparsers(dest="questions_command", required=True)
    exp = sub.add_parser("export", help="print every question (of one article) with its answer")
    exp.add_argument("--article", type=number, help="only this article's questions (its number)")
    exp.add_argument("--format", required=True, choices=FORMATS, help="md, csv or json")
    # SUPPRESS: the top-level parser may have these too; a default here would erase them.
    exp.add_argument("--config", default=argparse.SUPPRESS, help="TOML settings file")
    exp.add_argument(
        "--database", default=argparse.SUPPRESS, help="SQLite file or postgresql:// DSN"
    )
    exp.set_defaults(func=cmd_questions_export)


def cmd_questions_export(args: argparse.Namespace) -> int:
    """Print the export on stdout; one line on stderr and a non-zero exit on any failure."""
    try:
        path = existing_database(args)
    except CliFailure as exc:
        return fail(exc.message, exc.code)

    async def export() -> str:
        store = await open_store(path)
        try:
            return await export_questions(
                store, article_id=args.article, fmt=cast(Format, args.format)
            )
        finally:
            await store.close()

    try:
        text = asyncio.run(export())
    except (StorageError, ExportError) as exc:
        return fail(str(exc))
    sys.stdout.write(text)
    return 0
