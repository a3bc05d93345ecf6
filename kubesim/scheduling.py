"""Which nodes a pod may run on: nodeSelector, required node affinity, taints and tolerations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubesim.selectors import match_node_selector_requirement

_SCHEDULING_EFFECTS = ("NoSchedule", "NoExecute")


def tolerates(tolerations: list[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    """Whether any toleration tolerates the taint (same rules as the scheduler's TaintToleration)."""
    for t in tolerations:
        effect = t.get("effect") or ""
        if effect and effect != taint.get("effect"):
            continue
        op = t.get("operator") or "Equal"
        key = t.get("key") or ""
        if op == "Exists":
            if not key or key == taint.get("key"):
                return True
        elif key == taint.get("key") and (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def untolerated_taint(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first NoSchedule/NoExecute taint of the node the pod does not tolerate."""
    tolerations = pod_spec.get("tolerations") or []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in _SCHEDULING_EFFECTS and not tolerates(tolerations, taint):
            found: Mapping[str, Any] = taint
            return found
    return None


def matches_node_affinity(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """nodeSelector and requiredDuringSchedulingIgnoredDuringExecution node affinity."""
    labels = node["metadata"].get("labels") or {}
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms")
    if not terms:
        return True
    return any(_term_matches(term, node) for term in terms)


def _term_matches(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = node["metadata"].get("labels") or {}
    for e in exprs:
        if not match_node_selector_requirement(e, labels.get(e.get("key", ""))):
            return False
    for f in fields:
        actual = node["metadata"]["name"] if f.get("key") == "metadata.name" else None
        if not match_node_selector_requirement(f, actual):
            return False
    return True


def can_run(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the pod may be placed on the node."""
    if (node.get("spec") or {}).get("unschedulable") and not _tolerates_unschedulable(pod_spec):
        return False
    return matches_node_affinity(pod_spec, node) and untolerated_taint(pod_spec, node) is None


def _tolerates_unschedulable(pod_spec: Mapping[str, Any]) -> bool:
    taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    return tolerates(pod_spec.get("tolerations") or [], taint)


def unschedulable_message(pod_spec: Mapping[str, Any], nodes: Sequence[Mapping[str, Any]]) -> str:
    """The scheduler's FailedScheduling message, e.g. `0/4 nodes are available: ...`."""
    reasons: dict[str, int] = {}
    for node in nodes:
        if (node.get("spec") or {}).get("unschedulable") and not _tolerates_unschedulable(pod_spec):
            why = "node(s) were unschedulable"
        elif not matches_node_affinity(pod_spec, node):
            why = "node(s) didn't match Pod's node affinity/selector"
        else:
            taint = untolerated_taint(pod_spec, node)
            if taint is None:
                continue
            value = taint.get("value") or ""
            why = f"node(s) had untolerated taint {{{taint.get('key')}: {value}}}"
        reasons[why] = reasons.get(why, 0) + 1
    parts = ", ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
    total = len(nodes)
    if total == 0:
        return "no nodes available to schedule pods"
    return (
        f"0/{total} nodes are available: {parts}. preemption: 0/{total} nodes are available: "
        f"{total} Preemption is not helpful for scheduling."
    )
