"""Reads of a store from tests, each call its own ``store.read()``.

``reads(store).questions.get(1)`` is ``async with store.read() as r: await
r.questions.get(1)``: tests look at the store between actions without holding its lock.
"""

from __future__ import annotations

from typing import Any

from bot.storage.port import Store


class _Aggregate:
    def __init__(self, store: Store, name: str) -> None:
        self._store = store
        self._name = name

    def __getattr__(self, method: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            async with self._store.read() as r:
                return await getattr(getattr(r, self._name), method)(*args, **kwargs)

        return call


class _Reads:
    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> _Aggregate:
        return _Aggregate(self._store, name)


def reads(store: Store) -> Any:
    return _Reads(store)
