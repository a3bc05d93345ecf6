"""Replay of recorded histories: a workflow code change that breaks running sessions fails here.

`tests/golden/histories/<version>/` keeps histories of each workflow version that may have sessions in
flight; every one of them must replay on today's code, with the worker's own sandbox. The current version's
history is recorded from a real run on the time-skipping server (manual approval, renew, join, terminate,
cleanup, and deliveries, one of them retried). Once sessions run in the wild a change is
`workflow.patched()`-guarded and a new version directory is added beside the old ones; before the first
release, with no sessions in the wild, patches are folded in and the current history re-recorded (v1, the
3-second poll loop, was dropped with v2; v2, which sent some events to a 3-attempt local notifier, with v3,
which announces every event and delivers each mail, chat post and audit sink as its own retried activity;
a patch would also have cost every session a `TemporalChangeVersion` visibility write):
UPDATE_GOLDEN=1 .venv/bin/pytest tests/workflows/test_replay.py
The end-to-end fixtures replay every history their tests produce in the same way (tests/replay_support.py).
"""

from __future__ import annotations

import os
from datetime import timedelta

from temporalio.client import WorkflowHistory

from tests.conftest import REPO
from tests.replay_support import replay_histories
from tests.workflows.conftest import Harness
from tests.workflows.test_session_workflow import ALICE, LEAD, approval_session, start, until
from workflows.models import Actor, ApproveInput, JoinInput, RenewInput, SessionState, TerminateInput
from workflows.session import DebugSessionWorkflow

HISTORIES = REPO / "tests" / "golden" / "histories"
RECORDED = HISTORIES / "v3" / "manual-approval-renew-join-terminate.json"


async def test_recorded_history_replays(harness: Harness) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        # deliveries in the history too, one of them retried once (a mail server that was down)
        harness.cluster.deliveries = {
            "approval-requested": ("mail:approvers:approval-requested",),
            "terminated": ("mail:requester:terminated", "chat:0"),
        }
        harness.cluster.deliveries_failing = 1
        handle = await start(harness, approval_session(invited_participants=("peer@example.com",)))
        await until(harness, handle, SessionState.PENDING_APPROVAL)
        await handle.execute_update(DebugSessionWorkflow.approve, ApproveInput(actor=LEAD, reason="go ahead"))
        await until(harness, handle, SessionState.ACTIVE)
        await handle.execute_update(
            DebugSessionWorkflow.renew, RenewInput(actor=ALICE, extend_by=timedelta(minutes=30))
        )
        await handle.execute_update(
            DebugSessionWorkflow.join, JoinInput(actor=Actor(username="peer", email="peer@example.com"), role="viewer")
        )
        await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=ALICE))
        await handle.result()
        RECORDED.parent.mkdir(parents=True, exist_ok=True)
        RECORDED.write_text((await handle.fetch_history()).to_json())
    assert RECORDED.exists(), "no recorded history; record one with UPDATE_GOLDEN=1"
    recorded = sorted(HISTORIES.glob("v*/*.json"))
    histories = [WorkflowHistory.from_json(path.stem, path.read_text()) for path in recorded]
    assert await replay_histories(histories) == {}
