"""kubectl-debug operations of a session (mode kubectl-debug or hybrid): inject an ephemeral container,
copy a pod, create a node debug pod (docs/behaviour/access.md#kubectl-debug-operations, DESIGN decision 10).

Each is a Workflow Update, so it is recorded in the session's history and what it creates is cleaned up
with the session. Check order: strict body → required fields → session exists → (in the workflow) state,
expiry, caller, mode, operation enabled → (on the cluster) namespace, image and security policy, the pod
or node → the operation.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ApiState, Caller, State, actor_for
from api.errors import ApiError
from api.responses import errors
from api.views import EphemeralContainerInjected, NodeDebugPodCreated, PodCopyCreated, whole_seconds
from api.workflow_calls import Check, handle_for, run_update
from domain.debug_operations import (
    DebugRequest,
    EphemeralContainerRequest,
    NodeDebugPodRequest,
    PodCopyRequest,
    missing_field,
)
from domain.identity import Identity
from workflows import policy
from workflows.models import (
    InjectEphemeralInput,
    InjectEphemeralResult,
    NodeDebugPodInput,
    NodeDebugPodResult,
    PodCopyInput,
    PodCopyResult,
)
from workflows.session import DebugSessionWorkflow

router = APIRouter(tags=["kubectl-debug"])
RESPONSES: dict[str, Any] = {"response_model_exclude_none": True, "responses": errors(403, 404, 409, 429)}


def _preamble(who: Identity, state: ApiState) -> Check:
    """The common preamble (docs/behaviour/lifecycle.md#kubectl-debug-preamble), for a session whose
    workflow has closed ("session is not active, current state: X")."""
    actor = actor_for(who, state)
    return lambda s, st, now: policy.check_debug_operation(s, st, actor, now)


def _check(body: DebugRequest) -> None:
    refusal = missing_field(body)
    if refusal is not None:
        raise ApiError(refusal.status, refusal.message)


@router.post("/{name}/injectEphemeralContainer", response_model=EphemeralContainerInjected, **RESPONSES)
async def inject_ephemeral_container(
    name: str, body: EphemeralContainerRequest, who: Caller, state: State
) -> EphemeralContainerInjected:
    """Add an ephemeral container to a running pod; owner and participants may then exec into the pod.

    The command runs as `timeout <seconds> <command>` (default command `sh`) with the session's
    remaining time, so it stops when the session ends."""
    _check(body)
    result: InjectEphemeralResult = await run_update(
        handle_for(state, name),
        DebugSessionWorkflow.inject_ephemeral_container,
        InjectEphemeralInput(actor=actor_for(who, state), request=body),
        _preamble(who, state),
    )
    e = result.entry
    return EphemeralContainerInjected(
        message=f"Ephemeral container '{e.container_name}' injected into pod '{e.pod_name}'",
        container_name=e.container_name,
        container=e.container_name,
        pod=e.pod_name,
        namespace=e.namespace,
        stops_at=whole_seconds(e.stops_at),
    )


@router.post("/{name}/createPodCopy", response_model=PodCopyCreated, **RESPONSES)
async def create_pod_copy(name: str, body: PodCopyRequest, who: Caller, state: State) -> PodCopyCreated:
    """Create a debug copy of a pod (optionally with a `debugger` container); it is deleted when its TTL
    passes or the session ends, whichever is first."""
    _check(body)
    result: PodCopyResult = await run_update(
        handle_for(state, name),
        DebugSessionWorkflow.create_pod_copy,
        PodCopyInput(actor=actor_for(who, state), request=body),
        _preamble(who, state),
    )
    c = result.copied
    return PodCopyCreated(
        message="pod copy created successfully",
        copy_name=c.copy_name,
        copy_namespace=c.copy_namespace,
        original_pod=c.original_pod,
        original_namespace=c.original_namespace,
        expires_at=whole_seconds(c.expires_at),
    )


@router.post("/{name}/createNodeDebugPod", response_model=NodeDebugPodCreated, **RESPONSES)
async def create_node_debug_pod(name: str, body: NodeDebugPodRequest, who: Caller, state: State) -> NodeDebugPodCreated:
    """Create a privileged pod pinned to a node (host `/` at `/host`); deleted when the session ends."""
    _check(body)
    result: NodeDebugPodResult = await run_update(
        handle_for(state, name),
        DebugSessionWorkflow.create_node_debug_pod,
        NodeDebugPodInput(actor=actor_for(who, state), request=body),
        _preamble(who, state),
    )
    n = result.entry
    return NodeDebugPodCreated(
        message="node debug pod created successfully",
        pod_name=n.pod_name,
        namespace=n.namespace,
        node=n.node_name,
        image=n.image,
        stops_at=whole_seconds(n.stops_at),
    )
