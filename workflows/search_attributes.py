"""Custom search attributes of session workflows (registered by our setup code on every start)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from domain.globs import is_glob
from domain.identity import Identity, identity_match
from domain.resolution.approval import ApprovalPolicy, is_approver
from domain.resolution.resolved import ResolvedSession
from workflows.models import TERMINAL_STATES, SessionStatus
from workflows.policy import hard_cap

STATE = SearchAttributeKey.for_keyword("DebugSessionState")
CLUSTER = SearchAttributeKey.for_keyword("DebugSessionCluster")
TEMPLATE = SearchAttributeKey.for_keyword("DebugSessionTemplate")
REQUESTER = SearchAttributeKey.for_keyword("DebugSessionRequester")
PARTICIPANTS = SearchAttributeKey.for_keyword_list("DebugSessionParticipants")
EXPIRES_AT = SearchAttributeKey.for_datetime("DebugSessionExpiresAt")
BINDING = SearchAttributeKey.for_keyword("DebugSessionBinding")
"""`namespace/name` of the binding the session was created through (empty when none): session limits."""
# The dev server's visibility store allows only 3 keyword-list attributes, hence the prefixed entries.
READERS = SearchAttributeKey.for_keyword_list("DebugSessionReaders")
"""Who may read the session: lower-cased usernames/e-mails of the requester and the invitees (unprefixed),
`requester:<lower-cased username or e-mail>`, `approver:<user>` for approver users (lower-cased; a glob is
kept as written, globs being case-sensitive), `group:<name>` for approver groups, and the marker
`approver-glob` when an approver user or group is a glob (no visibility query can match a glob)."""
ACCESS = SearchAttributeKey.for_keyword_list("DebugSessionAccess")
"""What the authorization webhook decides from, kept current by the workflow: `pod:<namespace>/<name>` for
pods without the session label (ephemeral-container targets; labelled pods come from the API's watches),
`op:<exec|attach|log|portforward>`, and `operator:<owner|participant>:<username>` for active participants."""
LIVE_UNTIL = SearchAttributeKey.for_datetime("DebugSessionLiveUntil")
"""When access ends: expiresAt, or startsAt + maxDuration for notify-only sessions (DESIGN 14)."""

ALL: tuple[SearchAttributeKey[Any], ...] = (
    STATE,
    CLUSTER,
    TEMPLATE,
    REQUESTER,
    PARTICIPANTS,
    EXPIRES_AT,
    BINDING,
    READERS,
    ACCESS,
    LIVE_UNTIL,
)
"""Every key, for registration with the operator service."""


STATUS_MEMO = "status"
"""Memo key of the session's status, kept current by the workflow: the API reads it with describe(), so a
read never runs workflow code (a query served by a worker without the workflow in cache could apply newer
events with a stale time and fork the session; see workflows/session.py)."""
SESSION_MEMO = "session"
"""Memo key of the resolved snapshot, set once at start."""

REQUESTER_PREFIX = "requester:"
APPROVER_PREFIX = "approver:"
GROUP_PREFIX = "group:"
APPROVER_GLOB = "approver-glob"


def _approver_user(user: str) -> str:
    entry = user.strip()
    return APPROVER_PREFIX + (entry if is_glob(entry) else entry.lower())


def readers(session: ResolvedSession, invited: tuple[str, ...]) -> list[str]:
    """READERS entries (see `READERS`) for a session and its current invitees."""
    who = session.requester
    ids = {v.strip().lower() for v in (who.username, who.email) if v.strip()}
    users, groups = session.approval.approver_users, session.approval.approver_groups
    entries = ids | {i.strip().lower() for i in invited if i.strip()} | {REQUESTER_PREFIX + i for i in ids}
    entries |= {_approver_user(u) for u in users if u.strip()} | {GROUP_PREFIX + g for g in groups}
    if any(is_glob(p) for p in (*users, *groups)):
        entries.add(APPROVER_GLOB)
    return sorted(entries)


def reader_terms(who: Identity) -> list[str]:
    """The READERS values a visibility query looks for to find the sessions `who` may read (a superset:
    sessions with glob approvers come along through the marker; `row_access` decides)."""
    ids = {v.strip().lower() for v in (who.username, who.email) if v.strip()}
    terms = ids | {APPROVER_PREFIX + i for i in ids} | {GROUP_PREFIX + g for g in who.groups} | {APPROVER_GLOB}
    return sorted(terms)


@dataclass(frozen=True)
class RowAccess:
    """What a caller may do with a listed session, decided from its search attributes alone."""

    readable: bool
    can_decide: bool
    """canApprove/canReject (docs/behaviour/access.md#who-may-decide)."""


def row_access(
    entries: Iterable[str], requester: str, participants: Iterable[str], state: str, who: Identity, admin: bool
) -> RowAccess:
    """Read and decide rules over READERS, the requester and the active participants (docs/behaviour/access.md).

    The same rules as a detail read: requester (username or e-mail), active participant, invitee, approver
    user (plain names case-insensitive, globs case-sensitive, against username then e-mail) or approver group
    (globs), or an admin. Deciders are not indexed: whoever decided through the API is an approver.
    """
    names: list[str] = []
    requester_ids = [requester]
    approver_users: list[str] = []
    approver_groups: list[str] = []
    for entry in entries:
        if entry.startswith(REQUESTER_PREFIX):
            requester_ids.append(entry.removeprefix(REQUESTER_PREFIX))
        elif entry.startswith(APPROVER_PREFIX):
            approver_users.append(entry.removeprefix(APPROVER_PREFIX))
        elif entry.startswith(GROUP_PREFIX):
            approver_groups.append(entry.removeprefix(GROUP_PREFIX))
        elif entry != APPROVER_GLOB:
            names.append(entry)
    is_requester = any(identity_match(r, who) for r in requester_ids)
    policy = ApprovalPolicy(required=True, approver_users=tuple(approver_users), approver_groups=tuple(approver_groups))
    approver = is_approver(policy, who)
    readable = (
        admin
        or is_requester
        or approver
        or any(identity_match(p, who) for p in participants)
        or any(identity_match(n, who) for n in names)
    )
    return RowAccess(readable=readable, can_decide=state == "PendingApproval" and not is_requester and approver)


def unlabelled_pods(s: SessionStatus) -> set[tuple[str, str]]:
    """(namespace, name) of the pods the session may use that carry no session label: those an ephemeral
    container was injected into. Every labelled pod is tracked by the API's pod watches instead."""
    debug = s.kubectl_debug_status
    return {(e.namespace, e.pod_name) for e in (debug.ephemeral_containers_injected if debug else [])}


def access_entries(s: SessionStatus) -> list[str]:
    """The webhook's view of a session (see `ACCESS`); none once the session has ended."""
    if s.state in TERMINAL_STATES:
        return []
    ops = s.allowed_pod_operations
    allowed = (("exec", ops.exec), ("attach", ops.attach), ("log", ops.logs), ("portforward", ops.port_forward))
    return [
        *sorted(f"pod:{ns}/{name}" for ns, name in unlabelled_pods(s)),
        *(f"op:{sub}" for sub, ok in allowed if ok),
        *(
            f"operator:{p.role}:{p.user}"
            for p in s.participants
            if p.left_at is None and p.role in ("owner", "participant")
        ),
    ]


def tracked(session: ResolvedSession, s: SessionStatus) -> list[SearchAttributePair[Any]]:
    """The attributes the workflow keeps current, for a status: state, participants, access, readers, and
    (once Active) the expiry and when access ends."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(STATE, str(s.state)),
        SearchAttributePair(PARTICIPANTS, [p.user for p in s.participants if p.left_at is None]),
        SearchAttributePair(ACCESS, access_entries(s)),
        SearchAttributePair(READERS, readers(session, s.invited)),
    ]
    if s.expires_at is not None:
        cap = hard_cap(session, s) if session.template.expiration_behavior == "notify-only" else None
        pairs += [SearchAttributePair(EXPIRES_AT, s.expires_at), SearchAttributePair(LIVE_UNTIL, cap or s.expires_at)]
    return pairs


def opening_status(session: ResolvedSession) -> SessionStatus:
    """The status of a session just created (Pending), before its workflow has run."""
    return SessionStatus(
        name=session.name,
        created_at=session.created_at,
        invited=session.invited_participants,
        allowed_pod_operations=session.allowed_pod_operations,
    )


def initial(session: ResolvedSession) -> TypedSearchAttributes:
    """The attributes a session workflow starts with: the fixed ones, and the tracked ones of a new (Pending)
    session; the workflow upserts what changes from there."""
    who = session.requester
    opening = opening_status(session)
    return TypedSearchAttributes(
        [
            SearchAttributePair(CLUSTER, session.cluster.name),
            SearchAttributePair(TEMPLATE, session.template_name),
            SearchAttributePair(REQUESTER, who.username),
            SearchAttributePair(BINDING, session.binding.ref if session.binding else ""),
            *tracked(session, opening),
        ]
    )
