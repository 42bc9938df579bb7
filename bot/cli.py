"""The ``bot`` command: run the bot, or check how an article or a message will be read.

Every failure a person can cause (a missing file, bad config, a non-article) ends with one
plain line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path

from bot import datapath, logs
from bot.app.db_cli import add_db_commands
from bot.app.questions_cli import add_questions_commands
from bot.config import ConfigError, load_settings
from bot.core.numbers import number
from bot.core.parsing import ArticleError, explain_article, parse_article
from bot.core.questions import classify
from bot.core.summary import render_summary
from bot.feeds.cli import add_feed_commands
from bot.storage.port import log_statements
from bot.storage.types import StorageError

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
log = logging.getLogger(__name__)

EXIT_USAGE = 2
EXIT_INPUT = 3


class CliError(Exception):
    """A plain-words failure to print as one line."""

    def __init__(self, message: str, code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.code = code


def read_article_file(path: Path) -> str:
    """The text of an article file, or a CliError saying why it cannot be one."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read it ({exc.strerror})") from None
    if path.is_dir():
        raise CliError(f"{path}: is a directory, not an article file")
    if size == 0:
        raise CliError(f"{path}: the file is empty")
    if size > MAX_ARTICLE_BYTES:
        raise CliError(
            f"{path}: {size / 1048576:.1f} MiB is too large for an article "
            f"(limit {MAX_ARTICLE_BYTES // 1048576} MiB)"
        )
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise CliError(f"{path}: looks binary, not an article (HTML, Markdown or plain text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def cmd_article_parse(args: argparse.Namespace) -> int:
    text = read_article_file(Path(args.path))
    try:
        article = parse_article(text, title=args.title or "")
    except ArticleError as exc:
        raise CliError(f"{args.path}: {exc}") from None
    summary = render_summary(article)
    explained = explain_article(text) if args.explain else []
    if args.json:
        out = {
            "title": article.title,
            "subtitle": article.subtitle,
            "intro": article.intro,
            "points": [asdict(p) for p in article.points],
            "conclusion": article.conclusion,
            "summary": summary.text,
        }
        if args.explain:
            out["explain"] = explained
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"Title:      {article.title}")
    print(f"Subtitle:   {article.subtitle or '(none)'}")
    print(f"Intro:      {_clip(article.intro)}")
    print(f"Points:     {len(article.points)}")
    for p in article.points:
        print(f"  {p.number}. {p.title}")
        print(f"       {_clip(p.body, 100)}")
    print(f"Conclusion: {_clip(article.conclusion) or '(none)'}")
    if args.explain:
        print("\nHow each block was read:")
        for line in explained:
            print(f"  {line}")
    print("\nSummary as it will be posted:\n")
    print(summary.text)
    return 0


def _clip(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cmd_question_classify(args: argparse.Namespace) -> int:
    text = read_article_file(Path(args.article))
    try:
        article = parse_article(text)
    except ArticleError as exc:
        raise CliError(f"{args.article}: {exc}") from None
    messages = [args.text] if args.text is not None else sys.stdin.read().splitlines()
    for message in messages:
        if args.text is None and not message.strip():
            continue
        verdict = classify(message, article, thread_point=args.thread_point)
        result = {
            "is_question": verdict.is_question,
            "point": verdict.point,
            "reason": verdict.reason,
        }
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            kind = "question" if verdict.is_question else "not a question"
            where = f"point {verdict.point}" if verdict.point else "the whole article"
            print(f"{kind}; {where if verdict.is_question else '-'}; {verdict.reason}: {message}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot: on the chat platforms configured, else on the console."""
    # Imported here so that `bot article parse` starts fast.
    from bot.console_main import run_console
    from bot.runtime import run_platforms

    if args.env_file:
        from dotenv import load_dotenv

        load_dotenv(args.env_file)
    elif Path(".env").exists():
        from dotenv import load_dotenv

        load_dotenv(".env")
    try:
        settings = load_settings(Path(args.config) if args.config else None, os.environ)
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    settings = replace(settings, database=datapath.for_command(args.database, settings.database))
    logs.configure(
        os.environ.get(
            "BOT_LOG_LEVEL", "WARNING" if not settings.platforms else settings.log_level
        ).upper(),
        settings.log_format,
    )
    log_statements(settings.log_sql)
    script = Path(args.script) if args.script else None
    if script is not None and not script.is_file():
        raise CliError(f"{script}: no such script file")
    log.info("database %s (config: %s)", settings.database, settings.source)
    try:
        if settings.platforms:
            return asyncio.run(run_platforms(settings, logs.print_line))
        return asyncio.run(
            run_console(
                settings,
                logs.print_line,
                script=script,
                demo=not args.no_demo,
                web_port=getattr(args, "web", None),
            )
        )
    except StorageError as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bot",
        description="pointbot: article summaries, a thread per point, and readers' questions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command")

    run_p = sub.add_parser("run", help="run the bot (the default)")
    for p in (parser, run_p):
        p.add_argument("--config", help="TOML settings file (default: config/bot.toml if present)")
        p.add_argument("--env-file", help="a .env file of secrets (default: ./.env if present)")
        p.add_argument("--database", help="SQLite file (overrides the config)")
        p.add_argument("--script", help="console: read chat lines from this file, then exit")
        p.add_argument("--no-demo", action="store_true", help="console: skip the demo conversation")
        p.add_argument(
            "--web",
            nargs="?",
            const=0,
            type=int,
            metavar="PORT",
            help="console: also serve the web desk on 127.0.0.1 (a free port unless given)",
        )
    run_p.set_defaults(func=cmd_run)
    parser.set_defaults(func=cmd_run)

    art = sub.add_parser("article", help="check how an article will be read")
    art_sub = art.add_subparsers(dest="article_command", required=True)
    parse_p = art_sub.add_parser("parse", help="show how an article file is split into points")
    parse_p.add_argument("path", help="an HTML, Markdown or plain text file")
    parse_p.add_argument("--json", action="store_true", help="print one JSON object")
    parse_p.add_argument("--title", help="the title, when the file has none (feeds carry it)")
    parse_p.add_argument(
        "--explain", action="store_true", help="say which blocks became points and why not others"
    )
    parse_p.set_defaults(func=cmd_article_parse)

    q = sub.add_parser("question", help="check how chat messages will be read")
    q_sub = q.add_subparsers(dest="question_command", required=True)
    cl = q_sub.add_parser("classify", help="is TEXT a question for the author, about which point?")
    cl.add_argument("text", nargs="?", help="the message (default: one per line from stdin)")
    cl.add_argument("--article", required=True, help="the article file the message is about")
    cl.add_argument("--thread-point", type=number, help="the message was said in point N's thread")
    cl.add_argument("--json", action="store_true", help="one JSON object per message")
    cl.set_defaults(func=cmd_question_classify)

    add_feed_commands(sub)
    add_questions_commands(sub)
    add_db_commands(sub)
    return parser


def _version() -> str:
    try:
        return metadata.version("pointbot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        logs.quiet_stdout()
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
