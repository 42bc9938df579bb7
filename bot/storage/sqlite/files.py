"""Where the SQLite files live by default (light: no driver import; the config uses it)."""

from __future__ import annotations

DATABASE_SUFFIX = ".sqlite3"
DEFAULT_DATABASE = f"data/pointbot{DATABASE_SUFFIX}"
