"""The benchmark floor: a trivial workflow calling N no-op activities (its own module, so the sandbox
imports nothing else)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="noop")
async def noop(_: str) -> str:
    """Nothing at all."""
    return "ok"


@workflow.defn(name="FloorWorkflow")
class FloorWorkflow:
    """The same activities as a session (2 regular, n local), doing nothing."""

    @workflow.run
    async def run(self, n: int) -> None:
        """A session's shape: one activity (deploy), n local ones (notifications), one activity (cleanup)."""
        await workflow.execute_activity("noop", "x", start_to_close_timeout=timedelta(seconds=30))
        for _ in range(n):
            await workflow.execute_local_activity("noop", "x", start_to_close_timeout=timedelta(seconds=30))
        await workflow.execute_activity("noop", "x", start_to_close_timeout=timedelta(seconds=30))
