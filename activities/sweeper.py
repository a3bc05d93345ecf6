"""The orphan sweeper: labelled objects whose session workflow is closed or unknown are deleted.

Per-session cleanup is the first line; this is the second. It looks at every cluster of the catalog,
lists objects carrying a session label, asks Temporal whether that session's workflow still runs, and
deletes (UID precondition) what belongs to no running session and is older than the minimum age.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.catalog.catalog import Catalog
from domain.resolution.resolved import ResolvedCluster
from kube.client import ClusterClient
from kube.errors import KubeError
from rendering import labels as L
from workflows.models import SWEEP_ACTIVITY, SweepInput, SweepResult, SweptObject

log = logging.getLogger("debug_sessions.sweeper")

# (apiVersion, kind, session label) of everything a session may create.
SWEPT_KINDS = (
    ("apps/v1", "Deployment", L.SESSION),
    ("apps/v1", "DaemonSet", L.SESSION),
    ("v1", "ResourceQuota", L.SESSION),
    ("policy/v1", "PodDisruptionBudget", L.SESSION),
    ("v1", "Pod", L.SESSION),
    ("v1", "ConfigMap", L.AUX_SESSION),
    ("v1", "Secret", L.AUX_SESSION),
    ("v1", "ServiceAccount", L.AUX_SESSION),
    ("v1", "Service", L.AUX_SESSION),
    ("v1", "PersistentVolumeClaim", L.AUX_SESSION),
    ("networking.k8s.io/v1", "NetworkPolicy", L.AUX_SESSION),
    ("rbac.authorization.k8s.io/v1", "Role", L.AUX_SESSION),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", L.AUX_SESSION),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", L.AUX_SESSION),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", L.AUX_SESSION),
)


class OrphanSweeper:
    """Holds the Temporal client and the catalog the sweep visits (the worker's catalog source)."""

    def __init__(self, client: Client, catalog: Callable[[], Catalog | None], clients: Any) -> None:
        self.client = client
        self.catalog = catalog
        self.clients = clients
        """Something with `.client(ResolvedCluster) -> ClusterClient` (the session activities' cache)."""

    async def _session_running(self, name: str, cache: dict[str, bool]) -> bool:
        if name not in cache:
            try:
                desc = await self.client.get_workflow_handle(name).describe()
                cache[name] = desc.raw_description.workflow_execution_info.status == (
                    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
                )
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
                cache[name] = False
        return cache[name]

    @activity.defn(name=SWEEP_ACTIVITY)
    async def sweep(self, input: SweepInput) -> SweepResult:
        """One pass over every cluster of the catalog."""
        catalog = self.catalog()
        if catalog is None:
            return SweepResult(errors=("no valid catalog loaded; nothing swept",))
        deleted: list[SweptObject] = []
        errors: list[str] = []
        running: dict[str, bool] = {}
        now = datetime.now(UTC)
        for name, cluster in sorted(catalog.clusters.items()):
            target = ResolvedCluster(
                name=name,
                kubeconfig_path=cluster.spec.kubeconfig.path,
                kubeconfig_context=cluster.spec.kubeconfig.context,
            )
            kube: ClusterClient = self.clients.client(target)
            for api_version, kind, label in SWEPT_KINDS:
                activity.heartbeat(f"{name} {kind}")
                try:
                    items = await asyncio.to_thread(kube.list_labelled, api_version, kind, label)
                except KubeError as exc:
                    errors.append(f"{name}: listing {kind}: {exc}")
                    continue
                for obj in items:
                    meta = obj.get("metadata") or {}
                    session = (meta.get("labels") or {}).get(label, "")
                    if kind == "Pod" and meta.get("ownerReferences"):
                        continue  # owned by a workload: garbage-collected with it
                    created = meta.get("creationTimestamp")
                    if created and now - _parse_time(created) < input.min_age:
                        continue
                    if not session or await self._session_running(session, running):
                        continue
                    ref = SweptObject(
                        cluster=name,
                        kind=kind,
                        namespace=meta.get("namespace") or "",
                        name=meta["name"],
                        session=session,
                    )
                    try:
                        await asyncio.to_thread(
                            kube.delete, api_version, kind, ref.name, ref.namespace or None, meta.get("uid")
                        )
                    except KubeError as exc:
                        errors.append(f"{name}: deleting {kind}/{ref.namespace}/{ref.name}: {exc}")
                        continue
                    log.warning(
                        "swept orphan %s/%s/%s of session %s on %s", kind, ref.namespace, ref.name, session, name
                    )
                    deleted.append(ref)
        return SweepResult(deleted=tuple(deleted), errors=tuple(errors))


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
