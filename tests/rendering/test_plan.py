"""Render plans of the seed's templates (resolved snapshots from tests/golden/resolution) with the real engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.resolution.resolved import ResolvedSession
from rendering.errors import RenderingError
from rendering.plan import build_plan
from tests.conftest import REPO

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def snapshot(name: str, **changes: Any) -> ResolvedSession:
    data = json.loads((REPO / "tests" / "golden" / "resolution" / f"{name}.json").read_text())["session"]
    session = ResolvedSession.model_validate(data)
    return session.model_copy(update=changes) if changes else session


def test_kubectl_debug_mode_deploys_nothing() -> None:
    plan = build_plan(snapshot("ephemeral-debug"), NOW)
    assert plan.objects == ()
    assert plan.namespace == "breakglass-debug"


def test_deployment_workload_with_labels_and_selector() -> None:
    s = snapshot("minimal-debug")
    (workload,) = build_plan(s, NOW).objects
    m = workload.manifest
    assert (workload.step, workload.source, m["kind"], m["apiVersion"]) == (
        "workload",
        "debug-pod",
        "Deployment",
        "apps/v1",
    )
    assert m["metadata"]["name"] == s.name
    assert m["metadata"]["namespace"] == "breakglass-debug"
    assert m["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "breakglass",
        "breakglass.telekom.com/debug-session": s.name,
        "breakglass.telekom.com/debug-template": "minimal-debug",
        "breakglass.telekom.com/debug-cluster": "dev-1",
    }
    assert m["spec"]["selector"] == {"matchLabels": {"breakglass.telekom.com/debug-session": s.name}}
    assert m["spec"]["replicas"] == 1
    assert m["spec"]["template"]["metadata"]["labels"] == m["metadata"]["labels"]
    pod = m["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Always"
    assert pod["containers"] == [{"name": "debug", "image": "busybox:latest", "command": ["sleep", "infinity"]}]


def test_daemonset_with_terminal_sharing_and_host_namespaces() -> None:
    s = snapshot("network-debug")
    plan = build_plan(s, NOW)
    (workload,) = plan.objects
    pod = workload.manifest["spec"]["template"]["spec"]
    assert workload.manifest["kind"] == "DaemonSet"
    assert "replicas" not in workload.manifest["spec"]
    assert (pod["hostNetwork"], pod["hostPID"]) == (True, True)
    short = s.name[:32]
    assert pod["containers"][0]["command"] == ["tmux", "new-session", "-A", "-s", short]
    assert pod["containers"][0]["args"] == ["sleep", "infinity"]
    assert plan.terminal_sharing is not None
    assert plan.terminal_sharing.attach_command == f"tmux attach-session -t {short}"


def test_seed_standard_template_fails_resource_enforcement_as_the_reference_would() -> None:
    # 09's resourceQuota has maxStorage with enforceResourceRequests (default true), but its pod (04)
    # requests no ephemeral-storage: the reference fails such a session at activation, and so do we.
    with pytest.raises(RenderingError, match=r"^container debug is missing request for ephemeral-storage$"):
        build_plan(snapshot("standard-debug"), NOW)


def test_resource_quota_and_pdb_come_first() -> None:
    s = snapshot("standard-debug")
    quota = s.template.resource_quota
    assert quota is not None
    template = s.template.model_copy(update={"resource_quota": quota.model_copy(update={"max_storage": None})})
    plan = build_plan(s.model_copy(update={"template": template}), NOW)
    assert [(o.step, o.manifest["kind"]) for o in plan.objects] == [
        ("resource-quota", "ResourceQuota"),
        ("pdb", "PodDisruptionBudget"),
        ("workload", "DaemonSet"),
    ]
    rq, pdb, workload = (o.manifest for o in plan.objects)
    assert rq["metadata"]["name"] == f"debug-{s.name}-rq"
    assert rq["spec"]["hard"] == {
        "pods": "5",
        "requests.cpu": "2",
        "limits.cpu": "2",
        "requests.memory": "2Gi",
        "limits.memory": "2Gi",
    }
    assert pdb["metadata"]["name"] == f"debug-{s.name}-pdb"
    assert pdb["spec"] == {
        "selector": {"matchLabels": {"breakglass.telekom.com/debug-session": s.name}},
        "minAvailable": 1,
    }
    pod = workload["spec"]["template"]["spec"]
    # scheduling: template constraints + the selected option "standard", plus the denial term
    assert pod["nodeSelector"] == {"node-pool": "general-purpose", "network.kubernetes.io/sriov": "false"}
    assert pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [
            {"matchExpressions": [{"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"}]}
        ]
    }
