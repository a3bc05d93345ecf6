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
    """The same number of activities as a session, doing nothing."""

    @workflow.run
    async def run(self, n: int) -> None:
        """Call `noop` n times, one after another (as a session's activities run)."""
        for _ in range(n):
            await workflow.execute_activity("noop", "x", start_to_close_timeout=timedelta(seconds=30))
