"""Worker composition root: settings → Temporal client → activities → Worker.

Run: `python worker.py` (environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DEBUG_SESSION_TASK_QUEUE, and the
settings in the README: metrics port, e-mail, chat, audit).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.abc
import importlib.machinery
import logging
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import CodeType, ModuleType
from typing import ClassVar, Literal

from prometheus_client import start_http_server
from pydantic import AliasChoices, Field, ValidationError
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
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.metrics import SdkMetrics, WorkerMetrics
from activities.notify import Announcer
from activities.session import ActivitySettings, SessionActivities
from activities.sweeper import OrphanSweeper
from domain.catalog.catalog import Catalog
from domain.durations import PositiveDuration
from kube.catalog_source import open_catalog
from kube.client import preload
from notifications.directory import DirectoryError, unexpanded_approver_groups
from temporal_access.connect import connect
from temporal_access.search_attributes import register_or_report
from temporal_access.settings import TemporalSettings
from workflows.admission import AdmissionLockWorkflow
from workflows.models import TASK_QUEUE, SweepInput
from workflows.session import DebugSessionWorkflow
from workflows.sweeper import SWEEPER_SCHEDULE_ID, OrphanSweeperWorkflow

log = logging.getLogger("debug_sessions.worker")


class WorkerSettings(BaseSettings):
    """Temporal connection (Temporal's own variable names) and worker sizing."""

    model_config = SettingsConfigDict(extra="ignore")

    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    """TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API key (temporal_access/settings.py)."""
    task_queue: str = Field(default=TASK_QUEUE, validation_alias=AliasChoices("DEBUG_SESSION_TASK_QUEUE"))
    max_activity_threads: int = Field(default=32, validation_alias=AliasChoices("DEBUG_SESSION_ACTIVITY_THREADS"))
    catalog_dir: Path = Field(
        default=Path("deploy/demo-catalog"), validation_alias=AliasChoices("DEBUG_SESSION_CATALOG_DIR")
    )
    catalog_source: Literal["directory", "kubernetes"] = Field(
        default="directory", validation_alias=AliasChoices("DEBUG_SESSION_CATALOG_SOURCE")
    )
    catalog_kubeconfig: Path | None = Field(
        default=None, validation_alias=AliasChoices("DEBUG_SESSION_CATALOG_KUBECONFIG")
    )
    catalog_namespace: str = Field(default="", validation_alias=AliasChoices("DEBUG_SESSION_CATALOG_NAMESPACE"))
    sweep_interval: PositiveDuration = Field(
        default=timedelta(minutes=10), validation_alias=AliasChoices("DEBUG_SESSION_SWEEP_INTERVAL")
    )
    sweep_min_age: PositiveDuration = Field(
        default=timedelta(minutes=5), validation_alias=AliasChoices("DEBUG_SESSION_SWEEP_MIN_AGE")
    )
    metrics_port: int = Field(default=9464, validation_alias=AliasChoices("DEBUG_SESSION_WORKER_METRICS_PORT"))
    """Prometheus metrics of the worker and of the Temporal SDK at http://<host>:<port>/metrics; 0 turns it off."""
    metrics_host: str = Field(default="0.0.0.0", validation_alias=AliasChoices("DEBUG_SESSION_WORKER_METRICS_HOST"))


def sdk_metrics_runtime() -> tuple[Runtime, str]:
    """A Temporal runtime whose SDK metrics are served on a private local port; returns it and the URL that
    the worker's own endpoint re-exports them from."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    return Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address))
    ), f"http://{address}/metrics"


def serve_metrics(settings: WorkerSettings, metrics: WorkerMetrics, sdk_url: str | None) -> None:
    """Serve the worker's registry (with the SDK's metrics folded in) on the metrics port."""
    if sdk_url is not None:
        metrics.registry.register(SdkMetrics(sdk_url))
    start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=metrics.registry)
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)


def check_group_directory(announcer: Announcer, catalog: Catalog | None) -> None:
    """Warn at start-up about approver groups whose members would get no mail."""
    if catalog is not None:
        for warning in unexpanded_approver_groups(catalog, announcer.directory):
            log.warning("%s", warning)


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


class _CompileOnceLoader(importlib.machinery.SourceFileLoader):
    """A source loader that compiles each source text once per process."""

    _compiled: ClassVar[dict[str, tuple[bytes, CodeType]]] = {}

    def source_to_code(self, data: bytes, path: str, *, _optimize: int = -1) -> CodeType:  # type: ignore[override]
        known = self._compiled.get(path)
        if known is not None and known[0] == data:
            return known[1]
        code = super().source_to_code(data, path, _optimize=_optimize)
        self._compiled[path] = (data, code)
        return code


class WorkflowCodeCache(importlib.abc.MetaPathFinder):
    """Keeps the compiled code of the workflow modules for the sandbox's re-imports.

    The sandbox re-imports (re-executes) a workflow's module for every new workflow run, which it must: the
    module's globals are per run. Without a bytecode file (PYTHONDONTWRITEBYTECODE, a read-only tree) each
    re-import also recompiles the source: measured, that was a quarter of the worker's Python time in
    bench/lifecycle.py. The code object is immutable, so reusing it changes nothing else: the module still
    runs afresh in each sandbox, and a changed source file is compiled again.
    """

    def __init__(self, packages: Sequence[str]) -> None:
        self.packages = frozenset(packages)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """The path finder's spec, with the compile-once loader for plain source modules of our packages."""
        if fullname.partition(".")[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _CompileOnceLoader(spec.loader.name, spec.loader.path)
        return spec


def install_workflow_code_cache(workflows: Sequence[type]) -> None:
    """Put a WorkflowCodeCache for the workflows' top-level packages first on `sys.meta_path` (once)."""
    packages = {cls.__module__.partition(".")[0] for cls in workflows}
    installed = [f for f in sys.meta_path if isinstance(f, WorkflowCodeCache)]
    if installed and packages <= installed[0].packages:
        return
    for finder in installed:
        sys.meta_path.remove(finder)
        packages |= finder.packages
    sys.meta_path.insert(0, WorkflowCodeCache(sorted(packages)))


WORKFLOWS: list[type] = [DebugSessionWorkflow, OrphanSweeperWorkflow, AdmissionLockWorkflow]


def build_worker(
    client: Client,
    task_queue: str,
    activities: SessionActivities,
    executor: concurrent.futures.Executor,
    sweeper: OrphanSweeper | None = None,
    announcer: Announcer | None = None,
) -> Worker:
    """The session worker: the workflows plus the cluster activities (sync ones in the thread pool), and the
    announcer (audit, metrics, mail and chat; from the environment unless given)."""
    announcer = announcer or Announcer.from_environment(activities.metrics)
    install_workflow_code_cache(WORKFLOWS)
    preload()  # the cluster client's lazy imports, which the first session after a start would wait for
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        workflow_runner=SANDBOX,
        activities=[*activities.all(), *announcer.all(), *([sweeper.sweep] if sweeper is not None else [])],
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
    metrics = WorkerMetrics()
    try:
        announcer = Announcer.from_environment(metrics)
    except (DirectoryError, ValidationError) as exc:
        raise SystemExit(f"worker: invalid notification settings: {exc}") from None
    runtime, sdk_url = sdk_metrics_runtime() if settings.metrics_port else (None, None)
    client = await connect(settings.temporal, runtime)
    if settings.metrics_port:
        serve_metrics(settings, metrics, sdk_url)
    await register_or_report(client, settings.temporal.namespace, log)
    activities = SessionActivities(ActivitySettings(), metrics)
    catalog = await asyncio.to_thread(
        open_catalog,
        settings.catalog_source,
        settings.catalog_dir,
        settings.catalog_kubeconfig,
        settings.catalog_namespace,
    )
    check_group_directory(announcer, catalog.catalog)
    sweeper = OrphanSweeper(client, lambda: catalog.catalog, activities)
    if await ensure_sweeper_schedule(client, settings.task_queue, settings.sweep_interval, settings.sweep_min_age):
        log.info("created schedule %s (every %s)", SWEEPER_SCHEDULE_ID, settings.sweep_interval)
    with concurrent.futures.ThreadPoolExecutor(max_workers=settings.max_activity_threads) as executor:
        worker = build_worker(client, settings.task_queue, activities, executor, sweeper, announcer)
        log.info("worker on %s, task queue %s", settings.temporal.address, settings.task_queue)
        try:
            await worker.run()
        finally:
            activities.close()
            catalog.stop()


if __name__ == "__main__":
    asyncio.run(main())
