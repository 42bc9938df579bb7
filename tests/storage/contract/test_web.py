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


async def _spent(store: Store, token: str, created: timedelta, ttl: timedelta) -> None:
    """A link created ``created`` before NOW, valid ``ttl``, spent at once."""
    at = NOW - created
    async with store.transaction() as tx:
        await tx.web.add_link(token, "fake:author", "Author", at + ttl, at)
        assert await tx.web.use_link(token, at) is not None


async def test_prune_deletes_only_what_can_sign_nobody_in(store: Store) -> None:
    ten = timedelta(minutes=10)
    hour_ago = NOW - timedelta(hours=1)
    await _spent(store, "spent-old", timedelta(hours=2), ten)
    await _spent(store, "spent-young", timedelta(minutes=30), ten)  # counts in the hour
    async with store.transaction() as tx:
        web = tx.web
        await web.add_link("live", "fake:author", "Author", LATER, NOW)
        old = NOW - timedelta(hours=2)
        await web.add_link("expired-old", "fake:author", "Author", old + ten, old)
        young = NOW - timedelta(minutes=30)
        await web.add_link("expired-young", "fake:author", "Author", young + ten, young)
        await web.add_link("long-lived", "fake:author", "Author", NOW + ten, old)  # unspent
        await web.add_session("s-live", "fake:author", "Author", NOW + timedelta(days=1), old)
        await web.add_session("s-old", "fake:author", "Author", NOW - ten, old)
        await web.add_session("s-edge", "fake:admin", "Admin", NOW, old)  # expired at NOW
        in_the_hour = await web.links_since("fake:author", hour_ago)
        assert in_the_hour == 3
        assert await web.prune(NOW, hour_ago, 100) == (2, 2)
        assert await web.links_since("fake:author", hour_ago) == in_the_hour  # limit kept
        assert await web.links_since("fake:author", NOW - timedelta(days=1)) == 4
        assert await web.prune(NOW, hour_ago, 100) == (0, 0)
    async with store.transaction() as tx:
        assert await tx.web.use_link("live", NOW) == ("fake:author", "Author")
        assert await tx.web.use_link("long-lived", NOW) == ("fake:author", "Author")
        assert await tx.web.session("s-live", NOW) == ("fake:author", "Author")
        assert await tx.web.end_sessions("fake:author") == 1  # s-old is gone
        assert await tx.web.end_sessions("fake:admin") == 0  # s-edge too


async def test_prune_deletes_at_most_limit_of_each_per_call(store: Store) -> None:
    old = NOW - timedelta(days=2)
    async with store.transaction() as tx:
        for n in range(5):
            await tx.web.add_link(f"l{n}", "fake:author", "Author", old, old)
            await tx.web.add_session(f"s{n}", "fake:author", "Author", old, old)
    found = []
    for _ in range(4):
        async with store.transaction() as tx:
            found.append(await tx.web.prune(NOW, NOW - timedelta(hours=1), 2))
    assert found == [(2, 2), (2, 2), (1, 1), (0, 0)]
    async with store.read() as r:
        assert await r.web.links_since("fake:author", old) == 0
