"""Session limits (docs/behaviour/resolution.md#session-limits) that hold across any number of API replicas.

Open sessions are counted from Temporal visibility, which lists a new session only a moment after it
started. Admission for a template is therefore serialised through Temporal, not process memory: every
replica takes the template's lock workflow (workflows/admission.py) to count and start, and gets back the
sessions started under the lock lately, which it counts until visibility lists them.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from workflows.admission import AdmissionLockWorkflow, lock_id
from workflows.models import AdmissionLockState, RecentStart, ReleaseInput


@dataclass
class Held:
    """The lock as its holder sees it: recent starts to count, and what it started itself."""

    recent: tuple[RecentStart, ...]
    started: RecentStart | None = None


@dataclass
class AdmissionGuard:
    """`async with guard.held(template) as held: count (with held.recent), start, held.started = …`."""

    client: Client
    task_queue: str
    _handles: dict[str, WorkflowHandle[AdmissionLockWorkflow, None]] = field(default_factory=dict)
    _local: dict[str, asyncio.Lock] = field(default_factory=dict)
    """Creates of one template queue here first, so that each replica has at most one acquire in flight on
    the lock workflow: a burst of concurrent Updates on one workflow made its tasks thrash ("workflow task
    not found" on completion) and admission collapsed to one create per lease (bench/scale.py, 16 at once)."""

    async def _lock(self, template: str) -> WorkflowHandle[AdmissionLockWorkflow, None]:
        handle = self._handles.get(template)
        if handle is None:
            await self.client.start_workflow(  # once per process and template: it runs on (continue-as-new)
                AdmissionLockWorkflow.run,
                AdmissionLockState(),
                id=lock_id(self.task_queue, template),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            # Not the handle start_workflow returns: that one is pinned to today's run.
            handle = self.client.get_workflow_handle_for(AdmissionLockWorkflow.run, lock_id(self.task_queue, template))
            self._handles[template] = handle
        return handle

    @contextlib.asynccontextmanager
    async def held(self, template: str) -> AsyncIterator[Held]:
        """Hold the template's admission lock for the block (released however the block ends)."""
        async with self._local.setdefault(template, asyncio.Lock()), self._held(template) as held:
            yield held

    @contextlib.asynccontextmanager
    async def _held(self, template: str) -> AsyncIterator[Held]:
        holder = uuid.uuid4().hex
        handle = await self._lock(template)
        try:
            state = await handle.execute_update(AdmissionLockWorkflow.acquire, holder)
        except BaseException:
            # Gave up waiting (request deadline) or the call failed: leave the queue, never hold it later.
            self._handles.pop(template, None)  # (re)started on the next create if it was gone
            await _quietly(handle.execute_update(AdmissionLockWorkflow.release, ReleaseInput(holder=holder)))
            raise
        if not state.granted:
            raise RuntimeError("admission lock withdrawn before it was granted")
        held = Held(recent=state.recent)
        try:
            yield held
        finally:
            release = ReleaseInput(holder=holder, started=held.started)
            await _quietly(handle.execute_update(AdmissionLockWorkflow.release, release))


async def _quietly(call: Awaitable[object]) -> None:
    """Run a release even while the request is being cancelled; its failure only costs the lease (10 s)."""
    task = asyncio.ensure_future(call)
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.shield(task)
