"""Debug sessions: list, get, create, and the actions (approve, reject, renew, terminate, join, leave)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import WorkflowExecution
from temporalio.exceptions import WorkflowAlreadyStartedError

from api import visibility
from api.admission_guard import Held
from api.deps import ApiState, Caller, CatalogDep, State, actor_for
from api.errors import ApiError
from api.responses import errors
from api.views import (
    DebugSessionView,
    InviteResult,
    JoinResult,
    LeaveResult,
    RenewResult,
    SessionList,
    debug_session,
    whole_seconds,
)
from api.visibility import SAFE_NAME
from api.workflow_calls import handle_for, load_session, run_update
from domain.binding import DebugSessionClusterBinding
from domain.catalog.catalog import Catalog
from domain.durations import POSITIVE_DURATION, DurationError, parse_duration
from domain.identity import Identity, identity_match
from domain.resolution.access import applicable_bindings, binding_active
from domain.resolution.errors import AdmissionError
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
WATCH_DOC = "A stream of server-sent events (text/event-stream): ADDED, MODIFIED, DELETED."
MAX_EMPTY_BODY = 4096
SESSION_RESPONSE: dict[str, Any] = {"response_model": DebugSessionView, "response_model_exclude_none": True}
SessionName = Annotated[
    str, Path(description="The session's name (its workflow ID).", examples=["debug-alice-dev-1-m1x2y3"])
]
FILTER_SCHEMA: dict[str, Any] = {"pattern": SAFE_NAME.pattern.replace("{1,253}", "{0,253}")}
"""A filter value that may appear in a visibility query (anything else is a 400, `visibility.quote`); empty
means no filter."""


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


_STATE = "(" + "|".join(_any_case(s.value) for s in sorted(SessionState, key=len, reverse=True)) + ")"
STATES_PATTERN = rf"^\s*({_STATE}\s*)?(,\s*({_STATE}\s*)?)*$"
"""One `state` value: state names in any case, separated by commas; empty items are ignored."""


class DecisionBody(BaseModel):
    """Optional body of approve/reject."""

    model_config = ConfigDict(extra="forbid")
    reason: str = ""


class RenewBody(BaseModel):
    """Body of renew."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        # Required and positive in the contract; the route still answers the precise message for each.
        json_schema_extra={"required": ["extendBy"], "examples": [{"extendBy": "30m"}]},
    )
    extend_by: str = Field(
        default="",
        alias="extendBy",
        description="How much longer: a positive duration such as 30m, 1h, 1h30m.",
        json_schema_extra={"pattern": POSITIVE_DURATION},
    )


class InviteBody(BaseModel):
    """Body of invite."""

    model_config = ConfigDict(extra="forbid")
    users: list[str] = Field(default_factory=list)


class JoinBody(BaseModel):
    """Body of join."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["participant", "viewer"] = "viewer"


JOIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": JoinBody.model_json_schema()}},
        "description": "Empty (join as viewer), or the role to join as.",
    }
}


# --- helpers ---------------------------------------------------------------------------------------


async def _require_empty_body(request: Request) -> None:
    body = await request.body()
    if len(body) > MAX_EMPTY_BODY or body.strip():
        raise ApiError(400, "request body must be empty")


def _view(session: ResolvedSession, status: SessionStatus, who: Identity) -> DebugSessionView:
    return debug_session(session, status, can_decide=policy.can_decide(session, status, who))


def _limited_bindings(catalog: Catalog, template: str) -> list[DebugSessionClusterBinding]:
    """The template's active bindings that limit how many sessions may be open through them."""
    found = catalog.session_templates.get(template)
    if found is None:
        return []
    return [
        b
        for b in applicable_bindings(catalog, found, datetime.now(UTC))
        if b.spec.max_active_sessions_per_user is not None or b.spec.max_active_sessions_total is not None
    ]


async def open_counts(
    state: ApiState, catalog: Catalog, template: str, who: Identity, recent: tuple[RecentStart, ...]
) -> dict[str, OpenSessionCounts]:
    """Open sessions through each of the template's bindings that limits them
    (docs/behaviour/resolution.md#session-limits): counted by visibility, no row listed, so a create costs
    the same with 10 or 10,000 sessions open; plus the `recent` starts made under the admission lock that
    visibility does not show yet. Bindings without limits are not counted at all."""
    limited = _limited_bindings(catalog, template)
    if not limited:
        return {}
    known = (
        {wf.id async for wf in state.client.list_workflows(visibility.by_ids(r.name for r in recent))}
        if recent
        else set()
    )
    counts: dict[str, OpenSessionCounts] = {}
    for binding in limited:
        query = visibility.open_sessions(template, binding.ref)
        total = (await state.client.count_workflows(query)).count
        mine = (await state.client.count_workflows(f"{query} AND {visibility.requester_is(who)}")).count
        for start in recent:  # started under the lock and not listed yet
            if start.binding == binding.ref and start.name not in known:
                total += 1
                mine += int(identity_match(start.requester, who))
        counts[binding.ref] = OpenSessionCounts(mine=mine, total=total)
    return counts


# --- routes ----------------------------------------------------------------------------------------


@router.post("", status_code=201, **SESSION_RESPONSE, responses=errors(403, 404, 409, 429))
async def create_session(
    body: CreateSessionRequest, who: Caller, state: State, catalog: CatalogDep
) -> DebugSessionView:
    """Admit the request (same rules as `dsctl preview`) and start its workflow."""
    template = body.template_ref.strip()
    if not SAFE_NAME.match(template) or not _limited_bindings(catalog, template):
        # Nothing to count (or a template name the resolution refuses with its precise message).
        return await _admit_and_start(body, who, state, catalog, Held(recent=()))
    # Count and start under the template's lock (one for every API replica), so that two creates cannot
    # both take the last place.
    async with state.admission.held(template) as held:
        return await _admit_and_start(body, who, state, catalog, held)


async def _admit_and_start(
    body: CreateSessionRequest, who: Identity, state: ApiState, catalog: Any, held: Held
) -> DebugSessionView:
    template = body.template_ref.strip()
    counts = await open_counts(state, catalog, template, who, held.recent) if SAFE_NAME.match(template) else {}
    try:
        resolution = resolve_session(
            catalog,
            who,
            body,
            datetime.now(UTC),
            session_namespace=state.settings.sessions_namespace,
            unready_clusters=state.health.unready(),
            open_sessions=counts,
        )
    except AdmissionError as exc:
        if exc.reason.startswith("binding_"):
            # a label value from a request only when the catalog knows it: no series per typo
            cluster = body.cluster if body.cluster in catalog.clusters else "unknown"
            state.metrics.binding_unresolved.labels(cluster, exc.reason).inc()
        raise
    session = resolution.session
    settings = state.settings.workflow_settings
    try:
        handle = await state.client.start_workflow(
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
    state.metrics.created.labels(session.cluster.name, session.template_name).inc()
    if session.approval.required:
        state.metrics.approval_required.labels(session.cluster.name, session.template_name).inc()
    state.auditor.session_requested(session, who, handle.first_execution_run_id or "")
    return debug_session(session, sa.opening_status(session), warnings=list(resolution.warnings))


@dataclass(frozen=True)
class Filters:
    """A list's or a watch's filters, checked: canonical states, safe values."""

    cluster: str | None
    states: tuple[str, ...]
    user: str | None
    mine: bool

    def query(self, horizon: datetime, who: Identity, admin: bool) -> str:
        """The visibility query (a superset: `wanted` and row access decide each row)."""
        return visibility.session_list(horizon, self.cluster, list(self.states), None if admin else who)

    def wanted(self, wf: WorkflowExecution, who: Identity) -> bool:
        """The filters on a listed row (the watch's feed lists every session, unfiltered)."""
        attrs = wf.typed_search_attributes
        if self.cluster and attrs.get(sa.CLUSTER) != self.cluster:
            return False
        if self.states and attrs.get(sa.STATE) not in self.states:
            return False
        if self.user and not visibility.requested_by(wf, self.user):
            return False
        return not self.mine or any(n and visibility.requested_by(wf, n) for n in (who.username, who.email))


def filters(
    cluster: Annotated[
        str | None, Query(description="Only sessions on this cluster.", json_schema_extra=FILTER_SCHEMA)
    ] = None,
    state_filter: Annotated[
        list[str] | None,
        Query(
            alias="state",
            description="Only sessions in these states: repeat it, or separate them by commas (any case).",
            json_schema_extra={"items": {"type": "string", "pattern": STATES_PATTERN}},
        ),
    ] = None,
    user: Annotated[
        str | None,
        Query(description="Only sessions requested by this username or e-mail.", json_schema_extra=FILTER_SCHEMA),
    ] = None,
    mine: Annotated[bool, Query(description="Only sessions the caller requested.")] = False,
) -> Filters:
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
    for value in (cluster, user):
        if value:
            visibility.quote(value)  # the same rule for every filter value: a safe name, or 400
    return Filters(cluster or None, tuple(states), user or None, mine)


ListFilters = Annotated[Filters, Depends(filters)]


def _horizon(state: ApiState) -> datetime:
    """DEBUG_SESSION_RETENTION_PERIOD: finished sessions stay listed this long after they closed."""
    return datetime.now(UTC) - state.settings.retention_period


@router.get("", response_model=SessionList, response_model_exclude_none=True)
async def list_sessions(
    who: Caller,
    state: State,
    wanted: ListFilters,
    limit: Annotated[
        int | None,
        Query(ge=1, le=1000, description="Read at most this many sessions (one page); `continue` fetches the next."),
    ] = None,
    continue_token: Annotated[
        str | None,
        Query(
            alias="continue",
            description="The `continue` of the previous page (with the same filters and `limit`); any other "
            "string is a 400.",
            json_schema_extra={"pattern": r"^([A-Za-z0-9_-]{12,}={0,2})?$"},
        ),
    ] = None,
) -> SessionList:
    """Sessions the caller may read, from visibility (never by querying every workflow)."""
    admin = bool(state.settings.admin_group_set & set(who.groups))
    query = wanted.query(_horizon(state), who, admin)
    rows = []
    page, after = await visibility.page(state.client, query, limit, continue_token)
    for n, wf in enumerate(page, 1):
        if n % 100 == 0:
            await asyncio.sleep(0)  # a long list must not hold up the webhook's decisions
        row = visibility.summary(wf, who, admin, state.pods) if wanted.wanted(wf, who) else None
        if row is not None:
            rows.append(row)
    return SessionList(sessions=rows, total=len(rows), continue_=after)


KEEP_ALIVE = 15.0
"""Seconds between comments on a quiet watch (proxies close idle connections)."""


@router.get(
    "/watch",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": WATCH_DOC}},
)
async def watch_sessions(who: Caller, state: State, wanted: ListFilters) -> StreamingResponse:
    """Server-sent events: first an ADDED for every session of the list, then ADDED, MODIFIED and DELETED
    as they change (within about a second). Each event's data is `{"type": ..., "session": <list row>}`
    (`{"name": ...}` for DELETED)."""
    feed = state.feed
    if feed is None:
        raise ApiError(503, "watching is not available in this process")
    admin = bool(state.settings.admin_group_set & set(who.groups))
    queue = feed.subscribe()
    try:
        current = [wf async for wf in state.client.list_workflows(wanted.query(_horizon(state), who, admin))]
    except BaseException:
        feed.unsubscribe(queue)
        raise

    def event(kind: str, body: dict[str, Any]) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **body})}\n\n"

    async def stream() -> AsyncIterator[str]:
        shown: set[str] = set()
        try:
            for wf in current:
                row = visibility.summary(wf, who, admin, state.pods) if wanted.wanted(wf, who) else None
                if row is not None:
                    shown.add(row.name)
                    yield event("ADDED", {"session": row.model_dump(mode="json", by_alias=True, exclude_none=True)})
            yield ": listed\n\n"
            while True:
                try:
                    kind, item = await asyncio.wait_for(queue.get(), KEEP_ALIVE)
                except TimeoutError:
                    if queue not in feed.subscribers:
                        return  # dropped for not keeping up: the client reconnects and lists again
                    yield ": keep-alive\n\n"
                    continue
                name = item if isinstance(item, str) else item.id
                row = None
                if not isinstance(item, str) and wanted.wanted(item, who):
                    row = visibility.summary(item, who, admin, state.pods)
                if row is None:
                    if name in shown:  # gone, or no longer one the caller may see
                        shown.discard(name)
                        yield event("DELETED", {"name": name})
                    continue
                kind = "MODIFIED" if name in shown else "ADDED"
                shown.add(name)
                yield event(kind, {"session": row.model_dump(mode="json", by_alias=True, exclude_none=True)})
        finally:
            feed.unsubscribe(queue)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/{name}", **SESSION_RESPONSE, responses=errors(403, 404, 502))
async def get_session(name: SessionName, who: Caller, state: State) -> DebugSessionView:
    """One session, if the caller may read it (404 before 403: docs/behaviour/api.md#reading-a-session)."""
    _, session, status = await load_session(state, name)
    if not policy.may_read(session, status, who, bool(state.settings.admin_group_set & set(who.groups))):
        raise ApiError(403, "user is not authorized to read this debug session")
    return _view(session, status, who)


@router.post("/{name}/approve", **SESSION_RESPONSE, responses=errors(403, 404, 409, 429))
async def approve(
    name: SessionName, who: Caller, state: State, catalog: CatalogDep, body: DecisionBody | None = None
) -> DebugSessionView:
    """Record an approval; the session activates when its resources are deployed."""
    return await _decide(name, who, state, catalog, (body or DecisionBody()).reason, rejecting=False)


@router.post("/{name}/reject", **SESSION_RESPONSE, responses=errors(403, 404, 409, 429))
async def reject(
    name: SessionName, who: Caller, state: State, catalog: CatalogDep, body: DecisionBody | None = None
) -> DebugSessionView:
    """Reject: the session ends Failed."""
    return await _decide(name, who, state, catalog, (body or DecisionBody()).reason, rejecting=True)


async def _decide(
    name: str, who: Identity, state: ApiState, catalog: Any, reason: str, *, rejecting: bool
) -> DebugSessionView:
    """Approve or reject (docs/behaviour/api.md#approve-and-reject): the same checks, in the same order, for both."""
    handle, session, current = await load_session(state, name)
    if current.state is SessionState.PENDING_APPROVAL:  # the state is checked first
        _binding_must_be_active(session, catalog, "reject" if rejecting else "approve")
    actor = actor_for(who, state)
    update: Any = DebugSessionWorkflow.reject if rejecting else DebugSessionWorkflow.approve
    arg = RejectInput(actor=actor, reason=reason) if rejecting else ApproveInput(actor=actor, reason=reason)
    status = await run_update(
        handle,
        update,
        arg,
        lambda s, st, now: policy.check_decision(
            s, st, actor, reason, now, rejecting=rejecting, timeout=state.settings.approval_timeout
        ),
    )
    if rejecting:
        state.metrics.rejected.labels(session.cluster.name, "user_rejected").inc()
    else:
        state.metrics.approved.labels(session.cluster.name, "user").inc()
    return _view(session, status, who)


def _binding_must_be_active(session: ResolvedSession, catalog: Any, verb: str) -> None:
    """A session created through a binding is decided only while that binding is active."""
    if session.binding is None:
        return
    binding = catalog.bindings.get(session.binding.ref)
    if binding is None or not binding_active(binding, datetime.now(UTC)):
        raise ApiError(403, f"user is not authorized to {verb} this session")


@router.post("/{name}/renew", response_model=RenewResult, responses=errors(403, 404, 409, 429))
async def renew(name: SessionName, body: RenewBody, who: Caller, state: State) -> RenewResult:
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
    return RenewResult(
        message="session renewed successfully",
        new_expires_at=whole_seconds(result.new_expires_at),
        renewal_count=result.renewal_count,
    )


@router.post("/{name}/terminate", **SESSION_RESPONSE, responses=errors(403, 404, 409, 429))
async def terminate(name: SessionName, request: Request, who: Caller, state: State) -> DebugSessionView:
    """End the session (owner, admin; the requester may withdraw a pending request)."""
    handle, session, _ = await load_session(state, name)  # 404 first, the body last (api.md#terminate)
    await _require_empty_body(request)
    actor = actor_for(who, state)
    status = await run_update(
        handle,
        DebugSessionWorkflow.terminate,
        TerminateInput(actor=actor),
        lambda s, st, now: policy.check_terminate(s, st, actor, now),
    )
    state.metrics.terminated.labels(session.cluster.name, "user_terminated").inc()
    state.index.revoke(name)
    return _view(session, status, who)


@router.post("/{name}/join", response_model=JoinResult, responses=errors(403, 404, 409, 429), openapi_extra=JOIN_BODY)
async def join(name: SessionName, request: Request, who: Caller, state: State) -> JoinResult:
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
    return JoinResult(message=result.message, role=result.role)


@router.post("/{name}/invite", response_model=InviteResult, responses=errors(403, 404, 409, 429))
async def invite(name: SessionName, body: InviteBody, who: Caller, state: State) -> InviteResult:
    """The owner invites more users: `{"users": ["peer@example.com", ...]}`."""
    actor, users = actor_for(who, state), tuple(body.users)
    result = await run_update(
        handle_for(state, name),
        DebugSessionWorkflow.invite,
        InviteInput(actor=actor, users=users),
        lambda s, st, now: policy.check_invite(st, s, actor, users),
    )
    return InviteResult(message="users invited", invited_participants=list(result.status.invited))


@router.post("/{name}/leave", response_model=LeaveResult, responses=errors(403, 404, 409, 429))
async def leave(name: SessionName, request: Request, who: Caller, state: State) -> LeaveResult:
    """Leave a session; access is revoked at once."""
    handle = handle_for(state, name)
    if (await request.body()).strip():
        await load_session(state, name)  # a missing session is a 404 before the body is looked at (api.md#leave)
        await _require_empty_body(request)
    actor = actor_for(who, state)
    result = await run_update(
        handle,
        DebugSessionWorkflow.leave,
        LeaveInput(actor=actor),
        lambda s, st, now: policy.check_leave(s, st, actor, now),
    )
    state.index.revoke(name, actor.username)
    return LeaveResult(message=result.message)
