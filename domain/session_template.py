"""DebugSessionTemplate: what a session is allowed to be (mode, pod, policy, constraints, approval)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from domain.auxiliary import AuxiliaryResource
from domain.base import Model
from domain.extra_vars import ExtraDeployVariable
from domain.impersonation import ImpersonationConfig
from domain.k8s import K8sType
from domain.kubectl_debug import KubectlDebugConfig
from domain.meta import NameRef, ObjectMeta, StringMap
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
from domain.scheduling import SchedulingConstraints, SchedulingOptions, Tolerations

Mode = Literal["workload", "kubectl-debug", "hybrid"]
WorkloadType = Literal["DaemonSet", "Deployment"]


class ContainerOverride(Model):
    """Per-container override (accepted; the reference applies only the pod-level host flags)."""

    name: str = ""
    security_context: Annotated[dict[str, Any] | None, K8sType("V1SecurityContext")] = None
    resources: Annotated[dict[str, Any] | None, K8sType("V1ResourceRequirements")] = None
    env: Annotated[list[dict[str, Any]], K8sType("[]V1EnvVar")] = Field(default_factory=list)


class PodOverridesSpec(Model):
    """Host namespace switches (and container overrides) laid over the pod template."""

    host_network: bool | None = Field(default=None, alias="hostNetwork")
    host_pid: bool | None = Field(default=None, alias="hostPID")
    host_ipc: bool | None = Field(default=None, alias="hostIPC")
    containers: list[ContainerOverride] = Field(default_factory=list)


class PodOverrides(Model):
    """`podOverrides: {spec: {...}}`."""

    spec: PodOverridesSpec | None = None


class TerminalSharing(Model):
    """A shared tmux/screen session wrapped around the first container's command."""

    enabled: bool = False
    provider: Literal["tmux", "screen"] = "tmux"
    max_participants: int = Field(default=5, ge=1)
    read_only_participants: bool = False
    """Named by the seed document; the reference has no such field and does not enforce it."""


class AuditDestination(Model):
    """Where audit events go."""

    type: Literal["breakglass", "kubernetes", "webhook"]
    url: str = ""
    headers: StringMap = Field(default_factory=dict)


class AuditSidecar(Model):
    """Command-logging sidecar (seed document; not implemented by the reference)."""

    image: str = ""
    resources: Annotated[dict[str, Any] | None, K8sType("V1ResourceRequirements")] = None


class AuditConfig(Model):
    """Audit settings of sessions created from the template."""

    enabled: bool = True
    destinations: list[AuditDestination] = Field(default_factory=list)
    enable_terminal_recording: bool = False
    recording_retention: str = "90d"
    enable_shell_history: bool = True
    log_commands: bool = False
    exclude_patterns: list[str] = Field(default_factory=list)
    sidecar: AuditSidecar | None = None


class ResourceQuotaConfig(Model):
    """Caps on what a session may consume; enforced on the rendered pod spec and as a ResourceQuota."""

    max_pods: int | None = Field(default=None, ge=1)
    max_cpu: str | None = Field(default=None, alias="maxCPU")
    max_memory: str | None = None
    max_storage: str | None = None
    enforce_resource_requests: bool = True
    enforce_resource_limits: bool = True


IntOrString = int | str


class PodDisruptionBudgetConfig(Model):
    """PDB protecting the session's pods from voluntary eviction."""

    enabled: bool = False
    min_available: IntOrString | None = None
    max_unavailable: IntOrString | None = None


class DebugSessionTemplateSpec(Model):
    """Everything a DebugSessionTemplate can say."""

    display_name: str = ""
    description: str = ""
    mode: Mode = "workload"
    pod_template_ref: NameRef | None = None
    pod_template_string: str | None = None
    pod_overrides_template: str | None = None
    extra_deploy_variables: list[ExtraDeployVariable] = Field(default_factory=list)
    workload_type: WorkloadType | None = None
    """Absent means DaemonSet."""
    replicas: int = Field(default=1, ge=1)
    pod_overrides: PodOverrides | None = None
    affinity_overrides: Annotated[dict[str, Any] | None, K8sType("V1Affinity")] = None
    additional_tolerations: Tolerations = Field(default_factory=list)
    scheduling_constraints: SchedulingConstraints | None = None
    scheduling_options: SchedulingOptions | None = None
    kubectl_debug: KubectlDebugConfig | None = None
    allowed: AllowedSubjects | None = None
    approvers: Approvers | None = None
    constraints: DebugSessionConstraints | None = None
    target_namespace: str = "breakglass-debug"
    namespace_constraints: NamespaceConstraints | None = None
    impersonation: ImpersonationConfig | None = None
    fail_mode: Literal["open", "closed"] = "closed"
    terminal_sharing: TerminalSharing | None = None
    audit: AuditConfig | None = None
    auxiliary_resources: list[AuxiliaryResource] = Field(default_factory=list)
    auxiliary_resource_defaults: dict[str, bool] = Field(default_factory=dict)
    """Keyed by auxiliary resource name (as the reference's code does)."""
    required_auxiliary_resource_categories: list[str] = Field(default_factory=list)
    notification: NotificationConfig | None = None
    request_reason: RequestReasonConfig | None = None
    approval_reason: ApprovalReasonConfig | None = None
    resource_quota: ResourceQuotaConfig | None = None
    pod_disruption_budget: PodDisruptionBudgetConfig | None = None
    labels: StringMap = Field(default_factory=dict)
    annotations: StringMap = Field(default_factory=dict)
    priority: int = 0
    hidden: bool = False
    deprecated: bool = False
    deprecation_message: str = ""
    expiration_behavior: Literal["terminate", "notify-only"] = "terminate"
    grace_period_before_expiry: str = "15m"
    allowed_pod_operations: AllowedPodOperations | None = None
    """Absent means exec, attach and port-forward allowed, logs denied."""


class DebugSessionTemplate(Model):
    """Cluster-scoped session template."""

    api_version: str = ""
    kind: Literal["DebugSessionTemplate"] = "DebugSessionTemplate"
    metadata: ObjectMeta
    spec: DebugSessionTemplateSpec
    status: dict[str, Any] | None = None
