"""DebugPodTemplate: the pod a debug session runs, as a structured spec or a Go template string."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from domain.base import Model
from domain.k8s import K8sType
from domain.meta import ObjectMeta, StringMap
from domain.scheduling import Tolerations

Containers = Annotated[list[dict[str, Any]], K8sType("[]V1Container")]


class DebugPodSpecInner(Model):
    """The PodSpec subset a debug pod template may set."""

    security_context: Annotated[dict[str, Any] | None, K8sType("V1PodSecurityContext")] = None
    containers: Containers = Field(default_factory=list)
    init_containers: Containers = Field(default_factory=list)
    volumes: Annotated[list[dict[str, Any]], K8sType("[]V1Volume")] = Field(default_factory=list)
    automount_service_account_token: bool = False
    tolerations: Tolerations = Field(default_factory=list)
    affinity: Annotated[dict[str, Any] | None, K8sType("V1Affinity")] = None
    node_selector: StringMap = Field(default_factory=dict)
    service_account_name: str | None = None
    host_network: bool = Field(default=False, alias="hostNetwork")
    host_pid: bool = Field(default=False, alias="hostPID")
    host_ipc: bool = Field(default=False, alias="hostIPC")
    dns_policy: str | None = None
    restart_policy: str = "Never"
    termination_grace_period_seconds: int | None = None
    priority_class_name: str | None = None
    runtime_class_name: str | None = None
    preemption_policy: Literal["PreemptLowerPriority", "Never"] | None = None
    topology_spread_constraints: Annotated[list[dict[str, Any]], K8sType("[]V1TopologySpreadConstraint")] = Field(
        default_factory=list
    )
    dns_config: Annotated[dict[str, Any] | None, K8sType("V1PodDNSConfig")] = None
    share_process_namespace: bool = False
    host_aliases: Annotated[list[dict[str, Any]], K8sType("[]V1HostAlias")] = Field(default_factory=list)
    image_pull_secrets: Annotated[list[dict[str, Any]], K8sType("[]V1LocalObjectReference")] = Field(
        default_factory=list
    )
    enable_service_links: bool = False
    scheduler_name: str | None = None
    overhead: StringMap = Field(default_factory=dict)


class PodTemplateMetadata(Model):
    """Labels and annotations put on the debug pods."""

    labels: StringMap = Field(default_factory=dict)
    annotations: StringMap = Field(default_factory=dict)


class DebugPodSpec(Model):
    """Structured pod template: optional metadata plus the pod spec."""

    metadata: PodTemplateMetadata | None = None
    spec: DebugPodSpecInner


class DebugPodTemplateSpec(Model):
    """`template` (structured) xor `templateString` (Go template, multi-document)."""

    display_name: str = ""
    description: str = ""
    template: DebugPodSpec | None = None
    template_string: str | None = None


class DebugPodTemplate(Model):
    """Cluster-scoped pod template referenced by session templates."""

    api_version: str = ""
    kind: Literal["DebugPodTemplate"] = "DebugPodTemplate"
    metadata: ObjectMeta
    spec: DebugPodTemplateSpec
    status: dict[str, Any] | None = None
