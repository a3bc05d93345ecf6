"""The authorization webhook's read model: every Active session, kept in memory, refreshed from visibility.

A decision never calls Temporal: it reads this index. The index is rebuilt from one visibility listing
(the workflow keeps pods, operations, operators and liveness in its search attributes) every
`interval`, so a terminate, leave or expiry reaches decisions within interval + visibility lag; expiry is
also re-checked at decision time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from temporalio.client import Client

from api.periodic import Periodic
from domain.access_review import IndexedSession
from workflows import search_attributes as sa

log = logging.getLogger("debug_sessions.index")
QUERY = "WorkflowType = 'DebugSessionWorkflow' AND ExecutionStatus = 'Running' AND DebugSessionState = 'Active'"


class SessionIndex:
    """Active sessions by cluster; swapped whole on each refresh (readers never see half an update)."""

    def __init__(self, client: Client, interval: float = 1.0) -> None:
        self.client = client
        self.by_pod: dict[tuple[str, str], Sequence[IndexedSession]] = {}
        """(cluster, `namespace/name`) -> the Active sessions listing that pod: a decision reads one entry."""
        self.refreshed_at: datetime | None = None
        # A visibility hiccup must not end the refresher; decisions keep the last index.
        self._loop = Periodic(
            "session-index", self.refresh, interval, log, "session index refresh failed; keeping the previous index"
        )

    async def refresh(self) -> int:
        """Rebuild from visibility; returns the number of Active sessions."""
        by_pod: dict[tuple[str, str], list[IndexedSession]] = {}
        count = 0
        async for wf in self.client.list_workflows(QUERY):
            attrs = wf.typed_search_attributes
            live_until = attrs.get(sa.LIVE_UNTIL) or attrs.get(sa.EXPIRES_AT)
            cluster = attrs.get(sa.CLUSTER)
            if live_until is None or not cluster:
                continue
            pods: set[str] = set()
            operations: set[str] = set()
            operators: dict[str, str] = {}
            for entry in attrs.get(sa.ACCESS) or []:
                kind, _, rest = entry.partition(":")
                if kind == "pod":
                    pods.add(rest)
                elif kind == "op":
                    operations.add(rest)
                elif kind == "operator":
                    role, _, user = rest.partition(":")
                    operators[user] = role
            session = IndexedSession(
                name=wf.id,
                cluster=cluster,
                live_until=live_until,
                pods=frozenset(pods),
                operations=frozenset(operations),
                operators=operators,
            )
            count += 1
            for pod in session.pods:
                by_pod.setdefault((cluster, pod), []).append(session)
        self.by_pod = {k: tuple(v) for k, v in by_pod.items()}
        self.refreshed_at = datetime.now(UTC)
        return count

    def sessions(self, cluster: str, pod: str) -> Sequence[IndexedSession]:
        """The Active sessions on `cluster` that list `pod` (`namespace/name`), as of the last refresh."""
        return self.by_pod.get((cluster, pod), ())

    def start(self) -> None:
        """Refresh in the background every `interval` seconds."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop the background refresh."""
        await self._loop.stop()
