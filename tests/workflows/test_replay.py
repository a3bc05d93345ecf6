"""Replay of a recorded history: a workflow code change that breaks running sessions fails here.

The history was recorded from a real run on the time-skipping server (manual approval, renew, join,
terminate, cleanup). Re-record it only for a deliberate change. Once sessions run in the wild such a change
is `workflow.patched()`-guarded; before the first release, patches are folded in and the history re-recorded:
UPDATE_GOLDEN=1 .venv/bin/pytest tests/workflows/test_replay.py
"""

from __future__ import annotations

import os
from datetime import timedelta

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import REPO
from tests.workflows.conftest import Harness
from tests.workflows.test_session_workflow import ALICE, LEAD, approval_session, start, until
from workflows.models import Actor, ApproveInput, JoinInput, RenewInput, SessionState, TerminateInput
from workflows.session import DebugSessionWorkflow

RECORDED = REPO / "tests" / "golden" / "histories" / "manual-approval-renew-join-terminate.json"


async def test_recorded_history_replays(harness: Harness) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
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
        RECORDED.write_text((await handle.fetch_history()).to_json())
    assert RECORDED.exists(), "no recorded history; record one with UPDATE_GOLDEN=1"
    history = WorkflowHistory.from_json("recorded-session", RECORDED.read_text())
    replayer = Replayer(workflows=[DebugSessionWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
