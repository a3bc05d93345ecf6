"""JSON shapes the API answers with: the DebugSession resource (seed shape) and its list summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.base import API_VERSION
from domain.resolution.resolved import ResolvedSession
from workflows.models import SessionStatus


def rfc3339(t: datetime | None) -> str | None:
    """A timestamp as the API shows it: RFC 3339 in whole seconds, UTC."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else None


def _dump(model: Any) -> Any:
    """A status model as JSON, with every timestamp as RFC 3339 in whole seconds (like the rest of the view)."""
    return _times(model.model_dump(by_alias=True, exclude_none=True)) if model is not None else None


def _times(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {k: _times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_times(v) for v in value]
    return value


def debug_session(session: ResolvedSession, status: SessionStatus, **extra: Any) -> dict[str, Any]:
    """The DebugSession object (apiVersion/kind/metadata/spec/status) plus top-level extras (canApprove, ...)."""
    who = session.requester
    spec: dict[str, Any] = {
        "cluster": session.cluster.name,
        "templateRef": session.template_name,
        "requestedBy": who.username,
        "requestedByEmail": who.email,
        "requestedByDisplayName": who.display_name,
        "userGroups": list(who.groups),
        "requestedDuration": session.requested_duration or None,
        "reason": session.reason,
        "nodeSelector": session.node_selector,
        "invitedParticipants": list(session.invited_participants),
        "targetNamespace": session.target.namespace,
        "selectedSchedulingOption": session.scheduling.selected_option or None,
        "resolvedSchedulingConstraints": _dump(session.scheduling.constraints),
        "bindingRef": {"name": session.binding.name, "namespace": session.binding.namespace}
        if session.binding
        else None,
        "requestReasonConfig": _dump(session.request_reason),
        "approvalReasonConfig": _dump(session.approval_reason),
        "extraDeployValues": session.extra_deploy_values,
    }
    approval = status.approval
    body_status: dict[str, Any] = {
        "state": str(status.state),
        "message": status.message,
        "approval": {
            "required": approval.required,
            "approvedBy": approval.approved_by,
            "approvedAt": rfc3339(approval.approved_at),
            "rejectedBy": approval.rejected_by,
            "rejectedAt": rfc3339(approval.rejected_at),
            "reason": approval.reason or None,
        },
        "participants": [
            {
                "user": p.user,
                "email": p.email,
                "displayName": p.display_name,
                "role": p.role,
                "joinedAt": rfc3339(p.joined_at),
                "leftAt": rfc3339(p.left_at),
            }
            for p in status.participants
        ],
        "startsAt": rfc3339(status.starts_at),
        "expiresAt": rfc3339(status.expires_at),
        "renewalCount": status.renewal_count,
        "cleanup": status.cleanup or None,
        "allowedPods": [_dump(p) for p in status.allowed_pods],
        "allowedPodOperations": _dump(status.allowed_pod_operations),
        "deployedResources": [_dump(r) for r in status.deployed_resources],
        "auxiliaryResourceStatuses": [_dump(a) for a in status.auxiliary_resource_statuses],
        "podTemplateResourceStatuses": [_dump(p) for p in status.pod_template_resource_statuses],
        "kubectlDebugStatus": _dump(status.kubectl_debug_status),
        "terminalSharing": _dump(status.terminal_sharing),
        "resolvedBinding": {
            "name": session.binding.name,
            "namespace": session.binding.namespace,
            "displayName": session.binding.display_name,
        }
        if session.binding
        else None,
        "resolvedTemplate": session.template.model_dump(mode="json", by_alias=True, exclude_none=True)
        | {"constraints": session.constraints.model_dump(mode="json", by_alias=True)},
        "warnings": list(status.warnings),
        "events": [{"at": rfc3339(e.at), "type": e.type, "message": e.message} for e in status.events],
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "DebugSession",
        "metadata": {
            "name": session.name,
            "namespace": session.namespace,
            "labels": session.labels,
            "annotations": session.annotations,
            "creationTimestamp": rfc3339(session.created_at),
        },
        "spec": {k: v for k, v in spec.items() if v is not None},
        "status": {k: v for k, v in body_status.items() if v is not None},
        **extra,
    }
