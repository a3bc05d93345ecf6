"""Check order of the session actions (docs/behaviour/lifecycle.md#actions), as pure tables.

Every case makes two (or more) checks fail at once; the earlier check in the documented order must win,
with its exact status and message. Cases where we deliberately differ from the reference cite the decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.policy import ApprovalReasonConfig
from domain.refusal import Refusal
from domain.resolution.constraints import EffectiveConstraints
from domain.resolution.resolved import ResolvedSession
from domain.session_template import TerminalSharing
from tests.workflows.test_policy import DAY, T0, active, st
from tests.workflows.test_session_workflow import ALICE, LEAD, STRANGER, approval_session
from workflows import policy
from workflows.models import Actor, ApprovalRecord, ParticipantRecord, SessionState, SessionStatus

PEER = Actor(username="peer", email="peer@example.com")
OWNER = ParticipantRecord(user="sam", role="owner", joined_at=T0)
AFTER_EXPIRY = T0 + timedelta(hours=1, minutes=1)
"""`active()` sessions expire at T0 + 1h."""


def entry(user: str, role: str = "participant", left: bool = False) -> ParticipantRecord:
    return ParticipantRecord(user=user, role=role, joined_at=T0, left_at=T0 if left else None)


def sharing(max_participants: int, enabled: bool = True) -> ResolvedSession:
    session = approval_session()
    template = session.template.model_copy(
        update={"terminal_sharing": TerminalSharing(enabled=enabled, max_participants=max_participants)}
    )
    return session.model_copy(update={"template": template})


def notify_only() -> ResolvedSession:
    session = approval_session()
    return session.model_copy(
        update={"template": session.template.model_copy(update={"expiration_behavior": "notify-only"})}
    )


def limits(**changes: Any) -> ResolvedSession:
    return approval_session(constraints=EffectiveConstraints(max_duration="4h", **changes))


def outcome(denied: Refusal | None) -> tuple[int, str] | None:
    return None if denied is None else (denied.status, denied.message)


# --- join (docs/behaviour/lifecycle.md#join; DESIGN 5, 11, 14) ---------------------------------------

JOIN = [
    (
        "state before expiry",
        sharing(5),
        st(state=SessionState.EXPIRED, participants=(OWNER, entry("peer"))),
        STRANGER,
        AFTER_EXPIRY,
        (400, "cannot join session in state 'Expired'"),
    ),
    (
        "state before already-joined and invitation",
        sharing(5),
        st(state=SessionState.PENDING_APPROVAL),
        STRANGER,
        T0,
        (400, "cannot join session in state 'PendingApproval'"),
    ),
    (
        "expiry before already-joined",
        sharing(5),
        active(participants=(OWNER, entry("peer"))),
        PEER,
        AFTER_EXPIRY,
        (400, "cannot join expired session"),
    ),
    (
        "expiry before invitation",
        sharing(5),
        active(participants=(OWNER,)),
        STRANGER,
        AFTER_EXPIRY,
        (400, "cannot join expired session"),
    ),
    (
        "already joined (even departed) before invitation",
        sharing(5),
        active(participants=(OWNER, entry("eve", left=True))),
        STRANGER,
        T0,
        (409, "user already joined this session"),
    ),
    (
        "the owner is already joined",
        sharing(5),
        active(participants=(OWNER,)),
        ALICE,
        T0,
        (409, "user already joined this session"),
    ),
    (
        "already joined before max participants",
        sharing(1),
        active(invited=("peer",), participants=(OWNER, entry("peer"))),
        PEER,
        T0,
        (409, "user already joined this session"),
    ),
    (
        "invitation before max participants",
        sharing(1),
        active(participants=(OWNER,)),
        STRANGER,
        T0,
        (403, "user is not invited to join this debug session"),
    ),
    (
        "max participants counts owner and departed",
        sharing(2),
        active(invited=("peer@example.com",), participants=(OWNER, entry("old", left=True))),
        PEER,
        T0,
        (403, "maximum participants reached"),
    ),
    (
        "invited by e-mail, any case",
        sharing(5),
        active(invited=("PEER@example.com",), participants=(OWNER,)),
        PEER,
        T0,
        None,
    ),
    # DESIGN 11: joining needs an invitation, not terminal sharing (the reference's 403 sharing check is gone)
    (
        "DESIGN 11: sharing off, invited",
        sharing(5, enabled=False),
        active(invited=("peer",), participants=(OWNER,)),
        PEER,
        T0,
        None,
    ),
    (
        "DESIGN 11: sharing off, not invited",
        sharing(5, enabled=False),
        active(participants=(OWNER,)),
        STRANGER,
        T0,
        (403, "user is not invited to join this debug session"),
    ),
    # DESIGN 14: a notify-only session past expiresAt is live until startsAt + maxDuration
    (
        "DESIGN 14: notify-only past expiresAt",
        notify_only(),
        active(invited=("peer",), participants=(OWNER,)),
        PEER,
        AFTER_EXPIRY,
        None,
    ),
    (
        "DESIGN 14: notify-only past the hard cap",
        notify_only(),
        active(invited=("peer",), participants=(OWNER,)),
        PEER,
        T0 + timedelta(hours=4),
        (400, "cannot join expired session"),
    ),
]


@pytest.mark.parametrize(
    ("session", "status", "actor", "now", "expected"), [pytest.param(*c[1:], id=c[0]) for c in JOIN]
)
def test_join_order(
    session: ResolvedSession, status: SessionStatus, actor: Actor, now: datetime, expected: tuple[int, str] | None
) -> None:
    assert outcome(policy.check_join(session, status, actor, now)) == expected


# --- leave (docs/behaviour/lifecycle.md#leave) -----------------------------------------------------------

LEAVE = [
    (
        "not a participant before state (outsiders learn nothing)",
        st(state=SessionState.TERMINATED),
        STRANGER,
        T0,
        (404, "user is not a participant in this session"),
    ),
    (
        "not a participant before expiry",
        active(participants=(OWNER,)),
        STRANGER,
        AFTER_EXPIRY,
        (404, "user is not a participant in this session"),
    ),
    (
        "owner before state",
        st(state=SessionState.EXPIRED, participants=(OWNER,)),
        ALICE,
        T0,
        (403, "session owner cannot leave; use terminate instead"),
    ),
    (
        "owner before expiry",
        active(participants=(OWNER,)),
        ALICE,
        AFTER_EXPIRY,
        (403, "session owner cannot leave; use terminate instead"),
    ),
    (
        "state before expiry",
        st(state=SessionState.EXPIRED, participants=(OWNER, entry("peer", "viewer"))),
        PEER,
        AFTER_EXPIRY,
        (400, "cannot leave session in state 'Expired'"),
    ),
    ("expired", active(participants=(OWNER, entry("peer"))), PEER, AFTER_EXPIRY, (400, "cannot leave expired session")),
    ("a departed participant may leave again", active(participants=(OWNER, entry("peer", left=True))), PEER, T0, None),
    (
        "exact username: the e-mail is not a participant",
        active(participants=(OWNER, entry("peer"))),
        Actor(username="peer@example.com"),
        T0,
        (404, "user is not a participant in this session"),
    ),
]


@pytest.mark.parametrize(("status", "actor", "now", "expected"), [pytest.param(*c[1:], id=c[0]) for c in LEAVE])
def test_leave_order(status: SessionStatus, actor: Actor, now: datetime, expected: tuple[int, str] | None) -> None:
    assert outcome(policy.check_leave(approval_session(), status, actor, now)) == expected


# --- renew (docs/behaviour/lifecycle.md#renew; DESIGN 5, 6, 12, 14) --------------------------------------

FIVE = timedelta(minutes=5)
RENEW = [
    (
        "non-positive before authorization",
        approval_session(),
        st(state=SessionState.PENDING),
        STRANGER,
        timedelta(0),
        T0,
        (400, "extension duration must be positive"),
    ),
    (
        "authorization before state",
        approval_session(),
        st(state=SessionState.TERMINATED),
        STRANGER,
        FIVE,
        T0,
        (403, "only requester or active owner/participant roles can renew"),
    ),
    (
        "authorization before expiry",
        approval_session(),
        active(participants=(OWNER,)),
        STRANGER,
        FIVE,
        AFTER_EXPIRY,
        (403, "only requester or active owner/participant roles can renew"),
    ),
    (
        "DESIGN 5: a viewer may not renew",
        approval_session(),
        active(participants=(OWNER, entry("peer", "viewer"))),
        PEER,
        FIVE,
        T0,
        (403, "only requester or active owner/participant roles can renew"),
    ),
    (
        "a departed participant may not renew",
        approval_session(),
        active(participants=(OWNER, entry("peer", left=True))),
        PEER,
        FIVE,
        T0,
        (403, "only requester or active owner/participant roles can renew"),
    ),
    (
        "an active participant, by e-mail",
        approval_session(),
        active(
            participants=(
                OWNER,
                ParticipantRecord(user="p2", email="peer@example.com", role="participant", joined_at=T0),
            )
        ),
        PEER,
        FIVE,
        T0,
        None,
    ),
    (
        "state before expiry and limits",
        limits(allow_renewal=False),
        st(state=SessionState.PENDING_APPROVAL, expires_at=T0),
        ALICE,
        FIVE,
        AFTER_EXPIRY,
        (400, "cannot renew session in state 'PendingApproval'"),
    ),
    (
        "expiry before limits",
        limits(allow_renewal=False),
        active(),
        ALICE,
        FIVE,
        AFTER_EXPIRY,
        (400, "cannot renew expired session"),
    ),
    (
        "renewals off before max renewals",
        limits(allow_renewal=False, max_renewals=0),
        active(),
        ALICE,
        FIVE,
        T0,
        (403, "session renewals are not allowed by template"),
    ),
    (
        "max renewals before the cap",
        limits(max_renewals=1),
        active(renewal_count=1),
        ALICE,
        timedelta(hours=5),
        T0,
        (403, "maximum renewals (1) reached"),
    ),
    (
        "maxRenewals 0 allows none",
        limits(max_renewals=0),
        active(),
        ALICE,
        FIVE,
        T0,
        (403, "maximum renewals (0) reached"),
    ),
    (
        "DESIGN 12: the cap names the latest possible expiry",
        limits(),
        active(),
        ALICE,
        timedelta(hours=3, minutes=1),
        T0,
        (403, "extension would exceed maximum duration of 4h (latest possible expiry: 2026-11-26T16:00:00Z)"),
    ),
    ("DESIGN 6: up to the cap exactly", limits(), active(), ALICE, timedelta(hours=3), T0, None),
    ("DESIGN 14: notify-only past expiresAt renews", notify_only(), active(), ALICE, FIVE, AFTER_EXPIRY, None),
]


@pytest.mark.parametrize(
    ("session", "status", "actor", "extend_by", "now", "expected"), [pytest.param(*c[1:], id=c[0]) for c in RENEW]
)
def test_renew_order(
    session: ResolvedSession,
    status: SessionStatus,
    actor: Actor,
    extend_by: timedelta,
    now: datetime,
    expected: tuple[int, str] | None,
) -> None:
    assert outcome(policy.check_renew(session, status, actor, extend_by, now)) == expected


# --- terminate (docs/behaviour/lifecycle.md#terminate; DESIGN 4, 14, 15) ----------------------------------

ADMIN = Actor(username="ops", groups=("platform-admins",), admin=True)
TERMINATE = [
    (
        "DESIGN 4: authorization before state (owner or admin)",
        st(state=SessionState.TERMINATED),
        LEAD,
        T0,
        (403, "only the session owner or an admin can terminate"),
    ),
    (
        "authorization before expiry",
        active(),
        STRANGER,
        AFTER_EXPIRY,
        (403, "only the session owner or an admin can terminate"),
    ),
    (
        "exact username: the requester's e-mail as username is not the owner",
        active(),
        Actor(username="sam@example.com"),
        T0,
        (403, "only the session owner or an admin can terminate"),
    ),
    (
        "terminal state before expiry",
        active(state=SessionState.EXPIRED),
        ALICE,
        AFTER_EXPIRY,
        (400, "session is already in terminal state 'Expired'"),
    ),
    (
        "an admin meets the terminal state too",
        st(state=SessionState.FAILED),
        ADMIN,
        T0,
        (400, "session is already in terminal state 'Failed'"),
    ),
    ("expired", active(), ALICE, AFTER_EXPIRY, (400, "cannot terminate expired session")),
    ("DESIGN 4: the requester withdraws a pending request", st(state=SessionState.PENDING_APPROVAL), ALICE, T0, None),
    ("DESIGN 4: an admin terminates a pending request", st(state=SessionState.PENDING_APPROVAL), ADMIN, T0, None),
    ("DESIGN 14: notify-only past expiresAt", active(), ALICE, AFTER_EXPIRY, "notify-only"),
]


@pytest.mark.parametrize(("status", "actor", "now", "expected"), [pytest.param(*c[1:], id=c[0]) for c in TERMINATE])
def test_terminate_order(status: SessionStatus, actor: Actor, now: datetime, expected: Any) -> None:
    session = notify_only() if expected == "notify-only" else approval_session()
    want = None if expected == "notify-only" else expected
    assert outcome(policy.check_terminate(session, status, actor, now)) == want


@pytest.mark.parametrize(
    ("state", "actor", "message"),
    [
        pytest.param(SessionState.PENDING_APPROVAL, ALICE, "Withdrawn by sam", id="DESIGN 15: withdraw"),
        pytest.param(SessionState.PENDING, ALICE, "Withdrawn by sam", id="DESIGN 15: withdraw while Pending"),
        pytest.param(SessionState.ACTIVE, ALICE, "Terminated by sam", id="the owner"),
        pytest.param(SessionState.ACTIVE, ADMIN, "Terminated by ops (admin)", id="DESIGN 15: an admin"),
        pytest.param(
            SessionState.PENDING_APPROVAL, ADMIN, "Terminated by ops (admin)", id="DESIGN 15: an admin, pending"
        ),
    ],
)
def test_termination_messages(state: SessionState, actor: Actor, message: str) -> None:
    assert policy.termination_message(approval_session(), st(state=state), actor) == message


# --- approve / reject (docs/behaviour/lifecycle.md#approve-and-reject) ------------------------------------

PENDING = st(state=SessionState.PENDING_APPROVAL)
DECIDED = st(state=SessionState.PENDING_APPROVAL, approval=ApprovalRecord(approved_by="lena", approved_at=T0))
REQUESTER_IN_GROUP = ALICE.model_copy(update={"groups": ("sre-leads",)})
REQUESTER_BY_EMAIL = Actor(username="samuel", email="SAM@example.com", groups=("sre-leads",))
MANDATORY = approval_session(approval_reason=ApprovalReasonConfig.model_validate({"mandatory": True, "minLength": 10}))
DECIDE = [
    (
        "state before authorization",
        approval_session(),
        st(state=SessionState.ACTIVE),
        STRANGER,
        "",
        T0,
        False,
        (400, "session is not pending approval (state: Active)"),
    ),
    (
        "state before authorization (reject)",
        approval_session(),
        st(state=SessionState.FAILED),
        STRANGER,
        "",
        T0,
        True,
        (400, "session is not pending approval (state: Failed)"),
    ),
    (
        "the requester is blocked even in an approver group, before already-decided",
        approval_session(),
        DECIDED,
        REQUESTER_IN_GROUP,
        "",
        T0,
        False,
        (403, "user is not authorized to approve this session"),
    ),
    (
        "the requester by e-mail is blocked",
        approval_session(),
        PENDING,
        REQUESTER_BY_EMAIL,
        "",
        T0,
        True,
        (403, "user is not authorized to reject this session"),
    ),
    (
        "an admin is no approver",
        approval_session(),
        PENDING,
        ADMIN,
        "",
        T0,
        False,
        (403, "user is not authorized to approve this session"),
    ),
    (
        "authorization before timeout",
        approval_session(),
        PENDING,
        STRANGER,
        "",
        T0 + DAY,
        False,
        (403, "user is not authorized to approve this session"),
    ),
    (
        "already decided before timeout",
        approval_session(),
        DECIDED,
        LEAD,
        "",
        T0 + DAY,
        False,
        (409, "debug session approval has already been decided"),
    ),
    ("timeout before reason", MANDATORY, PENDING, LEAD, "", T0 + DAY, False, (409, "Approval timed out after 24h0m0s")),
    ("mandatory reason", MANDATORY, PENDING, LEAD, " ", T0, False, (400, "missing required approval reason")),
    ("reason length", MANDATORY, PENDING, LEAD, "short", T0, True, (400, "reason must be at least 10 characters")),
    (
        "rejection reason (mandatoryForRejection defaults on)",
        approval_session(approval_reason=ApprovalReasonConfig()),
        PENDING,
        LEAD,
        "",
        T0,
        True,
        (400, "missing required rejection reason"),
    ),
]


@pytest.mark.parametrize(
    ("session", "status", "actor", "reason", "now", "rejecting", "expected"),
    [pytest.param(*c[1:], id=c[0]) for c in DECIDE],
)
def test_decision_order(
    session: ResolvedSession,
    status: SessionStatus,
    actor: Actor,
    reason: str,
    now: datetime,
    rejecting: bool,
    expected: tuple[int, str] | None,
) -> None:
    denied = policy.check_decision(session, status, actor, reason, now, rejecting=rejecting, timeout=DAY)
    assert outcome(denied) == expected


# --- invite (ours: the owner invites later participants, DESIGN 5) ---------------------------------------

INVITE = [
    (
        "ownership before state",
        st(state=SessionState.TERMINATED),
        STRANGER,
        ("x",),
        (403, "only the session owner can invite participants"),
    ),
    ("an admin is not the owner", active(), ADMIN, ("x",), (403, "only the session owner can invite participants")),
    (
        "state before users",
        st(state=SessionState.EXPIRED),
        ALICE,
        (),
        (400, "session is already in terminal state 'Expired'"),
    ),
    ("no users", active(), ALICE, (), (400, "users must name at least one user, and no empty names")),
    ("an empty name", active(), ALICE, ("a", " "), (400, "users must name at least one user, and no empty names")),
    ("pending sessions take invitations", st(state=SessionState.PENDING_APPROVAL), ALICE, ("a",), None),
]


@pytest.mark.parametrize(("status", "actor", "users", "expected"), [pytest.param(*c[1:], id=c[0]) for c in INVITE])
def test_invite_order(
    status: SessionStatus, actor: Actor, users: tuple[str, ...], expected: tuple[int, str] | None
) -> None:
    assert outcome(policy.check_invite(status, approval_session(), actor, users)) == expected
