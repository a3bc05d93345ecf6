"""How the API reaches a session's workflow: find it by name, read it, run an action (a Workflow Update).

Refusals come back as the HTTP status and message the workflow's validator chose. When the workflow can no
longer answer (it has closed), the action's own pure rule from workflows/policy.py answers instead, so the
order of checks is the same whether or not the session's workflow still runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ApiState
from api.errors import ApiError
from api.visibility import SAFE_NAME
from domain.refusal import Refusal
from domain.resolution.resolved import ResolvedSession
from workflows import refusals
from workflows import search_attributes as sa
from workflows.models import TERMINAL_STATES, SessionStatus
from workflows.session import DebugSessionWorkflow


def handle_for(state: ApiState, name: str) -> WorkflowHandle[Any, Any]:
    """The handle of session `name` (a name that cannot be a session is a 404 at once)."""
    if not SAFE_NAME.match(name):
        raise ApiError(404, "debug session not found")
    return state.client.get_workflow_handle(name)


async def read_session(handle: WorkflowHandle[Any, Any]) -> tuple[ResolvedSession, SessionStatus]:
    """The resolved snapshot and status of a session, from its memo (describe: no workflow code runs, and a
    session whose workflow task is failing, or whose worker is gone, still reads). A session started
    without the memo (by hand, from the Temporal CLI) is read with queries instead."""
    desc = await handle.describe()
    memo = await desc.memo()
    if sa.SESSION_MEMO not in memo:
        return await handle.query(DebugSessionWorkflow.session), await handle.query(DebugSessionWorkflow.status)
    session: ResolvedSession = await desc.memo_value(sa.SESSION_MEMO, type_hint=ResolvedSession)
    if sa.STATUS_MEMO not in memo:  # its first workflow task has not run yet
        return session, sa.opening_status(session)
    return session, await desc.memo_value(sa.STATUS_MEMO, type_hint=SessionStatus)


async def load_session(state: ApiState, name: str) -> tuple[WorkflowHandle[Any, Any], ResolvedSession, SessionStatus]:
    """The handle, the resolved snapshot and the status of session `name`, or 404."""
    handle = handle_for(state, name)
    try:
        session, status = await read_session(handle)
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise ApiError(404, "debug session not found") from exc
        raise
    return handle, session, state.pods.live_status(session.cluster.name, status)


Check = Callable[[ResolvedSession, SessionStatus, datetime], Refusal | None]
"""The action's own rule (workflows/policy.py), used when the workflow can no longer answer: closed."""


async def run_update(handle: WorkflowHandle[Any, Any], update: Any, arg: Any, check: Check) -> Any:
    """Run a workflow update; refusals come back as the status and message the workflow chose."""
    try:
        return await handle.execute_update(update, arg)
    except WorkflowUpdateFailedError as exc:
        refused = refusals.from_error(exc.cause)
        if refused is not None:
            raise ApiError(refused.status, refused.message) from exc
        # Not a refusal: the update was aborted (the workflow closed or moved on while it waited).
        raise await _not_taken(handle, check) from exc
    except RPCError as exc:
        if exc.status is RPCStatusCode.RESOURCE_EXHAUSTED:
            raise ApiError(429, "too many actions on this session at once; retry", exc.message[:300]) from exc
        raise await _not_taken(handle, check) from exc


async def _not_taken(handle: WorkflowHandle[Any, Any], check: Check) -> ApiError:
    """Why a session took no update: it never existed (404), it has ended (the action's own rule, so the
    role checks keep coming first: docs/behaviour/api.md#when-the-workflow-has-closed), or it was busy (503, retry)."""
    try:
        session, status = await read_session(handle)
    except RPCError:
        return ApiError(404, "debug session not found")
    if status.state not in TERMINAL_STATES:
        return ApiError(503, "the session could not take this action just now; retry")
    denied = check(session, status, datetime.now(UTC))
    if denied is not None:
        return ApiError(denied.status, denied.message)
    return ApiError(400, f"session is already in terminal state '{status.state}'")
