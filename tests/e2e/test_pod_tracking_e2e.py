"""Pods come and go under an Active session: the API's pod watch, not the workflow, follows them.

A pod deleted under the session's Deployment is replaced by its controller: the webhook refuses the old
name and allows the new one, and GET shows the new pod, without the workflow doing anything (its history
does not grow).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import kubernetes

from tests.e2e.conftest import Stack
from tests.e2e.test_api_e2e import api, auth, sar, wait_for  # noqa: F401 - `api` is a fixture

NS = "breakglass-debug"


async def allowed(api: httpx.AsyncClient, user: str, pod: str) -> bool:
    resp = await api.post("/api/v1/authorize/dev-1", json=sar(user, pod))
    assert resp.status_code == 200, resp.text
    return bool(resp.json()["status"]["allowed"])


async def until(check: Callable[[], Awaitable[bool]], within: float = 15) -> float:
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < within, "not reached in time"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_a_replaced_pod_is_exec_able_and_the_old_name_refused(
    api: httpx.AsyncClient,
    stack: Stack,
    kube: Any,
) -> None:
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "minimal-debug", "cluster": "dev", "reason": "pod churn"},
        headers=auth("dave"),
    )
    assert resp.status_code == 201, resp.text
    name = resp.json()["metadata"]["name"]
    active = await wait_for(api, name, "dave", "Active")
    (old,) = [p["name"] for p in active["status"]["allowedPods"]]

    async def old_allowed() -> bool:  # once the webhook's index lists the session (visibility, ~1 s)
        return await allowed(api, "dave", old)

    await until(old_allowed)
    handle = stack.client.get_workflow_handle(name)
    events_before = len((await handle.fetch_history()).events)

    kubernetes.client.CoreV1Api(kube).delete_namespaced_pod(old, NS, grace_period_seconds=0)

    async def old_refused() -> bool:
        return not await allowed(api, "dave", old)

    await until(old_refused)

    async def replaced() -> bool:
        got = await api.get(f"/api/v1/debug-sessions/{name}", headers=auth("dave"))
        pods = got.json()["status"]["allowedPods"]
        return [p["name"] for p in pods] != [old] and len(pods) == 1 and pods[0]["ready"]

    await until(replaced)
    got = await api.get(f"/api/v1/debug-sessions/{name}", headers=auth("dave"))
    (new,) = [p["name"] for p in got.json()["status"]["allowedPods"]]
    assert new != old
    assert await allowed(api, "dave", new)
    assert not await allowed(api, "eve", new)  # not a participant
    assert len((await handle.fetch_history()).events) == events_before  # the workflow was not woken
    await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("dave"))
    ended = await wait_for(api, name, "dave", "Terminated")
    assert ended["status"]["cleanup"] in ("Pending", "Done")
    assert not await allowed(api, "dave", new)

    async def cleaned() -> bool:
        got = await api.get(f"/api/v1/debug-sessions/{name}", headers=auth("dave"))
        return bool(got.json()["status"]["cleanup"] == "Done")

    await until(cleaned)
