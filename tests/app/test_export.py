"""``bot questions export``: every question off-line as Markdown, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.export import FIELDS, ExportError, export_questions
from bot.runtime import Bot
from tests.fakes import FakeChatAdapter

ROOT = Path(__file__).resolve().parents[2]

# The `bot` command as bot.cli builds it, with only this module's commands registered.
HARNESS = """
import argparse, sys
from bot.app.questions_cli import add_questions_commands
parser = argparse.ArgumentParser(prog="bot")
add_questions_commands(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args()
sys.exit(args.func(args))
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("BOT_DATABASE", None)
    return subprocess.run(
        [sys.executable, "-c", HARNESS, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


async def seed_questions(bot: Bot, fake: FakeChatAdapter) -> None:
    """#1 answered (point 3) with #2 merged into it, #3 anonymous and open, #4 whole article."""
    steps = [
        ("dana", "!ask point 3 What counts as clandestine here?"),
        ("lee", "!ask point 3 Is a secret shipment clandestine?"),
        ("kim", "!ask --anonymous point 1 Why would Iran delay its response?"),
        ("ana", "!ask Who wrote this, and for whom?"),
        ("kim", "!vote 1"),
        ("ana", "!vote 2"),
        ("author", "!merge 2 into 1"),
        ("author", "!answer 1 Deliveries neither side announces."),
    ]
    for who, text in steps:
        await fake.say(fake.user(who), text)
        await bot.delivery.drain()


async def test_json_has_every_question_with_votes_over_merged_ones(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await seed_questions(bot, fake)
    rows = json.loads(await export_questions(bot.store, article_id=None, fmt="json"))
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert set(rows[0]) == set(FIELDS)
    one, two, three, four = rows
    # kim voted #1, ana voted #2, and lee (asker of #2) backs #1 by the merge.
    assert one["votes"] == 3
    assert one["status"] == "answered" and one["answer"] == "Deliveries neither side announces."
    assert one["answered_at"] == "2026-01-05T09:00:00.000000+00:00"
    assert one["asker"] == "Dana" and one["point"] == 3 and one["article"] == 1
    assert two["merged_into"] == 1 and two["status"] == "answered"
    assert three["asker"] == "a reader" and three["status"] == "queued"
    assert three["answer"] is None and three["answered_at"] is None
    assert four["point"] is None
    assert one["article_title"].startswith("What Putin And Pezeshkian")


async def test_csv_has_a_header_and_one_row_per_question(bot: Bot, fake: FakeChatAdapter) -> None:
    await seed_questions(bot, fake)
    out = await export_questions(bot.store, article_id=1, fmt="csv")
    reader = csv.DictReader(io.StringIO(out))
    assert tuple(reader.fieldnames or ()) == FIELDS
    rows = list(reader)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[2]["asker"] == "a reader" and rows[2]["answer"] == ""
    assert rows[1]["merged_into"] == "1"


async def test_markdown_is_grouped_like_the_faq_with_open_ones_and_their_status(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await seed_questions(bot, fake)
    md = await export_questions(bot.store, article_id=None, fmt="md")
    assert md.startswith("# What Putin And Pezeshkian Will Likely Discuss")
    assert md.index("## Point 1 —") < md.index("## Point 3 —") < md.index("## The whole article")
    assert "**Q #3** (queued · 0 votes · a reader ·" in md
    assert "**Q #1** (answered · 3 votes · Dana · 2026-01-05 09:00 UTC)" in md
    assert "> **A** (2026-01-05 09:00 UTC): Deliveries neither side announces." in md
    assert "merged into #1" in md
    assert "Kim" not in md  # kim asked anonymously (and only voted otherwise)


async def test_empty_and_unknown_article(bot: Bot) -> None:
    assert await export_questions(bot.store, article_id=1, fmt="md") == "No questions.\n"
    assert json.loads(await export_questions(bot.store, article_id=None, fmt="json")) == []
    assert await export_questions(bot.store, article_id=1, fmt="csv") == ",".join(FIELDS) + "\n"
    with pytest.raises(ExportError, match="no article 7"):
        await export_questions(bot.store, article_id=7, fmt="json")


async def test_cli_exports_from_the_bot_database(
    bot: Bot, fake: FakeChatAdapter, tmp_path: Path
) -> None:
    await seed_questions(bot, fake)
    done = cli(
        "questions", "export", "--format", "json", "--database", bot.store.path, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in json.loads(done.stdout)] == [1, 2, 3, 4]
    md = cli(
        "questions",
        "export",
        "--article",
        "1",
        "--format",
        "md",
        "--database",
        bot.store.path,
        cwd=tmp_path,
    )
    assert md.returncode == 0 and "## Point 3 —" in md.stdout


async def test_cli_database_from_the_config_file(
    bot: Bot, fake: FakeChatAdapter, tmp_path: Path
) -> None:
    await seed_questions(bot, fake)
    config = tmp_path / "bot.toml"
    config.write_text(f'[bot]\ndatabase = "{bot.store.path}"\n', "utf-8")
    done = cli("questions", "export", "--format", "csv", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == ",".join(FIELDS)
    assert len(done.stdout.splitlines()) == 5


def test_cli_missing_database_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "bot.sqlite3"
    done = cli("questions", "export", "--format", "json", "--database", str(missing), cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"bot: {missing}: no such database file (give --database or set it in the config)"
    ]
    assert not missing.parent.exists()


def test_cli_plain_errors_never_a_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database at all" * 100)
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("[bot\n", "utf-8")
    cases = [
        ("--format", "json", "--database", str(junk)),
        ("--format", "json", "--database", str(empty)),
        ("--format", "json", "--database", str(tmp_path)),
        ("--format", "json", "--config", str(bad_config)),
        ("--format", "xml", "--database", str(junk)),
    ]
    for args in cases:
        done = cli("questions", "export", *args, cwd=tmp_path)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr, args
        assert done.stderr.strip(), args
    assert empty.stat().st_size == 0  # not turned into a new database


async def test_cli_unknown_article_is_an_error(bot: Bot, tmp_path: Path) -> None:
    done = cli(
        "questions",
        "export",
        "--article",
        "42",
        "--format",
        "md",
        "--database",
        bot.store.path,
        cwd=tmp_path,
    )
    assert done.returncode == 3
    assert done.stderr.strip() == "bot: there is no article 42"
