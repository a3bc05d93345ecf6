"""kubectl-debug activities against kubesim (ActivityEnvironment, official client): the checks only the
cluster can answer (namespace labels, the pod, the node, the target namespace), idempotent retries, and
the cleanup safety net for pods whose operation never got recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import kubernetes
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.kubectl_debug import remove_unrecorded_debug_pods
from activities.session import ActivitySettings, SessionActivities
from domain.debug_operations import EphemeralContainerRequest, NodeDebugPodRequest, PodCopyRequest
from domain.kubectl_debug import KubectlDebugConfig
from domain.resolution.resolved import ResolvedSession
from kubesim.sim import KubeSim
from tests.activities.test_session_activities import core, snapshot
from workflows import refusals
from workflows.models import InjectEphemeralActivityInput, NodeDebugPodActivityInput, PodCopyActivityInput

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ENV = ActivityEnvironment()


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    with KubeSim(nodes=2, pod_ready_delay=0.05) as cluster:
        api = core(cluster)
        for ns, labels in (("app-a", {"debug": "ok"}), ("app-b", {}), ("breakglass-debug", {})):
            meta = kubernetes.client.V1ObjectMeta(name=ns, labels=labels)
            api.create_namespace(kubernetes.client.V1Namespace(metadata=meta))
        yield cluster


@pytest.fixture
def acts() -> Iterator[SessionActivities]:
    a = SessionActivities(ActivitySettings())
    yield a
    a.close()


def session(sim: KubeSim, kubectl_debug: dict[str, Any]) -> ResolvedSession:
    s = snapshot("hybrid-debug", sim, "breakglass-debug")
    template = s.template.model_copy(update={"kubectl_debug": KubectlDebugConfig.model_validate(kubectl_debug)})
    return s.model_copy(update={"template": template, "name": f"kd-{uuid.uuid4().hex[:8]}"})


def pod(sim: KubeSim, namespace: str) -> str:
    name = f"web-{uuid.uuid4().hex[:6]}"
    body = {"metadata": {"name": name}, "spec": {"containers": [{"name": "web", "image": "nginx:1"}]}}
    core(sim).create_namespaced_pod(namespace, body)
    return name


def refusal(fn: Any, arg: Any) -> tuple[int, str]:
    """(status, message) of the refusal the activity raised."""
    with pytest.raises(ApplicationError) as caught:
        ENV.run(fn, arg)
    refused = refusals.from_error(caught.value)
    assert refused is not None, caught.value
    return refused.status, refused.message


def inject(s: ResolvedSession, **req: Any) -> InjectEphemeralActivityInput:
    body = {"containerName": "dbg", "image": "busybox:1", "securityContext": {"runAsNonRoot": True}, **req}
    return InjectEphemeralActivityInput(
        session=s, request=EphemeralContainerRequest.model_validate(body), injected_by="sam",
        injected_at=T0, stops_at=T0 + timedelta(minutes=30),
    )  # fmt: skip


def test_namespace_selector_terms_use_the_live_labels(sim: KubeSim, acts: SessionActivities) -> None:
    s = session(sim, {"ephemeralContainers": {"enabled": True, "allowedNamespaces": {
        "selectorTerms": [{"matchLabels": {"debug": "ok"}}]}}})  # fmt: skip
    fn = acts.kubectl_debug.inject_ephemeral_container
    target = pod(sim, "app-a")
    result = ENV.run(fn, inject(s, namespace="app-a", podName=target))
    assert result.pod.ready
    live = core(sim).read_namespaced_pod(target, "app-a")
    (ec,) = live.spec.ephemeral_containers
    assert ec.command == ["timeout", "1800", "sh"]
    # a retried attempt finds its own container and succeeds; a different one of that name is a conflict
    assert ENV.run(fn, inject(s, namespace="app-a", podName=target)).entry.container_name == "dbg"
    assert refusal(fn, inject(s, namespace="app-a", podName=target, image="busybox:2")) == (
        409,
        f"ephemeral container dbg already exists in pod app-a/{target}",
    )
    assert refusal(fn, inject(s, namespace="app-b", podName="x")) == (
        403,
        "namespace app-b is not allowed for ephemeral container injection",
    )
    assert refusal(fn, inject(s, namespace="app-gone", podName="x")) == (400, "namespace app-gone not found")


def test_image_digest_is_required_when_configured(sim: KubeSim, acts: SessionActivities) -> None:
    s = session(sim, {"ephemeralContainers": {"enabled": True, "requireImageDigest": True}})
    fn = acts.kubectl_debug.inject_ephemeral_container
    assert refusal(fn, inject(s, namespace="app-b", podName="x")) == (403, "image must use @sha256: digest")


def copy_input(s: ResolvedSession, namespace: str, name: str) -> PodCopyActivityInput:
    return PodCopyActivityInput(
        session=s, request=PodCopyRequest(namespace=namespace, pod_name=name), created_by="sam",
        created_at=T0, expires_at=T0 + timedelta(hours=1), stops_at=T0 + timedelta(minutes=20),
    )  # fmt: skip


def test_pod_copy_target_namespace_must_exist_unless_created(sim: KubeSim, acts: SessionActivities) -> None:
    fn = acts.kubectl_debug.create_pod_copy
    source = pod(sim, "app-b")
    strict = session(sim, {"podCopy": {"enabled": True, "targetNamespace": "copies-strict"}})
    assert refusal(fn, copy_input(strict, "app-b", source)) == (
        400,
        "target namespace copies-strict does not exist",
    )
    assert refusal(fn, copy_input(strict, "app-b", "missing")) == (
        400,
        "failed to get pod app-b/missing: not found",
    )
    made = session(sim, {"podCopy": {"enabled": True, "targetNamespace": "copies-made", "createTargetNamespace": True}})
    result = ENV.run(fn, copy_input(made, "app-b", source))
    live = core(sim).read_namespaced_pod(result.copied.copy_name, "copies-made")
    assert live.spec.active_deadline_seconds == 1200  # the sooner of TTL and session end
    assert live.metadata.uid == result.resource.uid
    # a retry of the same operation adopts the copy it already made; another operation is told it exists
    assert ENV.run(fn, copy_input(made, "app-b", source)).resource.uid == result.resource.uid
    again = copy_input(made, "app-b", source).model_copy(update={"operation": "another-update"})
    assert refusal(fn, again) == (
        409,
        f"pod copies-made/{result.copied.copy_name} already exists for this session",
    )


def test_node_must_exist_and_match_the_selector(sim: KubeSim, acts: SessionActivities) -> None:
    fn = acts.kubectl_debug.create_node_debug_pod
    nodes = core(sim).list_node().items
    node = nodes[0].metadata.name
    key, value = next(iter(nodes[0].metadata.labels.items()))
    s = session(sim, {"nodeDebug": {"enabled": True, "nodeSelector": {key: value + "-other"}}})

    def arg(name: str) -> NodeDebugPodActivityInput:
        return NodeDebugPodActivityInput(
            session=s, request=NodeDebugPodRequest(node_name=name), created_by="sam",
            created_at=T0, stops_at=T0 + timedelta(minutes=5),
        )  # fmt: skip

    assert refusal(fn, arg("no-such-node")) == (400, "node no-such-node not found")
    assert refusal(fn, arg(node)) == (
        403,
        f"node {node} does not match required selector {key}={value}-other",
    )


def test_cleanup_net_removes_debug_pods_that_were_never_recorded(sim: KubeSim, acts: SessionActivities) -> None:
    s = session(sim, {"nodeDebug": {"enabled": True}})
    node = core(sim).list_node().items[0].metadata.name
    arg = NodeDebugPodActivityInput(
        session=s, request=NodeDebugPodRequest(node_name=node), created_by="sam", created_at=T0,
        stops_at=T0 + timedelta(minutes=5),
    )  # fmt: skip
    made = ENV.run(acts.kubectl_debug.create_node_debug_pod, arg)  # as if its result never reached the workflow
    assert remove_unrecorded_debug_pods(acts.client(s.cluster), s.name) == []
    left = core(sim).list_namespaced_pod(
        "breakglass-debug", label_selector=f"breakglass.telekom.com/debug-session={s.name}"
    )
    assert all(p.metadata.deletion_timestamp is not None for p in left.items), made.entry.pod_name
