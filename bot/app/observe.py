"""What the use cases report as it happens, for metrics: a small observer port.

The application calls these; :mod:`bot.web.ops` implements them with prometheus-client.
Nothing here imports a metrics library, and the default observer does nothing.
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Events worth counting; every method is cheap and never raises."""

    def question_taken(self) -> None: ...
    def question_refused(self, reason: str) -> None: ...
    def question_acknowledged(self) -> None: ...
    def question_answered(self) -> None: ...
    def send_finished(self, platform: str, seconds: float) -> None: ...
    def send_failed(self, platform: str, kind: str) -> None: ...
    def poll_cycle(self, seconds: float) -> None: ...
    def entries_posted(self, count: int) -> None: ...


class NullObserver:
    """The default: records nothing."""

    def question_taken(self) -> None:
        pass

    def question_refused(self, reason: str) -> None:
        pass

    def question_acknowledged(self) -> None:
        pass

    def question_answered(self) -> None:
        pass

    def send_finished(self, platform: str, seconds: float) -> None:
        pass

    def send_failed(self, platform: str, kind: str) -> None:
        pass

    def poll_cycle(self, seconds: float) -> None:
        pass

    def entries_posted(self, count: int) -> None:
        pass


NULL_OBSERVER: Observer = NullObserver()
