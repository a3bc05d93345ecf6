"""A real session on the real dev server, worker and kubesim: approve from the Temporal CLI, pods, cleanup."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import kubernetes
from temporalio.client import WorkflowHandle

from api.workflow_calls import read_session
from domain.resolution.resolved import ResolvedCluster, ResolvedSession
from kube.pod_watch import PodWatch
from rendering import labels as L
from tests.conftest import REPO
from tests.e2e.conftest import Stack, temporal_cli
from workflows import search_attributes as sa
from workflows.models import Actor, SessionState, SessionStatus, SessionWorkflowInput, TerminateInput, WorkflowSettings
from workflows.session import DebugSessionWorkflow


def snapshot(name: str, stack: Stack) -> ResolvedSession:
    return snapshot_on(name, stack.cluster.kubeconfig_path)


def snapshot_on(name: str, kubeconfig: Path) -> ResolvedSession:
    """The golden resolution `name`, on the cluster behind `kubeconfig`, with a name of its own."""
    data = json.loads((REPO / "tests" / "golden" / "resolution" / f"{name}.json").read_text())["session"]
    session = ResolvedSession.model_validate(data)
    cluster = ResolvedCluster(name=session.cluster.name, kubeconfig_path=str(kubeconfig))
    return session.model_copy(update={"cluster": cluster, "name": f"{session.name[:40]}-{uuid.uuid4().hex[:6]}"})


async def wait_state(handle: WorkflowHandle[Any, Any], state: SessionState, within: float = 30) -> SessionStatus:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        _, status = await read_session(handle)  # as the API reads it: the memo, no workflow code runs
        if status.state is state:
            return status
        assert asyncio.get_running_loop().time() < deadline, f"stuck in {status.state}: {status.message}"
        await asyncio.sleep(0.1)


def apps(kube: Any) -> Any:
    return kubernetes.client.AppsV1Api(kube)


async def start(stack: Stack, session: ResolvedSession) -> WorkflowHandle[Any, Any]:
    from datetime import UTC, datetime

    session = session.model_copy(update={"created_at": datetime.now(UTC)})
    return await stack.client.start_workflow(
        DebugSessionWorkflow.run,
        SessionWorkflowInput(session=session, settings=WorkflowSettings()),
        id=session.name,
        task_queue=stack.task_queue,
        search_attributes=sa.initial(session),
        memo={sa.SESSION_MEMO: session},
    )


async def test_auto_approved_deployment_session_end_to_end(stack: Stack, kube: Any) -> None:
    session = snapshot("minimal-debug", stack)
    handle = await start(stack, session)
    status = await wait_state(handle, SessionState.ACTIVE)
    assert len(status.allowed_pods) == 1
    assert status.allowed_pods[0].ready
    assert apps(kube).read_namespaced_deployment(session.name, "breakglass-debug").spec.replicas == 1
    # visibility: the custom search attributes make the session findable by state and cluster
    query = f"DebugSessionState = 'Active' AND DebugSessionCluster = 'dev-1' AND WorkflowId = '{session.name}'"
    for _ in range(50):
        found = [w.id async for w in stack.client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.1)
    assert found == [session.name]
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="dave")))
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (SessionState.TERMINATED, "Terminated by dave")
    assert final.cleaned_up
    assert [
        d.metadata.name
        for d in apps(kube).list_namespaced_deployment("breakglass-debug").items
        if d.metadata.name == session.name
    ] == []
    # Each upsert is a visibility write on the server: the session makes two, with only what changed
    # (the start carries the rest), and no TemporalChangeVersion upserts from workflow.patched().
    history = await handle.fetch_history()
    upserts = [
        {k: json.loads(v.data) for k, v in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields.items()}
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]  # fmt: skip
    assert [sorted(u) for u in upserts] == [
        ["DebugSessionAccess", "DebugSessionExpiresAt", "DebugSessionLiveUntil", "DebugSessionParticipants", "DebugSessionState"],
        ["DebugSessionAccess", "DebugSessionState"],
    ]  # fmt: skip
    assert [u["DebugSessionState"] for u in upserts] == ["Active", "Terminated"]
    assert upserts[1]["DebugSessionAccess"] == []


async def test_operator_approves_with_the_temporal_cli(stack: Stack, kube: Any) -> None:
    session = snapshot("network-debug", stack)  # needs approval by sre-leads
    handle = await start(stack, session)
    await wait_state(handle, SessionState.PENDING_APPROVAL)
    payload = json.dumps({"actor": {"username": "night-operator"}, "reason": "incident 42"})
    proc = await asyncio.to_thread(
        subprocess.run,
        [temporal_cli(), "workflow", "signal", "--address", stack.address, "--workflow-id", session.name, "--name", "approve", "--input", payload],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    status = await wait_state(handle, SessionState.ACTIVE)
    assert status.approval.approved_by == "night-operator"
    assert len(status.allowed_pods) == 4  # DaemonSet on every node (the seed pod tolerates everything)
    await handle.signal("terminate", TerminateInput(actor=Actor(username="night-operator")))
    final: SessionStatus = await handle.result()
    assert final.message == "Terminated by night-operator (admin)"
    assert [
        d for d in apps(kube).list_namespaced_daemon_set("breakglass-debug").items if d.metadata.name == session.name
    ] == []


async def test_session_completes_despite_20_percent_503s(stack: Stack, tmp_path: Any) -> None:
    """Every API request of a second cluster fails with 503 one time in five; the session still goes through."""
    from kubesim.sim import KubeSim

    faults = {"seed": 7, "rules": [{"rate": 0.2, "code": 503}]}
    with (
        KubeSim(nodes=2, pod_ready_delay=0.05) as flaky,
        kubernetes.config.new_client_from_config(config_file=str(flaky.kubeconfig_path)) as api,
    ):
        kubernetes.client.CoreV1Api(api).create_namespace(
            kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name="breakglass-debug"))
        )
        flaky.faults.configure(faults)
        session = snapshot("minimal-debug", stack)
        cluster = session.cluster.model_copy(update={"kubeconfig_path": str(flaky.kubeconfig_path)})
        session = session.model_copy(update={"cluster": cluster})
        handle = await start(stack, session)
        status = await wait_state(handle, SessionState.ACTIVE, within=60)
        assert status.allowed_pods
        await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="dave")))
        final: SessionStatus = await handle.result()
        assert final.cleaned_up
        assert flaky.faults.injected >= 1  # faults really happened (seeded: the same ones every run)
        flaky.faults.configure({"rules": []})
        left = kubernetes.client.AppsV1Api(api).list_namespaced_deployment("breakglass-debug").items
        assert left == []


async def test_allowed_pods_follow_a_new_node_within_5_seconds(stack: Stack) -> None:
    """A node joins; the DaemonSet puts a pod on it; the session's live pods (the API's pod watch, as
    `PodTracker.live_status` serves them) list it Ready within 5 s, and the workflow is not woken for it."""
    from datetime import UTC, datetime

    from api.pod_tracker import PodTracker
    from kubesim.nodes import node_object
    from kubesim.sim import KubeSim

    with (
        KubeSim(nodes=1, pod_ready_delay=0.05) as sim,
        kubernetes.config.new_client_from_config(config_file=str(sim.kubeconfig_path)) as api,
    ):
        core = kubernetes.client.CoreV1Api(api)
        core.create_namespace(
            kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name="breakglass-debug"))
        )
        session = snapshot("hybrid-debug", stack)  # DaemonSet, auto-approved
        session = session.model_copy(
            update={"cluster": session.cluster.model_copy(update={"kubeconfig_path": str(sim.kubeconfig_path)})}
        )
        handle = await start(stack, session)
        status = await wait_state(handle, SessionState.ACTIVE)
        before = {p.node_name for p in status.allowed_pods}
        assert before == {"kubesim-worker"}
        tracker = PodTracker(lambda: None)
        tracker.watches[session.cluster.name] = PodWatch(
            session.cluster.name, str(sim.kubeconfig_path), None, L.SESSION
        ).start()
        try:
            assert tracker.watches[session.cluster.name].synced.wait(5)
            events = len((await handle.fetch_history()).events)
            node: Any = node_object({"name": "late-worker"}, 9, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            core.create_node(node)
            loop = asyncio.get_running_loop()
            started = loop.time()
            while True:
                status = tracker.live_status(session.cluster.name, await handle.query(DebugSessionWorkflow.status))
                if "late-worker" in {p.node_name for p in status.allowed_pods if p.ready}:
                    break
                assert loop.time() - started < 5, f"allowedPods still {[p.node_name for p in status.allowed_pods]}"
                await asyncio.sleep(0.1)
            assert len((await handle.fetch_history()).events) == events  # no wake-up for a pod
        finally:
            await tracker.stop()
        await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="sam")))
        assert (await handle.result()).cleaned_up


async def test_worker_killed_mid_deployment_leaves_no_duplicates(stack: Stack, tmp_path: Any) -> None:
    """SIGKILL the worker while it waits for pods; another worker retries the deploy: Active, one of everything."""
    import concurrent.futures
    import os
    import signal
    import sys
    from datetime import UTC, datetime, timedelta

    from activities.session import ActivitySettings, SessionActivities
    from kubesim.sim import KubeSim
    from tests.conftest import REPO
    from worker import build_worker

    queue = f"kill-{uuid.uuid4().hex[:8]}"
    with (
        KubeSim(nodes=1, pod_ready_delay=4.0) as sim,  # slow pods: the deploy activity is still waiting when killed
        kubernetes.config.new_client_from_config(config_file=str(sim.kubeconfig_path)) as api,
    ):
        kubernetes.client.CoreV1Api(api).create_namespace(
            kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name="breakglass-debug"))
        )
        env = {**os.environ, "TEMPORAL_ADDRESS": stack.address, "DEBUG_SESSION_TASK_QUEUE": queue}
        victim = await asyncio.create_subprocess_exec(
            sys.executable, str(REPO / "worker.py"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            session = snapshot("minimal-debug", stack)
            session = session.model_copy(
                update={
                    "cluster": session.cluster.model_copy(update={"kubeconfig_path": str(sim.kubeconfig_path)}),
                    "created_at": datetime.now(UTC),
                }
            )
            settings = WorkflowSettings(heartbeat_timeout=timedelta(seconds=2))
            handle = await stack.client.start_workflow(
                DebugSessionWorkflow.run,
                SessionWorkflowInput(session=session, settings=settings),
                id=session.name,
                task_queue=queue,
                search_attributes=sa.initial(session),
                memo={sa.SESSION_MEMO: session},
            )
            apps_api = kubernetes.client.AppsV1Api(api)
            for _ in range(200):  # until the Deployment exists: the activity is past apply, waiting for pods
                if apps_api.list_namespaced_deployment("breakglass-debug").items:
                    break
                await asyncio.sleep(0.05)
            victim.send_signal(signal.SIGKILL)
            await asyncio.wait_for(victim.wait(), timeout=10)
        finally:
            if victim.returncode is None:
                victim.kill()
                await victim.wait()
        activities = SessionActivities(ActivitySettings())
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
            async with build_worker(stack.client, queue, activities, executor):
                status = await wait_state(handle, SessionState.ACTIVE, within=60)
                assert len(status.allowed_pods) == 1
                deployments = apps_api.list_namespaced_deployment("breakglass-debug").items
                assert [d.metadata.name for d in deployments if d.metadata] == [session.name]
                assert len(apps_api.list_namespaced_replica_set("breakglass-debug").items) == 1
                pods = kubernetes.client.CoreV1Api(api).list_namespaced_pod("breakglass-debug").items
                assert len(pods) == 1
                await handle.execute_update(
                    DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="dave"))
                )
                assert (await handle.result()).cleaned_up
        activities.close()


async def test_namespace_rules_and_auxiliary_policies_end_to_end(stack: Stack, kube: Any) -> None:
    """createIfNotExists, selectorTerms failing closed, and auxiliary failure policies on the real stack."""
    from domain.auxiliary import AuxiliaryResource
    from domain.namespaces import NamespaceFilter
    from domain.resolution.namespaces import NamespaceLabelCheck, NamespaceResolution

    core = kubernetes.client.CoreV1Api(kube)
    # 1. createIfNotExists: the namespace is created with its labels, the session runs
    base = snapshot("minimal-debug", stack)
    target = NamespaceResolution(namespace="e2e-created", create_if_not_exists=True, namespace_labels={"team": "sre"})
    handle = await start(stack, base.model_copy(update={"target": target}))
    await wait_state(handle, SessionState.ACTIVE)
    namespace: Any = core.read_namespace("e2e-created")
    assert namespace.metadata.labels["team"] == "sre"
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="dave")))
    await handle.result()
    # 2. selectorTerms that need a label the namespace lacks: Failed, nothing deployed
    allow = NamespaceLabelCheck(
        kind="allow",
        source="template 'x'",
        filter=NamespaceFilter.model_validate({"selectorTerms": [{"matchLabels": {"debug": "yes"}}]}),
    )
    session = snapshot("minimal-debug", stack)
    handle = await start(
        stack,
        session.model_copy(update={"target": NamespaceResolution(namespace="e2e-created", label_checks=(allow,))}),
    )
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (
        SessionState.FAILED,
        "failed to deploy resources: namespace 'e2e-created' is not in the allowed namespaces: template 'x' "
        "spec.namespaceConstraints.allowedNamespaces (patterns=[], selectorTerms=1) does not match",
    )
    assert final.deployed_resources == ()
    # 3. an auxiliary resource of a kind the cluster does not serve: ignore -> Active with a warning
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ .Session.Name }}\n"
    bad = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: np-{{ .Session.Name }}\n"
    for policy in ("ignore", "fail"):
        session = snapshot("minimal-debug", stack)
        aux = [
            AuxiliaryResource(name="config", category="configmap", template_string=cm),
            AuxiliaryResource(name="cilium", category="network-policy", template_string=bad, failure_policy=policy),
        ]
        template = session.template.model_copy(update={"auxiliary_resources": aux})
        session = session.model_copy(update={"template": template, "enabled_auxiliary_resources": ("config", "cilium")})
        handle = await start(stack, session)
        if policy == "ignore":
            status = await wait_state(handle, SessionState.ACTIVE)
            assert status.warnings[0].startswith("auxiliary resource cilium (CiliumNetworkPolicy/breakglass-debug/np-")
            await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="dave")))
            final = await handle.result()
        else:
            final = await handle.result()
            assert final.state is SessionState.FAILED
            assert final.message.startswith(
                "failed to deploy resources: failed to deploy required auxiliary resource cilium: "
            )
        assert final.cleaned_up
        left = core.list_namespaced_config_map(
            "breakglass-debug", label_selector=f"breakglass.t-caas.telekom.com/session={session.name}"
        )
        assert left.items == []


async def test_short_session_expires_and_leaves_nothing(stack: Stack, kube: Any) -> None:
    """A 2-second session on the real stack: Active, then Expired, and every object it created is gone."""
    from datetime import timedelta

    session = snapshot("network-debug", stack)
    approval = session.approval.model_copy(update={"required": False})
    session = session.model_copy(update={"duration": timedelta(seconds=2), "approval": approval})
    handle = await start(stack, session)
    active = await wait_state(handle, SessionState.ACTIVE)
    assert active.deployed_resources
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (SessionState.EXPIRED, "Session expired")
    assert final.cleaned_up
    daemonsets = apps(kube).list_namespaced_daemon_set("breakglass-debug").items
    assert [d for d in daemonsets if d.metadata and d.metadata.name == session.name] == []
    pods = (
        kubernetes.client.CoreV1Api(kube)
        .list_namespaced_pod("breakglass-debug", label_selector=f"breakglass.telekom.com/debug-session={session.name}")
        .items
    )
    assert [p for p in pods if p.metadata and not p.metadata.deletion_timestamp] == []
