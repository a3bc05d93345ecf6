"""The benchmark floor: a trivial workflow calling no-op activities (its own module, so the sandbox
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
    """A session's activities (regular and local), doing nothing."""

    @workflow.run
    async def run(self, activities: int, local: int) -> None:
        """A session's shape: one activity (deploy), the local ones (notifications), the rest (cleanup)."""
        timeout = timedelta(seconds=30)
        for i in range(activities):
            await workflow.execute_activity("noop", "x", start_to_close_timeout=timeout)
            if i == 0:
                for _ in range(local):
                    await workflow.execute_local_activity("noop", "x", start_to_close_timeout=timeout)
