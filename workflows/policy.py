"""Pure action rules of a running session: who may approve, renew, join, leave, terminate, and when.

Every function returns None when the action is allowed, or an `Refusal` with the HTTP status and the
reference's message. The workflow's update validators call these (cheap, no history written); the same
rules are unit-tested as plain tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.durations import format_duration
from domain.identity import Identity, identity_match
from domain.refusal import Refusal
from domain.resolution.approval import is_approver
from domain.resolution.resolved import ResolvedSession
from workflows.models import TERMINAL_STATES, Actor, SessionState, SessionStatus


def identity(actor: Actor) -> Identity:
    """The actor as a policy identity."""
    return Identity(username=actor.username, email=actor.email, display_name=actor.display_name, groups=actor.groups)


def hard_cap(session: ResolvedSession, status: SessionStatus) -> datetime | None:
    """`startsAt + maxDuration`: no session is usable beyond it, renewals and notify-only included."""
    return status.starts_at + session.constraints.max if status.starts_at else None


def is_live(session: ResolvedSession, status: SessionStatus, now: datetime) -> bool:
    """Active and usable now: before expiresAt, or a notify-only session before its hard cap (DESIGN 14)."""
    if status.state is not SessionState.ACTIVE or status.expires_at is None:
        return False
    if now < status.expires_at:
        return True
    cap = hard_cap(session, status)
    return session.template.expiration_behavior == "notify-only" and cap is not None and now < cap


def live_until(session: ResolvedSession, status: SessionStatus) -> datetime | None:
    """When the session stops being usable: expiresAt, or the hard cap for notify-only sessions."""
    if status.expires_at is None:
        return None
    if session.template.expiration_behavior == "notify-only":
        return hard_cap(session, status) or status.expires_at
    return status.expires_at


def _reason_problem(reason: str, session: ResolvedSession, rejecting: bool) -> Refusal | None:
    cfg = session.approval_reason
    if cfg is None:
        return None
    required = cfg.mandatory or (rejecting and cfg.mandatory_for_rejection)
    if required and not reason.strip():
        return Refusal(400, f"missing required {'rejection' if rejecting else 'approval'} reason")
    if reason.strip() and len(reason.strip()) < cfg.min_length:
        return Refusal(400, f"reason must be at least {cfg.min_length} characters")
    return None


def check_decision(
    session: ResolvedSession, status: SessionStatus, actor: Actor, reason: str, now: datetime, *, rejecting: bool,
    timeout: timedelta, operator: bool = False,
) -> Refusal | None:  # fmt: skip
    """Approve/reject: pending, by an approver who is not the requester, not yet decided
    (docs/behaviour/lifecycle.md#approve-and-reject)."""
    verb = "reject" if rejecting else "approve"
    if status.state is not SessionState.PENDING_APPROVAL:
        return Refusal(400, f"session is not pending approval (state: {status.state})")
    who = identity(actor)
    requester = session.requester
    is_requester = identity_match(requester.username, who) or (
        bool(requester.email) and identity_match(requester.email, who)
    )
    if not operator and (is_requester or not is_approver(session.approval, who)):
        return Refusal(403, f"user is not authorized to {verb} this session")
    if status.approval.approved_at is not None or status.approval.rejected_at is not None:
        return Refusal(409, "debug session approval has already been decided")
    if now >= status.created_at + timeout:
        return Refusal(409, f"Approval timed out after {format_duration(timeout)}")
    return _reason_problem(reason, session, rejecting)


def check_renew(
    session: ResolvedSession, status: SessionStatus, actor: Actor, extend_by: timedelta, now: datetime,
    operator: bool = False,
) -> Refusal | None:  # fmt: skip
    """Renew (docs/behaviour/lifecycle.md#renew; DESIGN decisions 6, 12, 14)."""
    if extend_by <= timedelta(0):
        return Refusal(400, "extension duration must be positive")
    if not operator and not _may_use(session, status, actor):
        return Refusal(403, "only requester or active owner/participant roles can renew")
    if status.state is not SessionState.ACTIVE:
        return Refusal(400, f"cannot renew session in state '{status.state}'")
    if not is_live(session, status, now):
        return Refusal(400, "cannot renew expired session")
    limits = session.constraints
    if not limits.allow_renewal:
        return Refusal(403, "session renewals are not allowed by template")
    if limits.max_renewals == 0 or status.renewal_count >= limits.max_renewals:
        return Refusal(403, f"maximum renewals ({limits.max_renewals}) reached")
    assert status.expires_at is not None
    cap = hard_cap(session, status)
    if cap is not None and status.expires_at + extend_by > cap:
        return Refusal(
            403,
            f"extension would exceed maximum duration of {limits.max_duration} "
            f"(latest possible expiry: {cap.strftime('%Y-%m-%dT%H:%M:%SZ')})",
        )
    return None


def _may_use(session: ResolvedSession, status: SessionStatus, actor: Actor) -> bool:
    """The requester (identity match) or an active owner/participant (identity match)."""
    who = identity(actor)
    if identity_match(session.requester.username, who):
        return True
    return any(
        p.left_at is None
        and p.role in ("owner", "participant")
        and (identity_match(p.user, who) or identity_match(p.email, who))
        for p in status.participants
    )


def check_terminate(
    session: ResolvedSession, status: SessionStatus, actor: Actor, now: datetime, operator: bool = False
) -> Refusal | None:
    """Terminate: the owner (exact username), or an admin (DESIGN 4); the requester may withdraw a pending one."""
    is_owner = actor.username == session.requester.username
    if not (is_owner or actor.admin or operator):
        return Refusal(403, "only the session owner or an admin can terminate")
    if status.state in TERMINAL_STATES:
        return Refusal(400, f"session is already in terminal state '{status.state}'")
    if status.state is SessionState.ACTIVE and not is_live(session, status, now):
        return Refusal(400, "cannot terminate expired session")
    return None


def termination_message(session: ResolvedSession, status: SessionStatus, actor: Actor, operator: bool = False) -> str:
    """`Withdrawn by u` (pending, by the requester), `Terminated by u (admin)`, or `Terminated by u`."""
    is_owner = actor.username == session.requester.username
    if is_owner and status.state in (SessionState.PENDING, SessionState.PENDING_APPROVAL):
        return f"Withdrawn by {actor.username}"
    if not is_owner and (actor.admin or operator):
        return f"Terminated by {actor.username} (admin)"
    return f"Terminated by {actor.username}"


def check_join(session: ResolvedSession, status: SessionStatus, actor: Actor, now: datetime) -> Refusal | None:
    """Join (DESIGN 5/11): invited, live, not already listed, room left."""
    if status.state is not SessionState.ACTIVE:
        return Refusal(400, f"cannot join session in state '{status.state}'")
    if not is_live(session, status, now):
        return Refusal(400, "cannot join expired session")
    if any(p.user == actor.username for p in status.participants):
        return Refusal(409, "user already joined this session")
    who = identity(actor)
    if not any(identity_match(invited, who) for invited in status.invited):
        return Refusal(403, "user is not invited to join this debug session")
    sharing = session.template.terminal_sharing
    if sharing is not None and sharing.max_participants > 0 and len(status.participants) >= sharing.max_participants:
        return Refusal(403, "maximum participants reached")
    return None


def check_leave(session: ResolvedSession, status: SessionStatus, actor: Actor, now: datetime) -> Refusal | None:
    """Leave (docs/behaviour/lifecycle.md#leave): listed (checked first, so outsiders learn nothing), not the
    owner, session live."""
    entry = next((p for p in status.participants if p.user == actor.username), None)
    if entry is None:
        return Refusal(404, "user is not a participant in this session")
    if entry.role == "owner":
        return Refusal(403, "session owner cannot leave; use terminate instead")
    if status.state is not SessionState.ACTIVE:
        return Refusal(400, f"cannot leave session in state '{status.state}'")
    if not is_live(session, status, now):
        return Refusal(400, "cannot leave expired session")
    return None


def check_invite(
    status: SessionStatus, session: ResolvedSession, actor: Actor, users: tuple[str, ...]
) -> Refusal | None:
    """Invite: the owner (exact username) of a session that has not ended names at least one user."""
    if actor.username != session.requester.username:
        return Refusal(403, "only the session owner can invite participants")
    if status.state in TERMINAL_STATES:
        return Refusal(400, f"session is already in terminal state '{status.state}'")
    if not users or any(not u.strip() for u in users):
        return Refusal(400, "users must name at least one user, and no empty names")
    return None


def check_debug_operation(
    session: ResolvedSession, status: SessionStatus, actor: Actor, now: datetime
) -> Refusal | None:
    """The preamble of every kubectl-debug operation (docs/behaviour/lifecycle.md#kubectl-debug-preamble, DESIGN 5):
    active and live, by the requester or an active owner/participant (exact username; viewers and departed
    users are refused), in a template whose mode allows kubectl-debug."""
    if status.state is not SessionState.ACTIVE:
        return Refusal(400, f"session is not active, current state: {status.state}")
    if not is_live(session, status, now):
        return Refusal(400, "cannot run kubectl-debug operation on expired session")
    operator = actor.username == session.requester.username or any(
        p.left_at is None and p.role in ("owner", "participant") and p.user == actor.username
        for p in status.participants
    )
    if not operator:
        return Refusal(403, "user is not allowed to modify debug resources for this session")
    if session.mode not in ("kubectl-debug", "hybrid"):
        return Refusal(400, "session template does not support kubectl-debug mode")
    return None


def may_read(session: ResolvedSession, status: SessionStatus, who: Identity, admin: bool) -> bool:
    """Who may read a session: the requester, an active participant, an invitee, whoever decided it, a
    configured approver, or an admin (docs/behaviour/access.md#who-may-read-a-session)."""
    if admin or identity_match(session.requester.username, who) or identity_match(session.requester.email, who):
        return True
    if any(
        p.left_at is None and (identity_match(p.user, who) or identity_match(p.email, who)) for p in status.participants
    ):
        return True
    if any(identity_match(i, who) for i in (*session.invited_participants, *status.invited)):
        return True
    decided = (status.approval.approved_by, status.approval.rejected_by)
    return any(d and identity_match(d, who) for d in decided) or is_approver(session.approval, who)


def can_decide(session: ResolvedSession, status: SessionStatus, who: Identity) -> bool:
    """Whether `who` may approve or reject now: pending approval, not the requester, an approver."""
    return (
        status.state is SessionState.PENDING_APPROVAL
        and not identity_match(session.requester.username, who)
        and is_approver(session.approval, who)
    )
