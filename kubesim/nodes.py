"""Simulated nodes: the default topology and the `--nodes-file` format."""

from __future__ import annotations

from typing import Any

import yaml

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
KUBELET_VERSION = "v1.37.1"


def default_nodes(workers: int = 3) -> list[dict[str, Any]]:
    """Specs of one tainted control-plane node plus `workers` worker nodes."""
    out: list[dict[str, Any]] = [
        {
            "name": "kubesim-control-plane",
            "labels": {CONTROL_PLANE_LABEL: ""},
            "taints": [{"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}],
        }
    ]
    for i in range(1, workers + 1):
        out.append({"name": f"kubesim-worker{'' if i == 1 else i}", "labels": {}, "taints": []})
    return out


def load_nodes_file(text: str) -> list[dict[str, Any]]:
    """Parse a nodes file: a list (or `{nodes: [...]}`) of `{name, labels, taints, unschedulable}`."""
    doc = yaml.safe_load(text)
    entries = doc.get("nodes", []) if isinstance(doc, dict) else doc
    out = []
    for e in entries or []:
        if isinstance(e, str):
            e = {"name": e}
        out.append(
            {
                "name": str(e["name"]),
                "labels": {str(k): str(v) for k, v in (e.get("labels") or {}).items()},
                "taints": list(e.get("taints") or []),
                "unschedulable": bool(e.get("unschedulable", False)),
                "capacity": dict(e.get("capacity") or {}),
            }
        )
    return out


def node_object(spec: dict[str, Any], index: int, created: str) -> dict[str, Any]:
    """A Node object as a kubelet would register it."""
    name = spec["name"]
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    labels.update(spec.get("labels") or {})
    capacity = {"cpu": "4", "memory": "16384Mi", "pods": "110", "ephemeral-storage": "100Gi"}
    capacity.update({k: str(v) for k, v in (spec.get("capacity") or {}).items()})
    node_spec: dict[str, Any] = {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]}
    if spec.get("taints"):
        node_spec["taints"] = [dict(t) for t in spec["taints"]]
    if spec.get("unschedulable"):
        node_spec["unschedulable"] = True
    conditions = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {}},
        "spec": node_spec,
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": f"172.18.0.{index + 2}"},
                {"type": "Hostname", "address": name},
            ],
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [
                {
                    "type": t,
                    "status": s,
                    "reason": r,
                    "message": m,
                    "lastHeartbeatTime": created,
                    "lastTransitionTime": created,
                }
                for t, s, r, m in conditions
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": f"kubesim-boot-{index}",
                "containerRuntimeVersion": "containerd://2.1.0",
                "kernelVersion": "6.8.0-kubesim",
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "machineID": f"kubesim-machine-{index}",
                "operatingSystem": "linux",
                "osImage": "kubesim Linux",
                "systemUUID": f"kubesim-{index}",
            },
        },
    }
