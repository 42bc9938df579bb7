"""The PostgreSQL implementation of the storage port (:class:`PostgresStore`), for several
bot processes sharing one database (issue 13)."""

from bot.storage.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
