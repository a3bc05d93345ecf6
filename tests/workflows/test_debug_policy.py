"""The preamble of kubectl-debug operations (docs/behaviour/lifecycle.md#kubectl-debug-preamble, with DESIGN 5
and 14) as a table, in check order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.resolution.resolved import ResolvedSession
from tests.workflows.test_policy import T0, active, st
from tests.workflows.test_session_workflow import ALICE, auto_session, snapshot
from workflows import policy
from workflows.models import Actor, ParticipantRecord, SessionState, SessionStatus

PAT, VIC, EVE = Actor(username="pat"), Actor(username="vic"), Actor(username="eve")
PEOPLE = (
    ParticipantRecord(user="sam", role="owner", joined_at=T0),
    ParticipantRecord(user="pat", role="participant", joined_at=T0),
    ParticipantRecord(user="vic", role="viewer", joined_at=T0),
    ParticipantRecord(user="lee", role="participant", joined_at=T0, left_at=T0 + timedelta(minutes=5)),
)
HYBRID = auto_session()
NOTIFY_ONLY = HYBRID.model_copy(
    update={"template": HYBRID.template.model_copy(update={"expiration_behavior": "notify-only"})}
)
LATE = T0 + timedelta(hours=1, minutes=1)

CASES = [
    ("owner", HYBRID, active(participants=PEOPLE), ALICE, T0, None),
    ("participant", HYBRID, active(participants=PEOPLE), PAT, T0, None),
    ("pending first", HYBRID, st(state=SessionState.PENDING_APPROVAL), EVE, T0,
     (400, "session is not active, current state: PendingApproval")),
    ("expired before the caller", HYBRID, active(participants=PEOPLE), EVE, LATE,
     (400, "cannot run kubectl-debug operation on expired session")),
    ("notify-only is live until the cap (DESIGN 14)", NOTIFY_ONLY, active(participants=PEOPLE), PAT, LATE, None),
    ("viewer (DESIGN 5)", HYBRID, active(participants=PEOPLE), VIC, T0,
     (403, "user is not allowed to modify debug resources for this session")),
    ("departed participant", HYBRID, active(participants=PEOPLE), Actor(username="lee"), T0,
     (403, "user is not allowed to modify debug resources for this session")),
    ("stranger before mode", snapshot("minimal-debug"), active(participants=PEOPLE), EVE, T0,
     (403, "user is not allowed to modify debug resources for this session")),
    ("workload mode", snapshot("minimal-debug"), active(participants=PEOPLE), Actor(username="dave"), T0,
     (400, "session template does not support kubectl-debug mode")),
    ("kubectl-debug mode", snapshot("ephemeral-debug"), active(), Actor(username="dave"), T0, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("session", "status", "actor", "now", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_debug_operation_preamble(
    session: ResolvedSession, status: SessionStatus, actor: Actor, now: datetime, expected: tuple[int, str] | None
) -> None:
    denied = policy.check_debug_operation(session, status, actor, now)
    assert (None if denied is None else (denied.status, denied.message)) == expected


def test_live_until() -> None:
    s = active()
    assert policy.live_until(HYBRID, s) == s.expires_at
    assert policy.live_until(NOTIFY_ONLY, s) == T0 + HYBRID.constraints.max
    assert policy.live_until(HYBRID, st()) is None
