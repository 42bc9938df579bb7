"""The web desk's sign-in links and sessions, on every storage implementation."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.port import Store
from tests.storage.contract.conftest import NOW

LATER = NOW + timedelta(minutes=10)


async def test_a_link_is_spent_once_and_not_after_it_expires(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.web.add_link("h1", "fake:author", "Author", LATER, NOW)
        await tx.web.add_link("h2", "fake:author", "Author", LATER, NOW)
        assert await tx.web.links_since("fake:author", NOW) == 2
        assert await tx.web.links_since("fake:other", NOW) == 0
    async with store.transaction() as tx:
        assert await tx.web.use_link("h1", NOW) == ("fake:author", "Author")
        assert await tx.web.use_link("h1", NOW) is None
        assert await tx.web.use_link("h2", LATER) is None  # expired
        assert await tx.web.use_link("nope", NOW) is None


async def test_sessions_expire_and_end_per_identity(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.web.add_session("s1", "fake:author", "Author", LATER, NOW)
        await tx.web.add_session("s2", "fake:author", "Author", LATER, NOW)
        await tx.web.add_session("s3", "fake:admin", "Admin", LATER, NOW)
    async with store.read() as r:
        assert await r.web.session("s1", NOW) == ("fake:author", "Author")
        assert await r.web.session("s1", LATER) is None
    async with store.transaction() as tx:
        assert await tx.web.end_sessions("fake:author") == 2
    async with store.read() as r:
        assert await r.web.session("s2", NOW) is None
        assert await r.web.session("s3", NOW) == ("fake:admin", "Admin")
