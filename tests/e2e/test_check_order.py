"""Check order through the API (docs/behaviour/api.md): the earlier check wins, as status + message in the
reference's envelope `{"error", "code"}`. The full per-rule ordering is in tests/workflows/test_policy_order.py
(pure tables); these prove the API carries the workflow's answers out unchanged and orders its own checks
(bodies, lookup) as documented, also once the session's workflow has closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.test_access_matrix import PROD, closed, session, until_listed
from tests.e2e.test_api_e2e import api, auth, wait_for  # noqa: F401  (api: a fixture)

pytestmark = pytest.mark.e2e
MISSING = "/api/v1/debug-sessions/no-such-session"


async def err(api: httpx.AsyncClient, method: str, path: str, user: str, body: Any = None) -> tuple[int, str, str]:
    kwargs: dict[str, Any] = {"headers": auth(user)}
    if body is not None:
        kwargs["json"] = body
    resp = await api.request(method, path, **kwargs)
    data = resp.json()
    assert set(data) - {"details"} == {"error", "code"}, data
    return resp.status_code, data["code"], data["error"]


async def test_bodies_are_checked_before_the_session_is_looked_up(api: httpx.AsyncClient) -> None:
    """Renew: decode → extendBy required → format → positive → 404; join and approve: body before 404;
    get: 404 (docs/behaviour/api.md#actions-on-a-session)."""
    got = {
        "renew without extendBy": await err(api, "POST", f"{MISSING}/renew", "eve", {}),
        "renew, bad format": await err(api, "POST", f"{MISSING}/renew", "eve", {"extendBy": "soon"}),
        "renew, negative": await err(api, "POST", f"{MISSING}/renew", "eve", {"extendBy": "-5m"}),
        "renew, good body": await err(api, "POST", f"{MISSING}/renew", "eve", {"extendBy": "5m"}),
        "join as owner": await err(api, "POST", f"{MISSING}/join", "eve", {"role": "owner"}),
        "join as viewer": await err(api, "POST", f"{MISSING}/join", "eve", {"role": "viewer"}),
        "approve, unknown field": await err(api, "POST", f"{MISSING}/approve", "eve", {"why": "x"}),
        "approve, good body": await err(api, "POST", f"{MISSING}/approve", "eve", {"reason": "x"}),
        "get": await err(api, "GET", MISSING, "eve"),
    }
    assert got == {
        "renew without extendBy": (400, "BAD_REQUEST", "extendBy is required"),
        "renew, bad format": (400, "BAD_REQUEST", "invalid duration format"),
        "renew, negative": (400, "BAD_REQUEST", "extension duration must be positive"),
        "renew, good body": (404, "NOT_FOUND", "debug session not found"),
        "join as owner": (400, "BAD_REQUEST", 'invalid request body: role must be "participant" or "viewer"'),
        "join as viewer": (404, "NOT_FOUND", "debug session not found"),
        "approve, unknown field": (400, "BAD_REQUEST", 'invalid request body: unknown field "why"'),
        "approve, good body": (404, "NOT_FOUND", "debug session not found"),
        "get": (404, "NOT_FOUND", "debug session not found"),
    }


async def test_workflow_refusals_keep_their_order_through_the_api(api: httpx.AsyncClient) -> None:
    """On a PendingApproval session the role checks come before the state checks (leave, renew, approve,
    get), join's state check before its invitation check, and the requester may withdraw (DESIGN 4, 15;
    docs/behaviour/lifecycle.md#actions)."""
    async with session(api, PROD) as name:
        base = f"/api/v1/debug-sessions/{name}"
        await wait_for(api, name, "sam", "PendingApproval")
        got = {
            "stranger reads": await err(api, "GET", base, "eve"),
            "stranger renews": await err(api, "POST", f"{base}/renew", "eve", {"extendBy": "5m"}),
            "requester renews": await err(api, "POST", f"{base}/renew", "sam", {"extendBy": "5m"}),
            "stranger leaves": await err(api, "POST", f"{base}/leave", "eve"),
            "stranger joins": await err(api, "POST", f"{base}/join", "eve", {"role": "participant"}),
            "requester approves": await err(api, "POST", f"{base}/approve", "sam", {"reason": "mine"}),
            "admin approves": await err(api, "POST", f"{base}/approve", "ops"),
            "stranger terminates": await err(api, "POST", f"{base}/terminate", "eve"),
            "stranger invites": await err(api, "POST", f"{base}/invite", "eve", {"users": []}),
            "owner invites nobody": await err(api, "POST", f"{base}/invite", "sam", {"users": []}),
        }
        assert got == {
            "stranger reads": (403, "FORBIDDEN", "user is not authorized to read this debug session"),
            "stranger renews": (403, "FORBIDDEN", "only requester or active owner/participant roles can renew"),
            "requester renews": (400, "BAD_REQUEST", "cannot renew session in state 'PendingApproval'"),
            "stranger leaves": (404, "NOT_FOUND", "user is not a participant in this session"),
            "stranger joins": (400, "BAD_REQUEST", "cannot join session in state 'PendingApproval'"),
            "requester approves": (403, "FORBIDDEN", "user is not authorized to approve this session"),
            "admin approves": (403, "FORBIDDEN", "user is not authorized to approve this session"),
            "stranger terminates": (403, "FORBIDDEN", "only the session owner or an admin can terminate"),
            "stranger invites": (403, "FORBIDDEN", "only the session owner can invite participants"),
            "owner invites nobody": (400, "BAD_REQUEST", "users must name at least one user, and no empty names"),
        }
        withdrawn = await api.post(f"{base}/terminate", headers=auth("sam"))
        assert withdrawn.json()["status"]["message"] == "Withdrawn by sam"
        again = await err(api, "POST", f"{base}/approve", "lena", {"reason": "too late"})
        # still open (cleaning up) or closed: either way the state is reported, before any role check
        assert again[:2] == (400, "BAD_REQUEST")
        assert again[2] in (
            "session is not pending approval (state: Terminated)",
            "session is already in terminal state 'Terminated'",
        )


async def test_empty_body_is_checked_after_the_lookup(api: httpx.AsyncClient) -> None:
    assert await err(api, "POST", f"{MISSING}/terminate", "eve", {}) == (404, "NOT_FOUND", "debug session not found")


async def test_closed_session_keeps_the_role_check_first(api: httpx.AsyncClient, stack: Stack) -> None:
    async with session(api, PROD) as name:
        await wait_for(api, name, "sam", "PendingApproval")
        await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("sam"))
        await closed(stack, name)
        got = await err(api, "POST", f"/api/v1/debug-sessions/{name}/renew", "eve", {"extendBy": "5m"})
        assert got == (403, "FORBIDDEN", "only requester or active owner/participant roles can renew")


async def test_a_burst_of_actions_on_one_session_never_gets_a_500(api: httpx.AsyncClient) -> None:
    """Temporal limits the updates in flight per workflow (10 on the dev server): a burst beyond that is
    answered 429 (retry) or refused by the rules, never a 500 or a message claiming the session ended."""
    async with session(api, PROD) as name:
        await wait_for(api, name, "sam", "PendingApproval")
        burst = [
            api.post(f"/api/v1/debug-sessions/{name}/renew", json={"extendBy": "5m"}, headers=auth(user))
            for user in ("eve", "vic", "dave", "sam") * 8
        ]
        answers = await asyncio.gather(*burst)
        seen = {(r.status_code, r.json()["error"]) for r in answers}
        allowed = {
            (403, "only requester or active owner/participant roles can renew"),
            (400, "cannot renew session in state 'PendingApproval'"),
            (429, "too many actions on this session at once; retry"),
            (503, "the session could not take this action just now; retry"),
        }
        assert seen <= allowed, seen - allowed
        assert (403, "only requester or active owner/participant roles can renew") in seen


async def test_concurrent_creates_cannot_both_take_the_last_place(api: httpx.AsyncClient) -> None:
    """sre-production-access allows sam one open session: of five simultaneous requests exactly one is
    admitted, although visibility lists a new session only a moment after it started."""
    answers = await asyncio.gather(
        *(api.post("/api/v1/debug-sessions", json=PROD, headers=auth("sam")) for _ in range(5))
    )
    created = [r.json()["metadata"]["name"] for r in answers if r.status_code == 201]
    refused = {(r.status_code, r.json()["error"]) for r in answers if r.status_code != 201}
    try:
        assert len(created) == 1
        assert refused == {(403, "session limit reached: maximum 1 active sessions per user allowed via this binding")}
    finally:
        for name in created:
            await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("ops"))


async def test_an_ended_session_frees_its_place_at_once(api: httpx.AsyncClient) -> None:
    """The limit counter's memory of recent starts never outlives the session: terminate, then create again."""
    for _ in range(2):
        resp = await api.post("/api/v1/debug-sessions", json=PROD, headers=auth("sam"))
        assert resp.status_code == 201, resp.text
        name = resp.json()["metadata"]["name"]
        await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("sam"))
        await until_listed(api, name, "Terminated")  # visibility itself lags a moment; that is not the point
