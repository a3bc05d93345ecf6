"""The authorization matrix over the real stack: users x session states x operations x clusters.

Users: requester (sam), invited participant (dave), invited viewer (vic), approver (lena, for the prod-eu
sessions that need approval), admin (ops), stranger (eve), departed participant (pat: joined as participant,
then left). States: PendingApproval, Active, Active past expiresAt (as the webhook's index still sees it),
Expired, Terminated, Failed (rejected). Operations: every SubjectAccessReview subresource against the
session's own cluster and another cluster, and every API action. Each state is reached once (one or two
sessions per state) and its whole table is asserted at once, so a failure shows every differing cell.

The reference's June-2026 bugs are named cells (`REF-BUG ...`): a self-service `participant` role without
invitation, viewers renewing, departed participants keeping exec, sessions past expiry still authorizing,
and a webhook accepting a session from another cluster.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.errors import CODES
from tests.e2e.conftest import Stack
from tests.e2e.test_api_e2e import api, auth, decision_within, sar, wait_for  # noqa: F401  (api: a fixture)

pytestmark = pytest.mark.e2e

USERS = ("sam", "dave", "vic", "lena", "ops", "eve", "pat")
"""requester, invited participant, invited viewer, approver, admin, stranger, departed participant."""
INVITED = ["dave@example.com", "vic@example.com", "pat@example.com"]
NS = "breakglass-debug"
SUBRESOURCES = ("exec", "attach", "portforward", "log")

# API actions: method, path suffix, body (None: no body at all).
ACTIONS: dict[str, tuple[str, str, Any]] = {
    "get": ("GET", "", None),
    "approve": ("POST", "/approve", {"reason": "looks fine"}),
    "reject": ("POST", "/reject", {"reason": "not needed now"}),
    "renew": ("POST", "/renew", {"extendBy": "5m"}),
    "join": ("POST", "/join", {"role": "participant"}),  # the most a caller can ask for
    "leave": ("POST", "/leave", None),
    "invite": ("POST", "/invite", {"users": ["newcomer@example.com"]}),
    "terminate": ("POST", "/terminate", None),
}
Outcome = tuple[int, str]


async def call(api: httpx.AsyncClient, name: str, user: str, action: str) -> Outcome:
    """Run one API action; errors must be the reference's envelope. Returns (status, error or a summary)."""
    method, suffix, body = ACTIONS[action]
    kwargs: dict[str, Any] = {"headers": auth(user)}
    if body is not None:
        kwargs["json"] = body
    resp = await api.request(method, f"/api/v1/debug-sessions/{name}{suffix}", **kwargs)
    data = resp.json()
    if resp.status_code >= 400:
        assert set(data) <= {"error", "code", "details"}, data
        assert data["code"] == CODES[resp.status_code], data
        return resp.status_code, data["error"]
    return resp.status_code, summary(action, data)


def summary(action: str, data: dict[str, Any]) -> str:
    """What a successful answer says, in a few words."""
    if action == "get":
        return f"canApprove={data['canApprove']}"
    if action in ("approve", "reject", "terminate"):
        return f"{data['status']['state']}: {data['status']['message']}"
    if action == "renew":
        return f"renewalCount={data['renewalCount']}"
    if action == "join":
        return f"joined as {data['role']}"
    return str(data["message"])


async def listed(api: httpx.AsyncClient, name: str, user: str) -> str:
    """How the session appears in `user`'s list."""
    resp = await api.get("/api/v1/debug-sessions", headers=auth(user))
    assert resp.status_code == 200, resp.text
    row = next((s for s in resp.json()["sessions"] if s["name"] == name), None)
    return "not listed" if row is None else f"listed canApprove={row['canApprove']}"


async def review(api: httpx.AsyncClient, cluster: str, user: str, pod: str, sub: str) -> tuple[bool, str]:
    resp = await api.post(f"/api/v1/authorize/{cluster}", json=sar(user, pod, sub))
    assert resp.status_code == 200, resp.text
    status = resp.json()["status"]
    return status["allowed"], status["reason"]


def no_grant(cluster: str, user: str, pod: str, sub: str) -> tuple[bool, str]:
    return False, f"no active debug session on cluster {cluster} grants {sub} on pod {NS}/{pod} to {user}"


async def sar_table(api: httpx.AsyncClient, clusters: Iterable[str], pod: str) -> dict[str, tuple[bool, str]]:
    return {
        f"{user} {sub} on {cluster}": await review(api, cluster, user, pod, sub)
        for cluster in clusters
        for user in USERS
        for sub in SUBRESOURCES
    }


def sar_expect(
    clusters: Iterable[str], pod: str, grants: dict[tuple[str, str, str], tuple[bool, str]] | None = None
) -> dict[str, tuple[bool, str]]:
    """Nothing granted anywhere, except `grants` {(cluster, user, sub): answer}."""
    grants = grants or {}
    return {
        f"{user} {sub} on {cluster}": grants.get((cluster, user, sub), no_grant(cluster, user, pod, sub))
        for cluster in clusters
        for user in USERS
        for sub in SUBRESOURCES
    }


async def api_table(
    api: httpx.AsyncClient, name: str, cells: Iterable[tuple[str, str]], then: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    """Run the (user, action) cells (none of them may change what another answers), then the `then` cells,
    in order; `list` is the user's session list. Reads run concurrently; actions (workflow updates) one at
    a time: concurrent updates of one workflow are sometimes aborted by the server (see the report)."""

    async def one(user: str, action: str) -> Any:
        return await (listed(api, name, user) if action == "list" else call(api, name, user, action))

    cells = list(cells)
    reads = [c for c in cells if c[1] in ("get", "list")]
    out = dict(zip((f"{u} {a}" for u, a in reads), await asyncio.gather(*(one(*c) for c in reads)), strict=True))
    for user, action in [*(c for c in cells if c not in reads), *then]:
        out[f"{user} {action}"] = await one(user, action)
    return out


@asynccontextmanager
async def session(api: httpx.AsyncClient, body: dict[str, Any], user: str = "sam") -> AsyncIterator[str]:
    """Create a session; whatever happens, an admin ends it afterwards (prod-eu allows sam one open session)."""
    resp = await api.post("/api/v1/debug-sessions", json={**body, "invitedParticipants": INVITED}, headers=auth(user))
    assert resp.status_code == 201, resp.text
    name: str = resp.json()["metadata"]["name"]
    try:
        yield name
    finally:
        await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("ops"))


async def closed(stack: Stack, name: str) -> None:
    """Wait until the workflow has cleaned up and closed."""
    await asyncio.wait_for(stack.client.get_workflow_handle(name).result(), timeout=30)


async def until_listed(api: httpx.AsyncClient, name: str, state: str) -> None:
    """Visibility is eventually consistent: wait until the requester's list shows `state`."""
    for _ in range(100):
        resp = (await api.get(f"/api/v1/debug-sessions?state={state}", headers=auth("sam"))).json()
        if any(s["name"] == name for s in resp["sessions"]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never listed as {state}")


PROD = {"templateRef": "network-debug", "cluster": "prod-eu", "reason": "packet loss"}
DEV = {"templateRef": "dynamic-debug", "cluster": "dev-1", "extraDeployValues": {"image": "busybox:latest"}}
READERS = {"sam": 200, "dave": 200, "vic": 200, "pat": 200, "lena": 200, "ops": 200}
READ_DENIED: Outcome = (403, "user is not authorized to read this debug session")


def reads(can_approve: str | None = None, approver: bool = True) -> dict[str, Any]:
    """get: every role reads except the stranger (and lena where she is no approver); canApprove for lena."""
    out: dict[str, Any] = {}
    for user in USERS:
        if user == "eve" or (user == "lena" and not approver):
            out[f"{user} get"] = READ_DENIED
        else:
            out[f"{user} get"] = (200, f"canApprove={user == 'lena' and can_approve == 'lena'}")
    return out


def lists(approver: bool = True, can_approve: bool = False) -> dict[str, str]:
    return {
        f"{user} list": (
            "not listed"
            if user == "eve" or (user == "lena" and not approver)
            else f"listed canApprove={user == 'lena' and can_approve}"
        )
        for user in USERS
    }


async def test_pending_approval(api: httpx.AsyncClient) -> None:
    """PendingApproval: nobody has pods; only the approver may decide; the requester may withdraw (DESIGN 4)."""
    async with session(api, PROD) as name:
        await wait_for(api, name, "sam", "PendingApproval")
        await until_listed(api, name, "PendingApproval")
        got = await api_table(api, name, [(u, a) for a in ("get", "list") for u in USERS])
        assert got == {**reads(can_approve="lena"), **lists(can_approve=True)}
        cells = [(u, a) for a in ("approve", "reject", "renew", "join", "leave", "invite", "terminate") for u in USERS]
        skip = {("lena", "approve"), ("lena", "reject"), ("sam", "terminate"), ("ops", "terminate")}
        got = await api_table(api, name, (c for c in cells if c not in skip), then=[("ops", "terminate")])
        pending = "PendingApproval"
        expected: dict[str, Any] = {}
        for user in USERS:
            if user != "lena":
                expected[f"{user} approve"] = (403, "user is not authorized to approve this session")
                expected[f"{user} reject"] = (403, "user is not authorized to reject this session")
        for user in USERS:
            expected[f"{user} renew"] = (
                (400, f"cannot renew session in state '{pending}'")
                if user == "sam"
                else (403, "only requester or active owner/participant roles can renew")
            )
        for user in USERS:
            expected[f"{user} join"] = (400, f"cannot join session in state '{pending}'")
        for user in USERS:
            expected[f"{user} leave"] = (404, "user is not a participant in this session")
        for user in USERS:
            expected[f"{user} invite"] = (
                (200, "users invited") if user == "sam" else (403, "only the session owner can invite participants")
            )
        for user in USERS:
            if user != "sam":
                expected[f"{user} terminate"] = (403, "only the session owner or an admin can terminate")
        expected["ops terminate"] = (200, "Terminated: Terminated by ops (admin)")
        # ops terminated it: the requester's own withdrawal is checked on the next session
        assert got == {k: expected[k] for k in got}
        assert got.keys() == expected.keys()
        assert await sar_table(api, ("prod-eu", "dev-1"), "not-deployed") == sar_expect(
            ("prod-eu", "dev-1"), "not-deployed"
        )
    async with session(api, PROD) as name:
        await wait_for(api, name, "sam", "PendingApproval")
        withdrawn = await call(api, name, "sam", "terminate")
        assert withdrawn == (200, "Terminated: Withdrawn by sam")  # DESIGN 4 and 15


async def test_active_and_terminated(api: httpx.AsyncClient, stack: Stack) -> None:
    """Active: owner and participants operate the session's pods on its own cluster only; then Terminated."""
    async with session(api, PROD) as name:
        await wait_for(api, name, "sam", "PendingApproval")
        assert await call(api, name, "lena", "approve") == (200, "PendingApproval: Waiting for approval")
        active = await wait_for(api, name, "sam", "Active")
        pod = active["status"]["allowedPods"][0]["name"]
        setup = {
            "dave joins": await call(api, name, "dave", "join"),
            "vic joins without a body": (
                (await api.post(f"/api/v1/debug-sessions/{name}/join", headers=auth("vic"))).json()["role"]
            ),
            "pat joins": await call(api, name, "pat", "join"),
            "pat leaves": await call(api, name, "pat", "leave"),
        }
        assert setup == {
            "dave joins": (200, "joined as participant"),
            "vic joins without a body": "viewer",
            "pat joins": (200, "joined as participant"),
            "pat leaves": (200, "successfully left session"),
        }
        await decision_within(api, "/api/v1/authorize/prod-eu", sar("dave", pod), True)
        await decision_within(api, "/api/v1/authorize/prod-eu", sar("pat", pod), False)
        await until_listed(api, name, "Active")

        granted = {
            ("prod-eu", user, sub): (True, f"debug session {name}: {user} ({role}) may {sub} pod {NS}/{pod}")
            for user, role in (("sam", "owner"), ("dave", "participant"))
            for sub in ("exec", "attach", "portforward")
        }
        for user in ("sam", "dave"):  # network-debug does not allow logs (allowedPodOperations)
            granted["prod-eu", user, "log"] = (False, f"debug session {name} does not allow log (allowedPodOperations)")
        sars = await sar_table(api, ("prod-eu", "dev-1"), pod)
        assert sars == sar_expect(("prod-eu", "dev-1"), pod, granted)
        named = {
            "REF-BUG departed participant keeps exec": sars["pat exec on prod-eu"],
            "REF-BUG viewer execs": sars["vic exec on prod-eu"],
            "REF-BUG webhook accepts a session from another cluster": sars["sam exec on dev-1"],
        }
        assert named == {
            "REF-BUG departed participant keeps exec": no_grant("prod-eu", "pat", pod, "exec"),
            "REF-BUG viewer execs": no_grant("prod-eu", "vic", pod, "exec"),
            "REF-BUG webhook accepts a session from another cluster": no_grant("dev-1", "sam", pod, "exec"),
        }

        read = await api_table(api, name, [(u, a) for a in ("get", "list") for u in USERS])
        assert read == {**reads(), **lists()}
        not_pending = (400, "session is not pending approval (state: Active)")
        cells = [
            *((u, a) for a in ("approve", "reject") for u in USERS),
            ("eve", "join"),  # REF-BUG self-service participant role without invitation
            ("lena", "join"),
            ("ops", "join"),
            ("vic", "join"),
            ("pat", "join"),
            ("dave", "join"),
            ("sam", "join"),
            ("vic", "renew"),  # REF-BUG viewers renewing
            ("pat", "renew"),
            ("lena", "renew"),
            ("ops", "renew"),
            ("eve", "renew"),
            *((u, "invite") for u in USERS),
            *((u, "terminate") for u in ("dave", "vic", "pat", "lena", "eve")),
            ("eve", "leave"),
            ("lena", "leave"),
            ("sam", "leave"),
            ("pat", "leave"),  # leaving again just moves leftAt
            ("vic", "leave"),
        ]
        # sam passes the role check, then meets the binding's maxRenewals 1 that dave's renewal used up
        got = await api_table(api, name, cells, then=[("dave", "renew"), ("sam", "renew")])
        not_invited = (403, "user is not invited to join this debug session")
        no_renew = (403, "only requester or active owner/participant roles can renew")
        not_owner = (403, "only the session owner can invite participants")
        assert got == {
            **{f"{u} {a}": not_pending for a in ("approve", "reject") for u in USERS},
            "eve join": not_invited,
            "lena join": not_invited,
            "ops join": not_invited,
            "vic join": (409, "user already joined this session"),
            "pat join": (409, "user already joined this session"),  # departed entries count
            "dave join": (409, "user already joined this session"),
            "sam join": (409, "user already joined this session"),
            "vic renew": no_renew,
            "pat renew": no_renew,
            "lena renew": no_renew,
            "ops renew": no_renew,
            "eve renew": no_renew,
            "dave renew": (200, "renewalCount=1"),
            "sam renew": (403, "maximum renewals (1) reached"),
            **{f"{u} invite": not_owner for u in USERS if u != "sam"},
            "sam invite": (200, "users invited"),
            **{
                f"{u} terminate": (403, "only the session owner or an admin can terminate")
                for u in ("dave", "vic", "pat", "lena", "eve")
            },
            "eve leave": (404, "user is not a participant in this session"),
            "lena leave": (404, "user is not a participant in this session"),
            "sam leave": (403, "session owner cannot leave; use terminate instead"),
            "pat leave": (200, "successfully left session"),
            "vic leave": (200, "successfully left session"),
        }
        named_api = {
            "REF-BUG self-service participant without invitation": got["eve join"],
            "REF-BUG viewer renews": got["vic renew"],
        }
        assert named_api == {
            "REF-BUG self-service participant without invitation": not_invited,
            "REF-BUG viewer renews": no_renew,
        }

        assert await call(api, name, "sam", "terminate") == (200, "Terminated: Terminated by sam")
        await decision_within(api, "/api/v1/authorize/prod-eu", sar("sam", pod), False)
        assert await sar_table(api, ("prod-eu", "dev-1"), pod) == sar_expect(("prod-eu", "dev-1"), pod)
        await closed(stack, name)
        await until_listed(api, name, "Terminated")
        assert await api_table(api, name, [(u, a) for a in ("get", "list") for u in USERS]) == {**reads(), **lists()}
        people = {"sam": "owner", "dave": "participant", "vic": "viewer", "pat": "participant"}
        assert await closed_actions(api, name) == closed_expect("Terminated", people, departed=("pat",))


async def closed_actions(api: httpx.AsyncClient, name: str) -> dict[str, Any]:
    cells = [(u, a) for a in ("approve", "reject", "renew", "join", "leave", "invite", "terminate") for u in USERS]
    return await api_table(api, name, cells)


def closed_expect(state: str, listed: dict[str, str] | None = None, departed: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every action on a closed session answers as the workflow's validators would (the API applies the same
    pure rules once the workflow can no longer answer), so the role checks keep their place in the order:
    renew 403 before the state, leave 404/403 before the state, terminate and invite 403 before the state,
    approve/reject and join by state first (docs/behaviour/lifecycle.md#actions).

    `listed`: participant records by user and role (departed ones stay listed, with leftAt)."""
    listed = listed or {}
    operators = {u for u, role in listed.items() if role in ("owner", "participant") and u not in departed} | {"sam"}
    out: dict[str, Any] = {}
    for u in USERS:
        out[f"{u} approve"] = (400, f"session is not pending approval (state: {state})")
        out[f"{u} reject"] = (400, f"session is not pending approval (state: {state})")
        out[f"{u} join"] = (400, f"cannot join session in state '{state}'")
        out[f"{u} renew"] = (
            (400, f"cannot renew session in state '{state}'")
            if u in operators
            else (403, "only requester or active owner/participant roles can renew")
        )
        if u not in listed:
            out[f"{u} leave"] = (404, "user is not a participant in this session")
        elif listed[u] == "owner":
            out[f"{u} leave"] = (403, "session owner cannot leave; use terminate instead")
        else:
            out[f"{u} leave"] = (400, f"cannot leave session in state '{state}'")
        out[f"{u} invite"] = (
            (400, f"session is already in terminal state '{state}'")
            if u == "sam"
            else (403, "only the session owner can invite participants")
        )
        out[f"{u} terminate"] = (
            (400, f"session is already in terminal state '{state}'")
            if u in ("sam", "ops")
            else (403, "only the session owner or an admin can terminate")
        )
    return out


async def test_failed_by_rejection(api: httpx.AsyncClient, stack: Stack) -> None:
    """Failed (rejected, DESIGN 2): readable by the same people, no pods, no actions."""
    async with session(api, PROD) as name:
        await wait_for(api, name, "sam", "PendingApproval")
        assert await call(api, name, "lena", "reject") == (200, "Failed: Rejected by lena: not needed now")
        await closed(stack, name)
        await until_listed(api, name, "Failed")
        assert await api_table(api, name, [(u, a) for a in ("get", "list") for u in USERS]) == {**reads(), **lists()}
        assert await closed_actions(api, name) == closed_expect("Failed")
        assert await sar_table(api, ("prod-eu", "dev-1"), "not-deployed") == sar_expect(
            ("prod-eu", "dev-1"), "not-deployed"
        )


async def test_past_expiry_and_expired(api: httpx.AsyncClient, stack: Stack) -> None:
    """An auto-approved dev-1 session of a few seconds: the webhook's index still lists it as Active after
    expiresAt (its refresh is stopped here), and the decision is still refused; then Expired."""
    index = api._transport.app.state.api.index  # type: ignore[attr-defined]
    async with session(api, {**DEV, "requestedDuration": "4s"}) as name:
        active = await wait_for(api, name, "sam", "Active")
        pod = active["status"]["allowedPods"][0]["name"]
        assert await call(api, name, "dave", "join") == (200, "joined as participant")
        await decision_within(api, "/api/v1/authorize/dev-1", sar("dave", pod), True)
        granted = {
            ("dev-1", user, sub): (True, f"debug session {name}: {user} ({role}) may {sub} pod {NS}/{pod}")
            for user, role in (("sam", "owner"), ("dave", "participant"))
            for sub in SUBRESOURCES  # dynamic-debug allows all four
        }
        assert await sar_table(api, ("dev-1", "prod-eu"), pod) == sar_expect(("dev-1", "prod-eu"), pod, granted)
        await index.stop()  # freeze the index: it keeps the session as Active with its pods
        await wait_for(api, name, "sam", "Expired")
        # the frozen index still offers the session for a pod carrying its label (the pod watch may already
        # have seen cleanup remove the pod; the decision must be refused on expiry alone either way)
        assert [s.name for s in index.sessions("dev-1", f"{NS}/{pod}", labelled_by=name)] == [name]
        named = await review(api, "dev-1", "sam", pod, "exec")
        assert {"REF-BUG session past expiry still authorizes": named} == {
            "REF-BUG session past expiry still authorizes": no_grant("dev-1", "sam", pod, "exec")
        }
        assert await sar_table(api, ("dev-1", "prod-eu"), pod) == sar_expect(("dev-1", "prod-eu"), pod)
        index.start()
        await closed(stack, name)
        await until_listed(api, name, "Expired")
        # dev-1 sessions have no approvers (the binding's `approvers: {}` is authoritative): lena is a stranger
        expected_reads = {**reads(approver=False), **lists(approver=False)}
        assert await api_table(api, name, [(u, a) for a in ("get", "list") for u in USERS]) == expected_reads
        people = {"sam": "owner", "dave": "participant"}
        assert await closed_actions(api, name) == closed_expect("Expired", people)


GLOB_TEMPLATE = """
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: DebugSessionTemplate
metadata:
  name: glob-approval
spec:
  mode: workload
  podTemplateRef:
    name: minimal-debug-pod
  workloadType: Deployment
  targetNamespace: breakglass-debug
  allowed:
    groups: [sre-team]
    clusters: [prod-eu]
  approvers:
    users: ["le?a"]
"""


async def test_glob_approver_users_find_their_sessions_in_the_list(api: httpx.AsyncClient, tmp_path: Any) -> None:
    """Approver users given as globs (case-sensitive) read and may decide the session in the list,
    exactly as in the detail read; nobody else gains anything from the glob."""
    (tmp_path / "catalog" / "glob-approval.yaml").write_text(GLOB_TEMPLATE)  # the api fixture's catalog
    for _ in range(100):  # the catalog is reloaded on change
        if (await api.get("/api/v1/debug-session-templates/glob-approval", headers=auth("sam"))).status_code == 200:
            break
        await asyncio.sleep(0.05)
    async with session(api, {"templateRef": "glob-approval", "cluster": "prod-eu"}) as name:
        await wait_for(api, name, "sam", "PendingApproval")
        await until_listed(api, name, "PendingApproval")
        got = await api_table(api, name, [(u, a) for a in ("get", "list") for u in USERS])
        # lena only through the glob `le?a`; eve (no match) neither reads nor lists it
        assert got == {**reads(can_approve="lena"), **lists(can_approve=True)}
        assert await call(api, name, "lena", "approve") == (200, "PendingApproval: Waiting for approval")
