"""The API's Prometheus metrics, served at `/metrics` (text format).

The reference's session counters that its API increments (created, approved, rejected, terminated by a
user), under its names and labels so that existing dashboards keep working, and ours: HTTP requests by route
and status with their latency, webhook decisions by result with their latency, and the age of the webhook's
index. One registry per app, so that several apps in one process (tests, replicas) never share series.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import routing

if TYPE_CHECKING:
    from api.pod_tracker import PodTracker
    from api.session_counts import SessionCounts
    from api.session_index import SessionIndex
    from domain.catalog.watch import CatalogSource

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.created = Counter(
            "breakglass_debug_sessions_created", "Debug sessions created", ["cluster", "template"], registry=r
        )
        self.approved = Counter(
            "breakglass_debug_session_approved", "Debug sessions approved", ["cluster", "approver_type"], registry=r
        )
        self.rejected = Counter(
            "breakglass_debug_session_rejected", "Debug sessions rejected", ["cluster", "reason"], registry=r
        )
        self.terminated = Counter(
            "breakglass_debug_sessions_terminated", "Debug sessions terminated", ["cluster", "reason"], registry=r
        )
        self.approval_required = Counter(
            "breakglass_debug_session_approval_required",
            "Debug sessions created that need an approval",
            ["cluster", "template"],
            registry=r,
        )
        self.binding_unresolved = Counter(
            "breakglass_debug_session_binding_unresolved",
            "Creates naming a binding that does not exist",
            ["cluster", "reason"],
            registry=r,
        )
        self.deliveries = Counter(
            "debug_sessions_notification_deliveries",
            "Notification deliveries by channel and result (the API's: audit_sink; success, failure, dropped)",
            ["channel", "result"],
            registry=r,
        )
        self.requests = Counter(
            "debug_sessions_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "debug_sessions_http_request_duration_seconds",
            "Time to answer an HTTP request (to the end of its body)",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.decisions = Counter(
            "debug_sessions_webhook_decisions",
            "Authorization webhook decisions",
            ["cluster", "result"],
            registry=r,
        )
        self.decision_seconds = Histogram(
            "debug_sessions_webhook_decision_duration_seconds",
            "Time to decide a SubjectAccessReview (in the API)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.index_age = Gauge(
            "debug_sessions_webhook_index_age_seconds",
            "Seconds since the webhook's index of Active sessions was last refreshed (-1: never)",
            registry=r,
        )

    def watch_index(self, refreshed_at: Callable[[], float | None]) -> None:
        """Report the index's age at every scrape."""
        self.index_age.set_function(lambda: -1.0 if (at := refreshed_at()) is None else time.time() - at)

    def watch_sessions(self, index: SessionIndex, pods: PodTracker, counts: SessionCounts) -> None:
        """Gauges of live sessions, computed at each scrape from the index, the pod watches and the counts:
        a session's series disappear with it."""
        self.registry.register(LiveSessions(index, pods, counts))

    def watch_catalog(self, source: CatalogSource) -> None:
        """The catalog's health at each scrape: whether one is served, and the errors of the last load."""
        Gauge(
            "debug_sessions_catalog_loaded",
            "1 while a valid catalog is served (possibly not the newest)",
            registry=self.registry,
        ).set_function(lambda: 0.0 if source.catalog is None else 1.0)
        Gauge(
            "debug_sessions_catalog_errors",
            "Errors of the most recent catalog load (more than 0: it was refused and the last good one is served)",
            registry=self.registry,
        ).set_function(lambda: float(len(r.errors)) if (r := source.last_result) is not None else 0.0)

    def text(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    def _route(self, scope: Scope) -> str:
        """The matched route's full path template (`/api/v1/debug-sessions/{name}/approve`)."""
        route = scope.get("route")
        if route is None:
            return "unmatched"
        path = scope.get("path", "")
        for original, pattern, template in routing.templates(scope["app"]):
            if original is route and pattern.match(path):
                return template
        return str(getattr(route, "path", "unmatched"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = self._route(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status["code"])).inc()
            self.metrics.request_seconds.labels(method, route).observe(time.perf_counter() - started)


PROBLEM_REASONS = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CreateContainerError"}
)
"""Waiting reasons that count as a pod failure (the reference's problematic waiting states)."""


class LiveSessions(Collector):
    """The reference's gauges of live sessions, plus our waiting-session gauges."""

    def __init__(self, index: SessionIndex, pods: PodTracker, counts: SessionCounts) -> None:
        self.index = index
        self.pods = pods
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        sessions = list(self.index.by_name.values())
        active = GaugeMetricFamily(
            "breakglass_debug_sessions_active", "Active debug sessions", labels=["cluster", "template"]
        )
        for (cluster, template), n in sorted(Tally((s.cluster, s.template) for s in sessions).items()):
            active.add_metric([cluster, template], n)
        participants = GaugeMetricFamily(
            "breakglass_debug_session_participants",
            "Participants of an Active session who have not left",
            labels=["cluster", "session"],
        )
        for s in sessions:
            participants.add_metric([s.cluster, s.name], s.participants)
        deployed = GaugeMetricFamily(
            "breakglass_debug_session_pods_deployed", "Pods of Active sessions", labels=["cluster"]
        )
        for cluster, n in sorted(Tally(s.cluster for s in sessions for _ in s.pods).items()):
            deployed.add_metric([cluster], n)
        restarts = CounterMetricFamily(
            "breakglass_debug_session_pod_restarts",
            "Container restarts of an Active session's live pods (a replaced pod resets the count)",
            labels=["cluster", "session"],
        )
        failures = CounterMetricFamily(
            "breakglass_debug_session_pod_failures",
            "An Active session's live pods that failed or wait in a failing state, by reason",
            labels=["cluster", "session", "reason"],
        )
        for s in sessions:
            watch = self.pods.watches.get(s.cluster)
            live = watch.pods(s.name) if watch is not None else ()
            total = sum(p.container_status.restart_count for p in live if p.container_status is not None)
            if live:
                restarts.add_metric([s.cluster, s.name], total)
            for reason, n in sorted(Tally(r for p in live if (r := _failure(p.phase, p.container_status))).items()):
                failures.add_metric([s.cluster, s.name, reason], n)
        yield from (active, participants, deployed, restarts, failures)
        synced = GaugeMetricFamily(
            "debug_sessions_pod_watch_synced",
            "1 while the pod watch of a cluster is synced (live pods known), else 0",
            labels=["cluster"],
        )
        for cluster, watch in sorted(self.pods.watches.items()):
            synced.add_metric([cluster], 1.0 if watch.synced.is_set() else 0.0)
        yield synced
        yield GaugeMetricFamily(
            "debug_sessions_pending_approval", "Sessions waiting for an approval", value=self.counts.pending_approval
        )
        yield GaugeMetricFamily(
            "debug_sessions_stuck_pending",
            "Sessions still Pending (not deployed) five minutes after they were created",
            value=self.counts.stuck_pending,
        )


def _failure(phase: str, status: object) -> str:
    if phase == "Failed":
        return "Failed"
    reason = getattr(status, "waiting_reason", "")
    return reason if reason in PROBLEM_REASONS else ""
