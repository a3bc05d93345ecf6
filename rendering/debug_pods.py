"""Manifests of kubectl-debug operations (docs/behaviour/access.md): ephemeral containers, pod copies, node debug pods.

Every command that runs for a participant is wrapped as `timeout <seconds> <command>` with the session's
remaining time (DESIGN decision 10), so nothing keeps running after the session ends even if cleanup
cannot reach the cluster: the image needs a `timeout` binary (busybox, coreutils and most distributions
have one). Pods also get `activeDeadlineSeconds`, which the kubelet enforces on its own.
Names are deterministic (retries never duplicate) and carry a hash of the session name, not its first
8 characters as in the reference (two sessions of one user would otherwise collide).
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from domain.debug_operations import EphemeralContainerRequest
from domain.kubectl_debug import HostNamespaces
from rendering import labels as L

MAX_NAME = 63
DEBUG_COPY = "breakglass.telekom.com/debug-copy"
ORIGINAL = "breakglass.telekom.com/original"
ORIGINAL_NS = "breakglass.telekom.com/original-ns"
NODE_DEBUG = "breakglass.telekom.com/node-debug"
TARGET_NODE = "breakglass.telekom.com/target-node"
REQUESTED_BY = "breakglass.telekom.com/requested-by"
OPERATION = "breakglass.t-caas.telekom.com/debug-operation"
"""Annotation: the session update that created the pod (a retry adopts only its own pod)."""
DEFAULT_SHELL = ("sh",)
"""What an ephemeral container runs when the request names no command: the image's own entrypoint
cannot be wrapped in a timeout without reading the image, so a shell is started instead."""


def object_name(prefix: str, middle: str, session: str) -> str:
    """`<prefix><middle>-<8 hex of sha256(session)>`, at most 63 characters (the middle is shortened)."""
    suffix = "-" + hashlib.sha256(session.encode()).hexdigest()[:8]
    room = MAX_NAME - len(prefix) - len(suffix)
    return prefix + middle[:room].rstrip("-.") + suffix


def timeout_command(seconds: int, command: tuple[str, ...] | list[str]) -> list[str]:
    """`timeout <seconds> <command...>` (POSIX-style `timeout DURATION COMMAND`, busybox and coreutils)."""
    return ["timeout", str(max(seconds, 1)), *command]


def ephemeral_container(request: EphemeralContainerRequest, seconds: int) -> dict[str, Any]:
    """The ephemeral container to add through the pods/ephemeralcontainers subresource."""
    container: dict[str, Any] = {
        "name": request.container_name,
        "image": request.image,
        "command": timeout_command(seconds, request.command or DEFAULT_SHELL),
        "imagePullPolicy": "IfNotPresent",
        "tty": True,
        "stdin": True,
    }
    if request.security_context is not None:
        container["securityContext"] = request.security_context
    return container


def _session_labels(session: str, template: str, cluster: str) -> dict[str, str]:
    return {**L.session_labels(session, template, cluster), L.MANAGED_BY: L.MANAGED_BY_VALUE}


def pod_copy(
    source: dict[str, Any],
    *,
    session: str,
    template: str,
    cluster: str,
    namespace: str,
    extra_labels: dict[str, str],
    debug_image: str,
    seconds: int,
    operation: str = "",
) -> dict[str, Any]:
    """A copy of `source` (a Pod as the API returns it): same spec, never restarted, not pinned to the
    source's node, without the source's labels (controllers must not adopt it), plus a `debugger`
    container when a debug image is given. It ends after `seconds` (the TTL or the session, whichever
    is sooner)."""
    meta = source.get("metadata") or {}
    spec = copy.deepcopy(source.get("spec") or {})
    for key in ("nodeName", "ephemeralContainers"):
        spec.pop(key, None)
    spec["restartPolicy"] = "Never"
    spec["activeDeadlineSeconds"] = max(seconds, 1)
    if debug_image:
        spec["containers"] = [
            *(spec.get("containers") or []),
            {
                "name": "debugger",
                "image": debug_image,
                "command": timeout_command(seconds, ("sleep", "infinity")),
                "tty": True,
                "stdin": True,
            },
        ]
    reserved = {
        **_session_labels(session, template, cluster),
        DEBUG_COPY: "true",
        ORIGINAL: meta.get("name", ""),
        ORIGINAL_NS: meta.get("namespace", ""),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": object_name("debug-copy-", meta.get("name", ""), session),
            "namespace": namespace,
            "labels": L.layered(reserved, extra_labels),
            "annotations": {OPERATION: operation},
        },
        "spec": spec,
    }


def _label_value(value: str) -> str:
    """A label value: characters outside `[A-Za-z0-9-_.]` become `_`, at most 63."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", value)[:MAX_NAME].strip("_.-") or "unknown"


def node_debug_pod(
    *,
    session: str,
    template: str,
    cluster: str,
    namespace: str,
    node: str,
    image: str,
    host: HostNamespaces | None,
    requested_by: str,
    seconds: int,
    operation: str = "",
) -> dict[str, Any]:
    """A privileged pod pinned to `node`, tolerating every taint, with the host's `/` at `/host`."""
    host = host or HostNamespaces()
    labels = {
        **_session_labels(session, template, cluster),
        NODE_DEBUG: "true",
        TARGET_NODE: _label_value(node),
        REQUESTED_BY: _label_value(requested_by),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": object_name("node-debugger-", node, session),
            "namespace": namespace,
            "labels": labels,
            "annotations": {OPERATION: operation},
        },
        "spec": {
            "nodeName": node,
            "hostNetwork": host.host_network,
            "hostPID": host.host_pid,
            "hostIPC": host.host_ipc,
            "restartPolicy": "Never",
            "activeDeadlineSeconds": max(seconds, 1),
            "tolerations": [{"operator": "Exists"}],
            "containers": [
                {
                    "name": "debugger",
                    "image": image,
                    "command": timeout_command(seconds, ("sleep", "infinity")),
                    "tty": True,
                    "stdin": True,
                    "securityContext": {"privileged": True},
                    "volumeMounts": [{"name": "host-root", "mountPath": "/host"}],
                }
            ],
            "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
        },
    }
