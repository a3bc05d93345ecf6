"""The web UI over the real stack: request, approve (as another user), Active without reloading, renew,
terminate; what users without rights see and get; the live list's event stream."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from api.ui.context import SESSION_COOKIE
from api.ui.events import Upstream, server_sent_events
from tests.e2e.conftest import Stack
from tests.ui.conftest import TEMPORAL_UI, TOKEN, ui_app
from tests.ui.support import Browser, Page

pytestmark = pytest.mark.e2e


async def until(check: Any, what: str, within: float = 20) -> Any:
    """Retry `check()` (async) until it answers something true."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def live_state(browser: Browser, name: str) -> str:
    """The state app.js reads from the page's live part."""
    resp = await browser.get(f"/debug-sessions/{name}/live", headers={"X-UI-Fragment": "1"})
    assert resp.status_code == 200, resp.text
    return Page(resp.text).testid("session-state")


async def test_request_approve_active_renew_terminate(stack: Stack, tmp_path: Path) -> None:
    async with ui_app(stack, tmp_path) as app, Browser(app) as sam, Browser(app) as lena, Browser(app) as eve:
        for browser, user in ((sam, "sam"), (lena, "lena"), (eve, "eve")):
            await browser.login(TOKEN[user])
        page = await sam.page("/debug-sessions")
        assert {"All", "Mine", "Awaiting my approval"} <= set(page.links())
        assert page.unlabelled_controls() == []

        # sam requests a session that needs approval
        await sam.page("/debug-sessions/create?template=network-debug&cluster=prod-eu")
        resp = await sam.post(
            "/debug-sessions/create",
            {"templateRef": "network-debug", "cluster": "prod-eu", "reason": "packet loss", "action": "create"},
        )
        assert resp.status_code == 303, resp.text
        path = resp.headers["location"]
        name = path.rsplit("/", 1)[1]
        page = await sam.page(path)
        assert f"Requested {name}." in page.text()
        assert page.testid("session-state") in ("Pending", "PendingApproval")
        await until(lambda: _is(sam, name, "PendingApproval"), "PendingApproval")

        # the requester may not approve: no button, and a direct POST (with a valid CSRF token) is a 403
        page = await sam.page(path)
        assert "Approve" not in page.buttons()
        assert "Reject" not in page.buttons()
        assert {"Terminate"} <= set(page.buttons())  # withdraw
        resp = await sam.post(f"{path}/approve", {"reason": "me"})
        assert resp.status_code == 403
        # a user without any rights cannot even read it, nor approve it
        assert (await eve.get(path)).status_code == 403
        await eve.page("/debug-sessions")
        resp = await eve.post(f"{path}/approve", {"reason": "sure"})
        assert resp.status_code == 403

        # lena finds it under "Awaiting my approval" and approves it with a reason
        async def waiting_for_lena() -> bool:
            return name in (await lena.page("/debug-sessions?tab=approval")).rows()

        await until(waiting_for_lena, "the session under Awaiting my approval")
        page = await lena.page(path)
        assert {"Approve", "Reject"} <= set(page.buttons())
        assert page.control("Reason").tag == "textarea"
        resp = await lena.post(f"{path}/approve", {"reason": "ok, go ahead"})
        assert resp.status_code == 303
        assert resp.headers["location"] == path
        assert f"Approved {name}." in (await lena.page(path)).text()

        # sam's page turns Active without a reload (app.js polls this part)
        await until(lambda: _is(sam, name, "Active"), "Active", within=30)

        async def pod_ready() -> Page | None:
            page = await sam.page(path)
            return page if "✓ Ready" in page.text() else None

        page = await until(pod_ready, "a Ready pod")
        assert "Allowed Pod Operations" in [e.text for e in page.all("h2")]
        assert "exec: allowed" in page.text()
        assert "logs: not allowed" in page.text()
        assert "Allowed pods" in [e.text for e in page.all("caption")]
        assert "kubectl exec -it -n breakglass-debug" in page.html
        assert f"dsctl session exec {name} " in page.html
        assert {"Renew", "Terminate"} <= set(page.buttons())
        assert page.control("Extend by").tag == "select"
        assert "Open in Temporal UI" not in page.links()  # sam is no admin
        assert page.unlabelled_controls() == []

        resp = await sam.post(f"{path}/renew", {"extendBy": "30m"})
        assert resp.status_code == 303
        assert "Renewed: it now expires at" in (await sam.page(path)).text()
        resp = await sam.post(f"{path}/renew", {"extendBy": "30m"})  # the binding allows one renewal
        assert resp.status_code == 403
        assert "maximum renewals (1) reached" in resp.text

        async with Browser(app) as ops:
            await ops.login(TOKEN["ops"])
            page = await ops.page(path)
            link = [e.attrs["href"] for e in page.all("a") if e.text.startswith("Open in Temporal UI")]
            assert link == [f"{TEMPORAL_UI}/namespaces/default/workflows/{name}"]

        resp = await sam.post(f"{path}/terminate", {})
        assert resp.status_code == 303
        await until(lambda: _is(sam, name, "Terminated"), "Terminated")
        mine = await sam.page("/debug-sessions?tab=mine")
        assert name in mine.rows()
        row = next(e for e in mine.all("tr", data_testid="session-row") if e.attrs["data-session"] == name)
        assert "Terminated" in row.text
        assert "network-debug" in row.text
        assert "prod-eu" in row.text


async def _is(browser: Browser, name: str, state: str) -> bool:
    return await live_state(browser, name) == state


async def test_the_list_streams_changes_to_the_browser(stack: Stack, tmp_path: Path) -> None:
    async with ui_app(stack, tmp_path) as app, Browser(app) as sam:
        await sam.login(TOKEN["sam"])
        cookie = f"{SESSION_COOKIE}={sam.client.cookies[SESSION_COOKIE]}"
        stream = Upstream(app, "/debug-sessions/events", "tab=mine", [(b"cookie", cookie.encode())])
        try:
            status, _ = await stream.start()
            assert status == 200
            events = server_sent_events(stream.chunks())

            async def next_event(kind: str) -> dict[str, Any]:
                async for event, data in events:
                    if event == kind:
                        parsed: dict[str, Any] = json.loads(data)
                        return parsed
                raise AssertionError("the stream ended")

            counts = await asyncio.wait_for(next_event("counts"), 20)
            assert set(counts) == {"all", "mine", "approval"}
            await sam.page("/debug-sessions/create")
            resp = await sam.post(
                "/debug-sessions/create", {"templateRef": "hybrid-debug", "cluster": "dev-1", "action": "create"}
            )
            assert resp.status_code == 303, resp.text
            name = resp.headers["location"].rsplit("/", 1)[1]
            while True:
                row = await asyncio.wait_for(next_event("row"), 20)
                if row["name"] == name:
                    break
            assert row["show"]
            assert row["entered"]
            assert f'data-session="{name}"' in row["html"]
            assert 'data-testid="session-row"' in row["html"]
            counts = await asyncio.wait_for(next_event("counts"), 20)
            assert counts["mine"] >= 1
        finally:
            await stream.close()
        await kubectl_debug_forms(sam, name)
        # without a login the stream says so (app.js then goes to the login page)
        anonymous = Upstream(app, "/debug-sessions/events", "", [])
        try:
            status, _body = await anonymous.start()
            assert status == 401
        finally:
            await anonymous.close()


async def kubectl_debug_forms(sam: Browser, name: str) -> None:
    """A hybrid session's page offers the kubectl-debug operations; two of them, through their forms."""
    path = f"/debug-sessions/{name}"
    await until(lambda: _is(sam, name, "Active"), "Active", within=30)

    async def with_pod() -> Page | None:
        page = await sam.page(path)
        return page if "✓ Ready" in page.text() else None

    page = await until(with_pod, "a Ready pod")
    assert {"Inject container", "Create pod copy", "Create node debug pod"} <= set(page.buttons())
    assert page.unlabelled_controls() == []
    assert "built-in method" not in page.text()
    session = await sam.client.get(
        f"/api/v1/debug-sessions/{name}", headers={"Authorization": f"Bearer {TOKEN['sam']}"}
    )
    pod = session.json()["status"]["allowedPods"][0]
    resp = await sam.post(f"{path}/node-debug", {"nodeName": pod["nodeName"]})
    assert resp.status_code == 303, resp.text
    assert "Node debug pod" in (await sam.page(path)).text()
    resp = await sam.post(
        f"{path}/inject",
        {"namespace": pod["namespace"], "podName": pod["name"], "containerName": "dbg", "image": "busybox:1.36",
         "command": "sh -c 'sleep 1'", "runAsUser": "1000"},
    )  # fmt: skip
    assert resp.status_code == 303, resp.text
    page = await sam.page(path)
    assert "Ephemeral container 'dbg' injected" in page.text()
    assert "Container dbg (busybox:1.36)" in page.text()
    # a refusal stays on the page, next to its form, with the API's status
    resp = await sam.post(
        f"{path}/inject", {"namespace": "kube-system", "podName": "x", "containerName": "c", "image": "busybox:1.36"}
    )
    assert resp.status_code in (400, 403), resp.text
    assert sam.last is not None
    assert "field-error" in sam.last.html
