"""A session worker in a process of its own, for tests that SIGKILL it.

python -m tests.e2e.worker_process TEMPORAL_ADDRESS TASK_QUEUE — prints `ready` once it polls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.session import ActivitySettings, SessionActivities
from worker import build_worker


async def main(address: str, task_queue: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    activities = SessionActivities(ActivitySettings())
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        worker = build_worker(client, task_queue, activities, executor)
        async with worker:
            print("ready", flush=True)
            await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
