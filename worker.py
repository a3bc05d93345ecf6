"""Worker composition root: settings → Temporal client → activities → Worker.

Run: `python worker.py` (environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DEBUG_SESSION_TASK_QUEUE).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.session import ActivitySettings, SessionActivities
from workflows import search_attributes
from workflows.models import TASK_QUEUE
from workflows.session import DebugSessionWorkflow

log = logging.getLogger("debug_sessions.worker")


class WorkerSettings(BaseSettings):
    """Temporal connection (Temporal's own variable names) and worker sizing."""

    model_config = SettingsConfigDict(extra="ignore")

    temporal_address: str = Field(default="localhost:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    task_queue: str = Field(default=TASK_QUEUE, validation_alias=AliasChoices("DEBUG_SESSION_TASK_QUEUE"))
    max_activity_threads: int = Field(default=32, validation_alias=AliasChoices("DEBUG_SESSION_ACTIVITY_THREADS"))


async def connect(settings: WorkerSettings) -> Client:
    """A client with the pydantic data converter (every client of this system uses it)."""
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=pydantic_data_converter
    )


async def ensure_search_attributes(
    client: Client, namespace: str, keys: Sequence[SearchAttributeKey[Any]] = search_attributes.ALL
) -> list[str]:
    """Register our custom search attributes if missing (the dev server ignores flags on an existing DB)."""
    existing = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    missing = {
        # the SDK's enum mirrors the protocol's IndexedValueType numbers
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in keys
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


def build_worker(
    client: Client, task_queue: str, activities: SessionActivities, executor: concurrent.futures.Executor
) -> Worker:
    """The session worker: the workflow plus the cluster activities (sync, in the thread pool)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[DebugSessionWorkflow],
        activities=activities.all(),
        activity_executor=executor,
        max_concurrent_activities=getattr(executor, "_max_workers", 32),
    )


async def main() -> None:
    """Connect, register search attributes, run until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = WorkerSettings()
    client = await connect(settings)
    added = await ensure_search_attributes(client, settings.temporal_namespace)
    if added:
        log.info("registered search attributes: %s", ", ".join(added))
    activities = SessionActivities(ActivitySettings())
    with concurrent.futures.ThreadPoolExecutor(max_workers=settings.max_activity_threads) as executor:
        worker = build_worker(client, settings.task_queue, activities, executor)
        log.info("worker on %s, task queue %s", settings.temporal_address, settings.task_queue)
        try:
            await worker.run()
        finally:
            activities.close()


if __name__ == "__main__":
    asyncio.run(main())
