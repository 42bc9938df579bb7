"""Consistent copies of the database file, taken while the bot runs.

SQLite's online backup API (``sqlite3.Connection.backup``) copies the pages of one
consistent snapshot: in WAL mode it reads while the bot goes on writing, and the copy is
one self-contained file (no ``-wal`` beside it). The copy is written next to its final name
and renamed into place, so a crash never leaves half a backup under the real name.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bot.storage.types import BackupError


def copy_database(source: sqlite3.Connection, dest: Path) -> int:
    """Copy the open database ``source`` to ``dest`` (replacing it); returns its size in
    bytes. ``dest`` is checked (``PRAGMA quick_check``) before it takes the name."""
    dest = dest.absolute()
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            verdict = target.execute("PRAGMA quick_check").fetchone()
            target.execute("PRAGMA journal_mode = DELETE")  # one file, readable anywhere
        finally:
            target.close()
        if verdict is None or verdict[0] != "ok":
            raise BackupError(f"the copy failed its check ({verdict[0] if verdict else '?'})")
        os.replace(partial, dest)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot copy the database to {dest}: {exc}") from None
    return dest.stat().st_size


def backup_file(source: Path, dest: Path) -> int:
    """Copy the database file ``source`` (not created if missing) to ``dest``."""
    try:
        conn = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source}: {exc}") from None
    try:
        conn.execute("PRAGMA busy_timeout = 5000")  # the bot may hold the write lock a moment
        return copy_database(conn, dest)
    finally:
        conn.close()
