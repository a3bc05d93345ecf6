"""The worker's Prometheus metrics (served on DEBUG_SESSION_WORKER_METRICS_PORT by worker.py).

Counted where the work happens, in activities, never in workflow code (which replays): session outcomes
as the workflow announces them (expired, failed, the duration of ended sessions), auxiliary resources
deployed and removed, notification deliveries by channel and result, and the cleanups still pending. The
reference's names, types, labels and buckets where it has the metric (`breakglass_*`), ours otherwise
(`debug_sessions_*`). Gauges of live state (Active sessions, participants, pods) are the API's: it holds
the index they are computed from.

The Temporal SDK's own metrics (`temporal_*`) come from the SDK's Prometheus exporter, bound to a private
port and re-exported here, so one scrape of the worker gets both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

DURATION_BUCKETS = (60, 300, 600, 1800, 3600, 7200, 14400, 28800)
"""The reference's buckets for breakglass_debug_session_duration_seconds."""


class PendingCleanups:
    """Cleanups that started and have not succeeded yet (a failing cleanup is retried: it stays here)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: dict[str, float] = {}

    def started(self, session: str, since: float) -> None:
        with self._lock:
            self._since.setdefault(session, since)

    def done(self, session: str) -> None:
        with self._lock:
            self._since.pop(session, None)

    def count(self) -> int:
        with self._lock:
            return len(self._since)

    def oldest_age(self) -> float:
        with self._lock:
            return max((time.time() - t for t in self._since.values()), default=0.0)


class WorkerMetrics:
    """One registry per worker (tests run several workers in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.expired = Counter(
            "breakglass_debug_sessions_expired", "Debug sessions expired", ["cluster", "template"], registry=r
        )
        self.failed = Counter(
            "breakglass_debug_sessions_failed",
            "Debug sessions failed (deploy failures, approval timeouts)",
            ["cluster", "template"],
            registry=r,
        )
        self.duration = Histogram(
            "breakglass_debug_session_duration_seconds",
            "How long ended sessions were active (end - startsAt)",
            ["cluster", "template"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.aux_deployments = Counter(
            "breakglass_auxiliary_resource_deployments",
            "Auxiliary resources deployed",
            ["cluster", "category", "status"],
            registry=r,
        )
        self.aux_cleanups = Counter(
            "breakglass_auxiliary_resource_cleanups",
            "Auxiliary resources removed",
            ["cluster", "category", "status"],
            registry=r,
        )
        self.events = Counter(
            "debug_sessions_events", "Session events announced (audit and notifications)", ["type"], registry=r
        )
        self.deliveries = Counter(
            "debug_sessions_notification_deliveries",
            "Notification deliveries by channel (mail, chat, audit_sink) and result (success, failure)",
            ["channel", "result"],
            registry=r,
        )
        self.cleanups = PendingCleanups()
        Gauge(
            "debug_sessions_cleanup_pending",
            "Ended sessions whose cleanup started and has not succeeded yet (on this worker)",
            registry=r,
        ).set_function(self.cleanups.count)
        Gauge(
            "debug_sessions_cleanup_pending_oldest_seconds",
            "Age of the oldest cleanup that has not succeeded yet (0: none pending)",
            registry=r,
        ).set_function(self.cleanups.oldest_age)


class SdkMetrics(Collector):
    """Re-exports the Temporal SDK's metrics, read from its own Prometheus endpoint at each scrape."""

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        self.url = url
        self.timeout = timeout

    def collect(self) -> Iterator[Metric]:
        try:
            text = httpx.get(self.url, timeout=self.timeout).text
        except httpx.HTTPError:
            return  # the worker's own metrics still answer; the SDK's are missing from this scrape
        yield from text_string_to_metric_families(text)
