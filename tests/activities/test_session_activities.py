"""The session activities against kubesim through the official client (ActivityEnvironment, no worker)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import kubernetes
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.session import ActivitySettings, SessionActivities
from domain.auxiliary import AuxiliaryResource
from domain.resolution.namespaces import NamespaceLabelCheck, NamespaceResolution
from domain.resolution.resolved import ResolvedCluster, ResolvedSession
from domain.resolution.scheduling import SchedulingResolution
from domain.scheduling import SchedulingConstraints
from kubesim.sim import KubeSim
from tests.conftest import REPO
from workflows.models import CleanupInput, DeployInput, DeployResult, RefreshPodsInput


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    with KubeSim(nodes=3, pod_ready_delay=0.05) as cluster:
        yield cluster
        client = _CLIENTS.pop(str(cluster.kubeconfig_path), None)
        if client is not None:
            client.close()


@pytest.fixture
def acts() -> Iterator[SessionActivities]:
    a = SessionActivities(ActivitySettings())
    yield a
    a.close()


_CLIENTS: dict[str, Any] = {}


def _api(sim: KubeSim) -> Any:
    # one client per simulated cluster, closed when the module's cluster stops
    key = str(sim.kubeconfig_path)
    if key not in _CLIENTS:
        _CLIENTS[key] = kubernetes.config.new_client_from_config(config_file=key)
    return _CLIENTS[key]


def core(sim: KubeSim) -> Any:
    return kubernetes.client.CoreV1Api(_api(sim))


def snapshot(name: str, sim: KubeSim, namespace: str, **changes: Any) -> ResolvedSession:
    data = json.loads((REPO / "tests" / "golden" / "resolution" / f"{name}.json").read_text())["session"]
    session = ResolvedSession.model_validate(data)
    cluster = ResolvedCluster(name=session.cluster.name, kubeconfig_path=str(sim.kubeconfig_path))
    target = session.target.model_copy(update={"namespace": namespace})
    return session.model_copy(update={"cluster": cluster, "target": target, **changes})


def apps(sim: KubeSim) -> Any:
    return kubernetes.client.AppsV1Api(_api(sim))


def ensure_namespace(sim: KubeSim, name: str, labels: dict[str, str] | None = None) -> None:
    if name in {ns.metadata.name for ns in core(sim).list_namespace().items}:
        return
    core(sim).create_namespace(
        kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name=name, labels=labels or {}))
    )


def run(fn: Any, arg: Any) -> Any:
    return ActivityEnvironment().run(fn, arg)


def test_missing_namespace_fails_closed(sim: KubeSim, acts: SessionActivities) -> None:
    session = snapshot("minimal-debug", sim, "nowhere")
    with pytest.raises(ApplicationError) as info:
        run(acts.deploy, DeployInput(session=session))
    assert info.value.message == "target namespace nowhere does not exist"
    assert info.value.non_retryable


def test_deployment_session_deploys_waits_and_cleans_up(sim: KubeSim, acts: SessionActivities) -> None:
    ensure_namespace(sim, "ns-deploy")
    session = snapshot("minimal-debug", sim, "ns-deploy")
    result: DeployResult = run(acts.deploy, DeployInput(session=session))
    (deployment,) = result.deployed_resources
    assert (deployment.kind, deployment.name, deployment.namespace, deployment.source) == (
        "Deployment", session.name, "ns-deploy", "debug-pod",
    )  # fmt: skip
    assert deployment.uid
    (pod,) = result.allowed_pods
    assert pod.ready
    assert pod.namespace == "ns-deploy"
    assert pod.node_name
    refreshed = run(acts.refresh_pods, RefreshPodsInput(session=session, known=result.allowed_pods))
    assert [p.name for p in refreshed.allowed_pods] == [pod.name]
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))
    assert apps(sim).list_namespaced_deployment("ns-deploy").items == []
    assert run(acts.refresh_pods, RefreshPodsInput(session=session)).allowed_pods == ()


def test_daemonset_lands_on_every_eligible_node(sim: KubeSim, acts: SessionActivities) -> None:
    ensure_namespace(sim, "ns-ds")
    # seed 44's pod tolerates everything: all four nodes, the tainted control-plane node included
    session = snapshot("network-debug", sim, "ns-ds")
    result: DeployResult = run(acts.deploy, DeployInput(session=session))
    assert [r.kind for r in result.deployed_resources] == ["DaemonSet"]
    assert len(result.allowed_pods) == 4
    assert all(p.ready for p in result.allowed_pods)
    assert result.terminal_sharing is not None
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))
    # with the control-plane label denied by a scheduling constraint, only the three workers
    denied = SchedulingConstraints(denied_node_labels={"node-role.kubernetes.io/control-plane": "*"})
    session = session.model_copy(update={"scheduling": SchedulingResolution(constraints=denied)})
    result = run(acts.deploy, DeployInput(session=session))
    assert sorted(p.node_name for p in result.allowed_pods) == ["kubesim-worker", "kubesim-worker2", "kubesim-worker3"]
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))


def test_create_if_not_exists_and_label_checks(sim: KubeSim, acts: SessionActivities) -> None:
    base = snapshot("minimal-debug", sim, "created-ns")
    target = NamespaceResolution(
        namespace="created-ns", create_if_not_exists=True, namespace_labels={"purpose": "debug"}
    )
    session = base.model_copy(update={"target": target})
    result = run(acts.deploy, DeployInput(session=session))
    assert core(sim).read_namespace("created-ns").metadata.labels["purpose"] == "debug"
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))
    from domain.namespaces import NamespaceFilter

    deny = NamespaceLabelCheck(
        kind="deny",
        source="template 't'",
        filter=NamespaceFilter.model_validate({"selectorTerms": [{"matchLabels": {"purpose": "debug"}}]}),
    )
    session = base.model_copy(update={"target": target.model_copy(update={"label_checks": (deny,)})})
    with pytest.raises(ApplicationError) as info:
        run(acts.deploy, DeployInput(session=session))
    assert info.value.message == (
        "namespace 'created-ns' is explicitly denied by template 't' spec.namespaceConstraints.deniedNamespaces "
        "(patterns=[], selectorTerms=1)"
    )


def test_auxiliary_failure_policies(sim: KubeSim, acts: SessionActivities) -> None:
    ensure_namespace(sim, "ns-aux")
    base = snapshot("minimal-debug", sim, "ns-aux")
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ .Session.Name }}\ndata: {a: b}\n"
    unknown = (
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: np-{{ .Session.Name }}\nspec: {}\n"
    )
    aux = [
        AuxiliaryResource(name="config", category="configmap", template_string=cm),
        AuxiliaryResource(name="cilium", category="network-policy", template_string=unknown, failure_policy="ignore"),
    ]
    template = base.template.model_copy(update={"auxiliary_resources": aux})
    session = base.model_copy(update={"template": template, "enabled_auxiliary_resources": ("config", "cilium")})
    result: DeployResult = run(acts.deploy, DeployInput(session=session))
    assert [r.kind for r in result.deployed_resources] == ["ConfigMap", "Deployment"]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("auxiliary resource cilium (CiliumNetworkPolicy/ns-aux/np-")
    statuses = {s.name: s for s in result.auxiliary_resource_statuses}
    assert statuses["config"].created
    assert (statuses["config"].ready, statuses["config"].readiness_status) == (True, "Current")
    assert statuses["config"].ready_at
    assert not statuses["cilium"].created
    assert statuses["cilium"].error.startswith("SSA apply failed for CiliumNetworkPolicy/np-")
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))
    assert (
        core(sim)
        .list_namespaced_config_map("ns-aux", label_selector=f"breakglass.t-caas.telekom.com/session={session.name}")
        .items
        == []
    )
    # the same resource with failurePolicy fail stops the deployment and reports what was created
    aux[1] = aux[1].model_copy(update={"failure_policy": "fail"})
    session = session.model_copy(update={"template": template.model_copy(update={"auxiliary_resources": aux})})
    with pytest.raises(ApplicationError) as info:
        run(acts.deploy, DeployInput(session=session))
    assert info.value.message.startswith("failed to deploy required auxiliary resource cilium: ")
    partial = DeployResult.model_validate(info.value.details[0])
    assert [r.kind for r in partial.deployed_resources] == ["ConfigMap"]
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=partial.deployed_resources))


def test_cleanup_never_deletes_a_same_named_replacement(sim: KubeSim, acts: SessionActivities) -> None:
    ensure_namespace(sim, "ns-uid")
    session = snapshot("minimal-debug", sim, "ns-uid")
    result: DeployResult = run(acts.deploy, DeployInput(session=session))
    api = apps(sim)
    api.delete_namespaced_deployment(session.name, "ns-uid")
    replacement: Any = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": session.name}, "spec": {
        "selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}  # fmt: skip
    api.create_namespaced_deployment("ns-uid", replacement)
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))
    assert api.read_namespaced_deployment(session.name, "ns-uid").metadata.uid != result.deployed_resources[0].uid
    api.delete_namespaced_deployment(session.name, "ns-uid")


def test_rendering_problem_is_not_retried(sim: KubeSim, acts: SessionActivities) -> None:
    session = snapshot("standard-debug", sim, "ns-deploy")  # seed 09: ephemeral-storage requests missing
    with pytest.raises(ApplicationError) as info:
        run(acts.deploy, DeployInput(session=session))
    assert (info.value.type, info.value.message, info.value.non_retryable) == (
        "RenderFailed", "container debug is missing request for ephemeral-storage", True,
    )  # fmt: skip


def test_cleanup_also_removes_objects_a_lost_deploy_created(sim: KubeSim, acts: SessionActivities) -> None:
    """A deploy attempt that died after applying (or a cancellation mid-deploy) reported nothing:
    cleanup finds its objects by their deterministic names and session labels."""
    ensure_namespace(sim, "ns-lost")
    session = snapshot("minimal-debug", sim, "ns-lost")
    run(acts.deploy, DeployInput(session=session))  # its result is "lost": cleanup gets no records
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=()))
    assert apps(sim).list_namespaced_deployment("ns-lost").items == []


def test_cleanup_leaves_a_same_named_object_without_our_label(sim: KubeSim, acts: SessionActivities) -> None:
    ensure_namespace(sim, "ns-foreign")
    session = snapshot("minimal-debug", sim, "ns-foreign")
    foreign: Any = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": session.name},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }
    apps(sim).create_namespaced_deployment("ns-foreign", foreign)
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=()))
    assert [d.metadata.name for d in apps(sim).list_namespaced_deployment("ns-foreign").items] == [session.name]
    apps(sim).delete_namespaced_deployment(session.name, "ns-foreign")


def test_aux_readiness_waits_with_a_timeout_and_never_fails_the_session(sim: KubeSim) -> None:
    ensure_namespace(sim, "ns-ready")
    base = snapshot("minimal-debug", sim, "ns-ready")
    pvc = (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data-{{ .Session.Name }}\n"
        "spec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"
    )
    aux = [AuxiliaryResource(name="data", category="storage", template_string=pvc)]
    template = base.template.model_copy(update={"auxiliary_resources": aux})
    session = base.model_copy(update={"template": template, "enabled_auxiliary_resources": ("data",)})
    acts = SessionActivities(ActivitySettings(aux_ready_timeout=timedelta(milliseconds=300)))
    try:
        result: DeployResult = run(acts.deploy, DeployInput(session=session))
        (status,) = result.auxiliary_resource_statuses
        # kubesim has no volume provisioner: the claim never binds, so it stays InProgress past the timeout
        assert (status.readiness_status, status.ready) == ("InProgress", False)
        assert result.allowed_pods  # the session deployed regardless
        run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))
    finally:
        acts.close()


def test_refresh_rechecks_auxiliary_readiness_while_active(sim: KubeSim, acts: SessionActivities) -> None:
    """Readiness is looked at again on every refresh; an auxiliary object deleted behind the session's
    back turns Failed, and an unchanged picture answers None (nothing for the workflow to write)."""
    ensure_namespace(sim, "ns-recheck")
    base = snapshot("minimal-debug", sim, "ns-recheck")
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ .Session.Name }}\ndata: {a: b}\n"
    template = base.template.model_copy(
        update={"auxiliary_resources": [AuxiliaryResource(name="config", category="configmap", template_string=cm)]}
    )
    session = base.model_copy(update={"template": template, "enabled_auxiliary_resources": ("config",)})
    result: DeployResult = run(acts.deploy, DeployInput(session=session))
    (status,) = result.auxiliary_resource_statuses
    assert status.readiness_status == "Current"
    refresh = RefreshPodsInput(session=session, known=result.allowed_pods, auxiliary=result.auxiliary_resource_statuses)
    assert run(acts.refresh_pods, refresh).auxiliary_resource_statuses is None
    core(sim).delete_namespaced_config_map(status.resource_name, "ns-recheck")
    (after,) = run(acts.refresh_pods, refresh).auxiliary_resource_statuses
    assert (after.readiness_status, after.ready, after.error) == ("Failed", False, "the object is gone")
    run(acts.cleanup, CleanupInput(session=session, deployed_resources=result.deployed_resources))
