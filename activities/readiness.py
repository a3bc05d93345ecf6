"""kstatus-style readiness of an applied object (pure): Current, InProgress or Failed, with a reason.

Simplified from sigs.k8s.io/cli-utils' kstatus: the common kinds by their own status fields, anything
carrying a `Ready` condition by that condition, and kinds without status (ConfigMap, Secret, RBAC,
NetworkPolicy, ...) Current as soon as they exist.
"""

from __future__ import annotations

from typing import Any, Literal

Status = Literal["Current", "InProgress", "Failed"]


def readiness(obj: dict[str, Any]) -> tuple[Status, str]:
    """The readiness of a live object and why."""
    kind = obj.get("kind", "")
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    observed, generation = status.get("observedGeneration"), meta.get("generation")
    if observed is not None and generation is not None and observed < generation:
        return "InProgress", f"observedGeneration {observed} < generation {generation}"
    if kind == "Deployment":
        want = spec.get("replicas", 1)
        updated, available = status.get("updatedReplicas", 0), status.get("availableReplicas", 0)
        if updated >= want and available >= want:
            return "Current", f"{available}/{want} replicas available"
        return "InProgress", f"{available}/{want} replicas available"
    if kind == "DaemonSet":
        desired, ready = status.get("desiredNumberScheduled"), status.get("numberReady", 0)
        if desired is None:
            return "InProgress", "not scheduled yet"
        return ("Current" if ready >= desired else "InProgress"), f"{ready}/{desired} pods ready"
    if kind == "PersistentVolumeClaim":
        phase = status.get("phase", "Pending")
        return {"Bound": "Current", "Lost": "Failed"}.get(phase, "InProgress"), f"phase {phase}"  # type: ignore[return-value]
    if kind == "Pod":
        phase = status.get("phase", "Pending")
        if phase in ("Failed",):
            return "Failed", f"phase {phase}"
        if phase == "Succeeded":
            return "Current", "phase Succeeded"
    if kind == "Job":
        for c in status.get("conditions") or []:
            if c.get("type") == "Failed" and c.get("status") == "True":
                return "Failed", c.get("message") or "job failed"
            if c.get("type") == "Complete" and c.get("status") == "True":
                return "Current", "job complete"
        return "InProgress", "job running"
    for c in status.get("conditions") or []:
        if c.get("type") == "Ready":
            if c.get("status") == "True":
                return "Current", "Ready"
            return "InProgress", c.get("message") or c.get("reason") or "not ready"
    if kind == "Pod":
        return "InProgress", f"phase {status.get('phase', 'Pending')}"
    return "Current", "exists"
