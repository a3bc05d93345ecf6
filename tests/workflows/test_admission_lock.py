"""The admission lock workflow on the time-skipping server: FIFO, recent starts, lease, withdrawal.

Each test terminates its lock at the end: a workflow left running (with no worker) on the shared
time-skipping server would keep it from skipping time for the tests that follow."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.admission import LEASE, AdmissionLockWorkflow
from workflows.models import AdmissionLockState, RecentStart, ReleaseInput


@contextlib.asynccontextmanager
async def lock_on(env: WorkflowEnvironment) -> AsyncIterator[Any]:
    """A lock workflow with its worker, terminated at the end."""
    queue = f"lock-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[AdmissionLockWorkflow]):
        lock = await env.client.start_workflow(
            AdmissionLockWorkflow.run, AdmissionLockState(), id=f"admission:{queue}", task_queue=queue
        )
        try:
            yield lock
        finally:
            await lock.terminate("test over")


async def test_holders_take_turns_and_see_what_was_started_before(env: WorkflowEnvironment) -> None:
    async with lock_on(env) as lock:
        first = await lock.execute_update(AdmissionLockWorkflow.acquire, "a")
        assert (first.granted, first.recent) == (True, ())
        second = asyncio.create_task(lock.execute_update(AdmissionLockWorkflow.acquire, "b"))
        await asyncio.sleep(0.3)
        assert not second.done()  # a holds the lock
        started = RecentStart(name="s1", binding="ns/b", requester="sam")
        await lock.execute_update(AdmissionLockWorkflow.release, ReleaseInput(holder="a", started=started))
        got = await second
        assert (got.granted, got.recent) == (True, (started,))
        await lock.execute_update(AdmissionLockWorkflow.release, ReleaseInput(holder="b"))


async def test_a_holder_that_never_releases_loses_the_lock_after_the_lease(env: WorkflowEnvironment) -> None:
    async with lock_on(env) as lock:
        await lock.execute_update(AdmissionLockWorkflow.acquire, "dead")
        waiting = asyncio.create_task(lock.execute_update(AdmissionLockWorkflow.acquire, "next"))
        await env.sleep(LEASE + timedelta(seconds=1))
        assert (await asyncio.wait_for(waiting, 10)).granted


async def test_a_waiter_that_gives_up_leaves_the_queue(env: WorkflowEnvironment) -> None:
    async with lock_on(env) as lock:
        await lock.execute_update(AdmissionLockWorkflow.acquire, "a")
        quitter = asyncio.create_task(lock.execute_update(AdmissionLockWorkflow.acquire, "quitter"))
        await asyncio.sleep(0.3)
        await lock.execute_update(AdmissionLockWorkflow.release, ReleaseInput(holder="quitter"))
        assert (await quitter).granted is False
        await lock.execute_update(AdmissionLockWorkflow.release, ReleaseInput(holder="a"))
        assert (await lock.execute_update(AdmissionLockWorkflow.acquire, "c")).granted


async def test_a_withdrawal_that_overtakes_its_acquire_is_never_granted(env: WorkflowEnvironment) -> None:
    """Under load a request can give up (and withdraw) before its acquire reached the lock: that acquire must
    not be granted to nobody (every other holder would wait out a lease: creates collapsed to 1 per 10 s)."""
    async with lock_on(env) as lock:
        await lock.execute_update(AdmissionLockWorkflow.release, ReleaseInput(holder="late"))
        assert (await lock.execute_update(AdmissionLockWorkflow.acquire, "late")).granted is False
        assert (await lock.execute_update(AdmissionLockWorkflow.acquire, "next")).granted
