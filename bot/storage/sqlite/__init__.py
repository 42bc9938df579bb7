"""The storage port (:mod:`bot.storage.port`) on SQLite: one file, WAL, one connection.

The only package that imports ``sqlite3`` or ``aiosqlite``. The store itself is
:class:`bot.storage.sqlite.store.SqliteStore`; this package's ``__init__`` imports nothing,
so that :mod:`bot.storage.sqlite.files` stays cheap to import (the config uses it).
"""
