"""Manifests of kubectl-debug operations: names, labels, the timeout wrapping, pinning and host access."""

from __future__ import annotations

from typing import Any

from domain.debug_operations import EphemeralContainerRequest
from domain.kubectl_debug import HostNamespaces
from rendering import debug_pods
from rendering import labels as L

SESSION = "debug-dave-dev-1-1764158400"


def test_names_are_deterministic_unique_per_session_and_short() -> None:
    a = debug_pods.object_name("debug-copy-", "web-1", SESSION)
    assert a == debug_pods.object_name("debug-copy-", "web-1", SESSION)
    # the reference used the first 8 characters of the session name: two sessions of dave collided
    assert a != debug_pods.object_name("debug-copy-", "web-1", "debug-dave-dev-1-1764158999")
    long = debug_pods.object_name("node-debugger-", "ip-10-0-0-1.eu-central-1.compute.internal" * 2, SESSION)
    assert len(long) == 63
    assert not long[:-9].endswith(("-", "."))


def test_ephemeral_container_runs_under_a_timeout() -> None:
    req = EphemeralContainerRequest.model_validate(
        {"namespace": "a", "podName": "p", "containerName": "dbg", "image": "busybox:1", "command": ["sh", "-c", "top"]}
    )
    c = debug_pods.ephemeral_container(req, 1800)
    assert c["command"] == ["timeout", "1800", "sh", "-c", "top"]
    assert (c["tty"], c["stdin"], c["imagePullPolicy"]) == (True, True, "IfNotPresent")
    assert "securityContext" not in c
    bare = EphemeralContainerRequest.model_validate(
        {"namespace": "a", "podName": "p", "containerName": "dbg", "image": "busybox:1", "securityContext": {}}
    )
    assert debug_pods.ephemeral_container(bare, 0)["command"] == ["timeout", "1", "sh"]  # never 0 (= no limit)
    assert debug_pods.ephemeral_container(bare, 5)["securityContext"] == {}


SOURCE: dict[str, Any] = {
    "metadata": {"name": "web-1", "namespace": "app-shop", "labels": {"app": "web"}, "uid": "u1"},
    "spec": {
        "nodeName": "node-1",
        "restartPolicy": "Always",
        "containers": [{"name": "web", "image": "nginx:1"}],
        "ephemeralContainers": [{"name": "old", "image": "busybox"}],
    },
    "status": {"phase": "Running"},
}


def test_pod_copy() -> None:
    m = debug_pods.pod_copy(
        SOURCE,
        session=SESSION,
        template="hybrid-debug",
        cluster="dev-1",
        namespace="debug-copies",
        extra_labels={"team": "sre", L.SESSION: "spoofed"},
        debug_image="busybox:1",
        seconds=900,
    )
    meta, spec = m["metadata"], m["spec"]
    assert meta["name"].startswith("debug-copy-web-1-")
    assert meta["namespace"] == "debug-copies"
    assert meta["labels"][L.SESSION] == SESSION  # reserved keys cannot be overridden by podCopy.labels
    assert meta["labels"]["team"] == "sre"
    assert "app" not in meta["labels"]
    assert meta["labels"][debug_pods.ORIGINAL] == "web-1"
    assert meta["labels"][debug_pods.ORIGINAL_NS] == "app-shop"
    assert "nodeName" not in spec
    assert "ephemeralContainers" not in spec
    assert "status" not in m
    assert (spec["restartPolicy"], spec["activeDeadlineSeconds"]) == ("Never", 900)
    assert [c["name"] for c in spec["containers"]] == ["web", "debugger"]
    assert spec["containers"][1]["command"] == ["timeout", "900", "sleep", "infinity"]
    assert SOURCE["spec"] == {**SOURCE["spec"], "nodeName": "node-1"}  # the source is not modified


def test_node_debug_pod() -> None:
    m = debug_pods.node_debug_pod(
        session=SESSION,
        template="hybrid-debug",
        cluster="dev-1",
        namespace="breakglass-debug",
        node="node-2",
        image="busybox:stable",
        host=None,
        requested_by="dave@example.com",
        seconds=3600,
    )
    spec = m["spec"]
    assert spec["nodeName"] == "node-2"
    assert (spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (True, True, False)  # defaults
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["activeDeadlineSeconds"] == 3600
    (c,) = spec["containers"]
    assert c["securityContext"] == {"privileged": True}
    assert c["command"] == ["timeout", "3600", "sleep", "infinity"]
    assert c["volumeMounts"] == [{"name": "host-root", "mountPath": "/host"}]
    assert spec["volumes"] == [{"name": "host-root", "hostPath": {"path": "/"}}]
    assert m["metadata"]["labels"][debug_pods.REQUESTED_BY] == "dave_example.com"
    ipc = debug_pods.node_debug_pod(
        session=SESSION, template="t", cluster="c", namespace="n", node="node-2", image="i",
        host=HostNamespaces.model_validate({"hostNetwork": False, "hostIPC": True}), requested_by="x", seconds=1,
    )  # fmt: skip
    assert (ipc["spec"]["hostNetwork"], ipc["spec"]["hostPID"], ipc["spec"]["hostIPC"]) == (False, True, True)
