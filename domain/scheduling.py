"""Scheduling constraints (mandatory) and scheduling options (the user picks one)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from domain.base import Model
from domain.k8s import K8sType
from domain.meta import StringMap

Tolerations = Annotated[list[dict[str, Any]], K8sType("[]V1Toleration")]


class SchedulingConstraints(Model):
    """Placement rules applied on top of the pod template; users cannot override them."""

    node_selector: StringMap = Field(default_factory=dict)
    required_node_affinity: Annotated[dict[str, Any] | None, K8sType("V1NodeSelector")] = None
    preferred_node_affinity: Annotated[list[dict[str, Any]], K8sType("[]V1PreferredSchedulingTerm")] = Field(
        default_factory=list
    )
    required_pod_anti_affinity: Annotated[list[dict[str, Any]], K8sType("[]V1PodAffinityTerm")] = Field(
        default_factory=list
    )
    preferred_pod_anti_affinity: Annotated[list[dict[str, Any]], K8sType("[]V1WeightedPodAffinityTerm")] = Field(
        default_factory=list
    )
    tolerations: Tolerations = Field(default_factory=list)
    topology_spread_constraints: Annotated[list[dict[str, Any]], K8sType("[]V1TopologySpreadConstraint")] = Field(
        default_factory=list
    )
    denied_nodes: list[str] = Field(default_factory=list)
    """Node-name globs; exact names are enforced through node affinity (see the renderer)."""
    denied_node_labels: StringMap = Field(default_factory=dict)
    """Label key -> value; the value `*` denies any value."""


class SchedulingOption(Model):
    """A named placement the user may choose (e.g. `sriov`, `standard`)."""

    name: str = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    display_name: str = ""
    description: str = ""
    default: bool = False
    scheduling_constraints: SchedulingConstraints | None = None
    allowed_groups: list[str] = Field(default_factory=list)
    allowed_users: list[str] = Field(default_factory=list)


class SchedulingOptions(Model):
    """The choice offered to users; `required` forces a choice (or the default option)."""

    required: bool = False
    options: list[SchedulingOption] = Field(default_factory=list)
