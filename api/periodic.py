"""A coroutine run every `interval` seconds in the background until stopped.

The API's background refreshers (session index, cluster health) share this loop: a failing run is logged
and the loop goes on, so one bad refresh never ends the refresher and readers keep the last good state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    """Runs `step` every `interval` seconds once started (or, when a step takes longer than that, waits as
    long as the step took); `failure` is logged (with the traceback) when it raises."""

    def __init__(
        self, name: str, step: Callable[[], Awaitable[object]], interval: float, log: logging.Logger, failure: str
    ) -> None:
        self.name = name
        self.step = step
        self.interval = interval
        self.log = log
        self.failure = failure
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run in the background, starting now."""
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the background task and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.step()
            except Exception:  # a failing run must not end the loop
                self.log.exception(self.failure)
            # A step that takes longer than the interval (a large index) waits as long as it took: the
            # refresher never holds the process more than half of the time, whatever the load.
            await asyncio.sleep(max(self.interval, loop.time() - started))
