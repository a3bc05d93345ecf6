"""Debug sessions: list, get, create, and the actions (approve, reject, renew, terminate, join, leave)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.admission_guard import Held
from api.deps import ApiState, Caller, CatalogDep, State, actor_for
from api.errors import ApiError
from api.views import debug_session, rfc3339
from api.workflow_calls import SAFE_NAME, handle_for, load_session, run_update
from domain.durations import DurationError, parse_duration
from domain.identity import Identity, identity_match
from domain.resolution.access import binding_active
from domain.resolution.approval import is_approver
from domain.resolution.request import CreateSessionRequest
from domain.resolution.resolve import OpenSessionCounts, resolve_session
from domain.resolution.resolved import ResolvedSession
from workflows import policy
from workflows import search_attributes as sa
from workflows.models import (
    ApproveInput,
    InviteInput,
    JoinInput,
    LeaveInput,
    RecentStart,
    RejectInput,
    RenewInput,
    SessionState,
    SessionStatus,
    SessionWorkflowInput,
    TerminateInput,
)
from workflows.session import DebugSessionWorkflow

router = APIRouter(tags=["debug sessions"])
OPEN_STATES = ("Pending", "PendingApproval", "Active")
MAX_EMPTY_BODY = 4096


class DecisionBody(BaseModel):
    """Optional body of approve/reject."""

    model_config = ConfigDict(extra="forbid")
    reason: str = ""


class RenewBody(BaseModel):
    """Body of renew."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    extend_by: str = Field(default="", alias="extendBy")


class InviteBody(BaseModel):
    """Body of invite."""

    model_config = ConfigDict(extra="forbid")
    users: list[str] = Field(default_factory=list)


class JoinBody(BaseModel):
    """Body of join."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["participant", "viewer"] = "viewer"


# --- helpers ---------------------------------------------------------------------------------------


async def _require_empty_body(request: Request) -> None:
    body = await request.body()
    if len(body) > MAX_EMPTY_BODY or body.strip():
        raise ApiError(400, "request body must be empty")


def _may_read(session: ResolvedSession, status: SessionStatus, who: Identity, admin: bool) -> bool:
    """§9.1: requester, active participant, invitee, decider, or a configured approver (or an admin)."""
    if admin or identity_match(session.requester.username, who) or identity_match(session.requester.email, who):
        return True
    if any(
        p.left_at is None and (identity_match(p.user, who) or identity_match(p.email, who)) for p in status.participants
    ):
        return True
    if any(identity_match(i, who) for i in session.invited_participants):
        return True
    decided = (status.approval.approved_by, status.approval.rejected_by)
    return any(d and identity_match(d, who) for d in decided) or is_approver(session.approval, who)


def _can_decide(session: ResolvedSession, status: SessionStatus, who: Identity) -> bool:
    """§9.3: pending, not the requester, an approver."""
    return (
        status.state is SessionState.PENDING_APPROVAL
        and not identity_match(session.requester.username, who)
        and is_approver(session.approval, who)
    )


def _view(session: ResolvedSession, status: SessionStatus, who: Identity, **extra: Any) -> dict[str, Any]:
    decide = _can_decide(session, status, who)
    return debug_session(session, status, canApprove=decide, canReject=decide, **extra)


def _quote(value: str) -> str:
    if not SAFE_NAME.match(value):
        raise ApiError(400, f"invalid filter value: '{value}'")
    return "'" + value + "'"


async def _open_counts(
    state: ApiState, template: str, who: Identity, recent: tuple[RecentStart, ...]
) -> dict[str, OpenSessionCounts]:
    """Open sessions per binding for the template (from visibility, plus the `recent` starts made under the
    admission lock that visibility does not list yet), for §4.8 limits."""
    query = (
        f"WorkflowType = 'DebugSessionWorkflow' AND {sa.TEMPLATE.name} = {_quote(template)} AND "
        f"{sa.STATE.name} IN ({', '.join(repr(s) for s in OPEN_STATES)})"
    )
    counts: dict[str, list[int]] = {}
    visible: set[str] = set()

    def count(binding: str, requester: str) -> None:
        entry = counts.setdefault(binding, [0, 0])
        entry[1] += 1
        entry[0] += int(identity_match(requester, who))

    async for wf in state.client.list_workflows(query):
        visible.add(wf.id)
        count(wf.typed_search_attributes.get(sa.BINDING) or "", wf.typed_search_attributes.get(sa.REQUESTER) or "")
    unseen = [r for r in recent if r.name not in visible]
    if unseen:  # started lately and not listed as open: not visible yet, or already ended
        ids = ", ".join(_quote(r.name) for r in unseen)
        known = {wf.id async for wf in state.client.list_workflows(f"WorkflowId IN ({ids})")}
        for start in unseen:
            if start.name not in known:
                count(start.binding, start.requester)
    return {b: OpenSessionCounts(mine=c[0], total=c[1]) for b, c in counts.items()}


# --- routes ----------------------------------------------------------------------------------------


@router.post("", status_code=201)
async def create_session(body: CreateSessionRequest, who: Caller, state: State, catalog: CatalogDep) -> JSONResponse:
    """Admit the request (same rules as `dsctl preview`) and start its workflow."""
    template = body.template_ref.strip()
    if not template or not SAFE_NAME.match(template):  # resolution refuses it with the precise message
        return await _admit_and_start(body, who, state, catalog, Held(recent=()))
    # Count and start under the template's lock (one for every API replica), so that two creates cannot
    # both take the last place.
    async with state.admission.held(template) as held:
        return await _admit_and_start(body, who, state, catalog, held)


async def _admit_and_start(
    body: CreateSessionRequest, who: Identity, state: ApiState, catalog: Any, held: Held
) -> JSONResponse:
    template = body.template_ref.strip()
    counts = await _open_counts(state, template, who, held.recent) if template and SAFE_NAME.match(template) else {}
    resolution = resolve_session(
        catalog,
        who,
        body,
        datetime.now(UTC),
        session_namespace=state.settings.sessions_namespace,
        unready_clusters=state.health.unready(),
        open_sessions=counts,
    )
    session = resolution.session
    settings = state.settings.workflow_settings
    try:
        await state.client.start_workflow(
            DebugSessionWorkflow.run,
            SessionWorkflowInput(session=session, settings=settings),
            id=session.name,
            task_queue=state.settings.task_queue,
            search_attributes=sa.initial(session),
            memo={sa.SESSION_MEMO: session},
        )
    except WorkflowAlreadyStartedError as exc:
        raise ApiError(409, "session already exists") from exc
    binding = session.binding.ref if session.binding else ""
    held.started = RecentStart(name=session.name, binding=binding, requester=session.requester.username)
    view = debug_session(
        session, sa.opening_status(session), canApprove=False, canReject=False, warnings=resolution.warnings
    )
    return JSONResponse(status_code=201, content=view)


@router.get("")
async def list_sessions(
    who: Caller,
    state: State,
    cluster: str | None = None,
    state_filter: Annotated[list[str] | None, Query(alias="state")] = None,
    user: str | None = None,
    mine: bool = False,
) -> dict[str, Any]:
    """Sessions the caller may read, from visibility (never by querying every workflow)."""
    states: list[str] = []
    for raw in state_filter or []:
        for item in raw.split(","):
            item = item.strip()
            if not item:
                continue
            canonical = next((s.value for s in SessionState if s.value.lower() == item.lower()), None)
            if canonical is None:
                raise ApiError(400, f"invalid state value: '{item}'")
            if canonical not in states:
                states.append(canonical)
    clauses = ["WorkflowType = 'DebugSessionWorkflow'"]
    # DEBUG_SESSION_RETENTION_PERIOD: finished sessions stay listed this long after they closed
    horizon = datetime.now(UTC) - parse_duration(state.settings.retention_period)
    clauses.append(f"(ExecutionStatus = 'Running' OR CloseTime > '{horizon.strftime('%Y-%m-%dT%H:%M:%SZ')}')")
    if cluster:
        clauses.append(f"{sa.CLUSTER.name} = {_quote(cluster)}")
    if states:
        clauses.append(f"{sa.STATE.name} IN ({', '.join(_quote(s) for s in states)})")
    if user:
        clauses.append(f"{sa.REQUESTER.name} = {_quote(user)}")
    if mine:
        clauses.append(f"{sa.REQUESTER.name} = {_quote(who.username)}")
    admin = bool(state.settings.admin_group_set & set(who.groups))
    if not admin:
        clauses.append(_readers_clause(who))
    sessions = []
    async for wf in state.client.list_workflows(" AND ".join(clauses)):
        attrs = wf.typed_search_attributes
        requester = attrs.get(sa.REQUESTER) or ""
        participants = attrs.get(sa.PARTICIPANTS) or []
        session_state = attrs.get(sa.STATE) or ""
        access = sa.row_access(attrs.get(sa.READERS) or [], requester, participants, session_state, who, admin)
        if not access.readable:
            continue  # found through the approver-glob marker, or by a name match that is not the caller's
        expires = attrs.get(sa.EXPIRES_AT)
        sessions.append(
            {
                "name": wf.id,
                "templateRef": attrs.get(sa.TEMPLATE) or "",
                "cluster": attrs.get(sa.CLUSTER) or "",
                "requestedBy": requester,
                "state": session_state,
                "expiresAt": rfc3339(expires),
                "participants": len(participants),
                "isParticipant": any(identity_match(p, who) for p in participants),
                "canApprove": access.can_decide,
                "canReject": access.can_decide,
            }
        )
    return {"sessions": sessions, "total": len(sessions)}


def _readers_clause(who: Identity) -> str:
    """Sessions that may be readable by `who`: requester, active participant, or a READERS term (a superset)."""
    clauses = [f"{sa.REQUESTER.name} = {_quote(who.username)}", f"{sa.PARTICIPANTS.name} = {_quote(who.username)}"]
    terms = [_quote(t) for t in sa.reader_terms(who) if SAFE_NAME.match(t)]
    clauses.append(f"{sa.READERS.name} IN ({', '.join(terms)})")
    return "(" + " OR ".join(clauses) + ")"


@router.get("/{name}")
async def get_session(name: str, who: Caller, state: State) -> dict[str, Any]:
    """One session, if the caller may read it (§1.3 order: 404 before 403)."""
    _, session, status = await load_session(state, name)
    if not _may_read(session, status, who, bool(state.settings.admin_group_set & set(who.groups))):
        raise ApiError(403, "user is not authorized to read this debug session")
    return _view(session, status, who)


@router.post("/{name}/approve")
async def approve(
    name: str, who: Caller, state: State, catalog: CatalogDep, body: DecisionBody | None = None
) -> dict[str, Any]:
    """Record an approval; the session activates when its resources are deployed."""
    return await _decide(name, who, state, catalog, (body or DecisionBody()).reason, rejecting=False)


@router.post("/{name}/reject")
async def reject(
    name: str, who: Caller, state: State, catalog: CatalogDep, body: DecisionBody | None = None
) -> dict[str, Any]:
    """Reject: the session ends Failed."""
    return await _decide(name, who, state, catalog, (body or DecisionBody()).reason, rejecting=True)


async def _decide(
    name: str, who: Identity, state: ApiState, catalog: Any, reason: str, *, rejecting: bool
) -> dict[str, Any]:
    """Approve or reject (§1.9/§1.10): the same checks, in the same order, for both."""
    handle, session, current = await load_session(state, name)
    if current.state is SessionState.PENDING_APPROVAL:  # §1.9: the state is checked first
        _binding_must_be_active(session, catalog, "reject" if rejecting else "approve")
    actor = actor_for(who, state)
    update: Any = DebugSessionWorkflow.reject if rejecting else DebugSessionWorkflow.approve
    arg = RejectInput(actor=actor, reason=reason) if rejecting else ApproveInput(actor=actor, reason=reason)
    status = await run_update(
        handle,
        update,
        arg,
        lambda s, st, now: policy.check_decision(
            s, st, actor, reason, now, rejecting=rejecting, timeout=state.settings.approval_timeout_delta
        ),
    )
    return _view(session, status, who)


def _binding_must_be_active(session: ResolvedSession, catalog: Any, verb: str) -> None:
    """§9.2 step 2: a session created through a binding is decided only while that binding is active."""
    if session.binding is None:
        return
    binding = catalog.bindings.get(session.binding.ref)
    if binding is None or not binding_active(binding, datetime.now(UTC)):
        raise ApiError(403, f"user is not authorized to {verb} this session")


@router.post("/{name}/renew")
async def renew(name: str, body: RenewBody, who: Caller, state: State) -> dict[str, Any]:
    """Extend the expiry by extendBy (never beyond startsAt + maxDuration)."""
    if not body.extend_by.strip():
        raise ApiError(400, "extendBy is required")
    try:
        extend_by = parse_duration(body.extend_by)
    except DurationError as exc:
        raise ApiError(400, "invalid duration format", str(exc)) from exc
    if extend_by.total_seconds() <= 0:
        raise ApiError(400, "extension duration must be positive")
    actor = actor_for(who, state)
    result = await run_update(
        handle_for(state, name),
        DebugSessionWorkflow.renew,
        RenewInput(actor=actor, extend_by=extend_by),
        lambda s, st, now: policy.check_renew(s, st, actor, extend_by, now),
    )
    return {
        "message": "session renewed successfully",
        "newExpiresAt": rfc3339(result.new_expires_at),
        "renewalCount": result.renewal_count,
    }


@router.post("/{name}/terminate")
async def terminate(name: str, request: Request, who: Caller, state: State) -> dict[str, Any]:
    """End the session (owner, admin; the requester may withdraw a pending request)."""
    handle, session, _ = await load_session(state, name)  # §1.8: 404 first, the body last
    await _require_empty_body(request)
    actor = actor_for(who, state)
    status = await run_update(
        handle,
        DebugSessionWorkflow.terminate,
        TerminateInput(actor=actor),
        lambda s, st, now: policy.check_terminate(s, st, actor, now),
    )
    return _view(session, status, who)


@router.post("/{name}/join")
async def join(name: str, request: Request, who: Caller, state: State) -> dict[str, Any]:
    """Join an active session you were invited to; body `{}`/none = viewer, or {"role": "participant"}."""
    role: Literal["participant", "viewer"] = "viewer"
    raw = (await request.body()).strip()
    if raw:
        try:
            data = JoinBody.model_validate_json(raw)
        except ValueError as exc:
            raise ApiError(400, 'invalid request body: role must be "participant" or "viewer"', str(exc)[:300]) from exc
        role = data.role
    actor = actor_for(who, state)
    result = await run_update(
        handle_for(state, name),
        DebugSessionWorkflow.join,
        JoinInput(actor=actor, role=role),
        lambda s, st, now: policy.check_join(s, st, actor, now),
    )
    return {"message": result.message, "role": result.role}


@router.post("/{name}/invite")
async def invite(name: str, body: InviteBody, who: Caller, state: State) -> dict[str, Any]:
    """The owner invites more users: `{"users": ["peer@example.com", ...]}`."""
    actor, users = actor_for(who, state), tuple(body.users)
    result = await run_update(
        handle_for(state, name),
        DebugSessionWorkflow.invite,
        InviteInput(actor=actor, users=users),
        lambda s, st, now: policy.check_invite(st, s, actor, users),
    )
    return {"message": "users invited", "invitedParticipants": list(result.status.invited)}


@router.post("/{name}/leave")
async def leave(name: str, request: Request, who: Caller, state: State) -> dict[str, Any]:
    """Leave a session; access is revoked at once."""
    handle = handle_for(state, name)
    if (await request.body()).strip():
        await load_session(state, name)  # §1.6: a missing session is a 404 before the body is looked at
        await _require_empty_body(request)
    actor = actor_for(who, state)
    result = await run_update(
        handle,
        DebugSessionWorkflow.leave,
        LeaveInput(actor=actor),
        lambda s, st, now: policy.check_leave(s, st, actor, now),
    )
    return {"message": result.message}
