"""The orphan sweeper: objects of closed or unknown sessions go, those of running sessions stay."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import kubernetes
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment

from activities.session import ActivitySettings, SessionActivities
from activities.sweeper import OrphanSweeper
from domain.catalog.catalog import load_catalog
from tests.e2e.conftest import Stack
from tests.e2e.test_lifecycle_e2e import snapshot, start, wait_state
from worker import ensure_sweeper_schedule
from workflows.models import Actor, SessionState, SweepInput, TerminateInput
from workflows.session import DebugSessionWorkflow
from workflows.sweeper import SWEEPER_SCHEDULE_ID


def labelled_configmap(name: str, session: str) -> Any:
    labels = {"breakglass.t-caas.telekom.com/session": session}
    return kubernetes.client.V1ConfigMap(metadata=kubernetes.client.V1ObjectMeta(name=name, labels=labels))


async def test_sweep_removes_only_orphans(stack: Stack, kube: Any, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "cluster.yaml").write_text(
        "apiVersion: breakglass.t-caas.telekom.com/v1alpha1\nkind: ClusterConfig\nmetadata: {name: sim}\n"
        f"spec: {{kubeconfig: {{path: {stack.cluster.kubeconfig_path}}}}}\n"
    )
    core = kubernetes.client.CoreV1Api(kube)
    # a running session with its own objects (its workflow is open)
    running = snapshot("minimal-debug", stack)
    handle = await start(stack, running)
    await wait_state(handle, SessionState.ACTIVE)
    core.create_namespaced_config_map("breakglass-debug", labelled_configmap("kept", running.name))
    # objects of a session no workflow knows about
    core.create_namespaced_config_map("breakglass-debug", labelled_configmap("orphan", "debug-ghost-sim-1"))
    apps = kubernetes.client.AppsV1Api(kube)
    ghost: Any = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "debug-ghost-sim-1",
            "labels": {"breakglass.telekom.com/debug-session": "debug-ghost-sim-1"},
        },
        "spec": {
            "selector": {"matchLabels": {"x": "ghost"}},
            "template": {
                "metadata": {"labels": {"x": "ghost"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }
    apps.create_namespaced_deployment("breakglass-debug", ghost)
    acts = SessionActivities(ActivitySettings())
    loaded = load_catalog([catalog]).catalog
    sweeper = OrphanSweeper(stack.client, lambda: loaded, acts)
    try:
        result = await ActivityEnvironment().run(sweeper.sweep, SweepInput(min_age=timedelta(0)))
    finally:
        acts.close()
    assert result.errors == ()
    assert sorted((o.kind, o.name) for o in result.deleted) == [
        ("ConfigMap", "orphan"),
        ("Deployment", "debug-ghost-sim-1"),
    ]
    names = [c.metadata.name for c in core.list_namespaced_config_map("breakglass-debug").items if c.metadata]
    assert "kept" in names
    assert "orphan" not in names
    assert (
        await asyncio.to_thread(
            lambda: [
                d.metadata.name
                for d in apps.list_namespaced_deployment("breakglass-debug").items
                if d.metadata and d.metadata.name == "debug-ghost-sim-1"
            ]
        )
        == []
    )
    # the running session's own deployment is untouched
    assert apps.read_namespaced_deployment(running.name, "breakglass-debug").metadata is not None
    await handle.execute_update(DebugSessionWorkflow.terminate, TerminateInput(actor=Actor(username="dave")))
    assert (await handle.result()).cleaned_up
    core.delete_namespaced_config_map("kept", "breakglass-debug")


async def test_schedule_is_created_once(stack: Stack) -> None:
    # another test's worker process may have created it already on this shared dev server: start clean
    with contextlib.suppress(RPCError):
        await stack.client.get_schedule_handle(SWEEPER_SCHEDULE_ID).delete()
    assert await ensure_sweeper_schedule(stack.client, stack.task_queue, timedelta(minutes=10), timedelta(minutes=5))
    assert not await ensure_sweeper_schedule(
        stack.client, stack.task_queue, timedelta(minutes=10), timedelta(minutes=5)
    )
    desc = await stack.client.get_schedule_handle(SWEEPER_SCHEDULE_ID).describe()
    assert desc.schedule.spec.intervals[0].every == timedelta(minutes=10)
    await stack.client.get_schedule_handle(SWEEPER_SCHEDULE_ID).delete()
