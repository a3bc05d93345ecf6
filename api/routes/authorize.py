"""The kube-apiserver's authorization webhook: SubjectAccessReviews for the sessions' pods."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import State
from api.errors import ApiError
from api.openapi import inline_schema
from api.responses import errors
from domain.access_review import SubjectAccessReview, decide

router = APIRouter(tags=["authorization webhook"])
API_VERSIONS = ("authorization.k8s.io/v1", "authorization.k8s.io/v1beta1")
REVIEW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The SubjectAccessReview the kube-apiserver posts (its webhook configuration names this URL).",
        "content": {
            "application/json": {
                "schema": inline_schema(
                    SubjectAccessReview,
                    apiVersion={"enum": list(API_VERSIONS)},
                    kind={"enum": ["SubjectAccessReview"]},
                )
            }
        },
    }
}


class ReviewStatus(BaseModel):
    allowed: bool
    reason: str = ""


class ReviewAnswer(BaseModel):
    """The review, answered: allowed, or no opinion (the apiserver then asks its other authorizers)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    api_version: str = Field(alias="apiVersion")
    kind: str = "SubjectAccessReview"
    status: ReviewStatus


@router.post("/{cluster}", response_model=ReviewAnswer, openapi_extra=REVIEW_BODY, responses=errors(401))
async def authorize(cluster: str, request: Request, state: State) -> ReviewAnswer:
    """Answer a SubjectAccessReview: allowed for a live session's pods and operators, else no opinion."""
    token = state.settings.webhook_token
    if token and request.headers.get("authorization", "") != f"Bearer {token}":
        raise ApiError(401, "user not authenticated", "the webhook token does not match")
    try:
        review = SubjectAccessReview.model_validate_json(await request.body())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ApiError(400, f"invalid SubjectAccessReview: {where}: {first['msg']}") from exc
    if review.kind != "SubjectAccessReview" or review.api_version not in API_VERSIONS:
        raise ApiError(400, f"invalid SubjectAccessReview: expected kind SubjectAccessReview of {API_VERSIONS[0]}")
    started = time.perf_counter()
    attrs = review.spec.resource_attributes
    pod = f"{attrs.namespace}/{attrs.name}" if attrs is not None else ""
    sessions = state.index.sessions(cluster, pod, state.pods.session_of(cluster, pod))
    decision = decide(sessions, cluster, review.spec, datetime.now(UTC))
    state.metrics.decisions.labels(cluster, "allowed" if decision.allowed else "no_opinion").inc()
    state.metrics.decision_seconds.observe(time.perf_counter() - started)
    if decision.allowed and attrs is not None:
        state.auditor.access_allowed(
            cluster, review.spec.user, attrs.namespace, attrs.name, attrs.subresource, decision.session
        )
    return ReviewAnswer(
        api_version=review.api_version, status=ReviewStatus(allowed=decision.allowed, reason=decision.reason)
    )
