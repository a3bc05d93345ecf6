"""Liveness and progress of cluster activities: a background thread heartbeats while the activity runs.

Every activity that acts on a cluster runs with a heartbeat timeout (15 s by default, set by the workflow).
A heartbeat sent from the activity's own loop would stop whenever one cluster call blocks (a slow or
faulty API server), and the activity would be timed out although its worker is alive; a heartbeat that is
never sent would leave a dead worker's deploy or cleanup waiting for its start-to-close timeout (minutes).
So a thread beats every third of the timeout from the start, carrying the latest progress the activity
reported. The SDK throttles what reaches the server (at most one write per ~0.8 of the timeout): an activity
that finishes within a third of the timeout writes none.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

from temporalio import activity

P = ParamSpec("P")
R = TypeVar("R")


class Heartbeat:
    """`with Heartbeat() as beat: … beat("3/5 pods ready") …` — progress for the Temporal UI, liveness for
    the server. Outside an activity, or without a heartbeat timeout, it does nothing."""

    def __init__(self) -> None:
        self.progress = "started"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, details: str) -> None:
        self.progress = details

    def __enter__(self) -> Heartbeat:
        timeout = activity.info().heartbeat_timeout if activity.in_activity() else None
        if timeout:
            every = timeout.total_seconds() / 3
            context = contextvars.copy_context()  # the activity's context, for activity.heartbeat()
            self._thread = threading.Thread(
                target=context.run, args=(self._beat, every), name="activity-heartbeat", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self, every: float) -> None:
        while not self._stop.wait(every):
            activity.heartbeat(self.progress)


def heartbeating(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a (sync) activity inside `Heartbeat()`; put it under `@activity.defn`."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with Heartbeat():
            return fn(*args, **kwargs)

    return run
