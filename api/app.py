"""The FastAPI application: `create_app(settings)`; the lifespan connects Temporal and loads the catalog."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RPCError

from api import errors, openapi, ui
from api.admission_guard import AdmissionGuard
from api.audit_trail import Auditor
from api.auth import load_tokens
from api.cluster_health import ClusterHealth
from api.deps import ApiState
from api.metrics import ApiMetrics, RequestMetrics
from api.oidc import OidcConfig, OidcVerifier
from api.pod_tracker import PodTracker
from api.routes import authorize, config, health, kubectl_debug, preview, sessions, templates
from api.session_counts import SessionCounts
from api.session_feed import SessionFeed
from api.session_index import SessionIndex
from api.settings import ApiSettings
from audit.settings import AuditSettings
from kube.catalog_source import open_catalog
from temporal_access.connect import connect
from temporal_access.search_attributes import register_or_report

log = logging.getLogger("debug_sessions.api")

# Both path families (DESIGN decision 1): the seed's and the reference's. Templates come before the
# reference's /api/debugSessions/{name} so that "templates" is never taken for a session name.
SESSION_PREFIXES = ("/api/v1/debug-sessions", "/api/debugSessions")
TEMPLATE_PREFIXES = ("/api/v1/debug-session-templates", "/api/debugSessions/templates")
POD_TEMPLATE_PREFIXES = ("/api/v1/debug-pod-templates", "/api/debugSessions/podTemplates")
AUTHORIZE_PREFIXES = ("/api/v1/authorize", "/api/breakglass/webhook/authorize")


def create_app(settings: ApiSettings, client: Client | None = None) -> FastAPI:
    """Build the app. `client` lets tests share one Temporal client; otherwise the lifespan connects."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        temporal = client or await connect(settings.temporal)
        # Whoever starts first registers the search attributes (idempotent): creating a session needs them.
        # Bounded: a Temporal that answers nothing must not keep the API from serving (and saying so).
        try:
            await asyncio.wait_for(
                register_or_report(temporal, settings.temporal.namespace, log), settings.request_timeout
            )
        except (TimeoutError, RPCError) as exc:
            log.warning("search attributes not checked (Temporal unavailable): %s", exc or "timed out")
        tokens = load_tokens(settings.tokens_file) if settings.tokens_file else {}
        watcher = await asyncio.to_thread(
            open_catalog,
            settings.catalog_source,
            settings.catalog_dir,
            settings.catalog_kubeconfig,
            settings.catalog_namespace,
            settings.catalog_strict,
            settings.catalog_poll_interval,
        )
        health = ClusterHealth(lambda: watcher.catalog, settings.cluster_health_interval)
        await health.check_all()
        health.start()
        pods = PodTracker(lambda: watcher.catalog)
        await pods.start(unready=health.unready())
        index = SessionIndex(temporal, settings.index_refresh_interval)
        try:
            await asyncio.wait_for(index.refresh(), settings.request_timeout)
        except (TimeoutError, RPCError) as exc:  # the background refresh keeps trying
            log.warning("session index not loaded yet (Temporal unavailable): %s", exc or "timed out")
        index.start()
        counts = SessionCounts(temporal)
        counts.start()
        auditor = Auditor.from_settings(
            AuditSettings(), lambda result: metrics.deliveries.labels("audit_sink", result).inc()
        )
        auditor.start()
        oidc = (
            OidcVerifier(
                OidcConfig(
                    issuer=settings.oidc_issuer,
                    audience=settings.oidc_audience,
                    jwks_url=settings.oidc_jwks_url,
                    username_claim=settings.oidc_username_claim,
                    groups_claim=settings.oidc_groups_claim,
                    refetch_cooldown_seconds=settings.oidc_refetch_cooldown,
                )
            )
            if settings.oidc_issuer
            else None
        )
        app.state.api = ApiState(
            settings=settings,
            client=temporal,
            watcher=watcher,
            index=index,
            health=health,
            pods=pods,
            admission=AdmissionGuard(temporal, settings.task_queue),
            tokens=tokens,
            oidc=oidc,
            feed=SessionFeed(temporal),
            metrics=metrics,
            auditor=auditor,
        )
        metrics.watch_index(lambda: index.refreshed_at.timestamp() if index.refreshed_at else None)
        metrics.watch_sessions(index, pods, counts)
        metrics.watch_catalog(watcher)
        log.info(
            "API ready: catalog %s, %d tokens, Temporal %s",
            settings.catalog_dir if settings.catalog_source == "directory" else "from the hub cluster",
            len(tokens),
            settings.temporal.address,
        )
        try:
            yield
        finally:
            if app.state.api.feed is not None:
                await app.state.api.feed.stop()
            await auditor.stop()
            await counts.stop()
            await index.stop()
            await pods.stop()
            await health.stop()
            watcher.stop()

    app = FastAPI(
        title="Debug Sessions API",
        description="Temporary, controlled, audited access to debug pods on Kubernetes clusters.",
        version="0.1.0",
        lifespan=lifespan,
    )
    errors.install(app)
    openapi.install(app)
    app.add_middleware(errors.Deadline, seconds=settings.request_timeout)
    metrics = ApiMetrics()
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)  # outermost: it also sees the deadline's 503s
    app.include_router(health.router)
    app.include_router(config.router)
    for prefix in TEMPLATE_PREFIXES:
        app.include_router(templates.templates_router, prefix=prefix)
    for prefix in POD_TEMPLATE_PREFIXES:
        app.include_router(templates.pod_templates_router, prefix=prefix)
    for prefix in SESSION_PREFIXES:
        app.include_router(preview.router, prefix=prefix)  # before /{name}: `preview` is no session
        app.include_router(sessions.router, prefix=prefix)
        app.include_router(kubectl_debug.router, prefix=prefix)
    for prefix in AUTHORIZE_PREFIXES:
        app.include_router(authorize.router, prefix=prefix)
    ui.install(app)  # the web UI (api/ui/): its pages, static files and login; DEBUG_SESSION_UI_ENABLED
    return app
