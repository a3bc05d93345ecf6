"""The background loop shared by the session index and cluster health: it survives a failing run."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from api.periodic import Periodic


async def test_a_failing_run_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    done = asyncio.Event()

    async def step() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("visibility unavailable")
        if len(runs) == 3:
            done.set()

    loop = Periodic("test-loop", step, 0.01, logging.getLogger("test.periodic"), "refresh failed")
    loop.start()
    await asyncio.wait_for(done.wait(), timeout=5)
    await loop.stop()
    stopped_at = len(runs)
    await asyncio.sleep(0.05)

    assert stopped_at >= 3
    assert len(runs) == stopped_at, "the loop ran after stop()"
    failures = [r for r in caplog.records if r.getMessage() == "refresh failed"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None


async def test_stop_before_start_is_harmless() -> None:
    async def step() -> None:
        raise AssertionError("never started, never run")

    await Periodic("idle", step, 1.0, logging.getLogger("test.periodic"), "x").stop()


async def test_a_slow_step_waits_as_long_as_it_took() -> None:
    """A step longer than the interval (a large index) leaves the process idle at least as long again."""
    loop_time = asyncio.get_running_loop().time
    starts: list[float] = []
    third = asyncio.Event()

    async def step() -> None:
        starts.append(loop_time())
        if len(starts) == 3:
            third.set()
        await asyncio.sleep(0.1)  # slower than the 0.01 s interval

    loop = Periodic("slow-loop", step, 0.01, logging.getLogger("test.periodic"), "refresh failed")
    loop.start()
    await asyncio.wait_for(third.wait(), timeout=5)
    await loop.stop()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.19 for gap in gaps), gaps  # 0.1 s running + at least 0.1 s idle
