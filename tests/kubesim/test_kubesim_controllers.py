"""Simulated cluster behaviour: scheduling, DaemonSets, Deployments, pod lifecycle, GC, namespaces."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kubernetes import client
from kubernetes import stream as k8s_stream_module

from kubesim.sim import KubeSim
from tests.kubesim.kubesim_support import wait_for

k8s_stream: Any = k8s_stream_module

NODES: list[dict[str, Any]] = [
    {
        "name": "cp",
        "labels": {"node-role.kubernetes.io/control-plane": ""},
        "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
    },
    {
        "name": "gpu-1",
        "labels": {"accel": "gpu", "zone": "a"},
        "taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}],
    },
    {"name": "web-1", "labels": {"zone": "a", "disk": "ssd"}, "taints": []},
    {"name": "web-2", "labels": {"zone": "b"}, "taints": []},
]


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    """A cluster with labelled and tainted nodes."""
    with KubeSim(nodes=NODES, pod_ready_delay=0.05) as s:
        yield s


def _pod_spec(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox:1.36"}]}
    spec.update(extra)
    return spec


def _ds(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"ds": name}},
            "template": {"metadata": {"labels": {"ds": name}}, "spec": _pod_spec(**spec)},
        },
    }


def _pods(http: httpx.Client, selector: str, ns: str = "default") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = http.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": selector}).json()[
        "items"
    ]
    return items


def _nodes_of(http: httpx.Client, selector: str, count: int) -> set[str]:
    def ready() -> list[dict[str, Any]] | None:
        pods = _pods(http, selector)
        ok = len(pods) == count and all(p["status"].get("phase") == "Running" for p in pods)
        return pods if ok else None

    return {p["spec"]["nodeName"] for p in wait_for(ready)}


def test_daemonset_respects_taints(http: httpx.Client) -> None:
    assert http.post("/apis/apps/v1/namespaces/default/daemonsets", json=_ds("plain")).status_code == 201
    assert _nodes_of(http, "ds=plain", 2) == {"web-1", "web-2"}


def test_daemonset_tolerations_and_node_selector(http: httpx.Client) -> None:
    http.post("/apis/apps/v1/namespaces/default/daemonsets", json=_ds("all", tolerations=[{"operator": "Exists"}]))
    assert _nodes_of(http, "ds=all", 4) == {"cp", "gpu-1", "web-1", "web-2"}
    http.post(
        "/apis/apps/v1/namespaces/default/daemonsets",
        json=_ds(
            "gpu",
            nodeSelector={"accel": "gpu"},
            tolerations=[{"key": "gpu", "operator": "Equal", "value": "true"}],
        ),
    )
    assert _nodes_of(http, "ds=gpu", 1) == {"gpu-1"}


def test_daemonset_node_affinity_operators(http: httpx.Client) -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "zone", "operator": "In", "values": ["a"]},
                            {"key": "disk", "operator": "DoesNotExist"},
                        ]
                    },
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["web-2"]}]},
                ]
            }
        }
    }
    http.post(
        "/apis/apps/v1/namespaces/default/daemonsets",
        json=_ds("aff", affinity=affinity, tolerations=[{"key": "gpu", "operator": "Exists"}]),
    )
    assert _nodes_of(http, "ds=aff", 2) == {"gpu-1", "web-2"}
    ds = wait_for(
        lambda: (
            (d := http.get("/apis/apps/v1/namespaces/default/daemonsets/aff").json())["status"].get("numberReady") == 2
            and d
        )
    )
    assert ds["status"]["desiredNumberScheduled"] == 2
    assert ds["status"]["currentNumberScheduled"] == 2


def test_deployment_creates_replicaset_and_pods(http: httpx.Client) -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": _pod_spec()},
        },
    }
    assert http.post("/apis/apps/v1/namespaces/default/deployments", json=dep).status_code == 201
    nodes = _nodes_of(http, "app=api", 3)
    assert nodes <= {"web-1", "web-2"}
    rs = http.get("/apis/apps/v1/namespaces/default/replicasets", params={"labelSelector": "app=api"}).json()["items"]
    assert len(rs) == 1
    assert rs[0]["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    pod = _pods(http, "app=api")[0]
    assert pod["metadata"]["ownerReferences"][0]["name"] == rs[0]["metadata"]["name"]
    status = pod["status"]
    assert status["podIP"].startswith("10.244.")
    assert status["hostIP"].startswith("172.18.")
    assert status["containerStatuses"][0]["ready"] is True
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    wait_for(
        lambda: http.get("/apis/apps/v1/namespaces/default/deployments/api").json()["status"].get("readyReplicas") == 3
    )


def test_unschedulable_pod_stays_pending(http: httpx.Client) -> None:
    pod = {"metadata": {"name": "picky"}, "spec": _pod_spec(nodeSelector={"zone": "mars"})}
    http.post("/api/v1/namespaces/default/pods", json=pod)

    def scheduled_condition() -> dict[str, Any] | None:
        p = http.get("/api/v1/namespaces/default/pods/picky").json()
        return next((c for c in p["status"].get("conditions", []) if c["type"] == "PodScheduled"), None)

    cond = wait_for(scheduled_condition)
    assert cond["status"] == "False"
    assert cond["reason"] == "Unschedulable"
    assert cond["message"].startswith("0/4 nodes are available:")
    assert "node(s) didn't match Pod's node affinity/selector" in cond["message"]
    events = http.get(
        "/api/v1/namespaces/default/events",
        params={"fieldSelector": "involvedObject.name=picky,reason=FailedScheduling"},
    ).json()["items"]
    assert events
    assert events[0]["type"] == "Warning"
    assert http.get("/api/v1/namespaces/default/pods/picky").json()["status"]["phase"] == "Pending"


def test_bad_image_fails_to_pull(http: httpx.Client) -> None:
    pod = {
        "metadata": {"name": "broken"},
        "spec": {"containers": [{"name": "c", "image": "registry.local/does-not-exist:1"}]},
    }
    http.post("/api/v1/namespaces/default/pods", json=pod)

    def reason() -> str | None:
        p = http.get("/api/v1/namespaces/default/pods/broken").json()
        statuses = p["status"].get("containerStatuses") or [{}]
        waiting = statuses[0].get("state", {}).get("waiting", {})
        r = waiting.get("reason")
        return r if r in ("ErrImagePull", "ImagePullBackOff") else None

    assert wait_for(reason) in ("ErrImagePull", "ImagePullBackOff")
    assert wait_for(lambda: reason() == "ImagePullBackOff")
    p = http.get("/api/v1/namespaces/default/pods/broken").json()
    assert p["status"]["phase"] == "Pending"


def test_ephemeral_container_and_logs(http: httpx.Client) -> None:
    http.post("/api/v1/namespaces/default/pods", json={"metadata": {"name": "dbg"}, "spec": _pod_spec()})
    wait_for(lambda: http.get("/api/v1/namespaces/default/pods/dbg").json()["status"].get("phase") == "Running")
    resp = http.patch(
        "/api/v1/namespaces/default/pods/dbg/ephemeralcontainers",
        json={
            "spec": {"ephemeralContainers": [{"name": "debugger", "image": "busybox:1.36", "targetContainerName": "c"}]}
        },
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert resp.status_code == 200
    assert resp.json()["spec"]["ephemeralContainers"][0]["name"] == "debugger"

    def running() -> bool:
        st = http.get("/api/v1/namespaces/default/pods/dbg").json()["status"]
        return any("running" in s["state"] for s in st.get("ephemeralContainerStatuses", []))

    assert wait_for(running)
    log = http.get("/api/v1/namespaces/default/pods/dbg/log")
    assert log.status_code == 200
    assert "container c of pod default/dbg" in log.text
    assert "debugger" in http.get("/api/v1/namespaces/default/pods/dbg/log", params={"container": "debugger"}).text
    bad = http.get("/api/v1/namespaces/default/pods/broken/log")
    assert bad.status_code == 400
    assert bad.json()["message"].startswith('container "c" in pod "broken" is waiting to start:')


def test_pod_spec_is_immutable(http: httpx.Client) -> None:
    resp = http.patch(
        "/api/v1/namespaces/default/pods/dbg",
        json={"spec": {"restartPolicy": "Never"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert resp.status_code == 422
    assert resp.json()["details"]["causes"][0]["field"] == "spec"


def _owner_cm(http: httpx.Client, name: str) -> dict[str, Any]:
    resp: dict[str, Any] = http.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": name}}).json()
    return resp


def _dependent(http: httpx.Client, name: str, owner: dict[str, Any]) -> None:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": True,
    }
    http.post("/api/v1/namespaces/default/secrets", json={"metadata": {"name": name, "ownerReferences": [ref]}})


def _exists(http: httpx.Client, path: str) -> bool:
    return http.get(path).status_code == 200


def test_gc_background(http: httpx.Client) -> None:
    owner = _owner_cm(http, "owner-bg")
    _dependent(http, "dep-bg", owner)
    http.delete("/api/v1/namespaces/default/configmaps/owner-bg")
    wait_for(lambda: not _exists(http, "/api/v1/namespaces/default/secrets/dep-bg"))


def test_gc_foreground_and_orphan(http: httpx.Client) -> None:
    owner = _owner_cm(http, "owner-fg")
    _dependent(http, "dep-fg", owner)
    resp = http.request(
        "DELETE",
        "/api/v1/namespaces/default/configmaps/owner-fg",
        json={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"},
    )
    assert resp.status_code == 200
    assert "foregroundDeletion" in resp.json()["metadata"]["finalizers"]
    wait_for(lambda: not _exists(http, "/api/v1/namespaces/default/configmaps/owner-fg"))
    assert not _exists(http, "/api/v1/namespaces/default/secrets/dep-fg")
    owner = _owner_cm(http, "owner-or")
    _dependent(http, "dep-or", owner)
    http.delete("/api/v1/namespaces/default/configmaps/owner-or", params={"propagationPolicy": "Orphan"})
    wait_for(lambda: not _exists(http, "/api/v1/namespaces/default/configmaps/owner-or"))
    orphan = http.get("/api/v1/namespaces/default/secrets/dep-or").json()
    assert "ownerReferences" not in orphan["metadata"]


def test_deleting_deployment_removes_pods(http: httpx.Client) -> None:
    http.delete("/apis/apps/v1/namespaces/default/deployments/api")
    wait_for(lambda: not _pods(http, "app=api"))
    assert not http.get("/apis/apps/v1/namespaces/default/replicasets", params={"labelSelector": "app=api"}).json()[
        "items"
    ]


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": _pod_spec()},
        },
    }


def test_settled_controllers_still_react_to_their_inputs(http: httpx.Client) -> None:
    """The Deployment and ReplicaSet controllers skip objects whose inputs are unchanged since a reconcile
    that wrote nothing: a change to the object itself (scale) or to what it owns (a deleted pod) still
    reaches them."""
    assert http.post("/apis/apps/v1/namespaces/default/deployments", json=_deployment("settle", 1)).status_code == 201
    first = wait_for(lambda: [p for p in _pods(http, "app=settle") if p["status"].get("phase") == "Running"])
    http.delete(f"/api/v1/namespaces/default/pods/{first[0]['metadata']['name']}")
    replaced = wait_for(
        lambda: [
            p
            for p in _pods(http, "app=settle")
            if p["metadata"]["name"] != first[0]["metadata"]["name"] and not p["metadata"].get("deletionTimestamp")
        ]
    )
    assert len(replaced) == 1
    scale = {"spec": {"replicas": 3}}
    headers = {"Content-Type": "application/merge-patch+json"}
    http.patch("/apis/apps/v1/namespaces/default/deployments/settle", json=scale, headers=headers)
    _nodes_of(http, "app=settle", 3)
    wait_for(
        lambda: (
            http.get("/apis/apps/v1/namespaces/default/deployments/settle").json()["status"].get("readyReplicas") == 3
        )
    )
    http.delete("/apis/apps/v1/namespaces/default/deployments/settle")
    wait_for(lambda: not _pods(http, "app=settle"))


def test_replicaset_blocked_by_quota_resumes_when_the_quota_goes(http: httpx.Client) -> None:
    """A reconcile that failed (quota) is never taken as settled: when the quota goes, the pods come."""
    http.post("/api/v1/namespaces", json={"metadata": {"name": "tight"}})
    quota = {"metadata": {"name": "one-pod"}, "spec": {"hard": {"pods": "1"}}}
    assert http.post("/api/v1/namespaces/tight/resourcequotas", json=quota).status_code == 201
    assert http.post("/apis/apps/v1/namespaces/tight/deployments", json=_deployment("capped", 3)).status_code == 201
    wait_for(lambda: len(_pods(http, "app=capped", "tight")) == 1)
    failed = wait_for(
        lambda: http.get("/api/v1/namespaces/tight/events", params={"fieldSelector": "reason=FailedCreate"}).json()[
            "items"
        ]
    )
    assert "exceeded quota" in failed[0]["message"]
    wait_for(lambda: [p for p in _pods(http, "app=capped", "tight") if p["status"].get("phase") == "Running"])
    time.sleep(0.3)  # nothing left to change but the quota: the controllers have gone quiet
    http.delete("/api/v1/namespaces/tight/resourcequotas/one-pod")
    wait_for(lambda: len(_pods(http, "app=capped", "tight")) == 3)


def test_namespace_deletion_removes_contents(http: httpx.Client) -> None:
    http.post("/api/v1/namespaces", json={"metadata": {"name": "doomed"}})
    http.post("/api/v1/namespaces/doomed/configmaps", json={"metadata": {"name": "a"}})
    http.post("/api/v1/namespaces/doomed/pods", json={"metadata": {"name": "p"}, "spec": _pod_spec()})
    resp = http.delete("/api/v1/namespaces/doomed")
    assert resp.status_code == 200
    assert resp.json()["status"]["phase"] == "Terminating"
    wait_for(lambda: not _exists(http, "/api/v1/namespaces/doomed"))
    assert http.get("/api/v1/namespaces/doomed/configmaps").json()["items"] == []
    assert http.get("/api/v1/namespaces/doomed/pods").json()["items"] == []


def test_default_service_account_created(http: httpx.Client) -> None:
    http.post("/api/v1/namespaces", json={"metadata": {"name": "fresh"}})
    wait_for(lambda: _exists(http, "/api/v1/namespaces/fresh/serviceaccounts/default"))


def test_ephemeral_containers_with_typed_client(core: Any) -> None:
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="typed-dbg"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="nginx:1")]),
    )
    core.create_namespaced_pod("default", pod)
    wait_for(lambda: core.read_namespaced_pod("typed-dbg", "default").status.phase == "Running")
    body = {"spec": {"ephemeralContainers": [{"name": "dbg", "image": "busybox:1.36", "command": ["sh"]}]}}
    patched = core.patch_namespaced_pod_ephemeralcontainers("typed-dbg", "default", body)
    assert patched.spec.ephemeral_containers[0].name == "dbg"

    def running() -> bool:
        statuses = core.read_namespaced_pod_status("typed-dbg", "default").status.ephemeral_container_statuses or []
        return any(s.state.running for s in statuses)

    assert wait_for(running)
    logs = core.read_namespaced_pod_log("typed-dbg", "default", container="dbg")
    assert "container dbg of pod default/typed-dbg" in logs


def test_pod_graceful_deletion(http: httpx.Client) -> None:
    def running(name: str) -> bool:
        phase: str | None = http.get(f"/api/v1/namespaces/default/pods/{name}").json()["status"].get("phase")
        return phase == "Running"

    for name in ("graceful", "forced"):
        http.post("/api/v1/namespaces/default/pods", json={"metadata": {"name": name}, "spec": _pod_spec()})
    wait_for(lambda: running("graceful") and running("forced"))
    resp = http.delete("/api/v1/namespaces/default/pods/graceful")
    assert resp.status_code == 200
    body = resp.json()
    assert body["kind"] == "Pod"
    assert body["metadata"]["deletionGracePeriodSeconds"] == 30
    assert "deletionTimestamp" in body["metadata"]
    wait_for(lambda: http.get("/api/v1/namespaces/default/pods/graceful").status_code == 404)
    forced = http.delete("/api/v1/namespaces/default/pods/forced", params={"gracePeriodSeconds": "0"})
    assert forced.status_code == 200
    assert http.get("/api/v1/namespaces/default/pods/forced").status_code == 404


def test_pod_disruption_budget_status(http: httpx.Client) -> None:
    for i in range(3):
        http.post(
            "/api/v1/namespaces/default/pods",
            json={"metadata": {"name": f"guarded-{i}", "labels": {"guard": "me"}}, "spec": _pod_spec()},
        )
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "guard"},
        "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"guard": "me"}}},
    }
    assert http.post("/apis/policy/v1/namespaces/default/poddisruptionbudgets", json=pdb).status_code == 201

    def status() -> dict[str, Any] | None:
        st: dict[str, Any] = (
            http.get("/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard").json().get("status", {})
        )
        return st if st.get("currentHealthy") == 3 else None

    st = wait_for(status)
    assert (st["expectedPods"], st["desiredHealthy"], st["disruptionsAllowed"]) == (3, 2, 1)


def test_exec_with_official_client(core: Any) -> None:
    core.create_namespaced_pod(
        "default",
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="exec-target"),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
        ),
    )
    wait_for(lambda: core.read_namespaced_pod("exec-target", "default").status.phase == "Running")
    resp = k8s_stream.stream(
        core.connect_get_namespaced_pod_exec,
        "exec-target",
        "default",
        command=["sh", "-c", "echo out; exit 2"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    try:
        resp.run_forever(timeout=5)
        assert resp.read_stdout() == "out\n"
        assert resp.returncode == 2
    finally:
        # websocket-client leaves the socket open when the server closes first (as real apiservers do).
        resp.sock.shutdown()
