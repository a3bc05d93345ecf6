"""DebugSessionClusterBinding: delegates a template to clusters and teams, with overrides."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from domain.base import Model
from domain.impersonation import ImpersonationConfig
from domain.meta import LabelSelector, NameRef, ObjectMeta, StringMap, Time
from domain.namespaces import NamespaceConstraints
from domain.policy import (
    AllowedPodOperations,
    AllowedSubjects,
    ApprovalReasonConfig,
    Approvers,
    DebugSessionConstraints,
    NotificationConfig,
    RequestReasonConfig,
)
from domain.scheduling import SchedulingConstraints, SchedulingOptions

DEFAULT_NAMESPACE = "default"
"""A binding without metadata.namespace is in `default`, as `kubectl apply` would put it (DESIGN 17)."""


class DebugSessionClusterBindingSpec(Model):
    """Which template(s), which clusters, for whom, and what to override."""

    display_name: str = ""
    display_name_prefix: str = ""
    description: str = ""
    template_ref: NameRef | None = None
    template_selector: LabelSelector | None = None
    clusters: list[str] = Field(default_factory=list)
    cluster_selector: LabelSelector | None = None
    allowed: AllowedSubjects | None = None
    approvers: Approvers | None = None
    """Replaces the template's approvers whenever present, even when empty (empty = auto-approve)."""
    scheduling_constraints: SchedulingConstraints | None = None
    scheduling_options: SchedulingOptions | None = None
    constraints: DebugSessionConstraints | None = None
    namespace_constraints: NamespaceConstraints | None = None
    impersonation: ImpersonationConfig | None = None
    required_auxiliary_resource_categories: list[str] = Field(default_factory=list)
    auxiliary_resource_overrides: dict[str, bool] = Field(default_factory=dict)
    disabled: bool = False
    allowed_pod_operations: AllowedPodOperations | None = None
    """Restrict-only: the resolver uses only the operations the binding states explicitly."""
    notification: NotificationConfig | None = None
    request_reason: RequestReasonConfig | None = None
    approval_reason: ApprovalReasonConfig | None = None
    labels: StringMap = Field(default_factory=dict)
    annotations: StringMap = Field(default_factory=dict)
    priority: int | None = None
    hidden: bool = False
    expires_at: Time | None = None
    effective_from: Time | None = None
    max_active_sessions_per_user: int | None = Field(default=None, ge=1)
    max_active_sessions_total: int | None = Field(default=None, ge=1)


class DebugSessionClusterBinding(Model):
    """Namespaced binding of a template to clusters."""

    api_version: str = ""
    kind: Literal["DebugSessionClusterBinding"] = "DebugSessionClusterBinding"
    metadata: ObjectMeta
    spec: DebugSessionClusterBindingSpec
    status: dict[str, Any] | None = None

    @property
    def namespace(self) -> str:
        """The binding's namespace (`default` when the manifest names none)."""
        return self.metadata.namespace or DEFAULT_NAMESPACE

    @property
    def ref(self) -> str:
        """`namespace/name`, the form `bindingRef` takes everywhere."""
        return f"{self.namespace}/{self.metadata.name}"
