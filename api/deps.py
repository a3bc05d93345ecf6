"""Request dependencies: the process state, the caller, the catalog (tests override them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api.admission_guard import AdmissionGuard
from api.audit_trail import Auditor
from api.cluster_health import ClusterHealth
from api.errors import ApiError
from api.metrics import ApiMetrics
from api.oidc import OidcVerifier
from api.pod_tracker import PodTracker
from api.session_feed import SessionFeed
from api.session_index import SessionIndex
from api.settings import ApiSettings
from domain.catalog.catalog import Catalog
from domain.catalog.watch import CatalogSource
from domain.identity import Identity
from workflows.models import Actor


@dataclass
class ApiState:
    """What the lifespan built: one Temporal client, the catalog watcher, the token table."""

    settings: ApiSettings
    client: Client
    watcher: CatalogSource
    index: SessionIndex
    health: ClusterHealth
    pods: PodTracker
    admission: AdmissionGuard
    """Serialises creates per template through Temporal, for every replica (session limits)."""
    tokens: dict[str, Identity] = field(default_factory=dict)
    oidc: OidcVerifier | None = None
    feed: SessionFeed | None = None
    """Session changes for watchers (built by the lifespan)."""
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    """The app's Prometheus metrics (api/metrics.py)."""
    auditor: Auditor = field(default_factory=Auditor)
    """The API's part of the audit trail (off unless the lifespan builds it from settings)."""


def get_state(request: Request) -> ApiState:
    """The process state."""
    state: ApiState = request.app.state.api
    return state


State = Annotated[ApiState, Depends(get_state)]


def get_caller(request: Request, state: State) -> Identity:
    # sync on purpose: FastAPI runs it in the thread pool, where a JWKS fetch may block briefly
    """The authenticated caller (bearer token) or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "No Bearer token provided in Authorization header")
    who = state.tokens.get(token.strip())
    if who is not None:
        return who
    if state.oidc is None:
        raise ApiError(401, "user not authenticated", "unknown or expired token")
    return state.oidc.verify(token.strip())


Caller = Annotated[Identity, Depends(get_caller)]


def get_catalog(state: State) -> Catalog:
    """The last good catalog, or 503 while none has loaded."""
    catalog = state.watcher.catalog
    if catalog is None:
        raise ApiError(503, "catalog not loaded", "see the API log for the catalog errors")
    return catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def actor_for(who: Identity, state: ApiState) -> Actor:
    """The caller as a workflow actor; admin when in a DEBUG_SESSION_ADMIN_GROUPS group."""
    return Actor(
        username=who.username,
        email=who.email,
        display_name=who.display_name,
        groups=who.groups,
        admin=bool(state.settings.admin_group_set & set(who.groups)),
    )
