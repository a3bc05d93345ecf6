"""Real kubectl against kubesim: apply, get, describe, wait, watch, patch, server-side apply, delete."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from kubesim.sim import KubeSim
from tests.kubesim.kubesim_support import Kubectl, wait_for

pytestmark = pytest.mark.e2e

MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
"""


def _no_warnings(proc: Any) -> None:
    assert "warning" not in proc.stderr.lower(), proc.stderr


def test_apply_creates_and_reapply_is_clean(kubectl: Kubectl, sim: KubeSim) -> None:
    proc = kubectl.run("apply", "-f", "-", stdin=MANIFEST)
    _no_warnings(proc)
    assert "namespace/shop created" in proc.stdout
    assert "deployment.apps/web created" in proc.stdout
    assert "configmap/settings created" in proc.stdout
    again = kubectl.run("apply", "-f", "-", stdin=MANIFEST.replace("replicas: 2", "replicas: 3"))
    _no_warnings(again)
    assert "deployment.apps/web configured" in again.stdout
    assert "configmap/settings unchanged" in again.stdout
    dep = sim.store.get("apps/deployments", "shop", "web")
    assert dep is not None
    assert dep["spec"]["replicas"] == 3


def test_wait_for_ready_and_available(kubectl: Kubectl) -> None:
    proc = kubectl.run("-n", "shop", "wait", "--for=condition=Available", "deployment/web", "--timeout=20s")
    assert "condition met" in proc.stdout
    proc = kubectl.run("-n", "shop", "wait", "--for=condition=Ready", "pod", "-l", "app=web", "--timeout=20s")
    assert proc.stdout.count("condition met") == 3


def test_get_wide_and_yaml(kubectl: Kubectl) -> None:
    wide = kubectl.run("-n", "shop", "get", "pods", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    rows = [line.split() for line in wide[1:]]
    assert len(rows) == 3
    assert all(r[1] == "1/1" and r[2] == "Running" and r[5].startswith("10.244.") for r in rows)
    assert all(r[6].startswith("kubesim-worker") for r in rows)
    doc = yaml.safe_load(kubectl.run("-n", "shop", "get", "deploy", "web", "-o", "yaml").stdout)
    assert doc["kind"] == "Deployment"
    assert doc["status"]["readyReplicas"] == 3
    nodes = kubectl.run("get", "nodes").stdout
    assert "control-plane" in nodes


def test_describe_shows_events(kubectl: Kubectl) -> None:
    pod = kubectl.run("-n", "shop", "get", "pods", "-o", "name").stdout.split()[0]
    out = kubectl.run("-n", "shop", "describe", pod).stdout
    assert "Status:           Running" in out
    assert "Controlled By:  ReplicaSet/web-" in out
    assert "Successfully assigned shop/" in out
    assert "Started container nginx" in out
    assert "Replicas:" in kubectl.run("-n", "shop", "describe", "deployment", "web").stdout


def test_patch_all_types(kubectl: Kubectl, sim: KubeSim) -> None:
    kubectl.run("-n", "shop", "patch", "configmap", "settings", "--type", "merge", "-p", '{"data":{"extra":"1"}}')
    kubectl.run(
        "-n",
        "shop",
        "patch",
        "configmap",
        "settings",
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/data/mode","value":"slow"}]',
    )
    cm = sim.store.get("/configmaps", "shop", "settings")
    assert cm is not None
    assert cm["data"] == {"mode": "slow", "extra": "1"}
    kubectl.run(
        "-n",
        "shop",
        "patch",
        "deployment",
        "web",
        "-p",
        '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}',
    )
    dep = sim.store.get("apps/deployments", "shop", "web")
    assert dep is not None
    containers = dep["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"], c["ports"][0]["containerPort"]) for c in containers] == [
        ("nginx", "nginx:1.28", 80)
    ]
    kubectl.run("-n", "shop", "rollout", "status", "deployment/web", "--timeout=20s")


def test_server_side_apply(kubectl: Kubectl) -> None:
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned, namespace: shop}\ndata: {k: one}\n"
    proc = kubectl.run("apply", "--server-side", "-f", "-", stdin=doc)
    assert "configmap/owned serverside-applied" in proc.stdout
    conflict = kubectl.run(
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "-f",
        "-",
        stdin=doc.replace("one", "two"),
        check=False,
    )
    assert conflict.returncode != 0
    assert 'conflict with "kubectl"' in conflict.stderr
    kubectl.run(
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "--force-conflicts",
        "-f",
        "-",
        stdin=doc.replace("one", "two"),
    )
    assert kubectl.run("-n", "shop", "get", "cm", "owned", "-o", "jsonpath={.data.k}").stdout == "two"


def test_get_watch_streams_changes(kubectl: Kubectl) -> None:
    proc = kubectl.popen("-n", "shop", "get", "configmaps", "-w", "--request-timeout=10s")
    try:
        time.sleep(0.8)
        kubectl.run(
            "apply",
            "-f",
            "-",
            stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: shop}\n",
        )
        out = ""
        assert proc.stdout is not None
        deadline = time.monotonic() + 10
        while "watched" not in out and time.monotonic() < deadline:
            out += proc.stdout.readline()
    finally:
        proc.terminate()
        proc.communicate(timeout=5)
    assert "watched" in out


def test_delete_waits_for_removal(kubectl: Kubectl, sim: KubeSim) -> None:
    proc = kubectl.run("-n", "shop", "delete", "deployment", "web")
    assert 'deployment.apps "web" deleted' in proc.stdout
    wait_for(lambda: not sim.store.list("/pods", "shop"))
    proc = kubectl.run("delete", "namespace", "shop", "--timeout=20s")
    assert 'namespace "shop" deleted' in proc.stdout
    missing = kubectl.run("get", "namespace", "shop", check=False)
    assert missing.returncode != 0
    assert 'namespaces "shop" not found' in missing.stderr


def test_error_messages_match_apiserver(kubectl: Kubectl) -> None:
    proc = kubectl.run("-n", "default", "get", "pod", "nope", check=False)
    assert proc.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


def test_typed_create_generators_send_protobuf(kubectl: Kubectl, sim: KubeSim) -> None:
    kubectl.run("create", "namespace", "gen")
    kubectl.run("-n", "gen", "create", "configmap", "c", "--from-literal=a=b")
    kubectl.run("-n", "gen", "create", "secret", "generic", "s", "--from-literal=pw=hunter2")
    kubectl.run("-n", "gen", "create", "deployment", "d", "--image=nginx:1", "--replicas=2")
    kubectl.run("-n", "gen", "run", "p", "--image=busybox", "--labels=x=y", "--", "sleep", "1")
    cm = sim.store.get("/configmaps", "gen", "c")
    assert cm is not None
    assert cm["data"] == {"a": "b"}
    secret = sim.store.get("/secrets", "gen", "s")
    assert secret is not None
    assert secret["data"] == {"pw": "aHVudGVyMg=="}
    pod = sim.store.get("/pods", "gen", "p")
    assert pod is not None
    assert pod["spec"]["containers"][0]["args"] == ["sleep", "1"]
    assert pod["spec"]["restartPolicy"] == "Always"
    kubectl.run("-n", "gen", "rollout", "status", "deployment/d", "--timeout=20s")
    kubectl.run("delete", "namespace", "gen", "--timeout=20s")


def test_kubectl_debug_ephemeral_copy_and_node(kubectl: Kubectl, sim: KubeSim) -> None:
    kubectl.run("run", "target", "--image=busybox", "--", "sleep", "3600")
    kubectl.run("wait", "--for=condition=Ready", "pod/target", "--timeout=20s")
    kubectl.run("debug", "target", "-it=false", "--image=busybox:1.36", "--target=target")
    pod = sim.store.get("/pods", "default", "target")
    assert pod is not None
    assert pod["spec"]["ephemeralContainers"][0]["image"] == "busybox:1.36"
    kubectl.run("debug", "target", "-it=false", "--image=busybox:1.36", "--copy-to=target-copy")
    copy = wait_for(lambda: sim.store.get("/pods", "default", "target-copy"))
    assert len(copy["spec"]["containers"]) == 2
    kubectl.run("debug", "node/kubesim-worker", "-it=false", "--image=busybox:1.36", "--profile=sysadmin")
    node_pods = [p for p in sim.store.list("/pods", "default") if p["metadata"]["name"].startswith("node-debugger-")]
    assert len(node_pods) == 1
    spec = node_pods[0]["spec"]
    assert spec["nodeName"] == "kubesim-worker"
    assert spec["hostPID"] is True
    assert spec["volumes"] == [{"name": "host-root", "hostPath": {"path": "/"}}]
    assert spec["containers"][0]["securityContext"] == {"privileged": True}


def test_kubectl_exec_over_websocket(kubectl: Kubectl) -> None:
    kubectl.run("run", "shell", "--image=busybox", "--env=GREETING=hi", "--", "sleep", "3600")
    kubectl.run("wait", "--for=condition=Ready", "pod/shell", "--timeout=20s")
    assert kubectl.run("exec", "shell", "--", "echo", "hello", "world").stdout == "hello world\n"
    assert "GREETING=hi" in kubectl.run("exec", "shell", "--", "env").stdout
    failed = kubectl.run("exec", "shell", "--", "sh", "-c", "echo out; false", check=False)
    assert failed.returncode == 1
    assert failed.stdout == "out\n"
    interactive = kubectl.run("exec", "-i", "shell", "--", "sh", stdin="echo one\nhostname\nexit 4\n", check=False)
    assert interactive.stdout == "one\nshell\n"
    assert interactive.returncode == 4


PDB_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: guarded, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: guarded}}
  template:
    metadata: {labels: {app: guarded}}
    spec:
      nodeSelector: {kubernetes.io/hostname: kubesim-worker3}
      containers: [{name: c, image: nginx:1}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: guarded, namespace: default}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: guarded}}
"""


def test_eviction_respects_pdb_and_drain(kubectl: Kubectl, sim: KubeSim, http: Any) -> None:
    kubectl.run("apply", "-f", "-", stdin=PDB_APP)
    kubectl.run("rollout", "status", "deployment/guarded", "--timeout=20s")
    wait_for(
        lambda: (
            (sim.store.get("policy/poddisruptionbudgets", "default", "guarded") or {})
            .get("status", {})
            .get("currentHealthy")
            == 2
        )
    )
    assert "ALLOWED DISRUPTIONS" in kubectl.run("get", "pdb", "guarded").stdout
    pod = next(p for p in sim.store.list("/pods", "default") if p["metadata"]["labels"].get("app") == "guarded")
    name = pod["metadata"]["name"]
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}
    refused = http.post(f"/api/v1/namespaces/default/pods/{name}/eviction", json=eviction)
    assert refused.status_code == 429
    assert refused.json()["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert refused.json()["details"]["causes"][0]["reason"] == "DisruptionBudget"
    kubectl.run("delete", "pdb", "guarded")
    proc = kubectl.run("drain", "kubesim-worker3", "--ignore-daemonsets", "--force", "--timeout=30s")
    assert "node/kubesim-worker3 drained" in proc.stdout
    node = sim.store.get("/nodes", "", "kubesim-worker3")
    assert node is not None
    assert node["spec"]["unschedulable"] is True
    kubectl.run("uncordon", "kubesim-worker3")
    kubectl.run("delete", "deployment", "guarded")


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""
WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
"""


def test_custom_resource_definitions_at_run_time(kubectl: Kubectl, sim: KubeSim) -> None:
    kubectl.run("get", "nodes")  # warm the discovery cache before the CRD exists
    kubectl.run("apply", "-f", "-", stdin=CRD)
    kubectl.run("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=20s")
    assert "widget.example.com/w1 created" in kubectl.run("apply", "-f", "-", stdin=WIDGET).stdout
    assert "w1" in kubectl.run("get", "wd").stdout
    assert kubectl.run("get", "widget", "w1", "-o", "jsonpath={.spec.size}").stdout == "3"
    kubectl.run("delete", "crd", "widgets.example.com")
    wait_for(lambda: not sim.store.list("example.com/widgets"))
    gone = kubectl.run("get", "widgets.example.com", check=False)
    assert gone.returncode != 0
