"""Copy a SQLite database into PostgreSQL (``bot db migrate --to postgresql://...``).

A community that outgrows one process moves its history (feeds, articles, questions with
their votes and audit, the outbox, the adapters' resumable state) to the shared database
without losing any of it. The copy is table by table, not through the storage port: the port
has no "every row" reads, and a row-level copy keeps ids (question numbers readers know,
``#12``), timestamps and the outbox's idempotency keys exactly as they were.

How it goes:

1. The SQLite file is opened through :class:`~bot.storage.sqlite.store.SqliteStore` once,
   which brings its schema up to date, then read in one read transaction (a consistent
   snapshot, even if a bot still writes; stop the bot first, or what it writes after the
   snapshot stays behind).
2. The PostgreSQL database gets its schema from its own migrations (opening
   :class:`~bot.storage.postgres.store.PostgresStore`), and must then hold no rows: a copy
   into a database in use would merge two histories.
3. In ONE PostgreSQL transaction, every table of the PostgreSQL schema (but its migration
   bookkeeping) is filled from the SQLite table of the same name, parents before children
   (foreign keys), with ``COPY`` in batches. Values are converted by the PostgreSQL column's
   type: ISO-8601 text to ``timestamptz``, 0/1 to ``boolean``. A column that SQLite has and
   PostgreSQL lacks stops the copy (its data would be lost), as does a table that only
   SQLite has. Tables PostgreSQL's triggers fill (``DERIVED``) are rebuilt, not copied.
   A self-referencing foreign key (a question merged into another) is filled in
   a second pass. Identity sequences are moved past the copied ids.
4. Every table's row count is compared on both sides inside the same transaction; a
   mismatch rolls everything back. Only then does it commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.storage.dsn import redact
from bot.storage.types import StorageError

BATCH = 2_000
# Tables of the PostgreSQL schema that are its own bookkeeping, not data to copy.
BOOKKEEPING = frozenset({"schema_version", "schema_migrations"})
# Tables PostgreSQL's triggers fill as the rows they watch arrive (each point's token for
# the open-question index): rebuilt by the copy itself, not copied.
DERIVED = frozenset({"open_question_sets"})


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    sqlite_rows: int
    postgres_rows: int


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    pg_type: str  # information_schema data_type, e.g. "timestamp with time zone"


def _converter(pg_type: str) -> Callable[[Any], Any]:
    if pg_type.startswith("timestamp"):
        return lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
    if pg_type == "boolean":
        return lambda v: bool(v) if isinstance(v, int) else v
    if pg_type in ("text", "character varying", "json", "jsonb"):
        return lambda v: str(v) if isinstance(v, int | float) else v
    if pg_type == "bytea":
        return lambda v: v.encode() if isinstance(v, str) else v
    return lambda v: v


def _ordered(tables: Sequence[str], parents: dict[str, set[str]]) -> list[str]:
    """``tables`` with every table after the tables its foreign keys name (self-references
    aside). Raises StorageError on a cycle, which the schema does not have."""
    done: list[str] = []
    seen: set[str] = set()
    visiting: set[str] = set()

    def visit(t: str) -> None:
        if t in seen:
            return
        if t in visiting:
            raise StorageError(f"the PostgreSQL schema has a foreign-key cycle through {t}")
        visiting.add(t)
        for p in sorted(parents.get(t, set()) - {t}):
            if p in tables:
                visit(p)
        visiting.discard(t)
        seen.add(t)
        done.append(t)

    for t in sorted(tables):
        visit(t)
    return done


async def _pg_schema(
    conn: Any,
) -> tuple[dict[str, list[_Column]], dict[str, set[str]], dict[str, list[str]]]:
    """The public schema's tables with their columns, the tables each one's foreign keys
    point to, and per table the columns of its self-referencing foreign keys."""
    cols: dict[str, list[_Column]] = {}
    for r in await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        if r["table_name"] not in BOOKKEEPING | DERIVED:
            cols.setdefault(r["table_name"], []).append(_Column(r["column_name"], r["data_type"]))
    parents: dict[str, set[str]] = {}
    self_refs: dict[str, list[str]] = {}
    for r in await conn.fetch(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent, "
        "ARRAY(SELECT a.attname FROM unnest(c.conkey) k "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k) AS columns "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.contype = 'f' AND n.nspname = current_schema()"
    ):
        child, parent = r["child"].strip('"'), r["parent"].strip('"')
        parents.setdefault(child, set()).add(parent)
        if child == parent:
            self_refs.setdefault(child, []).extend(r["columns"])
    return cols, parents, self_refs


def _sqlite_tables(raw: sqlite3.Connection) -> dict[str, list[str]]:
    names = [
        r[0]
        for r in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: [c[1] for c in raw.execute(f'PRAGMA table_info("{n}")')] for n in names}


def _batches(cur: sqlite3.Cursor, size: int) -> Iterable[list[tuple[Any, ...]]]:
    while rows := cur.fetchmany(size):
        yield rows


async def copy_sqlite_to_postgres(
    source: Path,
    dsn: str,
    step: Callable[[str, int], None] | None = None,
) -> tuple[list[TableCount], int]:
    """Copy the SQLite database at ``source`` into the (empty) PostgreSQL database at
    ``dsn``; the row counts per table on both sides, and the number of rows the copy will
    report to ``step`` in all (called first with ``("", total)``, then with each table's name
    and the rows just copied). Raises :class:`StorageError` in plain words; on any error
    nothing is left in PostgreSQL but its empty schema."""
    import asyncpg

    from bot.storage.postgres.store import PostgresStore
    from bot.storage.sqlite.store import SqliteStore

    lite = await SqliteStore.open(source)  # brings the file's schema up to date
    await lite.close()
    pg = await PostgresStore.open(dsn)  # brings PostgreSQL's schema up to date
    await pg.close()

    raw = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        raw.close()
        raise StorageError(f"cannot connect to {redact(dsn)}: {exc}") from None
    try:
        raw.execute("BEGIN")  # one snapshot of the whole file
        lite_tables = {t: cols for t, cols in _sqlite_tables(raw).items() if t not in DERIVED}
        pg_cols, parents, self_refs = await _pg_schema(conn)
        _check_columns(lite_tables, pg_cols)
        counts = {t: raw.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in lite_tables}
        total = sum(counts.values())
        if step:
            step("", total)
        async with conn.transaction():
            for table in pg_cols:
                have = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                if have:
                    raise StorageError(
                        f"{redact(dsn)} already holds data ({have} rows in {table}); "
                        "migrate into an empty database"
                    )
            result: list[TableCount] = []
            for table in _ordered(list(pg_cols), parents):
                if table not in lite_tables:
                    result.append(TableCount(table, 0, 0))
                    continue
                await _copy_table(
                    raw,
                    conn,
                    table,
                    lite_tables[table],
                    pg_cols[table],
                    self_refs.get(table, []),
                    step,
                )
                await _move_sequences(conn, table, pg_cols[table])
                got = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                result.append(TableCount(table, counts[table], got))
                if got != counts[table]:
                    raise StorageError(
                        f"{table}: {counts[table]} rows in SQLite but {got} in PostgreSQL "
                        "after the copy; nothing was kept"
                    )
        return result, total
    except asyncpg.PostgresError as exc:
        raise StorageError(f"PostgreSQL refused the copy: {exc}; nothing was kept") from None
    except sqlite3.Error as exc:
        raise StorageError(f"{source}: cannot read it ({exc}); nothing was kept") from None
    finally:
        raw.close()
        await conn.close()


def _check_columns(lite_tables: dict[str, list[str]], pg_cols: dict[str, list[_Column]]) -> None:
    """Every SQLite table and column has a place in PostgreSQL, or the copy would lose it."""
    only_lite = sorted(set(lite_tables) - set(pg_cols))
    if only_lite:
        raise StorageError(
            f"the PostgreSQL schema has no table {only_lite[0]!r}, which the SQLite "
            "database has: its rows would be lost (is this bot older than the file?)"
        )
    for table, names in lite_tables.items():
        missing = sorted(set(names) - {c.name for c in pg_cols[table]})
        if missing:
            raise StorageError(
                f"the PostgreSQL table {table} has no column {missing[0]!r}, which the "
                "SQLite database has: its values would be lost"
            )


async def _copy_table(  # noqa: PLR0917 (one call site, all parts of one copy)
    raw: sqlite3.Connection,
    conn: Any,
    table: str,
    lite_names: list[str],
    pg_cols: list[_Column],
    self_ref: list[str],
    step: Callable[[str, int], None] | None,
) -> None:
    by_name = {c.name: c for c in pg_cols}
    names = [n for n in lite_names]
    convert = [_converter(by_name[n].pg_type) for n in names]
    later = [i for i, n in enumerate(names) if n in self_ref]
    key = [n for n in names if n == "id"]
    order = f' ORDER BY "{key[0]}"' if key else ""  # some tables are WITHOUT ROWID
    listed = ", ".join(f'"{n}"' for n in names)
    cur = raw.execute(f'SELECT {listed} FROM "{table}"{order}')
    deferred: list[tuple[Any, ...]] = []
    for rows in _batches(cur, BATCH):
        records = []
        for row in rows:
            values = [None if v is None else f(v) for f, v in zip(convert, row, strict=True)]
            if later and key and any(values[i] is not None for i in later):
                deferred.append((values[names.index("id")], *(values[i] for i in later)))
                for i in later:
                    values[i] = None
            records.append(tuple(values))
        await conn.copy_records_to_table(table, records=records, columns=names)
        if step:
            step(table, len(rows))
    if deferred:
        sets = ", ".join(f'"{names[i]}" = ${n}' for n, i in enumerate(later, start=2))
        await conn.executemany(f'UPDATE "{table}" SET {sets} WHERE id = $1', deferred)


async def _move_sequences(conn: Any, table: str, cols: list[_Column]) -> None:
    """Identity/serial sequences past the copied ids, so new rows do not collide."""
    for c in cols:
        seq = await conn.fetchval("SELECT pg_get_serial_sequence($1, $2)", f'"{table}"', c.name)
        if seq:
            await conn.execute(
                f'SELECT setval($1, GREATEST((SELECT max("{c.name}") FROM "{table}"), 1), '
                f'(SELECT max("{c.name}") FROM "{table}") IS NOT NULL)',
                seq,
            )
