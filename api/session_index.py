"""The authorization webhook's read model: every Active session, kept in memory, refreshed from visibility.

A decision never calls Temporal: it reads this index. The index is rebuilt from one visibility listing
(the workflow keeps pods, operations, operators and liveness in its search attributes) every
`interval`, so a terminate, leave or expiry reaches decisions within interval + visibility lag; expiry is
also re-checked at decision time. A terminate or leave answered by this process revokes at once here
(`revoke`): the session (or the user) is dropped from the index and kept out of refreshes for a while, in
case visibility still lists the old state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from temporalio.client import Client

from api import visibility
from api.periodic import Periodic
from domain.access_review import IndexedSession
from workflows import search_attributes as sa

log = logging.getLogger("debug_sessions.index")
YIELD_EVERY = 100
REVOCATION_MEMORY = 60.0
"""Seconds a revocation made here overrides what visibility lists (far beyond any visibility lag)."""


class SessionIndex:
    """Active sessions by cluster; swapped whole on each refresh (readers never see half an update)."""

    def __init__(self, client: Client, interval: float = 1.0) -> None:
        self.client = client
        self.by_pod: dict[tuple[str, str], Sequence[IndexedSession]] = {}
        """(cluster, `namespace/name`) -> the Active sessions listing that pod (pods without the session
        label); a decision reads one entry."""
        self.by_name: dict[str, IndexedSession] = {}
        """Active sessions by name: the session a pod's label names (api/pod_tracker.py)."""
        self.refreshed_at: datetime | None = None
        self._revoked: dict[tuple[str, str | None], float] = {}
        """(session, user or None for the whole session) -> when it was revoked (monotonic)."""
        # A visibility hiccup must not end the refresher; decisions keep the last index.
        self._loop = Periodic(
            "session-index", self.refresh, interval, log, "session index refresh failed; keeping the previous index"
        )

    async def refresh(self) -> int:
        """Rebuild from visibility; returns the number of Active sessions."""
        by_pod: dict[tuple[str, str], list[IndexedSession]] = {}
        by_name: dict[str, IndexedSession] = {}
        rows = 0
        async for wf in self.client.list_workflows(visibility.ACTIVE):
            rows += 1
            if rows % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let webhook decisions in between: a page is thousands of rows
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
            revoked = self._revocations(wf.id)
            if None in revoked:
                continue
            if revoked:
                operators = {user: role for user, role in operators.items() if user not in revoked}
            session = IndexedSession(
                name=wf.id,
                cluster=cluster,
                live_until=live_until,
                pods=frozenset(pods),
                operations=frozenset(operations),
                operators=operators,
                template=attrs.get(sa.TEMPLATE) or "",
                participants=len(attrs.get(sa.PARTICIPANTS) or []),
            )
            by_name[session.name] = session
            for pod in session.pods:
                by_pod.setdefault((cluster, pod), []).append(session)
        self.by_pod = {k: tuple(v) for k, v in by_pod.items()}
        self.by_name = by_name
        self.refreshed_at = datetime.now(UTC)
        return len(by_name)

    def revoke(self, name: str, user: str | None = None) -> None:
        """Take away at once what a terminate (`user` None: the whole session) or a leave (`user`) ended."""
        self._revoked[(name, user)] = time.monotonic()
        session = self.by_name.get(name)
        if session is None:
            return
        kept = {n: s for n, s in self.by_name.items() if n != name}
        if user is not None:
            kept[name] = session.model_copy(
                update={"operators": {u: r for u, r in session.operators.items() if u != user}}
            )
        self.by_name = kept
        self.by_pod = {
            key: tuple(kept[s.name] if s.name == name else s for s in found if s.name != name or name in kept)
            for key, found in self.by_pod.items()
        }

    def _revocations(self, name: str) -> set[str | None]:
        now = time.monotonic()
        self._revoked = {k: at for k, at in self._revoked.items() if now - at < REVOCATION_MEMORY}
        return {user for (session, user) in self._revoked if session == name}

    def sessions(self, cluster: str, pod: str, labelled_by: str | None = None) -> Sequence[IndexedSession]:
        """The Active sessions on `cluster` that may grant `pod` (`namespace/name`): those listing it, and
        the session named by the pod's session label (`labelled_by`, from the pod watch), if Active there."""
        listed = self.by_pod.get((cluster, pod), ())
        owner = self.by_name.get(labelled_by) if labelled_by else None
        if owner is None or owner.cluster != cluster or owner in listed:
            return listed
        return (*listed, owner.model_copy(update={"pods": owner.pods | {pod}}))

    def start(self) -> None:
        """Refresh in the background every `interval` seconds."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop the background refresh."""
        await self._loop.stop()
