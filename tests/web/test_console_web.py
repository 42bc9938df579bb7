"""``python -m bot --web``: the console also serves the desk and prints a sign-in link
(the link itself is exercised in test_desk.py; here only that it is printed)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

from bot.config import load_settings
from bot.console_main import run_console


async def test_console_web_prints_a_sign_in_link(tmp_path: Path) -> None:
    settings = replace(load_settings(None, {}), database=tmp_path / "c.sqlite3")
    lines: list[str] = []

    def out(line: str) -> None:
        lines.append(line)

    script = tmp_path / "s.txt"
    script.write_text("!points\n", encoding="utf-8")
    await run_console(settings, out, script=script, demo=False, web_port=0, stdin=io.StringIO())
    said = "\n".join(lines)
    m = re.search(r"sign in as console:author .*: (http://127\.0\.0\.1:\d+/login/\S+)", said)
    assert m, said
    assert "/desk" in said
