"""Changes of sessions for watchers (`GET .../debug-sessions/watch`): one visibility listing per interval
for every watcher of this process, and only while someone watches.

Each listing is compared with the previous one; a session whose search attributes or status memo changed
is published to every subscriber, which renders it for its own caller (row access, filters). Sessions that
closed stay listed for `RECENT` after they closed, so their last change is seen too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Literal

from temporalio.client import Client, WorkflowExecution

from api import visibility
from workflows import search_attributes as sa

log = logging.getLogger("debug_sessions.feed")
RECENT = timedelta(minutes=5)
Change = tuple[Literal["ADDED", "MODIFIED", "DELETED"], WorkflowExecution | str]
"""What happened, and the listed session (or, for DELETED, its name)."""


def fingerprint(wf: WorkflowExecution) -> str:
    """What a watcher could see change: the search attributes, the status memo, open or closed."""
    h = hashlib.sha256(wf.raw_info.search_attributes.SerializeToString(deterministic=True))
    status = wf.raw_info.memo.fields.get(sa.STATUS_MEMO)
    h.update(status.data if status is not None else b"")
    h.update(str(wf.status).encode())
    return h.hexdigest()


class SessionFeed:
    def __init__(self, client: Client, interval: float = 1.0) -> None:
        self.client = client
        self.interval = interval
        self.subscribers: set[asyncio.Queue[Change]] = set()
        self._seen: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None

    def subscribe(self) -> asyncio.Queue[Change]:
        """A queue of changes from the next listing on; the feed runs while it has subscribers."""
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=10_000)
        self.subscribers.add(queue)
        if self._task is None or self._task.done():
            self._seen = {}
            self._task = asyncio.create_task(self._run(), name="session-feed")
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self.subscribers.discard(queue)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        primed = False
        while self.subscribers:
            started = asyncio.get_running_loop().time()
            try:
                await self._tick(publish=primed)
                primed = True
            except Exception:  # visibility hiccup: keep the last listing, try again
                log.exception("session feed: listing failed")
            elapsed = asyncio.get_running_loop().time() - started
            await asyncio.sleep(max(self.interval, elapsed))

    async def _tick(self, publish: bool) -> None:
        query = visibility.session_list(datetime.now(UTC) - RECENT, None, [], None)
        current: dict[str, str] = {}
        changes: list[Change] = []
        async for wf in self.client.list_workflows(query):
            mark = fingerprint(wf)
            current[wf.id] = mark
            before = self._seen.get(wf.id)
            if before != mark:
                changes.append(("ADDED" if before is None else "MODIFIED", wf))
        changes += [("DELETED", name) for name in self._seen if name not in current]
        self._seen = current
        if not publish:
            return
        for queue in list(self.subscribers):
            for change in changes:
                if queue.full():
                    self.subscribers.discard(queue)  # a watcher that stopped reading: its stream ends
                    break
                queue.put_nowait(change)
