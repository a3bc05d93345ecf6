"""The workflow's action rules as plain tables (no server): decisions, renewals, termination, join, leave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.policy import ApprovalReasonConfig
from domain.refusal import Refusal
from domain.session_template import TerminalSharing
from tests.workflows.test_session_workflow import ALICE, LEAD, STRANGER, approval_session, auto_session
from workflows import policy
from workflows.models import Actor, ApprovalRecord, ParticipantRecord, SessionState, SessionStatus

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def st(**changes: Any) -> SessionStatus:
    return SessionStatus(name="s", created_at=T0).model_copy(update=changes)


def active(**changes: Any) -> SessionStatus:
    return st(**{"state": SessionState.ACTIVE, "starts_at": T0, "expires_at": T0 + timedelta(hours=1), **changes})


DECISIONS = [
    ("ok", st(state=SessionState.PENDING_APPROVAL), LEAD, "", T0, False, None),
    (
        "not pending",
        st(state=SessionState.ACTIVE),
        LEAD,
        "",
        T0,
        False,
        (400, "session is not pending approval (state: Active)"),
    ),
    (
        "requester blocked",
        st(state=SessionState.PENDING_APPROVAL),
        ALICE.model_copy(update={"groups": ("sre-leads",)}),
        "",
        T0,
        False,
        (403, "user is not authorized to approve this session"),
    ),
    (
        "not an approver (reject wording)",
        st(state=SessionState.PENDING_APPROVAL),
        STRANGER,
        "",
        T0,
        True,
        (403, "user is not authorized to reject this session"),
    ),
    (
        "already decided",
        st(state=SessionState.PENDING_APPROVAL, approval=ApprovalRecord(approved_at=T0)),
        LEAD,
        "",
        T0,
        False,
        (409, "debug session approval has already been decided"),
    ),
    (
        "timed out",
        st(state=SessionState.PENDING_APPROVAL),
        LEAD,
        "",
        T0 + DAY,
        False,
        (409, "Approval timed out after 24h0m0s"),
    ),
]


@pytest.mark.parametrize(
    ("status", "actor", "reason", "now", "rejecting", "expected"), [pytest.param(*c[1:], id=c[0]) for c in DECISIONS]
)
def test_decision_rules(
    status: SessionStatus, actor: Actor, reason: str, now: datetime, rejecting: bool, expected: tuple[int, str] | None
) -> None:
    denied = policy.check_decision(approval_session(), status, actor, reason, now, rejecting=rejecting, timeout=DAY)
    assert (None if denied is None else (denied.status, denied.message)) == expected


@pytest.mark.parametrize(
    ("config", "reason", "rejecting", "expected"),
    [
        ({"mandatory": True}, "", False, (400, "missing required approval reason")),
        ({}, "", True, (400, "missing required rejection reason")),  # mandatoryForRejection defaults to true
        ({"mandatoryForRejection": False}, "", True, None),
        ({}, "too short", True, (400, "reason must be at least 10 characters")),
        ({}, "a sufficiently long reason", True, None),
    ],
)
def test_decision_reason_rules(
    config: dict[str, Any], reason: str, rejecting: bool, expected: tuple[int, str] | None
) -> None:
    session = approval_session(approval_reason=ApprovalReasonConfig.model_validate(config))
    denied = policy.check_decision(
        session, st(state=SessionState.PENDING_APPROVAL), LEAD, reason, T0, rejecting=rejecting, timeout=DAY
    )
    assert (None if denied is None else (denied.status, denied.message)) == expected


def test_terminate_rules() -> None:
    s = auto_session()
    assert policy.check_terminate(s, active(), ALICE, T0) is None
    assert policy.check_terminate(s, active(), STRANGER, T0) == Refusal(
        403, "only the session owner or an admin can terminate"
    )
    assert policy.check_terminate(s, active(), STRANGER.model_copy(update={"admin": True}), T0) is None
    assert policy.check_terminate(s, active(state=SessionState.EXPIRED), ALICE, T0) == Refusal(
        400, "session is already in terminal state 'Expired'"
    )
    assert policy.check_terminate(s, active(), ALICE, T0 + timedelta(hours=2)) == Refusal(
        400, "cannot terminate expired session"
    )
    assert policy.termination_message(s, st(state=SessionState.PENDING), ALICE) == "Withdrawn by sam"


def test_join_counts_every_entry_against_max_participants() -> None:
    session = auto_session()
    template = session.template.model_copy(
        update={"terminal_sharing": TerminalSharing(enabled=True, max_participants=2)}
    )
    session = session.model_copy(update={"template": template})
    peer = Actor(username="peer", email="peer@example.com")
    owner = ParticipantRecord(user="sam", role="owner", joined_at=T0)
    gone = ParticipantRecord(user="old", role="viewer", joined_at=T0, left_at=T0)
    status = active(invited=("peer@example.com",), participants=(owner, gone))
    assert policy.check_join(session, status, peer, T0) == Refusal(403, "maximum participants reached")
    assert policy.check_join(session, active(invited=("PEER@example.com",), participants=(owner,)), peer, T0) is None
    assert policy.check_join(
        session, active(invited=(), participants=(owner,)), peer, T0 + timedelta(hours=2)
    ) == Refusal(400, "cannot join expired session")
