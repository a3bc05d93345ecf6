"""Quota, impersonation, fault injection and extra resources, with apiserver-shaped errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kubesim.faults import FaultRule
from kubesim.sim import KubeSim
from tests.kubesim.kubesim_support import Kubectl, k8s_config

EXTRA = """\
- group: cilium.io
  version: v2
  kind: CiliumNetworkPolicy
  plural: ciliumnetworkpolicies
  shortNames: [cnp]
- apiVersion: monitoring.coreos.com/v1
  kind: ServiceMonitor
"""


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    """A cluster with extra resources and impersonation rules."""
    rules = {"deny": {"users": ["system:admin", "evil-*"], "groups": ["system:masters"]}}
    with KubeSim(pod_ready_delay=0.05, extra_resources=EXTRA, impersonation_rules=rules) as s:
        yield s


def _pod(name: str, cpu: str | None = None, memory: str | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if cpu or memory:
        resources = {"requests": {}, "limits": {}}
        for k, v in (("cpu", cpu), ("memory", memory)):
            if v:
                resources["requests"][k] = v
                resources["limits"][k] = v
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox", "resources": resources}]},
    }


def test_quota_pod_count(http: httpx.Client) -> None:
    http.post("/api/v1/namespaces", json={"metadata": {"name": "q1"}})
    quota = {"metadata": {"name": "pod-count"}, "spec": {"hard": {"pods": "2"}}}
    assert http.post("/api/v1/namespaces/q1/resourcequotas", json=quota).status_code == 201
    for i in range(2):
        assert http.post("/api/v1/namespaces/q1/pods", json=_pod(f"p{i}")).status_code == 201
    resp = http.post("/api/v1/namespaces/q1/pods", json=_pod("p2"))
    assert resp.status_code == 403
    assert resp.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "p2" is forbidden: exceeded quota: pod-count, requested: pods=1, used: pods=2, limited: pods=2',
        "reason": "Forbidden",
        "details": {"name": "p2", "kind": "pods"},
        "code": 403,
    }


def test_quota_compute_resources(http: httpx.Client) -> None:
    http.post("/api/v1/namespaces", json={"metadata": {"name": "q2"}})
    quota = {"metadata": {"name": "compute"}, "spec": {"hard": {"requests.cpu": "1", "limits.memory": "1Gi"}}}
    http.post("/api/v1/namespaces/q2/resourcequotas", json=quota)
    assert http.post("/api/v1/namespaces/q2/pods", json=_pod("a", "600m", "512Mi")).status_code == 201
    resp = http.post("/api/v1/namespaces/q2/pods", json=_pod("b", "500m", "256Mi"))
    assert resp.status_code == 403
    assert resp.json()["message"] == (
        'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, '
        "used: requests.cpu=600m, limited: requests.cpu=1"
    )
    missing = http.post("/api/v1/namespaces/q2/pods", json=_pod("c"))
    assert missing.status_code == 403
    assert "failed quota: compute: must specify" in missing.json()["message"]

    def used() -> dict[str, str]:
        status: dict[str, str] = (
            http.get("/api/v1/namespaces/q2/resourcequotas/compute").json().get("status", {}).get("used", {})
        )
        return status

    deadline = time.monotonic() + 5
    while used().get("requests.cpu") != "600m" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert used() == {"requests.cpu": "600m", "limits.memory": "512Mi"}


def test_quota_via_official_client(core: Any) -> None:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="q3")))
    core.create_namespaced_resource_quota(
        "q3",
        client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="one"),
            spec=client.V1ResourceQuotaSpec(hard={"configmaps": "1"}),
        ),
    )
    core.create_namespaced_config_map("q3", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="a")))
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("q3", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="b")))
    assert exc.value.status == 403
    assert exc.value.reason == "Forbidden"


def test_impersonation_recorded(http: httpx.Client, sim: KubeSim) -> None:
    resp = http.get(
        "/api/v1/namespaces/default/configmaps",
        headers=[("Impersonate-User", "alice"), ("Impersonate-Group", "devs"), ("Impersonate-Group", "ops")],
    )
    assert resp.status_code == 200
    last = sim.impersonation.log[-1]
    assert last["impersonatedUser"] == "alice"
    assert last["impersonatedGroups"] == ["devs", "ops"]
    assert last["verb"] == "list"
    assert http.get("/_kubesim/impersonation/log").json()["items"][-1]["impersonatedUser"] == "alice"


def test_impersonation_forbidden(http: httpx.Client) -> None:
    resp = http.get("/api/v1/namespaces", headers={"Impersonate-User": "evil-bob"})
    assert resp.status_code == 403
    assert resp.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'users "evil-bob" is forbidden: User "kubernetes-admin" cannot impersonate resource "users" in API '
        'group "" at the cluster scope',
        "reason": "Forbidden",
        "details": {"name": "evil-bob", "kind": "users"},
        "code": 403,
    }
    resp = http.get("/api/v1/namespaces", headers={"Impersonate-User": "carol", "Impersonate-Group": "system:masters"})
    assert resp.status_code == 403
    assert resp.json()["details"] == {"name": "system:masters", "kind": "groups"}


def test_impersonation_with_official_client(sim: KubeSim) -> None:

    api_client = k8s_config.new_client_from_config(config_file=str(sim.kubeconfig_path))
    try:
        api_client.set_default_header("Impersonate-User", "system:admin")
        with pytest.raises(ApiException) as exc:
            client.CoreV1Api(api_client).list_namespace()
        assert exc.value.status == 403
    finally:
        api_client.close()


def test_faults_fail_next_and_codes(http: httpx.Client, sim: KubeSim) -> None:
    sim.faults.add(FaultRule(verbs=["get"], resources=["configmaps"], code=503, fail_next=2))
    codes = [http.get("/api/v1/namespaces/default/configmaps/x").status_code for _ in range(3)]
    assert codes == [503, 503, 404]
    sim.faults.clear()
    resp = http.put(
        "/_kubesim/faults",
        content="rules:\n- {verbs: [list], resources: [pods], code: 429, retryAfter: 2, failNext: 1}\n",
    )
    assert resp.status_code == 200
    throttled = http.get("/api/v1/namespaces/default/pods")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"
    assert throttled.json()["reason"] == "TooManyRequests"
    assert throttled.json()["details"] == {"retryAfterSeconds": 2}
    assert http.get("/api/v1/namespaces/default/pods").status_code == 200
    http.delete("/_kubesim/faults")


def test_faults_seeded_rate_is_reproducible(sim: KubeSim) -> None:
    def run() -> list[int]:
        sim.faults.configure({"seed": 7, "rules": [{"verbs": ["get"], "rate": 0.5, "code": 500}]})
        out = []
        with httpx.Client(base_url=sim.url) as c:
            for _ in range(20):
                out.append(c.get("/api/v1/namespaces/default").status_code)
        sim.faults.clear()
        return out

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 500}


def test_faults_latency_and_drop(sim: KubeSim) -> None:
    sim.faults.configure({"rules": [{"verbs": ["get"], "resources": ["namespaces"], "latencyMs": 200, "failNext": 1}]})
    with httpx.Client(base_url=sim.url) as c:
        t = time.monotonic()
        assert c.get("/api/v1/namespaces/default").status_code == 200
        assert time.monotonic() - t >= 0.2
    sim.faults.configure({"rules": [{"verbs": ["get"], "resources": ["namespaces"], "drop": True, "failNext": 1}]})
    with httpx.Client(base_url=sim.url) as c, pytest.raises(httpx.TransportError):
        c.get("/api/v1/namespaces/default")
    with httpx.Client(base_url=sim.url) as c:
        assert c.get("/api/v1/namespaces/default").status_code == 200
    sim.faults.clear()


def test_extra_resources_discovery_and_crud(dyn: Any, http: httpx.Client) -> None:
    cnp = dyn.resources.get(api_version="cilium.io/v2", kind="CiliumNetworkPolicy")
    body = {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "allow"},
        "spec": {"endpointSelector": {}},
    }
    created = cnp.create(body=body, namespace="default")
    assert created.metadata.uid
    assert cnp.get(name="allow", namespace="default").to_dict()["spec"] == {"endpointSelector": {}}
    sm = dyn.resources.get(api_version="monitoring.coreos.com/v1", kind="ServiceMonitor")
    assert sm.name == "servicemonitors"
    resp = http.patch(
        "/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/allow",
        json={"spec": {"x": 1}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert resp.status_code == 415
    merge = http.patch(
        "/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/allow",
        json={"spec": {"x": 1}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert merge.json()["spec"] == {"endpointSelector": {}, "x": 1}


def test_kubectl_as_is_checked(kubectl: Kubectl) -> None:
    denied = kubectl.run("--as", "evil-bob", "get", "pods", check=False)
    assert denied.returncode != 0
    assert 'users "evil-bob" is forbidden: User "kubernetes-admin" cannot impersonate resource "users"' in denied.stderr
    allowed = kubectl.run("--as", "alice", "--as-group", "devs", "get", "configmaps")
    assert allowed.returncode == 0


def test_watch_too_old_resource_version_is_410() -> None:
    with KubeSim(watch_history=5) as small, httpx.Client(base_url=small.url) as c:
        for i in range(10):
            c.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": f"c{i}"}})
        resp = c.get("/api/v1/namespaces/default/configmaps", params={"watch": "true", "resourceVersion": "2"})
    line = json.loads(resp.text.splitlines()[0])
    assert line["type"] == "ERROR"
    assert line["object"]["code"] == 410
    assert line["object"]["reason"] == "Expired"
