"""The pod spec of a session's workload, built step by step (docs/behaviour/rendering.md#pod-spec)."""

from __future__ import annotations

import copy
from typing import Any

from domain.globs import is_glob
from domain.resolution.scheduling import MergeConflict, and_node_selectors
from domain.scheduling import SchedulingConstraints
from domain.session import TerminalSharingStatus
from domain.session_template import DebugSessionTemplateSpec, ResourceQuotaConfig, TerminalSharing
from rendering.errors import RenderingError

PodSpec = dict[str, Any]
HOST_FLAGS = ("hostNetwork", "hostPID", "hostIPC")


def apply_host_flags(spec: PodSpec, overrides: dict[str, Any] | None) -> None:
    """Only the host namespace switches of an override are applied (as in the reference)."""
    if not overrides:
        return
    source = overrides.get("spec", overrides) if isinstance(overrides.get("spec"), dict) else overrides
    for flag in HOST_FLAGS:
        if isinstance(source.get(flag), bool):
            spec[flag] = source[flag]


def apply_template_overrides(
    spec: PodSpec, template: DebugSessionTemplateSpec, rendered_overrides: dict[str, Any] | None
) -> None:
    """Steps 2-5: podOverridesTemplate, podOverrides, affinityOverrides, additionalTolerations."""
    apply_host_flags(spec, rendered_overrides)
    if template.pod_overrides is not None and template.pod_overrides.spec is not None:
        static = template.pod_overrides.spec
        for flag, value in (
            ("hostNetwork", static.host_network),
            ("hostPID", static.host_pid),
            ("hostIPC", static.host_ipc),
        ):
            if value is not None:
                spec[flag] = value
    if template.affinity_overrides is not None:
        spec["affinity"] = copy.deepcopy(template.affinity_overrides)
    if template.additional_tolerations:
        spec["tolerations"] = [*spec.get("tolerations", []), *copy.deepcopy(template.additional_tolerations)]


def apply_node_selector(spec: PodSpec, selector: dict[str, str]) -> None:
    """Step 6: the session's nodeSelector overrides the pod template's keys."""
    if selector:
        spec["nodeSelector"] = {**spec.get("nodeSelector", {}), **selector}


def denial_term(constraints: SchedulingConstraints) -> dict[str, Any] | None:
    """The node-selector term that keeps pods off denied nodes (exact names) and denied labels.

    Glob deniedNodes cannot be expressed in node affinity and are not enforced here (as in the reference).
    """
    names = sorted(n for n in constraints.denied_nodes if not is_glob(n))
    exprs = [
        {"key": key, "operator": "DoesNotExist"}
        if value == "*"
        else {"key": key, "operator": "NotIn", "values": [value]}
        for key, value in sorted(constraints.denied_node_labels.items())
    ]
    term: dict[str, Any] = {}
    if exprs:
        term["matchExpressions"] = exprs
    if names:
        term["matchFields"] = [{"key": "metadata.name", "operator": "NotIn", "values": names}]
    return term or None


_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def _required(affinity: dict[str, Any]) -> dict[str, Any] | None:
    required: dict[str, Any] | None = (affinity.get("nodeAffinity") or {}).get(_REQUIRED)
    return required


def apply_scheduling(spec: PodSpec, constraints: SchedulingConstraints | None) -> None:
    """Step 7: mandatory constraints win over the pod template; everything is additive or AND-ed."""
    if constraints is None:
        return
    c = copy.deepcopy(constraints)
    if c.node_selector:
        spec["nodeSelector"] = {**spec.get("nodeSelector", {}), **c.node_selector}
    if c.tolerations:
        spec["tolerations"] = [*spec.get("tolerations", []), *c.tolerations]
    affinity = spec.setdefault("affinity", {})
    term = denial_term(c)
    try:
        required = and_node_selectors(
            and_node_selectors(_required(affinity), c.required_node_affinity),
            {"nodeSelectorTerms": [term]} if term else None,
        )
    except MergeConflict as exc:
        raise RenderingError(f"scheduling constraints cannot be applied to the pod template: {exc}") from exc
    if required:
        affinity.setdefault("nodeAffinity", {})[_REQUIRED] = required
    if c.preferred_node_affinity:
        node_affinity = affinity.setdefault("nodeAffinity", {})
        key = "preferredDuringSchedulingIgnoredDuringExecution"
        node_affinity[key] = [*node_affinity.get(key, []), *c.preferred_node_affinity]
    for field, items in (
        ("requiredDuringSchedulingIgnoredDuringExecution", c.required_pod_anti_affinity),
        ("preferredDuringSchedulingIgnoredDuringExecution", c.preferred_pod_anti_affinity),
    ):
        if items:
            anti = affinity.setdefault("podAntiAffinity", {})
            anti[field] = [*anti.get(field, []), *items]
    if c.topology_spread_constraints:
        spec["topologySpreadConstraints"] = [*spec.get("topologySpreadConstraints", []), *c.topology_spread_constraints]
    if not affinity:
        del spec["affinity"]


def enforce_resources(spec: PodSpec, quota: ResourceQuotaConfig | None) -> None:
    """Step 8: with a resourceQuota, every container states requests/limits for what the quota caps."""
    if quota is None:
        return
    needed = ["cpu", "memory"] + (["ephemeral-storage"] if quota.max_storage else [])
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        name = container.get("name", "")
        resources = container.get("resources") or {}
        for enforce, key, word in (
            (quota.enforce_resource_requests, "requests", "request"),
            (quota.enforce_resource_limits, "limits", "limit"),
        ):
            if not enforce:
                continue
            values = resources.get(key) or {}
            if not values:
                raise RenderingError(f"container {name} is missing resource {key}")
            for res in needed:
                if res not in values:
                    raise RenderingError(f"container {name} is missing {word} for {res}")


def wrap_terminal_sharing(
    spec: PodSpec, sharing: TerminalSharing | None, session_name: str
) -> TerminalSharingStatus | None:
    """Step 9 (docs/behaviour/rendering.md#terminal-sharing): run the first container's command in tmux/screen."""
    if sharing is None or not sharing.enabled:
        return None
    name = session_name[:32]
    containers = spec.get("containers") or []
    if containers and containers[0].get("command"):
        first = containers[0]
        original = [*first.get("command", []), *first.get("args", [])]
        first["command"] = (
            ["tmux", "new-session", "-A", "-s", name] if sharing.provider == "tmux" else ["screen", "-xRR", "-S", name]
        )
        first["args"] = original
    attach = f"tmux attach-session -t {name}" if sharing.provider == "tmux" else f"screen -x {name}"
    return TerminalSharingStatus(enabled=True, session_name=name, attach_command=attach)
