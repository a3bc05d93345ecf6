"""kubectl-debug operations on the target cluster (docs/behaviour/access.md): inject an ephemeral container,
copy a pod, create a node debug pod, delete pods whose time is up.

Each activity re-checks the operation's policy with what only the cluster knows (namespace labels, the
pod, the node) and then acts. A refusal is raised as `workflows.refusals.to_error(...)`, which the
workflow passes back to the API unchanged; a cluster that does not answer is retried by Temporal. Objects have
deterministic names and the session's labels, so a retried activity adopts what its earlier attempt
created instead of failing on the name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import heartbeating
from domain import debug_operations as ops
from domain.refusal import Refusal
from domain.resolution.resolved import ResolvedCluster, ResolvedSession
from domain.session import AllowedPod, CopiedPod, DeployedResource, InjectedEphemeralContainer, NodeDebugPod
from kube.client import ClusterClient
from kube.errors import KubeError
from rendering import debug_pods
from rendering import labels as L
from workflows.models import (
    CREATE_NODE_DEBUG_POD_ACTIVITY,
    CREATE_POD_COPY_ACTIVITY,
    DELETE_DEBUG_PODS_ACTIVITY,
    INJECT_EPHEMERAL_ACTIVITY,
    NODE_DEBUG_SOURCE,
    POD_COPY_SOURCE,
    DeleteDebugPodsInput,
    InjectEphemeralActivityInput,
    InjectEphemeralResult,
    NodeDebugPodActivityInput,
    NodeDebugPodResult,
    PodCopyActivityInput,
    PodCopyResult,
)
from workflows.refusals import refuse, to_error

DEBUG_POD_SELECTORS = (f"{debug_pods.DEBUG_COPY}=true", f"{debug_pods.NODE_DEBUG}=true")


def _refusal(found: Any) -> Any:
    """Raise when a pure check answered with a Refusal; otherwise pass its value through."""
    if isinstance(found, Refusal):
        raise to_error(found)
    return found


def _failed(exc: KubeError, failure: str) -> Exception:
    """What a failed cluster call becomes: transient errors stay (Temporal retries them); an object the
    cluster calls invalid is the request's fault (400); anything else (e.g. our own RBAC) is ours."""
    if exc.retryable:
        return exc
    if exc.status in (400, 422):
        return refuse(400, f"{failure}: {exc.message}")
    return ApplicationError(str(exc), type="KubeError", non_retryable=True)


def _call(fn: Callable[[], Any], failure: str) -> Any:
    try:
        return fn()
    except KubeError as exc:
        raise _failed(exc, failure) from exc


def _seconds(start: datetime, stop: datetime) -> int:
    return max(1, math.ceil((stop - start).total_seconds()))


class KubectlDebugActivities:
    """The operations, sharing the session activities' cache of cluster clients."""

    def __init__(self, clients: Callable[[ResolvedCluster], ClusterClient]) -> None:
        self.clients = clients

    def all(self) -> list[Any]:
        """The activity callables to register with a worker."""
        return [self.inject_ephemeral_container, self.create_pod_copy, self.create_node_debug_pod, self.delete_pods]

    @activity.defn(name=INJECT_EPHEMERAL_ACTIVITY)
    @heartbeating
    def inject_ephemeral_container(self, input: InjectEphemeralActivityInput) -> InjectEphemeralResult:
        """Namespace, image and security policy, then add the container to the running pod
        (docs/behaviour/access.md#inject-an-ephemeral-container)."""
        session, req = input.session, input.request
        failure = "failed to inject ephemeral container"
        cfg = _refusal(ops.ephemeral_config(session.template.kubectl_debug))
        client = self.clients(session.cluster)
        labels: dict[str, str] = {}
        if ops.needs_namespace_labels(cfg.allowed_namespaces, cfg.denied_namespaces):
            found = _call(lambda: client.namespace_labels(req.namespace), failure)
            if found is None:
                raise refuse(400, f"namespace {req.namespace} not found")
            labels = found
        _refusal(ops.ephemeral_refusal(cfg, req, labels))
        pod = _call(lambda: client.get("v1", "Pod", req.pod_name, req.namespace), failure)
        if pod is None:
            raise refuse(400, f"failed to get pod {req.namespace}/{req.pod_name}: not found")
        container = debug_pods.ephemeral_container(req, _seconds(input.injected_at, input.stops_at))
        existing = next(
            (c for c in (pod.get("spec") or {}).get("ephemeralContainers") or [] if c.get("name") == container["name"]),
            None,
        )
        if existing is None:
            activity.heartbeat("injecting")
            _call(lambda: client.add_ephemeral_container(req.namespace, req.pod_name, container), failure)
        elif (existing.get("image"), existing.get("command")) != (container["image"], container["command"]):
            where = f"{req.namespace}/{req.pod_name}"
            raise refuse(409, f"ephemeral container {req.container_name} already exists in pod {where}")
        # else: an earlier attempt of this activity injected it already
        entry = InjectedEphemeralContainer(
            pod_name=req.pod_name,
            namespace=req.namespace,
            container_name=req.container_name,
            image=req.image,
            injected_at=input.injected_at,
            injected_by=input.injected_by,
            stops_at=input.stops_at,
        )
        node = (pod.get("spec") or {}).get("nodeName") or ""
        return InjectEphemeralResult(
            entry=entry, pod=AllowedPod(namespace=req.namespace, name=req.pod_name, node_name=node, ready=True)
        )

    @activity.defn(name=CREATE_POD_COPY_ACTIVITY)
    @heartbeating
    def create_pod_copy(self, input: PodCopyActivityInput) -> PodCopyResult:
        """The source namespace's policy, the source pod, the target namespace, then the copy
        (docs/behaviour/access.md#copy-a-pod)."""
        session, req = input.session, input.request
        failure = "failed to create pod copy"
        cfg = _refusal(ops.pod_copy_config(session.template.kubectl_debug))
        client = self.clients(session.cluster)
        labels = _call(lambda: client.namespace_labels(req.namespace), failure)
        if labels is None:
            raise refuse(400, f"namespace {req.namespace} not found")
        _refusal(ops.pod_copy_namespace_refusal(cfg, req.namespace, labels))
        source = _call(lambda: client.get("v1", "Pod", req.pod_name, req.namespace), failure)
        if source is None:
            raise refuse(400, f"failed to get pod {req.namespace}/{req.pod_name}: not found")
        target = cfg.target_namespace or "debug-copies"
        self._ensure_namespace(client, target, cfg.create_target_namespace, {}, failure)
        manifest = debug_pods.pod_copy(
            source,
            session=session.name,
            template=session.template_name,
            cluster=session.cluster.name,
            namespace=target,
            extra_labels=dict(cfg.labels),
            debug_image=req.debug_image,
            seconds=_seconds(input.created_at, input.stops_at),
            operation=input.operation,
        )
        created = self._create_or_adopt(client, session, manifest, failure)
        name = manifest["metadata"]["name"]
        return PodCopyResult(
            copied=CopiedPod(
                original_pod=req.pod_name,
                original_namespace=req.namespace,
                copy_name=name,
                copy_namespace=target,
                created_at=input.created_at,
                expires_at=input.expires_at,
                created_by=input.created_by,
            ),
            resource=self._resource(created, POD_COPY_SOURCE),
            pod=AllowedPod(namespace=target, name=name, ready=False),
        )

    @activity.defn(name=CREATE_NODE_DEBUG_POD_ACTIVITY)
    @heartbeating
    def create_node_debug_pod(self, input: NodeDebugPodActivityInput) -> NodeDebugPodResult:
        """The node (must exist, must match nodeSelector), the image, then the pinned privileged pod
        (docs/behaviour/access.md#node-debug-pod)."""
        session, req = input.session, input.request
        failure = "failed to create node debug pod"
        cfg = _refusal(ops.node_debug_config(session.template.kubectl_debug))
        client = self.clients(session.cluster)
        node = _call(lambda: client.get("v1", "Node", req.node_name, None), failure)
        node_labels = ((node.get("metadata") or {}).get("labels") or {}) if node is not None else None
        _refusal(ops.node_refusal(cfg, req.node_name, node_labels))
        image = _refusal(ops.node_debug_image(cfg, req.image))
        target = session.target
        self._ensure_namespace(
            client, target.namespace, target.create_if_not_exists, dict(target.namespace_labels), failure
        )
        manifest = debug_pods.node_debug_pod(
            session=session.name,
            template=session.template_name,
            cluster=session.cluster.name,
            namespace=target.namespace,
            node=req.node_name,
            image=image,
            host=cfg.host_namespaces,
            requested_by=input.created_by,
            seconds=_seconds(input.created_at, input.stops_at),
            operation=input.operation,
        )
        created = self._create_or_adopt(client, session, manifest, failure)
        name = manifest["metadata"]["name"]
        return NodeDebugPodResult(
            entry=NodeDebugPod(
                pod_name=name,
                namespace=target.namespace,
                node_name=req.node_name,
                image=image,
                created_at=input.created_at,
                created_by=input.created_by,
                stops_at=input.stops_at,
            ),
            resource=self._resource(created, NODE_DEBUG_SOURCE),
            pod=AllowedPod(namespace=target.namespace, name=name, node_name=req.node_name, ready=False),
        )

    @activity.defn(name=DELETE_DEBUG_PODS_ACTIVITY)
    @heartbeating
    def delete_pods(self, input: DeleteDebugPodsInput) -> None:
        """Delete the given pods (UID preconditions; already gone is fine); raise to retry on failure."""
        client = self.clients(input.session.cluster)
        for pod in input.pods:
            activity.heartbeat(f"{pod.namespace}/{pod.name}")
            client.delete(pod.api_version, pod.kind, pod.name, pod.namespace, pod.uid or None)

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _ensure_namespace(
        client: ClusterClient, namespace: str, create: bool, labels: dict[str, str], failure: str
    ) -> None:
        if _call(lambda: client.namespace_labels(namespace), failure) is not None:
            return
        if not create:
            raise refuse(400, f"target namespace {namespace} does not exist")
        _call(lambda: client.create_namespace(namespace, labels), failure)

    @staticmethod
    def _create_or_adopt(
        client: ClusterClient, session: ResolvedSession, manifest: dict[str, Any], failure: str
    ) -> dict[str, Any]:
        """Create; when the name exists and an earlier attempt of this same operation made it, adopt it.
        A pod of this name made by another operation of the session (a second copy of the same pod, a
        second pod on the same node) is a 409: it already exists and keeps its own deadline."""
        meta = manifest["metadata"]
        activity.heartbeat(f"creating {meta['namespace']}/{meta['name']}")
        try:
            created: dict[str, Any] = client.create(manifest)
            return created
        except KubeError as exc:
            if exc.status != 409:
                raise _failed(exc, failure) from exc
        live = _call(lambda: client.get("v1", "Pod", meta["name"], meta["namespace"]), failure)
        live_meta = (live or {}).get("metadata") or {}
        ours = (live_meta.get("labels") or {}).get(L.SESSION) == session.name
        operation = (live_meta.get("annotations") or {}).get(debug_pods.OPERATION)
        if live is not None and ours and operation == meta["annotations"][debug_pods.OPERATION]:
            return dict(live)
        whose = " for this session" if ours else ""
        raise refuse(409, f"pod {meta['namespace']}/{meta['name']} already exists{whose}")

    @staticmethod
    def _resource(created: dict[str, Any], source: str) -> DeployedResource:
        meta = created.get("metadata") or {}
        return DeployedResource(
            api_version="v1",
            kind="Pod",
            name=meta.get("name", ""),
            namespace=meta.get("namespace", ""),
            source=source,
            uid=meta.get("uid", ""),
        )


def remove_unrecorded_debug_pods(client: ClusterClient, session: str) -> list[str]:
    """Cleanup's safety net: pod copies and node debug pods of `session` that were never recorded (their
    operation failed after the create). Recorded ones are already being deleted and are not listed."""
    errors: list[str] = []
    for selector in DEBUG_POD_SELECTORS:
        try:
            pods = client.list_pods(f"{L.SESSION}={session},{selector}")
        except KubeError as exc:
            errors.append(f"listing debug pods ({selector}): {exc}")
            continue
        for pod in pods:
            meta = pod.metadata
            try:
                client.delete("v1", "Pod", meta.name, meta.namespace, meta.uid)
            except KubeError as exc:
                errors.append(f"Pod/{meta.namespace}/{meta.name}: {exc}")
    return errors
