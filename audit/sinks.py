"""Audit sinks: CloudEvents POSTed over HTTP (structured mode, `application/cloudevents+json`).

The worker posts each event in a delivery activity that Temporal retries (durable). The API posts what only
it sees (session creation, webhook decisions that allowed access) through `SinkQueue`: in memory, retried
with backoff while the process lives, bounded so a sink that is down for long never grows the API without
limit (what is dropped is counted and logged; the audit log itself always has the event).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

log = logging.getLogger("debug_sessions.audit")

CONTENT_TYPE = "application/cloudevents+json"


class SinkError(Exception):
    """A sink refused or could not be reached."""


def post_event(url: str, event: dict[str, Any], headers: Mapping[str, str] | None = None, timeout: float = 10) -> None:
    """POST one event (the worker's delivery activity); raises SinkError on anything but a 2xx."""
    try:
        answer = httpx.post(url, json=event, headers={"Content-Type": CONTENT_TYPE, **(headers or {})}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise SinkError(f"audit sink {url}: {exc}") from exc
    if not answer.is_success:
        raise SinkError(f"audit sink {url} answered {answer.status_code}: {answer.text[:200]}")


class SinkQueue:
    """The API's sender: events queue in memory and are POSTed by one task, each retried with backoff
    (1 s doubling to 60 s) for up to `give_up_after` seconds."""

    def __init__(
        self,
        url: str,
        on_result: Callable[[str], None] | None = None,
        capacity: int = 10_000,
        give_up_after: float = 3600,
        timeout: float = 10,
    ) -> None:
        self.url = url
        self.on_result = on_result or (lambda result: None)
        self.give_up_after = give_up_after
        self.timeout = timeout
        self._queue: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue(maxsize=capacity)
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def put(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((time.monotonic(), event))
        except asyncio.QueueFull:
            self.on_result("dropped")
            log.warning("audit sink %s: queue full, event %s not sent (it is in the audit log)", self.url, event["id"])

    def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.timeout)
        self._task = asyncio.create_task(self._run(), name="audit-sink")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def drain(self) -> None:
        """Wait until every queued event was sent or given up (tests)."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            queued_at, event = await self._queue.get()
            try:
                await self._send(queued_at, event)
            finally:
                self._queue.task_done()

    async def _send(self, queued_at: float, event: dict[str, Any]) -> None:
        assert self._client is not None
        delay = 1.0
        while True:
            try:
                answer = await self._client.post(self.url, json=event, headers={"Content-Type": CONTENT_TYPE})
                if answer.is_success:
                    self.on_result("success")
                    return
                problem = f"answered {answer.status_code}"
            except httpx.HTTPError as exc:
                problem = str(exc) or type(exc).__name__
            self.on_result("failure")
            if time.monotonic() - queued_at + delay > self.give_up_after:
                log.warning("audit sink %s: giving up on event %s: %s", self.url, event["id"], problem)
                self.on_result("dropped")
                return
            log.info("audit sink %s: %s; retrying in %.0f s", self.url, problem, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
