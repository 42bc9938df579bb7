"""The real console bot (``python -m bot --script``) fed a few thousand generated lines:
huge, negative and other-script numbers, control and bidi characters, very long lines and
every command with missing, extra and malformed arguments. Seeded, so a failure replays."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tests.fuzz_lines import generate
from tests.test_cli import bot

# CI runs one seed; FUZZ_SEEDS="1 2 3" FUZZ_LINES=5000 runs more locally.
SEEDS = [int(s) for s in os.environ.get("FUZZ_SEEDS", "14").split()]
LINES = int(os.environ.get("FUZZ_LINES", "2000"))


def test_generated_lines_never_take_the_console_bot_down(tmp_path: Path) -> None:
    for seed in SEEDS:
        lines = generate(seed, LINES)
        script = tmp_path / f"fuzz-{seed}.txt"
        # The last lines show the bot still listening after everything before them.
        script.write_text("\n".join([*lines, "/in #general", "/as zed", "!points"]) + "\n", "utf-8")
        done = bot("--script", str(script), cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, (
            f"seed {seed}: " + done.stderr[-3000:]
        )
        assert "went wrong on our side" not in done.stdout  # nothing needed containing
        tail = done.stdout[done.stdout.rfind("Zed: !points") :]
        assert "Points of" in tail, done.stdout[-2000:]
        path = tmp_path / "data" / "pointbot.sqlite3"  # the default database, as every command uses
        assert path.exists(), sorted(p.name for p in tmp_path.rglob("*"))
        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            failed = db.execute("SELECT count(*) FROM inbound WHERE status = 'failed'").fetchone()
            assert failed == (0,)
        finally:
            db.close()
