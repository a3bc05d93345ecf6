"""How the browser tests find things on the UI's pages: by the accessible names and test ids of issue 18,
so a locator here is the contract the pages keep. Also the REST calls the tests use to set up or check."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.async_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.async_api import BrowserContext, Locator, Page, ViewportSize, expect

from domain.session import SessionState

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

SAM, LENA, DAVE = "dev-sam-token", "dev-lena-token", "dev-dave-token"
"""The demo users (deploy/demo-tokens.yaml): sre-team, security-leads (prod-eu's approvers), developers."""

SESSIONS_URL = re.compile(r"/debug-sessions/?(\?.*)?$")
LOGIN_URL = re.compile(r"/login/?(\?.*)?$")
OPEN_STATES = (SessionState.PENDING, SessionState.PENDING_APPROVAL, SessionState.ACTIVE)
DETAILS_URL = re.compile(r"/debug-sessions/(?!create\b)([^/?#]+)/?(\?.*)?$")


async def login(context: BrowserContext, token: str) -> Page:
    """Log in through the login page with a static token; the new page, on the sessions list."""
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("Token", exact=True).fill(token)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(SESSIONS_URL)
    return page


def tab(page: Page, name: str) -> Locator:
    """A tab of the sessions list ("All", "Mine", "Awaiting my approval"): a tab or a link of that name."""
    return page.get_by_role("tab", name=name, exact=True).or_(page.get_by_role("link", name=name, exact=True)).first


def row(page: Page, session: str) -> Locator:
    """The sessions list's row of one session."""
    return page.locator(f'[data-testid="session-row"][data-session="{session}"]')


def state(page: Page) -> Locator:
    """The details page's state text."""
    return page.get_by_test_id("session-state")


def in_state(name: str) -> re.Pattern[str]:
    """The state text `name` as a whole word (so "Pending" does not match "PendingApproval")."""
    return re.compile(rf"(^|\W){name}($|\W)")


def button(page: Page, name: str) -> Locator:
    """A button by its accessible name, exactly."""
    return page.get_by_role("button", name=name, exact=True)


async def choose(page: Page, label: str, value: str) -> None:
    """Pick `value` in the control labelled `label`: a select (by option value or text) or a radio group
    (a radiogroup or fieldset of that name, the radio by its value or its label)."""
    select = page.get_by_role("combobox", name=label, exact=True).or_(
        page.get_by_role("listbox", name=label, exact=True)
    )
    group = page.get_by_role("radiogroup", name=label, exact=True).or_(
        page.get_by_role("group", name=label, exact=True)
    )
    await expect(select.or_(group).first).to_be_visible()
    if await select.count():
        await select.first.select_option(value)
    else:
        radio = group.first.locator(f'input[type="radio"][value="{value}"]').or_(
            group.first.get_by_role("radio", name=value, exact=True)
        )
        await radio.first.check()
    await settled(page)


async def settled(page: Page) -> None:
    """Wait until no part of the page is being replaced (`aria-busy`) and any reload it started is done."""
    await page.wait_for_load_state()
    await expect(page.locator('[aria-busy="true"]')).to_have_count(0)


def section(page: Page, name: str) -> Locator:
    """A region named `name` (aria-labelledby its heading), or else the nearest element holding a heading of
    that text: what a reader sees under that heading."""
    heading = page.get_by_role("heading", name=name, exact=True)
    holder = page.locator("section, article, div, details, aside").filter(has=heading)
    return page.get_by_role("region", name=name, exact=True).or_(holder.last).first


def pods_table(page: Page) -> Locator:
    """The "Allowed pods" table: captioned or labelled so, or the first table after that heading."""
    named = page.get_by_role("table", name="Allowed pods", exact=True)
    after_heading = page.locator(
        "xpath=//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
        "[normalize-space()='Allowed pods']/following::table[1]"
    )
    return named.or_(after_heading).first


async def csrf_field(page: Page) -> tuple[str, str]:
    """The page's own CSRF token: (form field name, value), from a hidden form field or a meta tag."""
    hidden = page.locator('input[type="hidden"][name*="csrf" i]')
    if await hidden.count():
        field = hidden.first
        return (await field.get_attribute("name") or "", await field.input_value())
    meta = page.locator('meta[name*="csrf" i]')
    assert await meta.count(), "the page carries no CSRF token (no hidden input or meta tag named *csrf*)"
    return (await meta.first.get_attribute("name") or "", await meta.first.get_attribute("content") or "")


class Api:
    """The REST API as one demo user (bearer token): set-up and checks beside the browser."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def create(self, template: str, cluster: str, **more: Any) -> str:
        """Request a session; its name."""
        body = {"templateRef": template, "cluster": cluster, **more}
        created = await self.http.post("/api/v1/debug-sessions", json=body)
        assert created.status_code == 201, created.text
        name: str = created.json()["metadata"]["name"]
        return name

    async def get(self, name: str) -> dict[str, Any]:
        """The session as the API shows it to this user."""
        got = await self.http.get(f"/api/v1/debug-sessions/{name}")
        assert got.status_code == 200, got.text
        session: dict[str, Any] = got.json()
        return session

    async def post(self, name: str, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """POST /api/v1/debug-sessions/<name>/<action>."""
        return await self.http.post(f"/api/v1/debug-sessions/{name}/{action}", json=body)  # terminate: no body

    async def wait_for_state(self, name: str, wanted: str, within: float = 30) -> dict[str, Any]:
        """Poll until the session is in `wanted`; the session."""
        deadline = time.monotonic() + within
        while True:
            session = await self.get(name)
            if session["status"]["state"] == wanted or time.monotonic() > deadline:
                assert session["status"]["state"] == wanted, session["status"]
                return session
            await asyncio.sleep(0.2)

    async def end(self, name: str) -> None:
        """Terminate the session if it is still open (tests leave nothing behind: prod-eu allows one per user)."""
        if (await self.get(name))["status"]["state"] in OPEN_STATES:
            await self.post(name, "terminate")
