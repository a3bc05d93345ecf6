"""DebugSessionWorkflow on the time-skipping server: every transition, action rule and cleanup path."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import CancelledError

from domain.resolution.resolved import ResolvedSession
from domain.session import AuxiliaryResourceStatus
from tests.conftest import REPO
from tests.workflows.conftest import Harness
from workflows import refusals
from workflows.models import (
    Actor,
    ApproveInput,
    InviteInput,
    JoinInput,
    LeaveInput,
    RejectInput,
    RenewInput,
    SessionState,
    SessionStatus,
    SessionWorkflowInput,
    TerminateInput,
    WorkflowSettings,
)
from workflows.session import DebugSessionWorkflow

ALICE = Actor(username="sam", email="sam@example.com", groups=("sre-team",))  # the requester of the snapshots
LEAD = Actor(username="lena", groups=("sre-leads",))
STRANGER = Actor(username="eve", groups=("x",))
SETTINGS = WorkflowSettings(upsert_search_attributes=False, safety_check_interval=timedelta(minutes=5))


def snapshot(name: str, **changes: Any) -> ResolvedSession:
    data = json.loads((REPO / "tests" / "golden" / "resolution" / f"{name}.json").read_text())["session"]
    session = ResolvedSession.model_validate(data)
    return session.model_copy(update=changes) if changes else session


def approval_session(**changes: Any) -> ResolvedSession:
    """network-debug on production-eu: approval by sre-leads required, 1h default duration, max 4h, 2 renewals."""
    return snapshot("network-debug", **changes)


def auto_session(**changes: Any) -> ResolvedSession:
    """hybrid-debug on dev-1: auto-approved, 1h."""
    return snapshot("hybrid-debug", **changes)


async def start(
    h: Harness, session: ResolvedSession, settings: WorkflowSettings = SETTINGS
) -> WorkflowHandle[Any, Any]:
    # The session is created "now" on the test server's clock, which time skipping moves ahead of real time.
    session = session.model_copy(update={"created_at": await h.env.get_current_time()})
    return await h.client.start_workflow(
        DebugSessionWorkflow.run,
        SessionWorkflowInput(session=session, settings=settings),
        id=f"{session.name}-{uuid.uuid4().hex[:6]}",
        task_queue=h.task_queue,
    )


async def status(handle: WorkflowHandle[Any, Any]) -> SessionStatus:
    result: SessionStatus = await handle.query(DebugSessionWorkflow.status)
    return result


async def until(h: Harness, handle: WorkflowHandle[Any, Any], state: SessionState, limit: int = 50) -> SessionStatus:
    """Let (skipped) time pass in small steps until the session reaches `state`."""
    for _ in range(limit):
        s = await status(handle)
        if s.state is state:
            return s
        await h.env.sleep(timedelta(seconds=1))
    raise AssertionError(f"never reached {state}; last {s.state} {s.message}")


async def refused(call: Any) -> tuple[int, str]:
    """(status, message) of the refusal an Update answered with."""
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await call
    refusal = refusals.from_error(info.value.cause)
    assert refusal is not None, info.value.cause
    return refusal.status, refusal.message


async def test_auto_approved_session_runs_and_expires_with_cleanup(harness: Harness) -> None:
    session = auto_session()
    handle = await start(harness, session)
    s = await until(harness, handle, SessionState.ACTIVE)
    assert s.message == "Debug session active"
    assert s.starts_at is not None
    assert s.expires_at == s.starts_at + timedelta(hours=1)
    assert [p.role for p in s.participants] == ["owner"]
    assert s.allowed_pods[0].name == "pod-1"
    final: SessionStatus = await handle.result()  # time skips to expiry
    assert (final.state, final.message) == (SessionState.EXPIRED, "Session expired")
    assert final.cleaned_up
    assert final.allowed_pods == ()
    (cleanup,) = harness.cluster.cleaned
    assert [r.kind for r in cleanup.deployed_resources] == ["Deployment"]
    assert harness.cluster.events() == ["activated", "expiring-soon", "expired", "cleaned-up"]


async def test_manual_approval_path(harness: Harness) -> None:
    handle = await start(harness, approval_session())
    s = await until(harness, handle, SessionState.PENDING_APPROVAL)
    assert (s.message, s.approval.required) == ("Waiting for approval", True)
    assert harness.cluster.deployed == []
    # the requester is blocked even if in an approver group; a stranger is not an approver
    requester_as_lead = ALICE.model_copy(update={"groups": ("sre-leads",)})
    assert await refused(
        handle.execute_update(DebugSessionWorkflow.approve, ApproveInput(actor=requester_as_lead))
    ) == (
        403,
        "user is not authorized to approve this session",
    )
    assert await refused(handle.execute_update(DebugSessionWorkflow.approve, ApproveInput(actor=STRANGER))) == (
        403,
        "user is not authorized to approve this session",
    )
    approved: SessionStatus = await handle.execute_update(
        DebugSessionWorkflow.approve, ApproveInput(actor=LEAD, reason="ok")
    )
    assert approved.approval.approved_by == "lena"
    assert approved.state is SessionState.PENDING_APPROVAL  # activation follows the deployment
    s = await until(harness, handle, SessionState.ACTIVE)
    assert harness.cluster.deployed[0].approved_by == "lena"
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (SessionState.TERMINATED, "Terminated by sam")
    assert len(harness.cluster.cleaned) == 1
    # every event of the session is announced once, in order, with who caused it
    announced = [(n.event.type, n.event.actor, n.state) for n in harness.cluster.notified]
    assert announced == [
        ("approval-requested", "", SessionState.PENDING_APPROVAL),
        ("approved", "lena", SessionState.PENDING_APPROVAL),
        ("activated", "", SessionState.ACTIVE),
        ("terminated", "sam", SessionState.TERMINATED),
        ("cleaned-up", "", SessionState.TERMINATED),
    ]
    activated = harness.cluster.notified[2]
    assert activated.starts_at == s.starts_at
    assert activated.approval is not None
    assert activated.approval.approved_by == "lena"


async def test_approved_then_withdrawn_before_deploying_still_notifies(harness: Harness) -> None:
    handle = await start(harness, approval_session())
    await until(harness, handle, SessionState.PENDING_APPROVAL)
    harness.cluster.deploy_error = "cluster unreachable"  # the deploy fails: the held notice is still sent
    await handle.execute_update(DebugSessionWorkflow.approve, ApproveInput(actor=LEAD, reason="ok"))
    final: SessionStatus = await handle.result()
    assert final.state is SessionState.FAILED
    assert harness.cluster.events() == ["approval-requested", "approved", "deploy-failed", "cleaned-up"]


async def test_reject_ends_failed_without_deploying(harness: Harness) -> None:
    handle = await start(harness, approval_session())
    await until(harness, handle, SessionState.PENDING_APPROVAL)
    await handle.execute_update(DebugSessionWorkflow.reject, RejectInput(actor=LEAD, reason="not during the freeze"))
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (SessionState.FAILED, "Rejected by lena: not during the freeze")
    assert final.approval.rejected_by == "lena"
    assert harness.cluster.deployed == []
    assert harness.cluster.cleaned == []
    assert harness.cluster.events() == ["approval-requested", "rejected"]


async def test_a_delivery_that_fails_is_retried_without_holding_the_session(harness: Harness) -> None:
    # the mail server refuses the first 4 attempts: the session activates, is terminated and cleaned up
    # meanwhile, and the mail still goes out (once) before the run ends
    harness.cluster.deliveries = {"approval-requested": ("mail:approvers:approval-requested", "chat:0")}
    harness.cluster.deliveries_failing = 4
    handle = await start(harness, approval_session())
    await until(harness, handle, SessionState.PENDING_APPROVAL)
    await handle.execute_update(DebugSessionWorkflow.approve, ApproveInput(actor=LEAD, reason="ok"))
    await until(harness, handle, SessionState.ACTIVE)
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    final: SessionStatus = await handle.result()
    assert final.state is SessionState.TERMINATED
    assert sorted(harness.cluster.delivered) == ["chat:0", "mail:approvers:approval-requested"]
    assert len(harness.cluster.delivery_attempts) == 6  # 4 refused, then each delivered once


async def test_a_delivery_in_flight_never_delays_expiry_nor_is_abandoned_by_continue_as_new(harness: Harness) -> None:
    # A tiny step budget asks for continue-as-new at every wake, while the activation mail keeps failing
    # for longer than the session lasts (~70 attempts, backoff capped at 60 s): the session still expires
    # on time, continue-as-new waits until nothing is in flight, and the mail is delivered once.
    harness.cluster.deliveries = {"activated": ("mail:requester:activated",)}
    harness.cluster.deliveries_failing = 70
    settings = SETTINGS.model_copy(update={"continue_as_new_after_steps": 1})
    handle = await start(harness, auto_session(), settings)
    final: SessionStatus = await handle.result()
    assert final.state is SessionState.EXPIRED
    assert final.starts_at is not None
    (expired,) = [e for e in final.events if e.type == "expired"]
    assert expired.at - final.starts_at < timedelta(hours=1, seconds=1)
    assert harness.cluster.delivered == ["mail:requester:activated"]
    assert harness.cluster.delivery_attempts.count("mail:requester:activated") == 71


async def test_approval_times_out(harness: Harness) -> None:
    handle = await start(
        harness, approval_session(), SETTINGS.model_copy(update={"approval_timeout": timedelta(hours=2)})
    )
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (SessionState.FAILED, "Approval timed out after 2h0m0s")
    assert harness.cluster.deployed == []


async def test_requester_withdraws_pending_request(harness: Harness) -> None:
    handle = await start(harness, approval_session())
    await until(harness, handle, SessionState.PENDING_APPROVAL)
    assert await refused(handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=STRANGER))) == (
        403,
        "only the session owner or an admin can terminate",
    )
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (SessionState.TERMINATED, "Withdrawn by sam")
    assert harness.cluster.deployed == []


async def test_admin_terminates_any_session(harness: Harness) -> None:
    handle = await start(harness, auto_session())
    await until(harness, handle, SessionState.ACTIVE)
    await handle.execute_update(
        DebugSessionWorkflow.terminate, TerminateInput(actor=STRANGER.model_copy(update={"admin": True}))
    )
    final: SessionStatus = await handle.result()
    assert final.message == "Terminated by eve (admin)"
    assert len(harness.cluster.cleaned) == 1


async def test_renewal_rules(harness: Harness) -> None:
    # network-debug: max 4h, 2 renewals (template); auto-approve it for this test
    session = approval_session()
    session = session.model_copy(update={"approval": session.approval.model_copy(update={"required": False})})
    handle = await start(harness, session)
    s = await until(harness, handle, SessionState.ACTIVE)
    assert s.expires_at is not None
    assert s.starts_at is not None
    first = await handle.execute_update(
        DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(hours=1))
    )
    assert first.new_expires_at == s.expires_at + timedelta(hours=1)
    assert first.renewal_count == 1
    assert await refused(
        handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=STRANGER, extend_by=timedelta(hours=1)))
    ) == (
        403,
        "only requester or active owner/participant roles can renew",
    )
    cap = (s.starts_at + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await refused(
        handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(hours=3)))
    ) == (
        403,
        f"extension would exceed maximum duration of 4h (latest possible expiry: {cap})",
    )
    assert await refused(
        handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(0)))
    ) == (
        400,
        "extension duration must be positive",
    )
    second = await handle.execute_update(
        DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(minutes=30))
    )
    assert second.renewal_count == 2
    assert await refused(
        handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(minutes=1)))
    ) == (
        403,
        "maximum renewals (2) reached",
    )
    final: SessionStatus = await handle.result()
    assert final.state is SessionState.EXPIRED
    assert final.expires_at == s.expires_at + timedelta(hours=1, minutes=30)
    # the grace warning fired for the final expiry only once per deadline
    assert harness.cluster.events().count("expiring-soon") == 1


async def test_join_and_leave(harness: Harness) -> None:
    handle = await start(harness, auto_session())  # invites peer@example.com
    await until(harness, handle, SessionState.ACTIVE)
    peer = Actor(username="peer", email="peer@example.com")
    assert await refused(handle.execute_update(DebugSessionWorkflow.join, JoinInput(actor=STRANGER))) == (
        403,
        "user is not invited to join this debug session",
    )
    joined = await handle.execute_update(DebugSessionWorkflow.join, JoinInput(actor=peer, role="participant"))
    assert (joined.message, joined.role) == ("successfully joined session", "participant")
    assert await refused(handle.execute_update(DebugSessionWorkflow.join, JoinInput(actor=peer))) == (
        409,
        "user already joined this session",
    )
    # a participant may renew; after leaving, not any more
    await handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=peer, extend_by=timedelta(minutes=10)))
    left = await handle.execute_update(DebugSessionWorkflow.leave, LeaveInput(actor=peer))
    assert left.message == "successfully left session"
    assert await refused(
        handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=peer, extend_by=timedelta(minutes=10)))
    ) == (
        403,
        "only requester or active owner/participant roles can renew",
    )
    assert await refused(handle.execute_update(DebugSessionWorkflow.leave, LeaveInput(actor=ALICE))) == (
        403,
        "session owner cannot leave; use terminate instead",
    )
    assert await refused(handle.execute_update(DebugSessionWorkflow.leave, LeaveInput(actor=STRANGER))) == (
        404,
        "user is not a participant in this session",
    )
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    await handle.result()


async def test_notify_only_stays_active_until_the_hard_cap(harness: Harness) -> None:
    session = auto_session()
    template = session.template.model_copy(update={"expiration_behavior": "notify-only"})
    handle = await start(harness, session.model_copy(update={"template": template}))
    s = await until(harness, handle, SessionState.ACTIVE)
    assert s.starts_at is not None
    await harness.env.sleep(timedelta(hours=1, minutes=5))
    s = await status(handle)
    assert (s.state, s.message) == (SessionState.ACTIVE, "Session expired (notify-only)")
    # still live: a renewal works past expiresAt (DESIGN decision 14)
    await handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(minutes=30)))
    final: SessionStatus = await handle.result()
    assert final.state is SessionState.EXPIRED
    history = [e.type for e in final.events]
    assert "expired-notify-only" in history


async def test_deploy_failure_fails_and_cleans_up_what_was_created(harness: Harness) -> None:
    harness.cluster.deploy_error = "namespace 'x' does not exist on cluster 'dev-1'"
    handle = await start(harness, auto_session())
    final: SessionStatus = await handle.result()
    assert (final.state, final.message) == (
        SessionState.FAILED,
        "failed to deploy resources: namespace 'x' does not exist on cluster 'dev-1'",
    )
    (cleanup,) = harness.cluster.cleaned
    assert [r.kind for r in cleanup.deployed_resources] == ["Deployment"]


async def test_cancellation_cleans_up(harness: Harness) -> None:
    handle = await start(harness, auto_session())
    await until(harness, handle, SessionState.ACTIVE)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    assert len(harness.cluster.cleaned) == 1


async def test_operator_signals(harness: Harness) -> None:
    handle = await start(harness, approval_session())
    await until(harness, handle, SessionState.PENDING_APPROVAL)
    await handle.signal("approve", ApproveInput(actor=Actor(username="operator")))
    await until(harness, handle, SessionState.ACTIVE)
    await handle.signal("renew", RenewInput(actor=Actor(username="operator"), extend_by=timedelta(hours=9)))
    s = await status(handle)
    assert s.renewal_count == 0
    assert s.events[-1].message.startswith("renew signal refused: extension would exceed maximum duration of 4h")
    await handle.signal("terminate", TerminateInput(actor=Actor(username="operator")))
    final: SessionStatus = await handle.result()
    assert final.message == "Terminated by operator (admin)"


async def test_continue_as_new_carries_state(harness: Harness) -> None:
    settings = SETTINGS.model_copy(
        update={"safety_check_interval": timedelta(seconds=30), "continue_as_new_after_steps": 8}
    )
    handle = await start(harness, auto_session(), settings)
    s = await until(harness, handle, SessionState.ACTIVE)
    await handle.execute_update(DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(minutes=20)))
    await harness.env.sleep(timedelta(minutes=30))
    latest = harness.client.get_workflow_handle(handle.id)
    assert (await latest.describe()).run_id != handle.first_execution_run_id  # continued as new
    after = await status(latest)
    assert after.renewal_count == 1
    assert after.starts_at == s.starts_at
    assert after.participants == s.participants
    assert after.events[: len(s.events)] == s.events
    assert harness.cluster.refreshes > 10
    # (the time-skipping server does not follow continue-as-new chains in result(): query the last run)
    await harness.env.sleep(timedelta(hours=1))
    final = await status(harness.client.get_workflow_handle(handle.id))
    assert final.state is SessionState.EXPIRED
    assert final.cleaned_up
    assert final.expires_at == (s.expires_at or s.created_at) + timedelta(minutes=20)


async def test_owner_invites_then_the_invitee_joins(harness: Harness) -> None:
    handle = await start(harness, auto_session(invited_participants=()))
    await until(harness, handle, SessionState.ACTIVE)
    newcomer = Actor(username="nina", email="nina@example.com")
    assert await refused(handle.execute_update(DebugSessionWorkflow.join, JoinInput(actor=newcomer))) == (
        403,
        "user is not invited to join this debug session",
    )
    assert await refused(
        handle.execute_update(DebugSessionWorkflow.invite, InviteInput(actor=STRANGER, users=("nina@example.com",)))
    ) == (
        403,
        "only the session owner can invite participants",
    )
    assert await refused(handle.execute_update(DebugSessionWorkflow.invite, InviteInput(actor=ALICE, users=()))) == (
        400,
        "users must name at least one user, and no empty names",
    )
    invited = await handle.execute_update(
        DebugSessionWorkflow.invite, InviteInput(actor=ALICE, users=("nina@example.com", "NINA@example.com"))
    )
    assert invited.status.invited == ("nina@example.com",)
    joined = await handle.execute_update(DebugSessionWorkflow.join, JoinInput(actor=newcomer, role="participant"))
    assert joined.role == "participant"
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    await handle.result()


async def test_cleanup_runs_even_when_a_failed_deploy_reported_nothing(harness: Harness) -> None:
    harness.cluster.deploy_error = "lost"
    harness.cluster.report_partial = False
    handle = await start(harness, auto_session())
    final: SessionStatus = await handle.result()
    assert final.state is SessionState.FAILED
    (cleanup,) = harness.cluster.cleaned  # the activity re-renders the plan and removes what it finds
    assert cleanup.deployed_resources == ()


async def test_refresh_keeps_auxiliary_readiness_current(harness: Harness) -> None:
    settings = SETTINGS.model_copy(update={"safety_check_interval": timedelta(seconds=3)})
    handle = await start(harness, auto_session(), settings)
    s = await until(harness, handle, SessionState.ACTIVE)
    assert s.auxiliary_resource_statuses == ()
    gone = AuxiliaryResourceStatus(name="config", created=True, readiness_status="Failed", error="the object is gone")
    harness.cluster.aux_on_refresh = (gone,)
    await harness.env.sleep(timedelta(seconds=4))
    assert (await status(handle)).auxiliary_resource_statuses == (gone,)
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
    await handle.result()
