"""Where the database lives, the same for every command, and said aloud.

``[bot] database`` is relative to ``BOT_DATA_DIR`` or ``[bot] data_dir`` if set, else to the
config file's folder, so starting the bot from another directory finds the same file.
``BOT_DATABASE`` and ``--database`` are taken as given (relative to where the command runs).
With no config file at all every command uses ``data/pointbot.sqlite3`` where it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULT_DATABASE = "data/pointbot.sqlite3"


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
        return Path(env["BOT_DATABASE"]).expanduser().absolute()
    name = Path(database).expanduser()
    chosen_dir = env.get("BOT_DATA_DIR") or data_dir
    if chosen_dir is not None:
        base = Path(chosen_dir).expanduser()
        if config is not None and not base.is_absolute() and not env.get("BOT_DATA_DIR"):
            base = config.parent / base
        if not named:
            name = Path(Path(DEFAULT_DATABASE).name)  # the data directory holds it
    else:
        base = config.parent if config is not None else Path()
    return (base / name).absolute()


def for_command(option: str | None, configured: Path) -> Path:
    """The database a command uses: its ``--database`` if given, else the configured one."""
    return Path(option).expanduser().absolute() if option else configured


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
