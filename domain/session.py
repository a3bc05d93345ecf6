"""DebugSession: the user-facing resource shape (spec the user asked for, status the system reports)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from domain.base import Model
from domain.meta import NamespacedRef, ObjectMeta, StringMap, Time
from domain.policy import AllowedPodOperations, ApprovalReasonConfig, RequestReasonConfig
from domain.scheduling import SchedulingConstraints


class SessionState(StrEnum):
    """Lifecycle states (DESIGN decision 2: Pending is written explicitly). The one definition: the
    workflow, the API, the CLI and the UI all read this."""

    PENDING = "Pending"
    PENDING_APPROVAL = "PendingApproval"
    ACTIVE = "Active"
    EXPIRED = "Expired"
    TERMINATED = "Terminated"
    FAILED = "Failed"


ParticipantRole = Literal["owner", "participant", "viewer"]


class DebugSessionSpec(Model):
    """What was requested; immutable after creation."""

    cluster: str = Field(min_length=1)
    template_ref: str = Field(min_length=1)
    requested_by: str = Field(min_length=1)
    requested_by_email: str = ""
    requested_by_display_name: str = ""
    user_groups: list[str] = Field(default_factory=list)
    requested_duration: str | None = None
    reason: str = ""
    node_selector: StringMap = Field(default_factory=dict)
    invited_participants: list[str] = Field(default_factory=list)
    target_namespace: str | None = None
    selected_scheduling_option: str | None = None
    resolved_scheduling_constraints: SchedulingConstraints | None = None
    binding_ref: NamespacedRef | None = None
    selected_auxiliary_resources: list[str] = Field(default_factory=list)
    request_reason_config: RequestReasonConfig | None = None
    approval_reason_config: ApprovalReasonConfig | None = None
    extra_deploy_values: dict[str, Any] = Field(default_factory=dict)


class Approval(Model):
    """The approval decision."""

    required: bool = False
    approved_by: str | None = None
    approved_at: Time | None = None
    rejected_by: str | None = None
    rejected_at: Time | None = None
    reason: str | None = None


class Participant(Model):
    """A user in the session."""

    user: str
    email: str = ""
    display_name: str = ""
    role: ParticipantRole
    joined_at: Time
    left_at: Time | None = None


class TerminalSharingStatus(Model):
    """The shared terminal participants attach to."""

    enabled: bool = False
    session_name: str = ""
    attach_command: str = ""


class DeployedResource(Model):
    """An object the session created on the target cluster."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""
    source: str = ""
    uid: str = ""


class ContainerStatusSummary(Model):
    """Why a pod's container is not running, in short."""

    waiting_reason: str = ""
    waiting_message: str = ""
    restart_count: int = 0
    last_termination_reason: str = ""


class AllowedPod(Model):
    """A pod participants may exec/attach/port-forward/log into."""

    namespace: str
    name: str
    node_name: str = ""
    ready: bool = False
    phase: str = ""
    container_status: ContainerStatusSummary | None = None


class InjectedEphemeralContainer(Model):
    """An ephemeral container injected by a participant (it cannot be removed from its pod)."""

    pod_name: str
    namespace: str
    container_name: str
    image: str
    injected_at: Time
    injected_by: str
    stops_at: Time | None = None
    """When its command's timeout ends it (the session's end as of the injection; DESIGN decision 10)."""


class CopiedPod(Model):
    """A debug copy of a pod."""

    original_pod: str
    original_namespace: str
    copy_name: str
    copy_namespace: str
    created_at: Time
    expires_at: Time | None = None
    created_by: str = ""
    deleted_at: Time | None = None
    """Set when the copy was removed at its TTL (ours: the reference never enforces the TTL)."""


class NodeDebugPod(Model):
    """A privileged debug pod pinned to a node (ours: the reference only lists it in deployedResources)."""

    pod_name: str
    namespace: str
    node_name: str
    image: str
    created_at: Time
    created_by: str
    stops_at: Time | None = None


class KubectlDebugStatus(Model):
    """What kubectl-debug operations created."""

    ephemeral_containers_injected: list[InjectedEphemeralContainer] = Field(default_factory=list)
    copied_pods: list[CopiedPod] = Field(default_factory=list)
    node_debug_pods: list[NodeDebugPod] = Field(default_factory=list)


class ResolvedBinding(Model):
    """The binding a session was created through."""

    name: str
    namespace: str
    display_name: str = ""


class AdditionalResourceStatus(Model):
    """Status of the second and later documents of an auxiliary resource."""

    kind: str = ""
    api_version: str = ""
    resource_name: str = ""
    namespace: str = ""
    ready: bool = False
    readiness_status: str = ""
    deleted: bool = False
    error: str = ""


class AuxiliaryResourceStatus(Model):
    """Status of one auxiliary resource (its first document; the rest in additionalResources)."""

    name: str
    category: str = ""
    kind: str = ""
    api_version: str = ""
    resource_name: str = ""
    namespace: str = ""
    created: bool = False
    created_at: str = ""
    ready: bool = False
    ready_at: str = ""
    readiness_status: str = ""
    deleted: bool = False
    deleted_at: str = ""
    error: str = ""
    additional_resources: list[AdditionalResourceStatus] = Field(default_factory=list)


class PodTemplateResourceStatus(Model):
    """Status of an extra document of a multi-document pod template."""

    kind: str = ""
    api_version: str = ""
    resource_name: str = ""
    namespace: str = ""
    source: str = "podTemplateString"
    created: bool = False
    created_at: str = ""
    ready: bool = False
    ready_at: str = ""
    readiness_status: str = ""
    deleted: bool = False
    deleted_at: str = ""
    error: str = ""


class SessionEventView(Model):
    """A line of the session's own history: when, what kind (created, approved, renewed, ...), what."""

    at: Time
    type: str
    message: str
    actor: str = ""
    """Who caused it (empty: the session itself)."""


class DebugSessionStatus(Model):
    """What the system reports about a session."""

    observed_generation: int | None = None
    state: SessionState = Field(default=SessionState.PENDING, strict=False)  # YAML gives a string
    message: str = ""
    approval: Approval | None = None
    participants: list[Participant] = Field(default_factory=list)
    terminal_sharing: TerminalSharingStatus | None = None
    deployed_resources: list[DeployedResource] = Field(default_factory=list)
    allowed_pods: list[AllowedPod] = Field(default_factory=list)
    allowed_pod_operations: AllowedPodOperations | None = None
    kubectl_debug_status: KubectlDebugStatus | None = None
    starts_at: Time | None = None
    expires_at: Time | None = None
    renewal_count: int = 0
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    resolved_template: dict[str, Any] | None = None
    resolved_binding: ResolvedBinding | None = None
    auxiliary_resource_statuses: list[AuxiliaryResourceStatus] = Field(default_factory=list)
    pod_template_resource_statuses: list[PodTemplateResourceStatus] = Field(default_factory=list)
    cleanup: Literal["Pending", "Done"] | None = Field(
        default=None,
        description="Pending while an ended session's objects may still be on the cluster, Done once removed.",
    )
    warnings: list[str] = Field(default_factory=list)
    events: list[SessionEventView] = Field(default_factory=list, description="The session's own history.")


class DebugSession(Model):
    """Namespaced session resource, as the API shows it."""

    api_version: str = ""
    kind: Literal["DebugSession"] = "DebugSession"
    metadata: ObjectMeta
    spec: DebugSessionSpec
    status: DebugSessionStatus | None = None
