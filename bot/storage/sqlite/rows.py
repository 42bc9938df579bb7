"""SQLite rows to the port's value types: the shared converters of
:mod:`bot.storage.rows`, with times decoded from the ISO text SQLite stores (the only place
that reads a ``sqlite3.Row``)."""

from __future__ import annotations

from bot.storage.rows import Rows
from bot.storage.sqlite.db import from_iso

_ROWS = Rows(from_iso)
question = _ROWS.question
event = _ROWS.event
brief = _ROWS.brief
digest_pref = _ROWS.digest_pref
target = _ROWS.target
subscription = _ROWS.subscription
outbox_row = _ROWS.outbox_row
outbox_state = _ROWS.outbox_state
feed = _ROWS.feed
seen_entry = _ROWS.seen_entry
sub_entry = _ROWS.sub_entry
