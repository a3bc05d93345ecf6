"""kubectl-debug operations inside the session workflow (time-skipping server, activity doubles):
the preamble rules, the copy TTL, an operation in flight when the session ends, refusals from the cluster,
and continue-as-new carrying what was created. The real activities are tested against kubesim in e2e."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.debug_operations import EphemeralContainerRequest, NodeDebugPodRequest, PodCopyRequest
from domain.session import AllowedPod, CopiedPod, DeployedResource, InjectedEphemeralContainer, NodeDebugPod
from tests.workflows.conftest import FakeCluster, Harness
from tests.workflows.test_session_workflow import ALICE, SETTINGS, auto_session, snapshot, start, status, until
from workflows import refusals
from workflows.models import (
    CREATE_NODE_DEBUG_POD_ACTIVITY,
    CREATE_POD_COPY_ACTIVITY,
    DELETE_DEBUG_PODS_ACTIVITY,
    INJECT_EPHEMERAL_ACTIVITY,
    Actor,
    DeleteDebugPodsInput,
    InjectEphemeralActivityInput,
    InjectEphemeralInput,
    InjectEphemeralResult,
    JoinInput,
    NodeDebugPodActivityInput,
    NodeDebugPodInput,
    NodeDebugPodResult,
    PodCopyActivityInput,
    PodCopyInput,
    PodCopyResult,
    SessionState,
    TerminateInput,
)
from workflows.session import DebugSessionWorkflow

PAT = Actor(username="pat", groups=("developers",))
INJECT = InjectEphemeralInput(
    actor=ALICE,
    request=EphemeralContainerRequest(namespace="app", pod_name="web-1", container_name="dbg", image="busybox:1"),
)


@dataclass
class FakeDebugCluster:
    """Doubles of the kubectl-debug activities that record their inputs."""

    injected: list[InjectEphemeralActivityInput] = field(default_factory=list)
    copies: list[PodCopyActivityInput] = field(default_factory=list)
    node_pods: list[NodeDebugPodActivityInput] = field(default_factory=list)
    deleted: list[DeleteDebugPodsInput] = field(default_factory=list)
    node_pod_started: asyncio.Event = field(default_factory=asyncio.Event)
    node_pod_release: asyncio.Event = field(default_factory=asyncio.Event)
    refusal: tuple[int, str] | None = None

    def activities(self) -> list[Any]:
        @activity.defn(name=INJECT_EPHEMERAL_ACTIVITY)
        async def inject(input: InjectEphemeralActivityInput) -> InjectEphemeralResult:
            self.injected.append(input)
            if self.refusal:
                raise refusals.refuse(*self.refusal)
            r = input.request
            entry = InjectedEphemeralContainer(
                pod_name=r.pod_name, namespace=r.namespace, container_name=r.container_name, image=r.image,
                injected_at=input.injected_at, injected_by=input.injected_by, stops_at=input.stops_at,
            )  # fmt: skip
            return InjectEphemeralResult(
                entry=entry, pod=AllowedPod(namespace=r.namespace, name=r.pod_name, ready=True)
            )

        @activity.defn(name=CREATE_POD_COPY_ACTIVITY)
        async def copy(input: PodCopyActivityInput) -> PodCopyResult:
            self.copies.append(input)
            name = f"debug-copy-{input.request.pod_name}"
            return PodCopyResult(
                copied=CopiedPod(
                    original_pod=input.request.pod_name, original_namespace=input.request.namespace,
                    copy_name=name, copy_namespace="debug-copies", created_at=input.created_at,
                    expires_at=input.expires_at, created_by=input.created_by,
                ),
                resource=DeployedResource(api_version="v1", kind="Pod", name=name, namespace="debug-copies",
                                          source="pod-copy", uid="u-copy"),
                pod=AllowedPod(namespace="debug-copies", name=name),
            )  # fmt: skip

        @activity.defn(name=CREATE_NODE_DEBUG_POD_ACTIVITY)
        async def node_pod(input: NodeDebugPodActivityInput) -> NodeDebugPodResult:
            self.node_pods.append(input)
            self.node_pod_started.set()
            await self.node_pod_release.wait()
            name = f"node-debugger-{input.request.node_name}"
            return NodeDebugPodResult(
                entry=NodeDebugPod(
                    pod_name=name, namespace="breakglass-debug", node_name=input.request.node_name, image="busybox",
                    created_at=input.created_at, created_by=input.created_by, stops_at=input.stops_at,
                ),
                resource=DeployedResource(api_version="v1", kind="Pod", name=name, namespace="breakglass-debug",
                                          source="node-debug", uid="u-node"),
                pod=AllowedPod(namespace="breakglass-debug", name=name, node_name=input.request.node_name),
            )  # fmt: skip

        @activity.defn(name=DELETE_DEBUG_PODS_ACTIVITY)
        async def delete(input: DeleteDebugPodsInput) -> None:
            self.deleted.append(input)

        return [inject, copy, node_pod, delete]


@dataclass
class DebugHarness(Harness):
    debug: FakeDebugCluster = field(default_factory=FakeDebugCluster)


@pytest_asyncio.fixture
async def dh(env: WorkflowEnvironment) -> AsyncIterator[DebugHarness]:
    cluster, debug = FakeCluster(), FakeDebugCluster()
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[DebugSessionWorkflow],
        activities=[*cluster.activities(), *debug.activities()],
    ):
        yield DebugHarness(env.client, env, cluster, task_queue, debug)


async def refused(handle: WorkflowHandle[Any, Any], update: Any, arg: Any) -> tuple[int, str]:
    """(status, message) of the refusal an Update answered with."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, arg)
    refusal = refusals.from_error(caught.value.cause)
    assert refusal is not None, caught.value.cause
    return refusal.status, refusal.message


async def test_preamble_and_refusals_write_nothing(dh: DebugHarness) -> None:
    handle = await start(dh, auto_session(invited_participants=("pat",)))
    await until(dh, handle, SessionState.ACTIVE)
    await handle.execute_update(DebugSessionWorkflow.join, JoinInput(actor=PAT, role="viewer"))
    viewer = INJECT.model_copy(update={"actor": PAT})
    assert await refused(handle, DebugSessionWorkflow.inject_ephemeral_container, viewer) == (
        403,
        "user is not allowed to modify debug resources for this session",
    )
    # a refusal from the cluster side keeps its status and message
    dh.debug.refusal = (403, "image evil:1 is not in the allowed list")
    assert await refused(handle, DebugSessionWorkflow.inject_ephemeral_container, INJECT) == (
        403,
        "image evil:1 is not in the allowed list",
    )
    assert (await status(handle)).kubectl_debug_status is None
    dh.debug.refusal = None
    result = await handle.execute_update(DebugSessionWorkflow.inject_ephemeral_container, INJECT)
    s = await status(handle)
    assert s.expires_at is not None
    assert result.entry.stops_at == s.expires_at
    assert dh.debug.injected[-1].stops_at == s.expires_at
    assert ("app", "web-1") in [(p.namespace, p.name) for p in s.allowed_pods]
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    final = await handle.result()
    assert final.state is SessionState.TERMINATED
    assert final.kubectl_debug_status is not None
    assert len(final.kubectl_debug_status.ephemeral_containers_injected) == 1
    with pytest.raises(RPCError):  # a closed session takes no operation (the API answers "not active")
        await handle.execute_update(DebugSessionWorkflow.inject_ephemeral_container, INJECT)


async def test_workload_mode_refuses_kubectl_debug(dh: DebugHarness) -> None:
    handle = await start(dh, snapshot("minimal-debug"))
    await until(dh, handle, SessionState.ACTIVE)
    node = NodeDebugPodInput(actor=Actor(username="dave"), request=NodeDebugPodRequest(node_name="n1"))
    assert await refused(handle, DebugSessionWorkflow.create_node_debug_pod, node) == (
        400,
        "session template does not support kubectl-debug mode",
    )
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="dave")))
    await handle.result()  # let cleanup finish while this test's worker runs (time skipping waits for it)


async def test_pod_copy_is_deleted_at_its_ttl_and_the_session_goes_on(dh: DebugHarness) -> None:
    handle = await start(dh, auto_session(duration=timedelta(hours=2)))
    await until(dh, handle, SessionState.ACTIVE)
    copy = PodCopyInput(actor=ALICE, request=PodCopyRequest(namespace="app", pod_name="web-1"))
    result = await handle.execute_update(DebugSessionWorkflow.create_pod_copy, copy)
    expires = result.copied.expires_at
    assert expires is not None
    assert expires - result.copied.created_at == timedelta(hours=1)  # hybrid-debug: ttl 1h
    s = await status(handle)
    assert s.expires_at is not None
    assert dh.debug.copies[-1].stops_at == min(expires, s.expires_at)
    await dh.env.sleep(timedelta(minutes=59))
    assert dh.debug.deleted == []
    await dh.env.sleep(timedelta(minutes=2))
    s = await status(handle)
    assert [p.name for p in dh.debug.deleted[0].pods] == ["debug-copy-web-1"]
    assert s.state is SessionState.ACTIVE  # only the copy ended
    assert "debug-copy-web-1" not in [p.name for p in s.allowed_pods]
    assert s.kubectl_debug_status is not None
    assert s.kubectl_debug_status.copied_pods[0].deleted_at is not None
    assert "debug-copy-web-1" not in [r.name for r in s.deployed_resources]
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    await handle.result()


async def test_a_node_pod_created_while_the_session_ends_is_cleaned_up(dh: DebugHarness) -> None:
    handle = await start(dh, auto_session())
    await until(dh, handle, SessionState.ACTIVE)
    node = NodeDebugPodInput(actor=ALICE, request=NodeDebugPodRequest(node_name="n1"))
    in_flight = asyncio.ensure_future(handle.execute_update(DebugSessionWorkflow.create_node_debug_pod, node))
    await asyncio.wait_for(dh.debug.node_pod_started.wait(), 10)
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    dh.debug.node_pod_release.set()
    await in_flight
    final = await handle.result()
    assert final.state is SessionState.TERMINATED
    assert final.allowed_pods == ()
    cleaned = dh.cluster.cleaned[-1]
    assert ("Pod", "node-debugger-n1") in [(r.kind, r.name) for r in cleaned.deployed_resources]


async def test_continue_as_new_carries_what_operations_created(dh: DebugHarness) -> None:
    settings = SETTINGS.model_copy(
        update={"safety_check_interval": timedelta(seconds=30), "continue_as_new_after_steps": 8}
    )
    handle = await start(dh, auto_session(), settings)
    await until(dh, handle, SessionState.ACTIVE)
    await handle.execute_update(DebugSessionWorkflow.inject_ephemeral_container, INJECT)
    first_run = (await handle.describe()).run_id
    for _ in range(40):
        await dh.env.sleep(timedelta(seconds=30))
        if (await handle.describe()).run_id != first_run:
            break
    assert (await handle.describe()).run_id != first_run
    s = await status(handle)
    assert s.kubectl_debug_status is not None
    assert len(s.kubectl_debug_status.ephemeral_containers_injected) == 1
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    await handle.result()
