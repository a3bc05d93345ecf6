"""The API over the real stack: dev server + worker + kubesim, requests through httpx to the ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.settings import ApiSettings
from tests.conftest import REPO
from tests.e2e.conftest import Stack

TOKENS = [
    {"token": "token-dave-1234", "user": "dave", "email": "dave@example.com", "groups": ["developers"]},
    {"token": "token-sam-12345", "user": "sam", "email": "sam@example.com", "groups": ["sre-team"]},
    {"token": "token-lena-1234", "user": "lena", "email": "lena@example.com", "groups": ["security-leads"]},
    {"token": "token-eve-12345", "user": "eve", "email": "eve@example.com", "groups": ["nobody"]},
    {"token": "token-ops-12345", "user": "ops", "groups": ["platform-admins"]},
    {"token": "token-vic-12345", "user": "vic", "email": "vic@example.com", "groups": ["developers"]},
    {"token": "token-pat-12345", "user": "pat", "email": "pat@example.com", "groups": ["developers"]},
]


def auth(user: str) -> dict[str, str]:
    token = next(t["token"] for t in TOKENS if t["user"] == user)
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture
async def api(stack: Stack, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with api_replica(stack, tmp_path) as client:
        yield client


@contextlib.asynccontextmanager
async def api_replica(stack: Stack, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """One API process's app (its own state: index, pod watches, admission) on the shared stack, with its
    catalog in `tmp_path/catalog`."""
    catalog = tmp_path / "catalog"
    shutil.copytree(REPO / "deploy" / "demo-catalog", catalog)
    clusters = [d for d in yaml.safe_load_all((catalog / "clusters.yaml").read_text()) if d]
    for c in clusters:
        c["spec"]["kubeconfig"]["path"] = str(stack.cluster.kubeconfig_path)
    broken = {
        "apiVersion": "breakglass.t-caas.telekom.com/v1alpha1",
        "kind": "ClusterConfig",
        "metadata": {"name": "dev-unreachable", "labels": {"environment": "dev"}},
        "spec": {"kubeconfig": {"path": str(tmp_path / "no-such.kubeconfig")}},
    }
    (catalog / "clusters.yaml").write_text(yaml.safe_dump_all([*clusters, broken]))
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(yaml.safe_dump(TOKENS))
    settings = ApiSettings(
        catalog_dir=catalog, tokens_file=tokens, task_queue=stack.task_queue, admin_groups="platform-admins"
    )
    app = create_app(settings, client=stack.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


async def wait_for(api: httpx.AsyncClient, name: str, user: str, state: str, within: float = 30) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        resp = await api.get(f"/api/v1/debug-sessions/{name}", headers=auth(user))
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        if body["status"]["state"] == state:
            return body
        assert asyncio.get_running_loop().time() < deadline, f"stuck in {body['status']}"
        await asyncio.sleep(0.1)


async def test_authentication_is_required(api: httpx.AsyncClient) -> None:
    resp = await api.get("/api/v1/debug-sessions")
    assert resp.status_code == 401
    assert resp.json() == {"error": "No Bearer token provided in Authorization header", "code": "UNAUTHORIZED"}
    resp = await api.get("/api/v1/debug-sessions", headers={"Authorization": "Bearer nope-nope"})
    assert (resp.status_code, resp.json()["error"]) == (401, "user not authenticated")


async def test_create_rejects_bad_bodies_with_a_clear_400(api: httpx.AsyncClient) -> None:
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "minimal-debug", "cluster": "dev-1", "scheduledStartTime": "x"},
        headers=auth("dave"),
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": 'invalid request body: unknown field "scheduledStartTime"', "code": "BAD_REQUEST"}
    resp = await api.post(
        "/api/v1/debug-sessions", content=b"{not json", headers={**auth("dave"), "Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"].startswith("invalid request body: malformed JSON")
    resp = await api.post("/api/debugSessions", json={"templateRef": "minimal-debug"}, headers=auth("dave"))
    assert resp.json() == {"error": "cluster is required", "code": "BAD_REQUEST"}
    for empty in (b"",):  # the reference's words for a request without a body
        resp = await api.post(
            "/api/debugSessions", content=empty, headers={**auth("dave"), "Content-Type": "application/json"}
        )
        assert resp.json() == {"error": "invalid request body: empty JSON body", "code": "BAD_REQUEST"}
    resp = await api.get("/api/debugSessions?user=bad%20name", headers=auth("dave"))
    assert (resp.status_code, resp.json()["error"]) == (400, "invalid filter value: 'bad name'")
    resp = await api.post(
        "/api/v1/debug-sessions", json={"templateRef": "network-debug", "cluster": "prod-eu"}, headers=auth("eve")
    )
    assert resp.status_code == 403
    assert resp.json()["error"] == "user is not allowed to request this debug session"


async def test_auto_approved_session_through_the_api(api: httpx.AsyncClient, stack: Stack) -> None:
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "minimal-debug", "cluster": "dev", "reason": "checking DNS"},
        headers=auth("dave"),
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    name = created["metadata"]["name"]
    assert created["spec"]["cluster"] == "dev-1"
    assert created["warnings"] == ["Target namespace defaulted to 'breakglass-debug'"]
    assert created["status"]["state"] == "Pending"
    active = await wait_for(api, name, "dave", "Active")
    assert active["status"]["allowedPods"][0]["ready"] is True
    assert active["status"]["participants"][0]["role"] == "owner"
    # the reference's path family serves the same session
    assert (await api.get(f"/api/debugSessions/{name}", headers=auth("dave"))).json()["metadata"]["name"] == name
    # strangers cannot read it; unknown names are 404
    assert (await api.get(f"/api/v1/debug-sessions/{name}", headers=auth("eve"))).status_code == 403
    assert (await api.get("/api/v1/debug-sessions/nope", headers=auth("dave"))).json() == {
        "error": "debug session not found",
        "code": "NOT_FOUND",
    }
    renewed = await api.post(f"/api/v1/debug-sessions/{name}/renew", json={"extendBy": "30m"}, headers=auth("dave"))
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["renewalCount"] == 1
    over = await api.post(f"/api/v1/debug-sessions/{name}/renew", json={"extendBy": "3h"}, headers=auth("dave"))
    assert over.status_code == 403
    assert over.json()["error"].startswith("extension would exceed maximum duration of 2h")
    assert (await api.post(f"/api/v1/debug-sessions/{name}/terminate", json={}, headers=auth("dave"))).json()[
        "error"
    ] == "request body must be empty"
    done = await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("dave"))
    assert done.status_code == 200, done.text
    assert done.json()["status"]["message"] == "Terminated by dave"
    final = await wait_for(api, name, "dave", "Terminated")
    for _ in range(100):  # Terminated is shown at once; `cleanup` says when the objects are gone
        if final["status"]["cleanup"] == "Done":
            break
        assert final["status"]["cleanup"] == "Pending"
        await asyncio.sleep(0.1)
        final = (await api.get(f"/api/v1/debug-sessions/{name}", headers=auth("dave"))).json()
    assert (final["status"]["cleanup"], final["status"]["deployedResources"]) == ("Done", [])
    again = await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("dave"))
    assert (again.status_code, again.json()["error"]) == (400, "session is already in terminal state 'Terminated'")


async def test_approval_flow_and_listing(api: httpx.AsyncClient) -> None:
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={
            "templateRef": "network-debug",
            "cluster": "prod-eu",
            "reason": "packet loss",
            "invitedParticipants": ["dave@example.com"],
        },
        headers=auth("sam"),
    )
    assert resp.status_code == 201, resp.text
    name = resp.json()["metadata"]["name"]
    pending = await wait_for(api, name, "sam", "PendingApproval")
    assert pending["canApprove"] is False  # the requester
    lena_view = (await api.get(f"/api/v1/debug-sessions/{name}", headers=auth("lena"))).json()
    assert lena_view["canApprove"] is True
    # the approver sees it in the list (approver groups are indexed); eve does not
    for _ in range(50):
        listed = (await api.get("/api/v1/debug-sessions?state=PendingApproval", headers=auth("lena"))).json()
        if any(s["name"] == name for s in listed["sessions"]):
            break
        await asyncio.sleep(0.1)
    assert any(s["name"] == name and s["canApprove"] for s in listed["sessions"])
    # the list row carries what the reference's clients show (bgctl's -o wide columns, the UI's table)
    row = next(s for s in listed["sessions"] if s["name"] == name)
    assert {k: row[k] for k in ("templateRef", "cluster", "requestedBy", "state", "targetNamespace")} == {
        "templateRef": "network-debug",
        "cluster": "prod-eu",
        "requestedBy": "sam",
        "state": "PendingApproval",
        "targetNamespace": pending["spec"]["targetNamespace"],
    }
    assert (row["allowedPods"], row["participants"], row["isParticipant"]) == (0, 0, False)
    assert "statusMessage" in row or not pending["status"].get("message")
    # ?user= matches the requester's e-mail in any case, for an approver too
    for user in ("ALICE@EXAMPLE.COM", "SAM@EXAMPLE.COM", "Sam"):
        by_user = (await api.get(f"/api/debugSessions?user={user}", headers=auth("lena"))).json()["sessions"]
        assert (name in {s["name"] for s in by_user}) == (user != "ALICE@EXAMPLE.COM"), user
    mine = (await api.get("/api/debugSessions?mine=true", headers=auth("sam"))).json()["sessions"]
    assert name in {s["name"] for s in mine}
    assert name not in {
        s["name"] for s in (await api.get("/api/debugSessions?mine=true", headers=auth("lena"))).json()["sessions"]
    }
    assert (await api.get("/api/v1/debug-sessions", headers=auth("eve"))).json() == {"sessions": [], "total": 0}
    bad_state = await api.get("/api/v1/debug-sessions?state=Running", headers=auth("lena"))
    assert (bad_state.status_code, bad_state.json()["error"]) == (400, "invalid state value: 'Running'")
    denied = await api.post(f"/api/v1/debug-sessions/{name}/approve", headers=auth("sam"))
    assert (denied.status_code, denied.json()["error"]) == (403, "user is not authorized to approve this session")
    approved = await api.post(f"/api/v1/debug-sessions/{name}/approve", json={"reason": "go"}, headers=auth("lena"))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"]["approval"]["approvedBy"] == "lena"
    await wait_for(api, name, "sam", "Active")
    joined = await api.post(f"/api/v1/debug-sessions/{name}/join", json={"role": "participant"}, headers=auth("dave"))
    assert joined.json() == {"message": "successfully joined session", "role": "participant"}
    invited = await api.post(
        f"/api/v1/debug-sessions/{name}/invite", json={"users": ["lena@example.com"]}, headers=auth("sam")
    )
    assert invited.json() == {
        "message": "users invited",
        "invitedParticipants": ["dave@example.com", "lena@example.com"],
    }
    not_owner = await api.post(f"/api/v1/debug-sessions/{name}/invite", json={"users": ["x"]}, headers=auth("dave"))
    assert (not_owner.status_code, not_owner.json()["error"]) == (403, "only the session owner can invite participants")
    bad_role = await api.post(f"/api/v1/debug-sessions/{name}/join", json={"role": "owner"}, headers=auth("dave"))
    assert bad_role.status_code == 400
    left = await api.post(f"/api/v1/debug-sessions/{name}/leave", headers=auth("dave"))
    assert left.json() == {"message": "successfully left session"}
    admin = await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("ops"))
    assert admin.json()["status"]["message"] == "Terminated by ops (admin)"


async def test_retention_keeps_finished_sessions_listed(api: httpx.AsyncClient, stack: Stack) -> None:
    resp = await api.post(
        "/api/v1/debug-sessions", json={"templateRef": "network-debug", "cluster": "prod-eu"}, headers=auth("sam")
    )
    name = resp.json()["metadata"]["name"]
    await wait_for(api, name, "sam", "PendingApproval")
    await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("sam"))  # withdrawn
    await wait_for(api, name, "sam", "Terminated")
    for _ in range(50):
        listed = (await api.get("/api/v1/debug-sessions?state=Terminated&mine=true", headers=auth("sam"))).json()
        if any(s["name"] == name for s in listed["sessions"]):
            break
        await asyncio.sleep(0.1)
    assert any(s["name"] == name for s in listed["sessions"])


async def test_reject(api: httpx.AsyncClient) -> None:
    resp = await api.post(
        "/api/v1/debug-sessions", json={"templateRef": "network-debug", "cluster": "prod-eu"}, headers=auth("sam")
    )
    name = resp.json()["metadata"]["name"]
    await wait_for(api, name, "sam", "PendingApproval")
    rejected = await api.post(f"/api/debugSessions/{name}/reject", json={"reason": "not now"}, headers=auth("lena"))
    assert rejected.status_code == 200, rejected.text
    final = await wait_for(api, name, "sam", "Failed")
    assert final["status"]["message"] == "Rejected by lena: not now"


async def test_templates_for_the_caller(api: httpx.AsyncClient) -> None:
    dev = (await api.get("/api/v1/debug-session-templates", headers=auth("dave"))).json()
    names = [t["name"] for t in dev["templates"]]
    assert names == [
        "dynamic-debug",
        "ephemeral-debug",
        "hybrid-debug",
        "minimal-debug",
        "network-debug",
    ]  # the dev binding selects all
    dave_clusters = (
        await api.get("/api/v1/debug-session-templates/network-debug/clusters", headers=auth("dave"))
    ).json()
    # not prod-eu: for SREs; not dev-unreachable: it failed its health check (only ready clusters are offered)
    assert [c["name"] for c in dave_clusters["clusters"]] == ["dev-1"]
    assert (await api.get("/api/v1/debug-session-templates", headers=auth("eve"))).json() == {
        "templates": [],
        "total": 0,
    }
    same = (await api.get("/api/debugSessions/templates", headers=auth("dave"))).json()
    assert same == dev
    clusters = (await api.get("/api/debugSessions/templates/network-debug/clusters", headers=auth("sam"))).json()
    prod = next(c for c in clusters["clusters"] if c["name"] == "prod-eu")
    assert prod["bindingRef"] == {"name": "sre-production-access", "namespace": "breakglass"}
    assert prod["constraints"] == {  # the template's, with the binding's overrides
        "maxDuration": "2h",
        "defaultDuration": "30m",
        "allowRenewal": True,
        "maxRenewals": 1,
        "maxConcurrentSessions": 2,
        "requireApprovalForRenewal": False,
    }
    assert prod["approval"]["approverGroups"] == ["security-leads"]
    assert "namespaceConstraints" not in prod  # network-debug has none
    assert prod["status"]["healthy"] is True
    assert prod["status"]["detail"].startswith("kube-apiserver v")
    assert "impersonation" not in prod
    denied = await api.get("/api/v1/debug-session-templates/network-debug", headers=auth("eve"))
    assert (denied.status_code, denied.json()["error"]) == (403, "access denied to this template")
    pods = (await api.get("/api/v1/debug-pod-templates", headers=auth("eve"))).json()
    assert pods["total"] == 5
    assert (await api.get("/api/debugSessions/podTemplates/nope", headers=auth("eve"))).status_code == 404


async def test_unreachable_cluster_is_not_ready(api: httpx.AsyncClient) -> None:
    clusters = (await api.get("/api/v1/debug-session-templates/minimal-debug/clusters", headers=auth("dave"))).json()
    assert "dev-unreachable" not in [c["name"] for c in clusters["clusters"]]  # only ready clusters are offered
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "minimal-debug", "cluster": "dev-unreachable"},
        headers=auth("dave"),
    )
    assert (resp.status_code, resp.json()["error"]) == (
        403,
        "cluster 'dev-unreachable' is not ready for debug sessions",
    )


async def test_health_and_docs(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    assert (await api.get("/docs")).status_code == 200
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/api/v1/debug-sessions/{name}/renew" in paths
    assert "/api/debugSessions/templates/{name}/clusters" in paths
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True


def test_token_file_refused_on_a_public_address(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"refusing to serve static-token authentication on 0\.0\.0\.0"):
        ApiSettings(host="0.0.0.0", tokens_file=tmp_path / "t.yaml")


def sar(user: str, pod: str, subresource: str = "exec", namespace: str = "breakglass-debug") -> dict[str, Any]:
    """A SubjectAccessReview shaped as a kube-apiserver sends it."""
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "resourceAttributes": {
                "namespace": namespace,
                "verb": "create",
                "group": "",
                "version": "v1",
                "resource": "pods",
                "subresource": subresource,
                "name": pod,
            },
            "user": user,
            "groups": ["system:authenticated"],
            "uid": "u-1",
            "extra": {"authentication.kubernetes.io/credential-id": ["X509SHA256=abc"]},
        },
    }


async def decision_within(
    api: httpx.AsyncClient, path: str, body: dict[str, Any], allowed: bool, within: float = 2.0
) -> dict[str, Any]:
    """Poll the webhook until it answers `allowed` (the index refreshes every second)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        resp = await api.post(path, json=body)
        assert resp.status_code == 200, resp.text
        answer: dict[str, Any] = resp.json()
        if answer["status"]["allowed"] is allowed:
            return answer
        assert asyncio.get_running_loop().time() < deadline, f"still {answer} after {within}s"
        await asyncio.sleep(0.05)


async def test_authorization_webhook(api: httpx.AsyncClient) -> None:
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={
            "templateRef": "dynamic-debug",
            "cluster": "dev-1",
            "invitedParticipants": ["dave@example.com"],
            "extraDeployValues": {"image": "busybox:latest"},
        },
        headers=auth("sam"),
    )
    assert resp.status_code == 201, resp.text
    name = resp.json()["metadata"]["name"]
    active = await wait_for(api, name, "sam", "Active")
    pod = active["status"]["allowedPods"][0]["name"]
    owner = await decision_within(api, "/api/v1/authorize/dev-1", sar("sam", pod), True)
    assert owner == {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "status": {"allowed": True, "reason": f"debug session {name}: sam (owner) may exec pod breakglass-debug/{pod}"},
    }
    # the reference's path serves the same decisions; another cluster's webhook never accepts this session
    await decision_within(api, "/api/breakglass/webhook/authorize/dev-1", sar("sam", pod, "log"), True)
    other = (await api.post("/api/v1/authorize/prod-eu", json=sar("sam", pod))).json()
    assert other["status"]["allowed"] is False
    # a viewer may look but not exec; a participant may, until they leave
    await api.post(f"/api/v1/debug-sessions/{name}/join", json={"role": "participant"}, headers=auth("dave"))
    await decision_within(api, "/api/v1/authorize/dev-1", sar("dave", pod), True)
    await api.post(f"/api/v1/debug-sessions/{name}/leave", headers=auth("dave"))
    await decision_within(api, "/api/v1/authorize/dev-1", sar("dave", pod), False)
    # terminate: the owner loses access within 2 s
    await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("sam"))
    denied = await decision_within(api, "/api/v1/authorize/dev-1", sar("sam", pod), False)
    assert (
        denied["status"]["reason"]
        == f"no active debug session on cluster dev-1 grants exec on pod breakglass-debug/{pod} to sam"
    )


async def test_malformed_reviews_get_a_clear_400(api: httpx.AsyncClient) -> None:
    resp = await api.post("/api/v1/authorize/dev-1", json={"kind": "SubjectAccessReview", "spec": {}})
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid SubjectAccessReview: apiVersion: Field required"
    resp = await api.post("/api/v1/authorize/dev-1", json={"apiVersion": "v1", "kind": "Pod", "spec": {}})
    assert (
        resp.json()["error"]
        == "invalid SubjectAccessReview: expected kind SubjectAccessReview of authorization.k8s.io/v1"
    )
    resp = await api.post("/api/v1/authorize/dev-1", content=b"not json")
    assert resp.status_code == 400


async def test_oidc_tokens_authenticate_api_calls(stack: Stack, tmp_path: Path) -> None:
    from tests.api.test_oidc import AUDIENCE, ISSUER, Jwks, mint, new_key

    with Jwks() as idp:
        private, public = new_key("k1")
        idp.keys = [public]
        settings = ApiSettings(
            catalog_dir=REPO / "deploy" / "demo-catalog",
            task_queue=stack.task_queue,
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
            oidc_jwks_url=idp.url,
        )
        app = create_app(settings, client=stack.client)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client,
        ):
            # the demo catalog's clusters are not reachable here, hence includeUnavailable
            ok = await client.get(
                "/api/v1/debug-session-templates?includeUnavailable=true",
                headers={"Authorization": f"Bearer {mint(private)}"},
            )
            assert ok.status_code == 200, ok.text
            assert ok.json()["total"] >= 1  # alice is in sre-team
            expired = await client.get(
                "/api/v1/debug-session-templates", headers={"Authorization": f"Bearer {mint(private, exp=1)}"}
            )
            assert expired.status_code == 401
            assert expired.json() == {
                "error": "user not authenticated",
                "code": "UNAUTHORIZED",
                "details": "token expired",
            }


def test_incomplete_oidc_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="OIDC needs DEBUG_SESSION_OIDC_ISSUER"):
        ApiSettings(oidc_issuer="https://idp.example.test")
    with pytest.raises(ValueError, match="DEBUG_SESSION_OIDC_AUDIENCE is optional"):
        ApiSettings(oidc_audience="debug-sessions")
    assert ApiSettings(
        oidc_issuer="https://idp.example.test", oidc_jwks_url="https://idp.example.test/jwks"
    ).oidc_issuer


async def test_authorization_matrix(api: httpx.AsyncClient) -> None:
    """Every role against every action on one session: requester, approver, admin, invited participant,
    invited viewer, departed participant, stranger. The reference's June-2026 bugs are named cases."""
    invited = ["dave@example.com", "vic@example.com", "pat@example.com"]
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "network-debug", "cluster": "prod-eu", "invitedParticipants": invited},
        headers=auth("sam"),
    )
    name = resp.json()["metadata"]["name"]
    base = f"/api/v1/debug-sessions/{name}"
    await wait_for(api, name, "sam", "PendingApproval")

    async def status_of(method: str, path: str, user: str, body: Any = None) -> int:
        kwargs: dict[str, Any] = {"headers": auth(user)}
        if body is not None:
            kwargs["json"] = body
        return (await api.request(method, base + path, **kwargs)).status_code

    # approval: only a configured approver who is not the requester; an admin is not an approver
    assert await status_of("POST", "/approve", "sam") == 403  # requester, even if they were in the group
    assert await status_of("POST", "/approve", "eve") == 403
    assert await status_of("POST", "/approve", "ops") == 403
    assert await status_of("POST", "/approve", "lena") == 200
    await wait_for(api, name, "sam", "Active")
    # read
    assert {u: await status_of("GET", "", u) for u in ("sam", "lena", "dave", "ops", "eve")} == {
        "sam": 200, "lena": 200, "dave": 200, "ops": 200, "eve": 403,
    }  # fmt: skip
    # join: invitations decide, and the role is the invitee's choice between participant and viewer
    assert await status_of("POST", "/join", "dave", {"role": "participant"}) == 200
    assert await status_of("POST", "/join", "vic") == 200  # empty body: viewer
    assert await status_of("POST", "/join", "pat", {"role": "participant"}) == 200
    assert await status_of("POST", "/join", "eve", {"role": "participant"}) == 403
    assert await status_of("POST", "/leave", "pat") == 200
    # renew: requester and active owner/participant only
    renew = {"extendBy": "5m"}
    assert await status_of("POST", "/renew", "dave", renew) == 200
    assert await status_of("POST", "/renew", "vic", renew) == 403  # REF-BUG: viewers renewing
    assert await status_of("POST", "/renew", "pat", renew) == 403  # departed
    assert await status_of("POST", "/renew", "lena", renew) == 403  # approvers are not participants
    assert await status_of("POST", "/renew", "eve", renew) == 403
    # exec through the webhook
    pod = (await api.get(base, headers=auth("sam"))).json()["status"]["allowedPods"][0]["name"]
    await decision_within(api, "/api/v1/authorize/prod-eu", sar("dave", pod), True)
    for user in ("vic", "pat", "eve", "lena"):  # REF-BUG: viewer / departed participant exec
        answer = (await api.post("/api/v1/authorize/prod-eu", json=sar(user, pod))).json()
        assert answer["status"]["allowed"] is False, user
    # terminate: the owner or an admin, nobody else
    for user in ("dave", "vic", "lena", "eve"):
        assert await status_of("POST", "/terminate", user) == 403, user
    assert await status_of("POST", "/terminate", "ops") == 200
    final = await wait_for(api, name, "sam", "Terminated")
    assert final["status"]["message"] == "Terminated by ops (admin)"


async def test_the_list_pages_with_limit_and_continue(api: httpx.AsyncClient) -> None:
    for reason in ("page one", "page two", "page three"):
        resp = await api.post(
            "/api/v1/debug-sessions",
            json={"templateRef": "minimal-debug", "cluster": "dev-1", "reason": reason},
            headers=auth("dave"),
        )
        assert resp.status_code == 201, resp.text
    everything = (await api.get("/api/debugSessions", headers=auth("dave"))).json()
    assert "continue" not in everything  # without a limit: the whole list, as the reference's clients expect
    assert everything["total"] >= 3
    paged: list[str] = []
    token: str | None = None
    for _ in range(everything["total"] + 1):
        params = {"limit": "2", **({"continue": token} if token else {})}
        page = (await api.get("/api/debugSessions", params=params, headers=auth("dave"))).json()
        assert len(page["sessions"]) <= 2
        paged += [s["name"] for s in page["sessions"]]
        token = page.get("continue")
        if token is None:
            break
    assert sorted(paged) == sorted(s["name"] for s in everything["sessions"])
    bad = await api.get("/api/debugSessions", params={"limit": "2", "continue": "not-a-token"}, headers=auth("dave"))
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid continue token")
    too_many = await api.get("/api/debugSessions", params={"limit": "5000"}, headers=auth("dave"))
    assert too_many.status_code == 400


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text as {(sample name, labels): value}, parsed by prometheus_client's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_what_happens(api: httpx.AsyncClient) -> None:
    """/metrics (public, Prometheus text) moves with creates, approvals, terminations, webhook decisions and
    every request."""
    before = samples((await api.get("/metrics")).text)
    resp = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "network-debug", "cluster": "prod-eu", "reason": "metrics"},
        headers=auth("sam"),
    )
    name = resp.json()["metadata"]["name"]
    await wait_for(api, name, "sam", "PendingApproval")
    assert (await api.post(f"/api/v1/debug-sessions/{name}/approve", json={}, headers=auth("lena"))).status_code == 200
    await wait_for(api, name, "sam", "Active")
    assert (await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("sam"))).status_code == 200
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": "sam", "resourceAttributes": {"namespace": "x", "verb": "create", "resource": "pods",
                                                              "subresource": "exec", "name": "nope"}}}  # fmt: skip
    await api.post("/api/v1/authorize/prod-eu", json=review)
    resp = await api.get("/metrics")
    assert resp.headers["content-type"].startswith("text/plain")
    after = samples(resp.text)

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("breakglass_debug_sessions_created_total", cluster="prod-eu", template="network-debug") == 1
    assert moved("breakglass_debug_session_approved_total", cluster="prod-eu", approver_type="user") == 1
    assert moved("breakglass_debug_sessions_terminated_total", cluster="prod-eu", reason="user_terminated") == 1
    assert moved("debug_sessions_webhook_decisions_total", cluster="prod-eu", result="no_opinion") == 1
    route = "/api/v1/debug-sessions/{name}/approve"
    assert moved("debug_sessions_http_requests_total", method="POST", route=route, status="200") == 1
    assert moved("debug_sessions_http_request_duration_seconds_count", method="POST", route=route) == 1
    assert 0 <= after[("debug_sessions_webhook_index_age_seconds", ())] < 30
