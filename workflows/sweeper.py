"""OrphanSweeperWorkflow: run by a Temporal Schedule, it asks the sweeper activity to remove labelled
objects whose session workflow is closed or unknown (defence in depth behind per-session cleanup)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.models import SWEEP_ACTIVITY, SweepInput, SweepResult

SWEEPER_SCHEDULE_ID = "debug-session-orphan-sweeper"


@workflow.defn(name="OrphanSweeperWorkflow")
class OrphanSweeperWorkflow:
    """One sweep over every cluster of the catalog."""

    @workflow.run
    async def run(self, input: SweepInput) -> SweepResult:
        """Sweep once; the schedule starts the next run."""
        result: SweepResult = await workflow.execute_activity(
            SWEEP_ACTIVITY,
            input,
            result_type=SweepResult,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        return result
