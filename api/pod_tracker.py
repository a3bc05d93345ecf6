"""Live pods of every session, from one pod watch per catalog cluster (kube/pod_watch.py).

Where the watches live, and why: in every API process. The authorization webhook and the session reads
are the consumers, and they need the answer in-process and within a fraction of a second; each replica
keeping its own watches means each one decides correctly on its own (no replica depends on another, none
on the worker), at the cost of one watch connection per replica and cluster, which is what a controller's
informer costs too. The workflow is not told about pod churn at all: it records what its own actions
created (deploy, kubectl-debug operations) and looks at the cluster only at its rare safety check.

The webhook allows a pod that carries the session label of a live session (or that a kubectl-debug
operation of the session recorded: pods an ephemeral container was injected into carry no label), so a
replacement pod is exec-able as soon as the watch sees it and a deleted pod's name is refused as soon as
the watch sees it go.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from domain.catalog.catalog import Catalog
from domain.session import AllowedPod
from kube.pod_watch import PodWatch, wait_synced
from rendering import labels as L
from workflows.models import SessionState, SessionStatus
from workflows.search_attributes import unlabelled_pods

log = logging.getLogger("debug_sessions.pods")


class PodTracker:
    """A PodWatch per catalog cluster, following catalog changes (`reconcile`)."""

    def __init__(self, catalog: Callable[[], Catalog | None], interval: float = 2.0) -> None:
        self.catalog = catalog
        self.interval = interval
        self.watches: dict[str, PodWatch] = {}
        self._sources: dict[str, tuple[str, str | None]] = {}
        self._task: asyncio.Task[None] | None = None

    def reconcile(self) -> None:
        """Start a watch for each cluster of the catalog, stop those of clusters gone or changed."""
        catalog = self.catalog()
        if catalog is None:
            return
        wanted = {name: (c.spec.kubeconfig.path, c.spec.kubeconfig.context) for name, c in catalog.clusters.items()}
        for name in [n for n in self.watches if wanted.get(n) != self._sources.get(n)]:
            self.watches.pop(name).stop()
            self._sources.pop(name, None)
        for name, (path, context) in wanted.items():
            if name in self.watches:
                continue
            self.watches[name] = PodWatch(name, path, context, L.SESSION).start()
            self._sources[name] = (path, context)

    async def start(self, unready: frozenset[str] = frozenset(), sync_timeout: float = 5.0) -> None:
        """Start the watches, wait (bounded) for the first lists of the reachable clusters, follow catalog
        changes. Until a cluster's watch has listed, its sessions show their recorded pods and the webhook
        allows none of its labelled pods (fail closed)."""
        self.reconcile()
        reachable = [w for name, w in self.watches.items() if name not in unready]
        await asyncio.to_thread(wait_synced, reachable, sync_timeout)
        self._task = asyncio.create_task(self._follow_catalog(), name="pod-tracker")

    async def _follow_catalog(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.reconcile()
            except Exception:  # never end the loop: the watches keep serving what they have
                log.exception("pod tracker: following the catalog failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for watch in self.watches.values():
            await asyncio.to_thread(watch.stop)

    # --- reading ---------------------------------------------------------------------------------

    def session_of(self, cluster: str, pod: str) -> str | None:
        """The session whose label pod `namespace/name` on `cluster` carries (None: none, or not synced)."""
        watch = self.watches.get(cluster)
        return watch.session_of(pod) if watch is not None and watch.synced.is_set() else None

    def pod_count(self, cluster: str, name: str, state: str, access: Sequence[str], recorded: int) -> int:
        """How many pods session `name` allows now, for a list row: its labelled pods from the watch plus the
        unlabelled ones its kubectl-debug operations recorded (`pod:` entries of its ACCESS search attribute);
        `recorded` (the workflow's last snapshot) when the watch has not synced or the session is not Active."""
        watch = self.watches.get(cluster)
        if state != SessionState.ACTIVE or watch is None or not watch.synced.is_set():
            return recorded
        labelled = {f"{p.namespace}/{p.name}" for p in watch.pods(name)}
        unlabelled = {entry[4:] for entry in access if entry.startswith("pod:")}
        return len(labelled | unlabelled)

    def live_status(self, cluster: str, status: SessionStatus) -> SessionStatus:
        """The status with `allowedPods` as the cluster has them now: the session-labelled pods from the
        watch, plus the unlabelled pods its kubectl-debug operations recorded. Unchanged when the watch is
        not synced (the workflow's last snapshot is the best answer then) or the session is not Active."""
        watch = self.watches.get(cluster)
        if status.state is not SessionState.ACTIVE or watch is None or not watch.synced.is_set():
            return status
        labelled = watch.pods(status.name)
        seen = {(p.namespace, p.name) for p in labelled}
        extra = unlabelled_pods(status)
        recorded: tuple[AllowedPod, ...] = tuple(
            p for p in status.allowed_pods if (p.namespace, p.name) in extra and (p.namespace, p.name) not in seen
        )
        pods = (*labelled, *recorded)
        return status if pods == status.allowed_pods else status.model_copy(update={"allowed_pods": pods})
