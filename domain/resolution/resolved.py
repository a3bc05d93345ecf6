"""ResolvedSession: everything a session needs, resolved once at create time (the workflow's input)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from domain.base import Frozen
from domain.binding import DebugSessionClusterBindingSpec
from domain.identity import Identity
from domain.impersonation import ImpersonationConfig
from domain.pod_template import DebugPodTemplateSpec
from domain.policy import AllowedPodOperations, ApprovalReasonConfig, NotificationConfig, RequestReasonConfig
from domain.resolution.approval import ApprovalPolicy
from domain.resolution.constraints import EffectiveConstraints
from domain.resolution.namespaces import NamespaceResolution
from domain.resolution.scheduling import SchedulingResolution
from domain.session_template import DebugSessionTemplateSpec, Mode


class ResolvedCluster(Frozen):
    """The target cluster as configured when the session was created."""

    name: str
    display_name: str = ""
    kubeconfig_path: str
    kubeconfig_context: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class ResolvedBindingRef(Frozen):
    """The binding the session was created through, with its spec as it was then."""

    name: str
    namespace: str
    display_name: str
    spec: DebugSessionClusterBindingSpec

    @property
    def ref(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"


class ResolvedSession(Frozen):
    """Immutable snapshot: later catalog edits never change a running session."""

    name: str
    namespace: str
    """The namespace the DebugSession object lives in (the API's sessions namespace)."""
    created_at: datetime
    requester: Identity
    template_name: str
    template: DebugSessionTemplateSpec
    """The template's spec as it was at creation (the reference's status.resolvedTemplate)."""
    pod_template_name: str | None = None
    pod_template: DebugPodTemplateSpec | None = None
    cluster: ResolvedCluster
    binding: ResolvedBindingRef | None = None
    mode: Mode
    constraints: EffectiveConstraints
    duration: timedelta
    """How long the session runs once active (requested, else the default; never above the maximum)."""
    requested_duration: str = ""
    reason: str = ""
    node_selector: dict[str, str] = Field(default_factory=dict)
    invited_participants: tuple[str, ...] = ()
    target: NamespaceResolution
    scheduling: SchedulingResolution
    allowed_pod_operations: AllowedPodOperations
    approval: ApprovalPolicy
    extra_deploy_values: dict[str, Any] = Field(default_factory=dict)
    """Values as the user sent them, after coercion (stored for audit and display)."""
    vars: dict[str, str] = Field(default_factory=dict)
    """Values as templates see them in `.vars` (defaults, then user values, as strings; not yet sanitised)."""
    request_reason: RequestReasonConfig | None = None
    approval_reason: ApprovalReasonConfig | None = None
    notification: NotificationConfig | None = None
    impersonation: ImpersonationConfig | None = None
    enabled_auxiliary_resources: tuple[str, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the session object: the three reserved keys plus the binding's (reserved keys excluded)."""
    annotations: dict[str, str] = Field(default_factory=dict)
