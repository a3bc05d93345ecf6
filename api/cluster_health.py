"""ClusterConfig health: is each catalog cluster's API server reachable? Checked periodically in the
background; requests for an unreachable cluster are refused up front (403 "not ready"), and the cluster
picker shows the last result."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from api.periodic import Periodic
from api.views import rfc3339
from domain.catalog.catalog import Catalog
from kube.client import ClusterClient
from kube.errors import KubeError

log = logging.getLogger("debug_sessions.health")


class ClusterHealth:
    """Last check per cluster: `(healthy, checked at, detail)`."""

    def __init__(self, catalog: Callable[[], Catalog | None], interval: float = 30.0) -> None:
        self.catalog = catalog
        self.results: dict[str, tuple[bool, datetime, str]] = {}
        self._clients: dict[tuple[str, str | None], ClusterClient] = {}
        self._loop = Periodic("cluster-health", self.check_all, interval, log, "cluster health check failed")

    def unready(self) -> frozenset[str]:
        """Clusters whose last check failed (never-checked clusters count as ready)."""
        return frozenset(name for name, (healthy, _, _) in self.results.items() if not healthy)

    def status(self, name: str) -> dict[str, object] | None:
        """The cluster picker's `status` object, or None before the first check."""
        if name not in self.results:
            return None
        healthy, checked, detail = self.results[name]
        return {"healthy": healthy, "lastChecked": rfc3339(checked), "detail": detail}

    async def check_all(self) -> None:
        """Check every cluster of the current catalog once (in threads: the client is synchronous)."""
        catalog = self.catalog()
        if catalog is None:
            return
        names = sorted(catalog.clusters)
        outcomes = await asyncio.gather(*(asyncio.to_thread(self._check, catalog, n) for n in names))
        self.results = dict(zip(names, outcomes, strict=True))

    def _check(self, catalog: Catalog, name: str) -> tuple[bool, datetime, str]:
        cfg = catalog.clusters[name].spec.kubeconfig
        try:
            key = (cfg.path, cfg.context)
            if key not in self._clients:
                self._clients[key] = ClusterClient(cfg.path, cfg.context)
            version = self._clients[key].version()
        except (KubeError, OSError, ValueError) as exc:  # unreadable kubeconfig files count as unreachable too
            self._clients.pop((cfg.path, cfg.context), None)
            return False, datetime.now(UTC), str(exc)[:200]
        return True, datetime.now(UTC), f"kube-apiserver {version}"

    def start(self) -> None:
        """Check in the background every `interval` seconds."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop checking and close the clients."""
        await self._loop.stop()
        for client in self._clients.values():
            client.close()
