"""kstatus-style readiness, one table."""

from __future__ import annotations

from typing import Any

import pytest

from activities.readiness import readiness

CASES: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
    ("configmap exists", {"kind": "ConfigMap"}, ("Current", "exists")),
    (
        "stale generation",
        {"kind": "Deployment", "metadata": {"generation": 2}, "status": {"observedGeneration": 1}},
        ("InProgress", "observedGeneration 1 < generation 2"),
    ),
    (
        "deployment available",
        {"kind": "Deployment", "spec": {"replicas": 2}, "status": {"updatedReplicas": 2, "availableReplicas": 2}},
        ("Current", "2/2 replicas available"),
    ),
    (
        "deployment rolling",
        {"kind": "Deployment", "spec": {"replicas": 2}, "status": {"updatedReplicas": 2, "availableReplicas": 1}},
        ("InProgress", "1/2 replicas available"),
    ),
    (
        "daemonset ready",
        {"kind": "DaemonSet", "status": {"desiredNumberScheduled": 3, "numberReady": 3}},
        ("Current", "3/3 pods ready"),
    ),
    ("daemonset unscheduled", {"kind": "DaemonSet", "status": {}}, ("InProgress", "not scheduled yet")),
    ("pvc bound", {"kind": "PersistentVolumeClaim", "status": {"phase": "Bound"}}, ("Current", "phase Bound")),
    ("pvc pending", {"kind": "PersistentVolumeClaim", "status": {"phase": "Pending"}}, ("InProgress", "phase Pending")),
    ("pvc lost", {"kind": "PersistentVolumeClaim", "status": {"phase": "Lost"}}, ("Failed", "phase Lost")),
    ("pod failed", {"kind": "Pod", "status": {"phase": "Failed"}}, ("Failed", "phase Failed")),
    (
        "pod ready",
        {"kind": "Pod", "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
        ("Current", "Ready"),
    ),
    ("pod starting", {"kind": "Pod", "status": {"phase": "Pending"}}, ("InProgress", "phase Pending")),
    (
        "job complete",
        {"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}},
        ("Current", "job complete"),
    ),
    (
        "job failed",
        {
            "kind": "Job",
            "status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]},
        },
        ("Failed", "BackoffLimitExceeded"),
    ),
    (
        "custom resource not ready",
        {"kind": "Certificate", "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Issuing"}]}},
        ("InProgress", "Issuing"),
    ),
]


@pytest.mark.parametrize(("obj", "expected"), [pytest.param(o, e, id=n) for n, o, e in CASES])
def test_readiness(obj: dict[str, Any], expected: tuple[str, str]) -> None:
    assert readiness(obj) == expected
