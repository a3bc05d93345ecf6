"""Worker composition root: settings → Temporal client → activities → Worker.

Run: `python worker.py` (environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DEBUG_SESSION_TASK_QUEUE).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from datetime import timedelta
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.session import ActivitySettings, SessionActivities
from activities.sweeper import OrphanSweeper
from domain.durations import parse_duration
from temporal_setup import ensure_search_attributes
from workflows.models import TASK_QUEUE, SweepInput
from workflows.session import DebugSessionWorkflow
from workflows.sweeper import SWEEPER_SCHEDULE_ID, OrphanSweeperWorkflow

log = logging.getLogger("debug_sessions.worker")


class WorkerSettings(BaseSettings):
    """Temporal connection (Temporal's own variable names) and worker sizing."""

    model_config = SettingsConfigDict(extra="ignore")

    temporal_address: str = Field(default="localhost:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    task_queue: str = Field(default=TASK_QUEUE, validation_alias=AliasChoices("DEBUG_SESSION_TASK_QUEUE"))
    max_activity_threads: int = Field(default=32, validation_alias=AliasChoices("DEBUG_SESSION_ACTIVITY_THREADS"))
    catalog_dir: Path = Field(
        default=Path("deploy/demo-catalog"), validation_alias=AliasChoices("DEBUG_SESSION_CATALOG_DIR")
    )
    sweep_interval: str = Field(default="10m", validation_alias=AliasChoices("DEBUG_SESSION_SWEEP_INTERVAL"))
    sweep_min_age: str = Field(default="5m", validation_alias=AliasChoices("DEBUG_SESSION_SWEEP_MIN_AGE"))


async def connect(settings: WorkerSettings) -> Client:
    """A client with the pydantic data converter (every client of this system uses it)."""
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=pydantic_data_converter
    )


# The sandbox re-imports every module a workflow uses for each new workflow run. Our pure model and
# policy modules (and the libraries they use) are deterministic and side-effect free at import, so they
# are passed through: measured, this is most of the worker's CPU per session otherwise.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "domain",
        "workflows.models",
        "workflows.policy",
        "workflows.search_attributes",
        "pydantic",
        "pydantic_core",
        "annotated_types",
        "yaml",
    )
)


def build_worker(
    client: Client,
    task_queue: str,
    activities: SessionActivities,
    executor: concurrent.futures.Executor,
    sweeper: OrphanSweeper | None = None,
) -> Worker:
    """The session worker: the workflows plus the cluster activities (sync ones in the thread pool)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[DebugSessionWorkflow, OrphanSweeperWorkflow],
        workflow_runner=SANDBOX,
        activities=[*activities.all(), *([sweeper.sweep] if sweeper is not None else [])],
        activity_executor=executor,
        max_concurrent_activities=getattr(executor, "_max_workers", 32),
    )


async def ensure_sweeper_schedule(client: Client, task_queue: str, every: timedelta, min_age: timedelta) -> bool:
    """Create the orphan-sweeper schedule unless it exists. True when created."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            OrphanSweeperWorkflow.run,
            SweepInput(min_age=min_age),
            id=f"{SWEEPER_SCHEDULE_ID}-run",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(SWEEPER_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True


async def main() -> None:
    """Connect, register search attributes, run until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = WorkerSettings()
    client = await connect(settings)
    added = await ensure_search_attributes(client, settings.temporal_namespace)
    if added:
        log.info("registered search attributes: %s", ", ".join(added))
    activities = SessionActivities(ActivitySettings())
    sweeper = OrphanSweeper(client, settings.catalog_dir, activities)
    if await ensure_sweeper_schedule(
        client, settings.task_queue, parse_duration(settings.sweep_interval), parse_duration(settings.sweep_min_age)
    ):
        log.info("created schedule %s (every %s)", SWEEPER_SCHEDULE_ID, settings.sweep_interval)
    with concurrent.futures.ThreadPoolExecutor(max_workers=settings.max_activity_threads) as executor:
        worker = build_worker(client, settings.task_queue, activities, executor, sweeper)
        log.info("worker on %s, task queue %s", settings.temporal_address, settings.task_queue)
        try:
            await worker.run()
        finally:
            activities.close()


if __name__ == "__main__":
    asyncio.run(main())
