"""The API's Prometheus metrics, served at `/metrics` (text format).

The reference's session counters that its API increments (created, approved, rejected, terminated by a
user), under its names and labels so that existing dashboards keep working, and ours: HTTP requests by route
and status with their latency, webhook decisions by result with their latency, and the age of the webhook's
index. One registry per app, so that several apps in one process (tests, replicas) never share series.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import routing

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
