"""Counts of waiting sessions for the API's gauges, refreshed in the background (a few visibility count
queries every `interval` seconds, whatever the number of sessions)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from api import visibility
from api.periodic import Periodic

log = logging.getLogger("debug_sessions.api")

STUCK_AFTER = timedelta(minutes=5)
"""A session still `Pending` after this long is stuck: Pending lasts as long as a deploy, seconds."""


class SessionCounts:
    def __init__(self, client: Client, interval: float = 30.0) -> None:
        self.client = client
        self.pending_approval: float = 0
        self.stuck_pending: float = 0
        self._loop = Periodic("session-counts", self.refresh, interval, log, "session counts not refreshed")

    async def refresh(self) -> None:
        now = datetime.now(UTC)
        self.pending_approval = (await self.client.count_workflows(visibility.waiting_for_approval())).count
        self.stuck_pending = (await self.client.count_workflows(visibility.stuck_pending(now - STUCK_AFTER))).count

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
