"""SubjectAccessReview decisions for the session's pods (pure: the API feeds it its in-memory index).

Allowed iff some session on *that* cluster is Active and still live at the moment of the decision, the
pod is one of its allowed pods, the operation one of its allowed operations, and the user an active
owner/participant. Otherwise no opinion (`allowed: false`, never `denied`), so the cluster's own RBAC
still decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.base import Frozen

POD_SUBRESOURCES = frozenset({"exec", "attach", "portforward", "log"})


class ResourceAttributes(BaseModel):
    """What the apiserver asks about (authorization.k8s.io/v1 ResourceAttributes)."""

    model_config = ConfigDict(extra="ignore")

    namespace: str = ""
    verb: str = ""
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""


class ReviewSpec(BaseModel):
    """SubjectAccessReviewSpec."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    resource_attributes: ResourceAttributes | None = Field(default=None, alias="resourceAttributes")
    non_resource_attributes: dict[str, Any] | None = Field(default=None, alias="nonResourceAttributes")
    user: str = ""
    groups: list[str] = Field(default_factory=list)
    uid: str = ""
    extra: dict[str, list[str]] = Field(default_factory=dict)


class SubjectAccessReview(BaseModel):
    """The review the kube-apiserver posts to an authorization webhook."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    api_version: str = Field(alias="apiVersion")
    kind: str
    spec: ReviewSpec


class IndexedSession(Frozen):
    """What a decision needs of one Active session (kept in the API's index)."""

    name: str
    cluster: str
    live_until: datetime
    pods: frozenset[str]
    """`namespace/name`."""
    operations: frozenset[str]
    """SubjectAccessReview subresources: exec, attach, log, portforward."""
    operators: dict[str, str]
    """username -> role (owner or participant) of active, not departed, participants."""
    template: str = ""
    participants: int = 0
    """Participants who have not left, viewers included (metrics)."""


class Decision(Frozen):
    """The answer: allowed or no opinion, with a reason for the apiserver's audit log."""

    allowed: bool
    reason: str
    session: str = ""
    """The session that allowed it (for the audit trail)."""


def decide(sessions: Iterable[IndexedSession], cluster: str, spec: ReviewSpec, now: datetime) -> Decision:
    """Decide one review for `cluster` against the Active sessions given."""
    attrs = spec.resource_attributes
    if attrs is None or attrs.resource != "pods" or attrs.group not in ("", "core"):
        return Decision(allowed=False, reason="not a pod request: no opinion from debug sessions")
    if attrs.subresource not in POD_SUBRESOURCES:
        return Decision(allowed=False, reason=f"pods/{attrs.subresource or '-'} is not a debug-session operation")
    if not attrs.name or not attrs.namespace:
        return Decision(allowed=False, reason="a pod name and namespace are required for a debug-session decision")
    pod = f"{attrs.namespace}/{attrs.name}"
    for session in sessions:
        if session.cluster != cluster or now >= session.live_until or pod not in session.pods:
            continue
        role = session.operators.get(spec.user)
        if role is None:
            continue
        if attrs.subresource not in session.operations:
            return Decision(
                allowed=False,
                reason=f"debug session {session.name} does not allow {attrs.subresource} (allowedPodOperations)",
            )
        return Decision(
            allowed=True,
            reason=f"debug session {session.name}: {spec.user} ({role}) may {attrs.subresource} pod {pod}",
            session=session.name,
        )
    return Decision(
        allowed=False,
        reason=f"no active debug session on cluster {cluster} grants {attrs.subresource} on pod {pod} to {spec.user}",
    )
