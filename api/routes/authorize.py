"""The kube-apiserver's authorization webhook: SubjectAccessReviews for the sessions' pods."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from api.deps import State
from api.errors import ApiError
from domain.access_review import SubjectAccessReview, decide

router = APIRouter(tags=["authorization webhook"])
API_VERSIONS = ("authorization.k8s.io/v1", "authorization.k8s.io/v1beta1")


@router.post("/{cluster}")
async def authorize(cluster: str, request: Request, state: State) -> dict[str, Any]:
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
    attrs = review.spec.resource_attributes
    pod = f"{attrs.namespace}/{attrs.name}" if attrs is not None else ""
    sessions = state.index.sessions(cluster, pod, state.pods.session_of(cluster, pod))
    decision = decide(sessions, cluster, review.spec, datetime.now(UTC))
    return {
        "apiVersion": review.api_version,
        "kind": "SubjectAccessReview",
        "status": {"allowed": decision.allowed, "reason": decision.reason},
    }
