"""The web UI in a real browser (issue 18): headless chromium, driven by Playwright, against `dsctl dev
--simulate` with the demo catalog and users. Pages are found by the accessible names the issue prescribes
(tests/browser/ui.py), so these tests are the UI's contract.

`UPDATE_SCREENSHOTS=1` makes `test_screenshots` write docs/screenshots/*.png (otherwise into its tmp_path).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import LOGIN_LIFETIME_S, NewContext
from tests.browser.ui import (
    DAVE,
    DESKTOP,
    DETAILS_URL,
    LENA,
    LOGIN_URL,
    PHONE,
    SAM,
    SESSIONS_URL,
    Api,
    button,
    choose,
    csrf_field,
    in_state,
    login,
    pods_table,
    row,
    section,
    settled,
    state,
    tab,
)
from tests.conftest import REPO
from tests.dev_stack import DevStack

from playwright.async_api import Dialog, Page, expect  # isort: skip  (after ui.py skipped without playwright)

pytestmark = pytest.mark.e2e

SCREENSHOTS = REPO / "docs" / "screenshots"
SIZES = {"desktop": DESKTOP, "phone": PHONE}
ACTIVE_WITHIN_MS = 30_000
"""Approval to Active: the workflow deploys the DaemonSet and waits for its pods (a second or two here)."""


async def mark_page(page: Page) -> None:
    """Leave a mark in the page's window: it survives live updates, and a reload or navigation drops it."""
    await page.evaluate("window.__stillTheSamePage = true")


async def assert_not_reloaded(page: Page) -> None:
    """The page still has the mark of `mark_page`."""
    assert await page.evaluate("window.__stillTheSamePage === true"), "the page was reloaded or navigated"


async def accept_dialog(dialog: Dialog) -> None:
    """Say yes to a confirm() ("Terminate this session?")."""
    await dialog.accept()


async def fill_request(page: Page, template: str, cluster: str, reason: str, duration: str) -> None:
    """Fill the create page (which may reload itself with ?template=&cluster= after each choice)."""
    await page.goto("/debug-sessions/create")
    await choose(page, "Template", template)
    await choose(page, "Cluster", cluster)
    await page.get_by_label("Reason", exact=True).fill(reason)
    await page.get_by_label("Duration", exact=True).fill(duration)
    # nothing chosen was lost to a reload on the way
    await expect(page.get_by_label("Reason", exact=True)).to_have_value(reason)
    template_select = page.get_by_role("combobox", name="Template", exact=True)
    await expect(template_select).to_have_value(template)


async def show_preview(page: Page) -> None:
    """Press Preview and wait until it shows the workload the demo template creates (a DaemonSet)."""
    await button(page, "Preview").click()
    await settled(page)
    preview = section(page, "Preview")
    await expect(preview).to_be_visible()
    await expect(preview).to_contain_text("DaemonSet")


async def open_from_row(page: Page, name: str) -> Page:
    """Open the session of a list row in a second tab (the list stays open): the row's link."""
    href = await row(page, name).get_by_role("link").first.get_attribute("href")
    assert href is not None
    details = await page.context.new_page()
    await details.goto(href)
    await expect(details).to_have_url(re.compile(rf"/debug-sessions/{re.escape(name)}/?(\?.*)?$"))
    return details


async def test_login_with_a_token_opens_the_sessions_list(new_context: NewContext) -> None:
    context = await new_context()
    page = await context.new_page()
    await page.goto("/debug-sessions")
    await expect(page).to_have_url(LOGIN_URL)  # not logged in yet
    await page.get_by_label("Token", exact=True).fill("not-a-token")
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(LOGIN_URL)
    await expect(page.get_by_label("Token", exact=True)).to_be_visible()

    page = await login(context, SAM)
    await expect(page).to_have_url(SESSIONS_URL)
    for name in ("All", "Mine", "Awaiting my approval"):
        await expect(tab(page, name)).to_be_visible()


async def test_request_approve_renew_terminate(new_context: NewContext, stack: DevStack) -> None:
    """Sam requests network-debug on prod-eu in the browser; Lena approves it in hers; Sam's open page turns
    Active by itself, shows the pods and operations; Sam renews, then terminates."""
    sam = await login(await new_context(), SAM)
    sam.on("dialog", accept_dialog)
    awaiting = await login(await new_context(), LENA)
    await tab(awaiting, "Awaiting my approval").click()
    await mark_page(awaiting)

    async with Api(stack.api, SAM) as sam_api, Api(stack.api, LENA) as lena_api:
        before = (await sam_api.http.get("/api/v1/debug-sessions")).json()["total"]
        await fill_request(sam, "network-debug", "prod-eu", "packet loss on node pool", "1h")
        await show_preview(sam)
        assert (await sam_api.http.get("/api/v1/debug-sessions")).json()["total"] == before, "Preview created"

        await button(sam, "Request session").click()
        await expect(sam).to_have_url(DETAILS_URL)
        found = DETAILS_URL.search(sam.url)
        assert found is not None
        name = found.group(1)
        try:
            await expect(state(sam)).to_have_text(in_state("PendingApproval"))
            await expect(button(sam, "Approve")).to_have_count(0)  # nobody approves their own request
            await mark_page(sam)

            # Lena's open list shows the request as it arrives; she opens it and approves it with a reason
            await expect(row(awaiting, name)).to_be_visible()
            await assert_not_reloaded(awaiting)
            lena = await open_from_row(awaiting, name)
            await expect(state(lena)).to_have_text(in_state("PendingApproval"))
            approve = button(lena, "Approve")
            await expect(button(lena, "Reject")).to_be_visible()
            form = lena.locator("form").filter(has=approve)
            reason = form.get_by_label("Reason", exact=True)
            if not await reason.count():
                reason = lena.get_by_label("Reason", exact=True).first
            await reason.fill("ticket NET-42: ok for one hour")
            await approve.click()
            await expect(state(lena)).not_to_have_text(in_state("PendingApproval"))
            await expect(button(lena, "Approve")).to_have_count(0)
            await expect(row(awaiting, name)).to_have_count(0)  # decided: it leaves her open list
            await assert_not_reloaded(awaiting)
            approved = await lena_api.get(name)
            assert approved["status"]["approval"]["approvedBy"] == "lena", approved["status"]["approval"]
            assert approved["status"]["approval"]["reason"] == "ticket NET-42: ok for one hour"

            # Sam's page, left open, turns Active by itself and shows what the session allows
            await expect(state(sam)).to_have_text(in_state("Active"), timeout=ACTIVE_WITHIN_MS)
            active = await sam_api.get(name)
            pods = active["status"]["allowedPods"]
            assert len(pods) == 3, pods  # the three workers: the template denies control-plane nodes
            operations = section(sam, "Allowed Pod Operations")
            await expect(operations).to_be_visible()
            await expect(operations).to_contain_text(re.compile("exec", re.IGNORECASE))
            table = pods_table(sam)
            await expect(table).to_be_visible()
            for pod in pods:
                await expect(table).to_contain_text(pod["name"])
            await assert_not_reloaded(sam)

            # renew (the binding allows one renewal), then terminate
            await button(sam, "Renew").click()
            for _ in range(50):
                if (renewed := await sam_api.get(name))["status"]["renewalCount"] == 1:
                    break
                await sam.wait_for_timeout(100)
            assert renewed["status"]["renewalCount"] == 1, renewed["status"]
            assert renewed["status"]["expiresAt"] > active["status"]["expiresAt"]
            await expect(state(sam)).to_have_text(in_state("Active"))

            await button(sam, "Terminate").click()
            await expect(state(sam)).to_have_text(in_state("Terminated"))
            await expect(button(sam, "Renew")).to_have_count(0)
            await expect(button(sam, "Terminate")).to_have_count(0)
            assert (await sam_api.get(name))["status"]["state"] == "Terminated"
        finally:
            await sam_api.end(name)


async def test_the_list_updates_without_reloading(new_context: NewContext, stack: DevStack) -> None:
    sam = await login(await new_context(), SAM)
    await tab(sam, "Mine").click()
    await expect(sam).to_have_url(SESSIONS_URL)
    await mark_page(sam)
    async with Api(stack.api, SAM) as sam_api:
        name = await sam_api.create("hybrid-debug", "dev-1", reason="list updates live")  # auto-approved
        try:
            await expect(row(sam, name)).to_be_visible()
            await expect(row(sam, name)).to_contain_text(in_state("Active"), timeout=ACTIVE_WITHIN_MS)
            assert (await sam_api.post(name, "terminate")).status_code == 200
            await expect(row(sam, name)).to_contain_text(in_state("Terminated"))
            await assert_not_reloaded(sam)
        finally:
            await sam_api.end(name)


async def test_a_user_without_rights_sees_no_approve_and_is_refused(new_context: NewContext, stack: DevStack) -> None:
    """Dave (developers), invited to read Sam's request, gets no Approve button, and the approve form's POST
    with his page's own CSRF token is a 403; the same POST with Lena's token approves (so the 403 is his)."""
    async with Api(stack.api, SAM) as sam_api:
        name = await sam_api.create("network-debug", "prod-eu", reason="dave looks on", invitedParticipants=["dave"])
        try:
            await sam_api.wait_for_state(name, "PendingApproval")
            dave = await login(await new_context(), DAVE)
            await dave.goto(f"/debug-sessions/{name}")
            await expect(state(dave)).to_have_text(in_state("PendingApproval"))
            await expect(button(dave, "Approve")).to_have_count(0)
            await expect(button(dave, "Reject")).to_have_count(0)

            # the approve form as the approver's page has it: its address and its fields
            lena = await login(await new_context(), LENA)
            await lena.goto(f"/debug-sessions/{name}")
            approve = button(lena, "Approve")
            action = await approve.evaluate("b => b.hasAttribute('formaction') ? b.formAction : b.form.action")
            fields: dict[str, str] = await approve.evaluate("b => Object.fromEntries(new FormData(b.form, b))")
            csrf_name, lena_csrf = await csrf_field(lena)
            assert fields.get(csrf_name) == lena_csrf, (csrf_name, fields)

            _, dave_csrf = await csrf_field(dave)
            denied = await dave.request.post(
                action, form={**fields, csrf_name: dave_csrf, "reason": "let me in"}, max_redirects=0
            )
            assert denied.status == 403, (denied.status, await denied.text())
            assert (await sam_api.get(name))["status"]["state"] == "PendingApproval"

            allowed = await lena.request.post(action, form={**fields, "reason": "ok"}, max_redirects=0)
            assert allowed.status in (200, 302, 303), (allowed.status, await allowed.text())
            assert (await sam_api.get(name))["status"]["approval"]["approvedBy"] == "lena"
        finally:
            await sam_api.end(name)


async def test_an_expired_login_cookie_leads_back_to_login(new_context: NewContext, stack: DevStack) -> None:
    """A login cookie that no longer opens (what an expired one does): a session's page left open goes to
    /login by itself at its next update, and so does any page opened with it."""
    context = await new_context()
    page = await login(context, SAM)
    async with Api(stack.api, SAM) as sam_api:
        name = await sam_api.create("hybrid-debug", "dev-1", reason="cookie expiry")
        try:
            await page.goto(f"/debug-sessions/{name}")
            await expect(state(page)).to_have_text(in_state("Active"), timeout=ACTIVE_WITHIN_MS)
            cookies = await context.cookies()
            assert cookies, "logging in set no cookie"
            await context.clear_cookies()
            spoilt = [{**c, "value": "expired-" + c["value"][::-1]} for c in cookies]
            await context.add_cookies(spoilt)  # type: ignore[arg-type]
            await expect(page).to_have_url(LOGIN_URL)  # the open page, on its own
            await expect(page.get_by_label("Token", exact=True)).to_be_visible()

            await context.add_cookies(spoilt)  # type: ignore[arg-type]
            await page.goto("/debug-sessions")
            await expect(page).to_have_url(LOGIN_URL)
            await context.clear_cookies()  # and with no cookie at all
            await page.goto(f"/debug-sessions/{name}")
            await expect(page).to_have_url(LOGIN_URL)
        finally:
            await sam_api.end(name)


async def test_a_login_ends_when_its_lifetime_is_over(new_context: NewContext, short_login_stack: DevStack) -> None:
    """With DEBUG_SESSION_UI_SESSION_LIFETIME short, a login really expires: the next page is /login, and
    logging in again works."""
    context = await new_context(base_url=short_login_stack.api)
    page = await login(context, SAM)
    await page.wait_for_timeout((LOGIN_LIFETIME_S + 1) * 1000)
    await page.goto("/debug-sessions/create")
    await expect(page).to_have_url(LOGIN_URL)
    page = await login(context, SAM)
    await expect(tab(page, "Mine")).to_be_visible()


async def test_screenshots(new_context: NewContext, stack: DevStack, tmp_path: Path) -> None:
    """The list, the create page with its preview, and an Active session's page, at desktop and phone width.
    Written to docs/screenshots/ with UPDATE_SCREENSHOTS=1 (that is how the committed ones were made)."""
    shots: list[Path] = []

    async def shoot(page: Page, name: str) -> None:
        path = tmp_path / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True, animations="disabled")
        shots.append(path)

    pages = {size: await login(await new_context(viewport), SAM) for size, viewport in SIZES.items()}
    for size, page in pages.items():  # before the session below exists: prod-eu allows Sam one at a time
        await fill_request(page, "network-debug", "prod-eu", "packet loss on node pool", "1h")
        await show_preview(page)
        await shoot(page, f"create-preview-{size}")

    async with Api(stack.api, SAM) as sam_api, Api(stack.api, LENA) as lena_api:
        name = await sam_api.create("network-debug", "prod-eu", reason="packet loss on node pool")
        try:
            assert (await lena_api.post(name, "approve", {"reason": "ticket NET-42"})).status_code == 200
            pod = (await sam_api.wait_for_state(name, "Active"))["status"]["allowedPods"][0]["name"]
            for size, page in pages.items():
                await page.goto("/debug-sessions")
                await expect(row(page, name)).to_contain_text(in_state("Active"))
                await shoot(page, f"list-{size}")

                await page.goto(f"/debug-sessions/{name}")
                await expect(state(page)).to_have_text(in_state("Active"))
                await expect(pods_table(page)).to_contain_text(pod)
                await shoot(page, f"details-active-{size}")
        finally:
            await sam_api.end(name)

    for path in shots:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), path
        assert path.stat().st_size > 5_000, path  # not a blank page
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for path in shots:
            shutil.copyfile(path, SCREENSHOTS / path.name)
