"""Every visibility query the API sends, built in one place, and a listed session as a list row.

Values are quoted only when they are safe names (`SAFE_NAME`): a filter value that could change the query
is a 400, never part of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.pod_tracker import PodTracker
from api.views import DebugSessionSummary, whole_seconds
from domain.identity import Identity, identity_match
from domain.policy import AllowedPodOperations
from domain.session import SessionState
from workflows import search_attributes as sa

log = logging.getLogger("debug_sessions.api")

SAFE_NAME = re.compile(r"^[A-Za-z0-9._@:/+-]{1,253}$")
"""Session names and filter values that may appear in a workflow ID or a visibility query."""
SESSIONS = "WorkflowType = 'DebugSessionWorkflow'"
OPEN_STATES = (SessionState.PENDING, SessionState.PENDING_APPROVAL, SessionState.ACTIVE)
ACTIVE = f"{SESSIONS} AND ExecutionStatus = 'Running' AND {sa.STATE.name} = '{SessionState.ACTIVE}'"
"""Every Active session (the webhook's index)."""


def waiting_for_approval() -> str:
    """Running sessions in PendingApproval."""
    return f"{SESSIONS} AND ExecutionStatus = 'Running' AND {sa.STATE.name} = '{SessionState.PENDING_APPROVAL}'"


def stuck_pending(started_before: datetime) -> str:
    """Running sessions still `Pending` (not yet deployed) that started before `started_before`."""
    return (
        f"{SESSIONS} AND ExecutionStatus = 'Running' AND {sa.STATE.name} = '{SessionState.PENDING}' "
        f"AND StartTime < '{started_before.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    )


def quote(value: str) -> str:
    """`value` as a query literal, or 400 when it is not a safe name."""
    if not SAFE_NAME.match(value):
        raise ApiError(400, f"invalid filter value: '{value}'")
    return "'" + value + "'"


def session_list(horizon: datetime, cluster: str | None, states: Sequence[str], who: Identity | None) -> str:
    """Sessions running or closed after `horizon`, on `cluster`, in `states`, and (unless `who` is None:
    an admin) that `who` may read: a superset, each row is checked again (`sa.row_access`)."""
    clauses = [SESSIONS, f"(ExecutionStatus = 'Running' OR CloseTime > '{horizon.strftime('%Y-%m-%dT%H:%M:%SZ')}')"]
    if cluster:
        clauses.append(f"{sa.CLUSTER.name} = {quote(cluster)}")
    if states:
        clauses.append(f"{sa.STATE.name} IN ({', '.join(quote(s) for s in states)})")
    if who is not None:
        clauses.append(_readers(who))
    return " AND ".join(clauses)


def _readers(who: Identity) -> str:
    """Requester, active participant, or a READERS term of `who`."""
    clauses = [f"{sa.REQUESTER.name} = {quote(who.username)}", f"{sa.PARTICIPANTS.name} = {quote(who.username)}"]
    terms = [quote(t) for t in sa.reader_terms(who) if SAFE_NAME.match(t)]
    clauses.append(f"{sa.READERS.name} IN ({', '.join(terms)})")
    return "(" + " OR ".join(clauses) + ")"


def open_sessions(template: str, binding: str) -> str:
    """Open sessions of `template` through `binding` (`namespace/name`), for its session limits."""
    states = ", ".join(quote(s) for s in OPEN_STATES)
    return (
        f"{SESSIONS} AND {sa.TEMPLATE.name} = {quote(template)} AND {sa.BINDING.name} = {quote(binding)} "
        f"AND {sa.STATE.name} IN ({states})"
    )


def requester_is(who: Identity) -> str:
    """Sessions `who` requested (by username, or by e-mail where the requester was recorded so)."""
    names = [n for n in dict.fromkeys((who.username, who.email)) if n and SAFE_NAME.match(n)]
    return f"{sa.REQUESTER.name} IN ({', '.join(quote(n) for n in names)})"


def by_ids(names: Iterable[str]) -> str:
    """These workflows, whatever their state."""
    return f"WorkflowId IN ({', '.join(quote(n) for n in names)})"


async def page(
    client: Client, query: str, limit: int | None, token: str | None
) -> tuple[Sequence[WorkflowExecution], str | None]:
    """The rows of `query`: all of them (no `limit`: what the reference's clients expect), or one page of
    at most `limit` from `token` on, with the token of the next page (None after the last)."""
    if limit is None and not token:
        return [wf async for wf in client.list_workflows(query)], None
    after = _unwrap(token) if token else None
    listing = client.list_workflows(query, page_size=limit or 1000, next_page_token=after)
    try:
        await listing.fetch_next_page()
    except RPCError as exc:
        if exc.status is RPCStatusCode.INVALID_ARGUMENT:
            raise ApiError(400, "invalid continue token", exc.message[:200]) from exc
        raise
    following = listing.next_page_token
    return listing.current_page or [], _wrap(following) if following else None


def _wrap(page_token: bytes) -> str:
    """Temporal's page token with a checksum, so that a token that is not one is a 400 before Temporal
    sees it (a garbage page token can keep the dev server busy until the request deadline)."""
    return base64.urlsafe_b64encode(hashlib.sha256(page_token).digest()[:8] + page_token).decode()


def _unwrap(token: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(token)
    except (ValueError, binascii.Error) as exc:
        raise ApiError(400, "invalid continue token") from exc
    check, page_token = raw[:8], raw[8:]
    if not page_token or hashlib.sha256(page_token).digest()[:8] != check:
        raise ApiError(400, "invalid continue token")
    return page_token


def _memo(wf: WorkflowExecution, key: str) -> dict[str, Any]:
    """A memo value as plain JSON (no model is built: a list may have thousands of rows)."""
    payload = wf.raw_info.memo.fields.get(key)
    if payload is None:
        return {}
    try:
        value = json.loads(payload.data)
    except ValueError:
        log.warning("session %s: memo %r is not JSON", wf.id, key)
        return {}
    return value if isinstance(value, dict) else {}


def requested_by(wf: WorkflowExecution, user: str) -> bool:
    """The session's requester is `user` (username or e-mail, case-insensitive)."""
    requester = _memo(wf, sa.SESSION_MEMO).get("requester") or {}
    wanted = user.strip().lower()
    username = str(requester.get("username") or wf.typed_search_attributes.get(sa.REQUESTER) or "")
    return wanted in (username.lower(), str(requester.get("email") or "").lower())


def summary(wf: WorkflowExecution, who: Identity, admin: bool, pods: PodTracker) -> DebugSessionSummary | None:
    """The list row of a listed session, or None when `who` may not read it."""
    attrs = wf.typed_search_attributes
    requester = attrs.get(sa.REQUESTER) or ""
    participants = attrs.get(sa.PARTICIPANTS) or []
    state = attrs.get(sa.STATE) or ""
    access = sa.row_access(attrs.get(sa.READERS) or [], requester, participants, state, who, admin)
    if not access.readable:
        return None  # found through the approver-glob marker, or by a name match that is not the caller's
    session, status = _memo(wf, sa.SESSION_MEMO), _memo(wf, sa.STATUS_MEMO)
    cluster = attrs.get(sa.CLUSTER) or ""
    recorded = status.get("allowedPods") or []
    operations = status.get("allowedPodOperations")
    return DebugSessionSummary(
        name=wf.id,
        template_ref=attrs.get(sa.TEMPLATE) or "",
        target_namespace=(session.get("target") or {}).get("namespace") or None,
        cluster=cluster,
        requested_by=requester,
        requested_by_display_name=(session.get("requester") or {}).get("displayName") or None,
        state=SessionState(state) if state in SessionState.__members__.values() else None,
        status_message=status.get("message") or None,
        starts_at=whole_seconds(_time(status.get("startsAt"))),
        expires_at=whole_seconds(attrs.get(sa.EXPIRES_AT)),
        participants=len(participants),
        is_participant=any(identity_match(p, who) for p in participants),
        allowed_pods=pods.pod_count(cluster, wf.id, state, attrs.get(sa.ACCESS) or [], len(recorded)),
        allowed_pod_operations=AllowedPodOperations.model_validate(operations, strict=False) if operations else None,
        can_approve=access.can_decide,
        can_reject=access.can_decide,
    )


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
