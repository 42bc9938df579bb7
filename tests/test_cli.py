"""The `bot` command as authors and admins use it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEED

ROOT = Path(__file__).resolve().parent.parent


def bot(
    *args: str, stdin: str = "", cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("BOT_DATABASE", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd or ROOT,
        env=full_env,
    )


def test_article_parse_json_splits_the_seed_into_its_five_points() -> None:
    done = bot("article", "parse", str(SEED), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"title", "subtitle", "intro", "points", "conclusion", "summary"}
    assert [p["number"] for p in out["points"]] == [1, 2, 3, 4, 5]
    assert out["points"][2]["title"] == "Their Updated Strategic Partnership Document"
    assert out["subtitle"].startswith("Their meeting will be important")
    assert "Interesting analysis" not in json.dumps(out)  # reader comments are not article text
    assert "3. Their Updated Strategic Partnership Document" in out["summary"]


def test_article_parse_human_readable_lists_points() -> None:
    done = bot("article", "parse", str(SEED))
    assert done.returncode == 0
    assert "Points:     5" in done.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00" * 50, "binary"),
        (b"   \n\n  \n", "empty"),
    ],
)
def test_bad_article_files_get_one_line_and_a_non_zero_exit(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    done = bot("article", "parse", str(path), "--json")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert expected in done.stderr.lower()


def test_enormous_and_missing_files_are_refused_plainly(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    with big.open("wb") as f:
        f.seek(6 * 1024 * 1024)
        f.write(b"x")
    for path, words in ((big, "too large"), (tmp_path / "nope.md", "no such file")):
        done = bot("article", "parse", str(path))
        assert done.returncode != 0 and words in done.stderr and "Traceback" not in done.stderr


def test_question_classify_reads_lines_from_stdin() -> None:
    lines = SEED.read_text("utf-8").splitlines()[15:19]
    done = bot("question", "classify", "--article", str(SEED), "--json", stdin="\n".join(lines))
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["is_question"], r["point"]) for r in results] == [
        (False, None),
        (False, None),
        (True, 3),
        (True, None),
    ]


def test_question_classify_with_thread_and_missing_point() -> None:
    done = bot(
        "question",
        "classify",
        "--article",
        str(SEED),
        "--thread-point",
        "3",
        "--json",
        "Clandestine in what sense, by whose definition?",
    )
    assert json.loads(done.stdout)["point"] == 3
    done = bot("question", "classify", "--article", str(SEED), "--json", "Can you clarify point 9?")
    result = json.loads(done.stdout)
    assert result["point"] is None and "9" in result["reason"]


def assert_demo_played(out: str) -> None:
    """What the console demo of the main job shows: the article, its five threads, two
    questions queued and answered, a point that does not exist refused."""
    assert "What Putin And Pezeshkian Will Likely Discuss In Turkmenistan" in out
    assert out.count("pointbot opened thread") == 5
    assert "your question #1 on point 3" in out and "your question #2 on point 3" in out
    assert "Author (an author) answered your question #1" in out
    assert "Author (an author) answered your question #2" in out
    assert "has no point 9" in out


def test_main_job_with_nothing_configured_plays_the_whole_loop(tmp_path: Path) -> None:
    done = bot(cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_demo_played(done.stdout)
    assert (tmp_path / "data" / "pointbot.sqlite3").exists()  # the one default database
    again = bot(cwd=tmp_path)  # the kept world is restored; the demo is not replayed
    assert again.returncode == 0, again.stderr
    assert "the demo is not played again" in again.stdout
    assert "pointbot opened thread" not in again.stdout


def test_console_script_lets_several_people_talk(tmp_path: Path) -> None:
    script = tmp_path / "talk.txt"
    script.write_text(
        "/as kim\n/thread 5\nWhy would Iran compromise on the corridor?\n/back\n"
        "/as kim\n!questions\n/as author\n!dismiss 3 covered in point 5 already\n"
        "/as kim\n!answer 3 sneaky\n!frobnicate\n",
        "utf-8",
    )
    done = bot("--script", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "your question #3 on point 5" in out
    assert "closed your question #3" in out and "covered in point 5 already" in out
    assert "!answer is for authors only" in out
    assert "don't know the command !frobnicate" in out


def test_bad_config_names_every_bad_key(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        '[bot]\ncommand_prefix = "ab"\nlog_level = "LOUD"\ncolour = 1\n'
        '[[feeds]]\nurl = "https://example.org/feed"\ntargets = []\ninterval = 5\n',
        "utf-8",
    )
    done = bot("--config", str(cfg), cwd=tmp_path)
    assert done.returncode == 2
    for key in (
        "bot.command_prefix",
        "bot.log_level",
        "bot.colour",
        "feeds[0].targets",
        "feeds[0].interval",
    ):
        assert key in done.stderr
    assert str(cfg) in done.stderr and "Traceback" not in done.stderr


def test_console_queue_flows_merge_faq_and_votes(tmp_path: Path) -> None:
    script = tmp_path / "queue.txt"
    script.write_text(
        "/as kim\n"
        'What do you mean by "clandestine arms transfers"?\n'  # the demo's #1 asks the same
        "/as ana\n!ask --new point 5 Why would the corridor delay the partnership?\n"
        "/as bo\n!vote 4\n"
        '/as lu\nCould you explain "clandestine arms transfers" in point 3?\n'
        "/as author\n!queue\n!faq\n!history 3\n!answer 3 Deliveries nobody declares.\n",
        "utf-8",
    )
    done = bot("--script", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # #1 was answered by the demo, so #3 is not folded into it: only open questions merge.
    assert "your question #3 on point 3" in out
    assert "your question #4 on point 5" in out and "Vote counted for #4." in out
    assert "#4 (1 vote) Ana: Why would the corridor" in out
    assert "Author (an author) answered your question #1" in out  # from the demo
    assert "Q: Please explain what you mean by" in out  # the FAQ carries the demo's answers
    assert "History of #3" in out and "console:kim: queued" in out
    # Lu's question repeats Kim's open #3: folded in, and both get the one answer.
    assert "This looks like question #3" in out
    assert "@Kim Author (an author) answered your question #3" in out
    assert "@Lu Author (an author) answered your question #5" in out


@pytest.mark.parametrize("value", ["²", "١٢", "9223372036854775808", "-1", "0", "1_0"])
def test_number_flags_take_ascii_digits_only_and_say_so(tmp_path: Path, value: str) -> None:
    classify = bot("question", "classify", "--article", str(SEED), "--thread-point", value, "x?")
    export = bot(
        "questions", "export", "--format", "json", "--article", value,
        "--database", str(tmp_path / "none.sqlite3"),
    )  # fmt: skip
    for done in (classify, export):
        assert done.returncode == 2, done.stderr
        assert "invalid number value" in done.stderr and "Traceback" not in done.stderr
