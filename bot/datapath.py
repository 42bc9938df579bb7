"""Where the database lives, the same for every command, and said aloud.

``[bot] database`` is relative to the config file's folder, so starting the bot from another
directory finds the same file. An explicit data directory (``BOT_DATA_DIR``, else ``[bot]
data_dir``, itself relative to the config file's folder) holds the database file: its name
is taken from ``database`` (by default the name in :data:`DEFAULT_DATABASE`).
``BOT_DATABASE`` and ``--database`` are taken as given (relative to where the command runs).
With no config file at all every command uses :data:`DEFAULT_DATABASE` where it runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.storage.sqlite.files import DEFAULT_DATABASE


def database_path(
    env: Mapping[str, str],
    database: str,
    data_dir: str | None,
    *,
    config: Path | None,
    named: bool,
) -> Path:
    """The database file, absolute (``named``: the config file set ``database`` itself)."""
    if env.get("BOT_DATABASE"):
        return _absolute(Path(env["BOT_DATABASE"]).expanduser())
    name = Path(database if named else DEFAULT_DATABASE).expanduser()
    chosen_dir = env.get("BOT_DATA_DIR") or data_dir
    if chosen_dir is not None:
        base = Path(chosen_dir).expanduser()
        if config is not None and not base.is_absolute() and not env.get("BOT_DATA_DIR"):
            base = config.parent / base
        return _absolute(base / name.name)  # the data directory holds the file
    base = config.parent if config is not None else Path()
    return _absolute(base / name)


def _absolute(path: Path) -> Path:
    """Absolute, with ``..`` folded (symlinks left alone), as start-up reports it."""
    return Path(os.path.abspath(path))


def for_command(option: str | None, configured: Path) -> Path:
    """The database a command uses: its ``--database`` if given, else the configured one."""
    return _absolute(Path(option).expanduser()) if option else configured


def existing(path: Path) -> str | None:
    """Why ``path`` cannot be read as a database (a read-only command never creates one)."""
    if not path.exists():
        return f"{path}: no such database file (give --database or set it in the config)"
    if not path.is_file():
        return f"{path}: is not a database file"
    if path.stat().st_size == 0:
        return f"{path}: the file is empty, not a bot database"
    return None


def announce(path: Path) -> None:
    """Tell the person which database a writing command used (on stderr: stdout is data)."""
    print(f"bot: database {path}", file=sys.stderr)
