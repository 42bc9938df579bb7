"""Where the database lives, the same for every command, and said aloud.

``[bot] database`` is relative to the config file's folder, so starting the bot from another
directory finds the same file. An explicit data directory (``BOT_DATA_DIR``, else ``[bot]
data_dir``, itself relative to the config file's folder) holds the database file: its name
is taken from ``database`` (by default the name in :data:`DEFAULT_DATABASE`).
``BOT_DATABASE`` and ``--database`` are taken as given (relative to where the command runs).
With no config file at all every command uses :data:`DEFAULT_DATABASE` where it runs.

A PostgreSQL database (``postgresql://...`` or ``postgres://...`` in ``[bot] database``,
``BOT_DATABASE`` or ``--database``) is kept as the string it is: no folder applies to it, and
it is shown without its password (:func:`shown`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.storage.dsn import Dsn, is_dsn, redact
from bot.storage.sqlite.files import DEFAULT_DATABASE

Location = Path | str
"""Where the database is: a SQLite file's absolute path, or a PostgreSQL DSN."""


def database_path(
    env: Mapping[str, str],
    database: str,
    data_dir: str | None,
    *,
    config: Path | None,
    named: bool,
) -> Location:
    """The database file, absolute (``named``: the config file set ``database`` itself), or
    the PostgreSQL DSN given."""
    if env.get("BOT_DATABASE"):
        if is_dsn(env["BOT_DATABASE"]):
            return Dsn(env["BOT_DATABASE"])
        return _absolute(Path(env["BOT_DATABASE"]).expanduser())
    if named and is_dsn(database):
        return Dsn(database)
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


def for_command(option: str | None, configured: Location) -> Location:
    """The database a command uses: its ``--database`` if given, else the configured one."""
    if option and is_dsn(option):
        return Dsn(option)
    return _absolute(Path(option).expanduser()) if option else configured


def shown(where: Location) -> str:
    """``where`` as logs and messages show it (a DSN without its password)."""
    return redact(where) if isinstance(where, str) else str(where)


def beside(where: Location, name: str) -> Path:
    """A folder named ``name`` beside the database file; for a PostgreSQL database, which
    has no folder here, in the current directory."""
    return where.parent / name if isinstance(where, Path) else _absolute(Path(name))


def existing(path: Location) -> str | None:
    """Why ``path`` cannot be read as a database (a read-only command never creates one).
    A PostgreSQL database is not checked here: opening it says plainly what is wrong."""
    if isinstance(path, str):
        return None
    if not path.exists():
        return f"{path}: no such database file (give --database or set it in the config)"
    if not path.is_file():
        return f"{path}: is not a database file"
    if path.stat().st_size == 0:
        return f"{path}: the file is empty, not a bot database"
    return None


def announce(path: Location) -> None:
    """Tell the person which database a writing command used (on stderr: stdout is data)."""
    print(f"bot: database {shown(path)}", file=sys.stderr)
