"""What the session routes answer, as models: the DebugSession resource, its list summary, the action results.

The resource model itself is `domain.session.DebugSession` (the one the catalog parses and the CLI and UI
read); this module builds it from a session's resolved snapshot and status, and adds what only the API
answers (canApprove, canReject, create warnings). Timestamps are whole seconds in UTC (`...T12:00:00Z`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar, cast, overload

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from domain.base import API_VERSION
from domain.meta import NamespacedRef, ObjectMeta
from domain.policy import AllowedPodOperations
from domain.resolution.resolved import ResolvedSession
from domain.session import (
    Approval,
    DebugSession,
    DebugSessionSpec,
    DebugSessionStatus,
    KubectlDebugStatus,
    Participant,
    ResolvedBinding,
    SessionEventView,
    SessionState,
)
from workflows.models import SessionStatus

MODE_LABEL = "breakglass.telekom.de/mode"
"""Set on sessions whose template allows kubectl-debug operations: the reference's UI shows its
kubectl-debug panel only for sessions carrying it."""

M = TypeVar("M", bound=BaseModel)


def rfc3339(t: datetime | None) -> str | None:
    """A timestamp as the API shows it: RFC 3339 in whole seconds, UTC."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else None


@overload
def whole_seconds(t: datetime) -> datetime: ...
@overload
def whole_seconds(t: None) -> None: ...
@overload
def whole_seconds(t: datetime | None) -> datetime | None: ...
def whole_seconds(t: datetime | None) -> datetime | None:
    """Whole seconds: the API never shows fractions of a second."""
    return t.replace(microsecond=0) if t is not None else None


def _copy(model: BaseModel | None, as_type: type[M]) -> M | None:
    """`model` (a workflow record) as the API's model of the same shape, timestamps in whole seconds."""
    if model is None:
        return None
    return as_type.model_validate(_whole_seconds(model.model_dump()), strict=False)


def _whole_seconds(value: Any) -> Any:
    if isinstance(value, datetime):
        return whole_seconds(value)
    if isinstance(value, dict):
        return {k: _whole_seconds(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_whole_seconds(v) for v in value]
    return value


class DebugSessionView(DebugSession):
    """A DebugSession as the API answers it: the resource plus what the caller may do with it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "apiVersion": API_VERSION,
                    "kind": "DebugSession",
                    "metadata": {"name": "debug-alice-dev-1-m1x2y3", "namespace": "breakglass"},
                    "spec": {"cluster": "dev-1", "templateRef": "minimal-debug", "requestedBy": "alice"},
                    "status": {"state": "Active", "expiresAt": "2026-12-04T18:00:00Z", "allowedPods": []},
                    "canApprove": False,
                    "canReject": False,
                }
            ]
        }
    )

    can_approve: bool = Field(default=False, description="The caller may approve it now.")
    can_reject: bool = Field(default=False, description="The caller may reject it now (same rule as approve).")
    warnings: list[str] | None = Field(default=None, description="Only on create: what was defaulted or ignored.")


def debug_session(
    session: ResolvedSession,
    status: SessionStatus,
    *,
    can_decide: bool = False,
    warnings: list[str] | None = None,
) -> DebugSessionView:
    """The DebugSession resource of `session` in `status`, for a caller who may (or may not) decide it."""
    who = session.requester
    labels = dict(session.labels)
    if session.mode in ("kubectl-debug", "hybrid"):
        labels[MODE_LABEL] = session.mode
    binding = session.binding
    spec = DebugSessionSpec(
        cluster=session.cluster.name,
        template_ref=session.template_name,
        requested_by=who.username,
        requested_by_email=who.email,
        requested_by_display_name=who.display_name,
        user_groups=list(who.groups),
        requested_duration=session.requested_duration or None,
        reason=session.reason,
        node_selector=dict(session.node_selector),
        invited_participants=list(session.invited_participants),
        target_namespace=session.target.namespace,
        selected_scheduling_option=session.scheduling.selected_option or None,
        resolved_scheduling_constraints=session.scheduling.constraints,
        binding_ref=NamespacedRef(name=binding.name, namespace=binding.namespace) if binding else None,
        selected_auxiliary_resources=list(session.enabled_auxiliary_resources),
        request_reason_config=session.request_reason,
        approval_reason_config=session.approval_reason,
        extra_deploy_values=dict(session.extra_deploy_values),
    )
    approval = status.approval
    body_status = DebugSessionStatus(
        state=status.state,
        message=status.message,
        approval=Approval(
            required=approval.required,
            approved_by=approval.approved_by,
            approved_at=whole_seconds(approval.approved_at),
            rejected_by=approval.rejected_by,
            rejected_at=whole_seconds(approval.rejected_at),
            reason=approval.reason or None,
        ),
        participants=[
            Participant(
                user=p.user,
                email=p.email,
                display_name=p.display_name,
                role=p.role,
                joined_at=whole_seconds(p.joined_at),
                left_at=whole_seconds(p.left_at),
            )
            for p in status.participants
        ],
        starts_at=whole_seconds(status.starts_at),
        expires_at=whole_seconds(status.expires_at),
        renewal_count=status.renewal_count,
        cleanup=cast(Literal["Pending", "Done"], status.cleanup) if status.cleanup else None,
        allowed_pods=list(status.allowed_pods),
        allowed_pod_operations=status.allowed_pod_operations,
        deployed_resources=list(status.deployed_resources),
        auxiliary_resource_statuses=list(status.auxiliary_resource_statuses),
        pod_template_resource_statuses=list(status.pod_template_resource_statuses),
        kubectl_debug_status=_copy(status.kubectl_debug_status, KubectlDebugStatus),
        terminal_sharing=status.terminal_sharing,
        resolved_binding=ResolvedBinding(
            name=binding.name, namespace=binding.namespace, display_name=binding.display_name
        )
        if binding
        else None,
        resolved_template=session.template.model_dump(mode="json", by_alias=True, exclude_none=True)
        | {"constraints": session.constraints.model_dump(mode="json", by_alias=True)},
        warnings=list(status.warnings),
        events=[
            SessionEventView(at=whole_seconds(e.at), type=e.type, message=e.message, actor=e.actor)
            for e in status.events
        ],
    )
    return DebugSessionView(
        api_version=API_VERSION,
        metadata=ObjectMeta(
            name=session.name,
            namespace=session.namespace,
            labels=labels,
            annotations=dict(session.annotations),
            creation_timestamp=whole_seconds(session.created_at),
        ),
        spec=spec,
        status=body_status,
        can_approve=can_decide,
        can_reject=can_decide,
        warnings=warnings,
    )


class ApiModel(BaseModel):
    """A response body of ours (not a manifest): camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class DebugSessionSummary(ApiModel):
    """One row of a session list: what a table shows, without the resolved template."""

    name: str
    template_ref: str
    target_namespace: str | None = None
    cluster: str
    requested_by: str
    requested_by_display_name: str | None = None
    state: SessionState | None = None
    status_message: str | None = None
    starts_at: datetime | None = None
    expires_at: datetime | None = None
    participants: int = Field(description="Participants who have not left.")
    is_participant: bool = Field(description="The caller is one of them.")
    allowed_pods: int = Field(default=0, description="How many pods participants may use now.")
    allowed_pod_operations: AllowedPodOperations | None = None
    can_approve: bool
    can_reject: bool


class SessionList(ApiModel):
    """Sessions the caller may read (`sessions` is always a list)."""

    sessions: list[DebugSessionSummary]
    total: int = Field(description="How many are in `sessions`.")
    continue_: str | None = Field(
        default=None, alias="continue", description="Fetch the next page with `?continue=` this (only with `limit`)."
    )


class RenewResult(ApiModel):
    message: str = Field(examples=["session renewed successfully"])
    new_expires_at: datetime | None
    renewal_count: int


class JoinResult(ApiModel):
    message: str = Field(examples=["successfully joined session"])
    role: str = Field(examples=["viewer"])


class LeaveResult(ApiModel):
    message: str = Field(examples=["successfully left session"])


class InviteResult(ApiModel):
    message: str = Field(examples=["users invited"])
    invited_participants: list[str]


class EphemeralContainerInjected(ApiModel):
    success: bool = True
    message: str = Field(examples=["Ephemeral container 'debugger' injected into pod 'web-0'"])
    container_name: str
    container: str = Field(description="Same as containerName (the reference's clients read either).")
    pod: str
    namespace: str
    stops_at: datetime | None = Field(default=None, description="When its command's timeout ends it.")


class PodCopyCreated(ApiModel):
    message: str = Field(examples=["pod copy created successfully"])
    copy_name: str
    copy_namespace: str
    original_pod: str
    original_namespace: str
    expires_at: datetime | None = None


class NodeDebugPodCreated(ApiModel):
    message: str = Field(examples=["node debug pod created successfully"])
    pod_name: str
    namespace: str
    node: str
    image: str
    stops_at: datetime | None = None
