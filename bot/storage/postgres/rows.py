"""PostgreSQL rows (``asyncpg.Record``) to the port's value types: the shared converters of
:mod:`bot.storage.rows`. asyncpg gives ``timestamptz`` as aware UTC datetimes, ``boolean``
as bool and ``bigint`` as int, so times are taken as they come."""

from __future__ import annotations

from datetime import datetime

from bot.storage.rows import Row, Rows

Record = Row  # asyncpg.Record (asyncpg ships no type information)


def _as_is(value: datetime) -> datetime:
    return value


_ROWS = Rows(_as_is)
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
