"""Where the SQLite files live by default, and how to discard one (light: no driver import)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATABASE = "data/pointbot.sqlite3"
CONSOLE_DEMO_DATABASE = "data/console-demo.sqlite3"


def discard(path: str | Path) -> None:
    """Delete the database at ``path`` with its write-ahead log and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
