"""Operations endpoints: ``GET /metrics`` (Prometheus text) and ``GET /healthz`` (JSON).

Counters and histograms are fed by :class:`BotMetrics`, the :class:`~bot.app.observe.Observer`
the use cases call as things happen; values that live in the database (outbox depth and
age, feeds failing) are read at scrape time through ``store.read()``. Each Bot gets its
own registry, so several bots (or tests) in one process never share a metric.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.adapters.base import ChatAdapter
from bot.runtime import Bot
from bot.storage.types import OutboxRow

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)
DB_TIMEOUT_S = 2.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def adapter_connected(adapter: ChatAdapter) -> bool:
    """The adapter's ``is_connected`` property; an adapter without one counts as connected."""
    return bool(getattr(adapter, "is_connected", True))


class BotMetrics:
    """The Observer that counts into one Bot's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.taken = Counter("pointbot_questions_taken", "Questions stored", registry=registry)
        self.acknowledged = Counter(
            "pointbot_questions_acknowledged",
            "Acknowledgements delivered to askers",
            registry=registry,
        )
        self.answered = Counter(
            "pointbot_questions_answered", "Questions answered by an author", registry=registry
        )
        self.refused = Counter(
            "pointbot_questions_refused",
            "Questions not taken, by reason",
            ["reason"],
            registry=registry,
        )
        self.send_latency = Histogram(
            "pointbot_send_seconds",
            "Time an adapter took to send one outbox row",
            ["platform"],
            registry=registry,
        )
        self.send_failures = Counter(
            "pointbot_send_failures",
            "Outbox sends that failed, by kind",
            ["platform", "kind"],
            registry=registry,
        )
        self.poll_seconds = Histogram(
            "pointbot_poll_cycle_seconds", "Duration of one poll cycle", registry=registry
        )
        self.posted = Counter(
            "pointbot_feed_entries_posted", "New feed entries posted", registry=registry
        )

    def question_taken(self) -> None:
        self.taken.inc()

    def question_refused(self, reason: str) -> None:
        self.refused.labels(reason=reason).inc()

    def question_acknowledged(self) -> None:
        self.acknowledged.inc()

    def question_answered(self) -> None:
        self.answered.inc()

    def send_finished(self, platform: str, seconds: float) -> None:
        self.send_latency.labels(platform=platform).observe(seconds)

    def send_failed(self, platform: str, kind: str) -> None:
        self.send_failures.labels(platform=platform, kind=kind).inc()

    def poll_cycle(self, seconds: float) -> None:
        self.poll_seconds.observe(seconds)

    def entries_posted(self, count: int) -> None:
        self.posted.inc(count)


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the database says at scrape time."""

    depth: dict[str, int]
    oldest_due_s: dict[str, float]
    feeds_failing: int


def outbox_state(rows: list[OutboxRow], now: datetime) -> tuple[dict[str, int], dict[str, float]]:
    """Pending rows per platform, and per platform how long the longest-waiting due row
    has been due (0 when none is due)."""
    depth: dict[str, int] = {}
    oldest: dict[str, float] = {}
    for row in rows:
        p = str(row.item.where.platform)
        depth[p] = depth.get(p, 0) + 1
        waited = max(0.0, (now - row.next_attempt_at).total_seconds())
        oldest[p] = max(oldest.get(p, 0.0), waited)
    return depth, oldest


async def read_state(bot: Bot) -> StoredState:
    async with bot.store.read() as r:
        rows = await r.outbox.pending(limit=10_000)
        feeds = await r.feeds.all()
    depth, oldest = outbox_state(rows, bot.clock())
    return StoredState(depth, oldest, sum(1 for f in feeds if f.failures > 0))


class _Snapshot(Collector):
    """Gauges from the last scrape's database read and the adapters' state."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.state = StoredState({}, {}, 0)

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "pointbot_outbox_depth", "Outbox rows not yet delivered", labels=["platform"]
        )
        age = GaugeMetricFamily(
            "pointbot_outbox_oldest_due_seconds",
            "How long the longest-waiting due outbox row has been due",
            labels=["platform"],
        )
        for p in sorted(set(self.state.depth) | set(self.bot.adapters)):
            depth.add_metric([p], self.state.depth.get(p, 0))
            age.add_metric([p], self.state.oldest_due_s.get(p, 0.0))
        failing = GaugeMetricFamily("pointbot_feeds_failing", "Feeds whose last fetch failed")
        failing.add_metric([], self.state.feeds_failing)
        conn = GaugeMetricFamily(
            "pointbot_adapter_connected", "1 if the adapter is connected", labels=["platform"]
        )
        for p, a in sorted(self.bot.adapters.items()):
            conn.add_metric([p], 1.0 if adapter_connected(a) else 0.0)
        yield from (depth, age, failing, conn)


METRICS_KEY = web.AppKey("pointbot_metrics", CollectorRegistry)


def add_ops_routes(app: web.Application, bot: Bot, *, stuck_after: timedelta = STUCK_AFTER) -> None:
    """Register ``GET /metrics`` and ``GET /healthz`` for ``bot`` on ``app``."""
    registry = CollectorRegistry()
    metrics = BotMetrics(registry)
    snapshot = _Snapshot(bot)
    registry.register(snapshot)
    bot.set_observer(metrics)
    app[METRICS_KEY] = registry

    async def get_metrics(_request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(DB_TIMEOUT_S):
                snapshot.state = await read_state(bot)
        except Exception:  # the counters are still worth serving
            log.exception("metrics: the database could not be read")
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})

    async def get_healthz(_request: web.Request) -> web.Response:
        checks: dict[str, dict[str, object]] = {}
        state: StoredState | None = None
        try:
            async with asyncio.timeout(DB_TIMEOUT_S):
                state = await read_state(bot)
            checks["database"] = {"ok": True, "detail": "the database answered"}
        except Exception as exc:
            detail = "no answer within 2 s" if isinstance(exc, TimeoutError) else str(exc)
            checks["database"] = {"ok": False, "detail": f"the database is unreachable: {detail}"}
        for p, a in sorted(bot.adapters.items()):
            up = adapter_connected(a)
            checks[f"adapter:{p}"] = {
                "ok": up,
                "detail": f"connected to {p}" if up else f"not connected to {p}",
            }
        if state is not None:
            limit = stuck_after.total_seconds()
            stuck = {p: s for p, s in state.oldest_due_s.items() if s > limit}
            checks["outbox"] = {
                "ok": not stuck,
                "detail": "; ".join(
                    f"a {p} message has waited {s / 60:.0f} min to be sent (limit "
                    f"{limit / 60:.0f} min)"
                    for p, s in sorted(stuck.items())
                )
                or "nothing has waited too long to be sent",
            }
        healthy = all(c["ok"] for c in checks.values())
        failed = [str(c["detail"]) for c in checks.values() if not c["ok"]]
        body = {"healthy": healthy, "failed": failed, "checks": checks}
        return web.json_response(body, status=200 if healthy else 503)

    app.router.add_get("/metrics", get_metrics)
    app.router.add_get("/healthz", get_healthz)
