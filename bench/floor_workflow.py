"""The benchmark floors: trivial workflows calling no-op activities (their own module, so the sandbox
imports nothing else)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

_TIMEOUT = timedelta(seconds=30)


@activity.defn(name="noop")
async def noop(_: str) -> str:
    """Nothing at all."""
    return "ok"


async def _shape(activities: int, local: int) -> None:
    """A session's shape: one activity (deploy), the local ones (notifications), the rest (cleanup)."""
    for i in range(activities):
        await workflow.execute_activity("noop", "x", start_to_close_timeout=_TIMEOUT)
        if i == 0:
            for _ in range(local):
                await workflow.execute_local_activity("noop", "x", start_to_close_timeout=_TIMEOUT)


@workflow.defn(name="FloorWorkflow")
class FloorWorkflow:
    """A session's activities (regular and local), doing nothing: the floor of issue 6."""

    @workflow.run
    async def run(self, activities: int, local: int) -> None:
        """The activities, one after the other."""
        await _shape(activities, local)


@workflow.defn(name="FloorWithActionsWorkflow")
class FloorWithActionsWorkflow:
    """The floor plus the user actions every session has, as Workflow Updates that do nothing else: an
    approval before the first activity (when `approval`), a terminate before the last one. With `up` and
    `down` naming activities that make a session's cluster calls (see bench/lifecycle.py), the first and the
    last activity do those calls instead of nothing. What remains between this and a session is the
    session's own work (state, search attributes, timers, rendering)."""

    def __init__(self) -> None:
        self.approved = False
        self.terminated = False

    @workflow.run
    async def run(
        self, activities: int, local: int, approval: bool, up: str = "noop", down: str = "noop", arg: str = "x"
    ) -> None:
        """Wait for the approval, run the first activity and the local ones, wait for terminate, go on."""
        if approval:
            await workflow.wait_condition(lambda: self.approved)
        await workflow.execute_activity(up, arg, start_to_close_timeout=_TIMEOUT)
        for _ in range(local):
            await workflow.execute_local_activity("noop", "x", start_to_close_timeout=_TIMEOUT)
        await workflow.wait_condition(lambda: self.terminated)
        for i in range(1, activities):
            last = i == activities - 1
            await workflow.execute_activity(down if last else "noop", arg, start_to_close_timeout=_TIMEOUT)

    @workflow.update
    async def approve(self) -> None:
        """Approve."""
        self.approved = True

    @workflow.update
    async def terminate(self) -> None:
        """Terminate."""
        self.terminated = True
