"""Two API replicas (each with its own process state) on one Temporal and one worker: session limits
hold across them, because admission is serialised through Temporal (workflows/admission.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.conftest import Stack
from tests.e2e.test_access_matrix import PROD
from tests.e2e.test_api_e2e import api_replica, auth


async def test_a_per_user_limit_of_one_admits_one_of_ten_creates_across_two_replicas(
    stack: Stack, tmp_path: Path
) -> None:
    """sre-production-access allows sam one open session: ten simultaneous creates, five through each
    replica, admit exactly one (before issue 14, two replicas admitted two)."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    async with api_replica(stack, tmp_path / "one") as one, api_replica(stack, tmp_path / "two") as two:
        answers = await asyncio.gather(
            *(replica.post("/api/v1/debug-sessions", json=PROD, headers=auth("sam")) for replica in [one, two] * 5)
        )
        created = [r.json()["metadata"]["name"] for r in answers if r.status_code == 201]
        refused = {(r.status_code, r.json()["error"]) for r in answers if r.status_code != 201}
        try:
            assert len(created) == 1, [(r.status_code, r.text[:120]) for r in answers]
            assert refused == {
                (403, "session limit reached: maximum 1 active sessions per user allowed via this binding")
            }
        finally:
            for name in created:
                await one.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("ops"))
