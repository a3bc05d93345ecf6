"""Preview a create: the same body, the same admission as `POST .../debug-sessions`, and instead of a
workflow the objects the session would create, in creation order (what `dsctl preview` prints).

Nothing is started and nothing touches a cluster; the refusals are create's own (same checks, same
messages, same statuses), including the binding's session limits counted from visibility. The web UI's
"Preview" button shows this answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from api.deps import Caller, CatalogDep, State
from api.errors import ApiError, envelope
from api.responses import errors
from api.routes.sessions import open_counts
from api.views import ApiModel
from api.visibility import SAFE_NAME
from domain.durations import format_duration
from domain.resolution.request import CreateSessionRequest
from domain.resolution.resolve import resolve_session
from rendering.errors import RenderingError
from rendering.plan import build_plan

router = APIRouter(tags=["debug sessions"])


class PreviewObject(ApiModel):
    """One object the session would create, with the step that creates it."""

    step: str = Field(
        description="resource-quota, pdb, pod-template-resource, auxiliary-before, workload or auxiliary-after."
    )
    source: str = Field(description="debug-pod, debug-resourcequota, debug-pdb, pod-template or auxiliary:<name>.")
    manifest: dict[str, Any] = Field(description="The object as it would be applied.")


class SessionPreview(ApiModel):
    """What creating the same request would do now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session": "debug-sam-dev-1-m1x2y3",
                    "cluster": "dev-1",
                    "namespace": "breakglass-debug",
                    "mode": "workload",
                    "duration": "1h",
                    "approvalRequired": False,
                    "approverGroups": [],
                    "approverUsers": [],
                    "warnings": [],
                    "objects": [
                        {
                            "step": "workload",
                            "source": "debug-pod",
                            "manifest": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}},
                        }
                    ],
                }
            ]
        }
    )

    session: str = Field(description="The name the session would get (a create picks its own, a moment later).")
    cluster: str
    namespace: str = Field(description="Where its workloads go.")
    mode: str = Field(description="workload, kubectl-debug or hybrid (kubectl-debug deploys nothing up front).")
    duration: str = Field(description="How long it would last once active.")
    approval_required: bool
    approver_groups: list[str]
    approver_users: list[str]
    warnings: list[str] = Field(description="What create would answer as warnings, and what rendering noticed.")
    objects: list[PreviewObject]


@router.api_route(
    "/preview", methods=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"], include_in_schema=False
)
async def preview_other_methods() -> JSONResponse:
    """405 naming POST: without this route a GET would reach `GET /{name}` (a session named "preview") and a
    405 would name that route's methods too."""
    response = envelope(405, "method not allowed")
    response.headers["Allow"] = "POST"
    return response


@router.post(
    "/preview",
    response_model=SessionPreview,
    responses=errors(403),
)
async def preview_session(body: CreateSessionRequest, who: Caller, state: State, catalog: CatalogDep) -> SessionPreview:
    """Admit the request exactly as create does (same refusals) and answer the objects it would create,
    without starting anything. A template that would fail to render is a 400 `the session would fail: ...`."""
    template = body.template_ref.strip()
    counts = await open_counts(state, catalog, template, who, ()) if SAFE_NAME.match(template) else {}
    now = datetime.now(UTC)
    resolution = resolve_session(
        catalog,
        who,
        body,
        now,
        session_namespace=state.settings.sessions_namespace,
        unready_clusters=state.health.unready(),
        open_sessions=counts,
    )
    session = resolution.session
    try:
        plan = build_plan(session, now)
    except RenderingError as exc:
        raise ApiError(400, f"the session would fail: {exc}") from exc
    return SessionPreview(
        session=session.name,
        cluster=session.cluster.name,
        namespace=plan.namespace,
        mode=session.mode,
        duration=format_duration(session.duration),
        approval_required=session.approval.required,
        approver_groups=list(session.approval.approver_groups),
        approver_users=list(session.approval.approver_users),
        warnings=[*resolution.warnings, *plan.warnings],
        objects=[PreviewObject(step=o.step, source=o.source, manifest=o.manifest) for o in plan.objects],
    )
