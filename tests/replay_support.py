"""Replay every session history a test server holds: a code change that breaks a running session fails.

The end-to-end and failover fixtures call `replay_all` before their Temporal server goes away, so every
history those tests produce (worker kills, cold queries and all) is replayed with the worker's own
sandboxed runner; `tests/golden/histories/` keeps histories of each workflow version for the same check.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import SANDBOX, WORKFLOWS


def replayer() -> Replayer:
    """A replayer configured like the production worker (same workflows, converter and sandbox)."""
    return Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=SANDBOX)


async def replay_histories(histories: list[WorkflowHistory]) -> dict[str, str]:
    """workflow ID -> replay failure, for each history that does not replay."""
    failures: dict[str, str] = {}
    async with replayer().workflow_replay_iterator(_iterate(histories)) as results:
        async for result in results:
            if result.replay_failure is not None:
                failures[result.history.workflow_id] = str(result.replay_failure)
    return failures


async def _iterate(histories: list[WorkflowHistory]):  # type: ignore[no-untyped-def]
    for history in histories:
        yield history


async def replay_all(
    client: Client, query: str = "WorkflowType = 'DebugSessionWorkflow'"
) -> tuple[int, dict[str, str]]:
    """Fetch and replay every matching execution (every run, running or closed): (count, failures). The
    history of each failure is kept in <tmp>/replay-failures/<workflow id>.json for a look."""
    histories = [
        await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        async for wf in client.list_workflows(query)
    ]
    failures = await replay_histories(histories)
    kept = Path(tempfile.gettempdir()) / "replay-failures"
    for history in histories:
        if history.workflow_id in failures:
            kept.mkdir(exist_ok=True)
            (kept / f"{history.workflow_id}.json").write_text(history.to_json())
            failures[history.workflow_id] += f" (history: {kept / history.workflow_id}.json)"
    return len(histories), failures
