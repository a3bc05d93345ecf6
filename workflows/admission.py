"""AdmissionLockWorkflow: session limits (docs/behaviour/resolution.md#session-limits) across API replicas.

Open sessions are counted from Temporal visibility, which lists a new session only a moment after it
started; two creates at the same instant could both see room for the last place. One lock workflow per
template (workflow ID `admission:<task queue>:<template>`) serialises admission for every API replica alike: an API
`acquire`s (an Update that returns when it is its turn, FIFO), counts, starts the session, and `release`s
with what it started. The lock remembers the last starts so that the next holder counts them even before
visibility lists them (the API drops those visibility already shows). A holder that dies between acquire
and release loses the lock after `LEASE` (a timer: the decision is the timer's, never the clock's).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.models import AdmissionLockState, ReleaseInput

LEASE = timedelta(seconds=6)
"""How long a holder may keep the lock; an API request itself is cut at 5 s (DEBUG_SESSION_REQUEST_TIMEOUT)."""
FORGET_WITHDRAWN_AFTER = 200
"""Withdrawn holders remembered (a withdrawal can overtake its own acquire; see `release`)."""
REMEMBERED = 100
"""Starts kept for the next holders (visibility lists a start within a second; a create takes ~0.1 s)."""
CONTINUE_AS_NEW_AFTER = 500
"""Grants per run (each writes a handful of events)."""


def lock_id(task_queue: str, template: str) -> str:
    """The lock workflow's ID for a template (per task queue: one deployment's sessions share a queue)."""
    return f"admission:{task_queue}:{template}"


@workflow.defn(name="AdmissionLockWorkflow")
class AdmissionLockWorkflow:
    """A FIFO lock with a lease, and the recent starts made under it."""

    @workflow.init
    def __init__(self, carried: AdmissionLockState) -> None:
        self._recent = list(carried.recent)
        self._queue: list[str] = []
        self._holder: str | None = None
        self._grants = 0
        self._withdrawn: list[str] = []

    @workflow.run
    async def run(self, carried: AdmissionLockState) -> None:
        """Expire leases; continue as new when the run has granted enough (and nobody holds or waits)."""
        while True:
            await workflow.wait_condition(
                lambda: self._holder is not None or (self._grants >= CONTINUE_AS_NEW_AFTER and not self._queue)
            )
            if self._holder is None:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(AdmissionLockState(recent=tuple(self._recent)))
            await self._lease(self._grants)

    async def _lease(self, grant: int) -> None:
        """Wait for the holder of grant number `grant` to release; take the lock back after LEASE."""
        try:
            await workflow.wait_condition(lambda: self._holder is None or self._grants != grant, timeout=LEASE)
        except TimeoutError:
            workflow.logger.warning("admission lock: holder %s kept it past its lease; released", self._holder)
            self._holder = None

    @workflow.update
    async def acquire(self, holder: str) -> AdmissionLockState:
        """Wait for the lock (first come, first served); answer with the starts made under it lately."""
        if holder in self._withdrawn:  # its request gave up before this acquire even arrived
            return AdmissionLockState(granted=False)
        self._queue.append(holder)
        await workflow.wait_condition(
            lambda: holder not in self._queue or (self._holder is None and self._queue[0] == holder)
        )
        if holder not in self._queue:  # withdrawn while waiting (its request gave up)
            return AdmissionLockState(granted=False)
        self._queue.pop(0)
        self._holder = holder
        self._grants += 1
        return AdmissionLockState(recent=tuple(self._recent))

    @workflow.update
    def release(self, input: ReleaseInput) -> None:
        """Give the lock back (or withdraw from the queue), with the session started under it (if any)."""
        if input.holder in self._queue:
            self._queue.remove(input.holder)
        elif self._holder != input.holder and input.started is None:
            # A withdrawal that overtook its own acquire (both are Updates from a request that gave up):
            # remember it, or the acquire would be granted to nobody and hold everyone for a lease.
            self._withdrawn = [*self._withdrawn, input.holder][-FORGET_WITHDRAWN_AFTER:]
        if input.started is not None:
            self._recent = [*self._recent, input.started][-REMEMBERED:]
        if self._holder == input.holder:
            self._holder = None
