"""Logging in with a token, the session cookie, CSRF and logging out (no Temporal: the catalog only)."""

from __future__ import annotations

import asyncio
import time

import pytest

from api import routing
from api.app import create_app
from api.settings import ApiSettings
from api.ui.context import SESSION_COOKIE, Login
from api.ui.settings import UiSettings
from tests.ui.support import UI_SECRET, Browser, cookie_header, offline_app


async def test_the_login_page_asks_for_a_token() -> None:
    async with Browser(offline_app()) as browser:
        page = await browser.page("/login")
        assert page.control("Token").attrs["type"] == "password"
        assert "Log in" in page.buttons()
        assert page.unlabelled_controls() == []
        # no OIDC configured: no "Log in with ..."
        assert not [link for link in page.links() if link.startswith("Log in with")]


async def test_a_token_login_sets_an_httponly_samesite_cookie_and_redirects() -> None:
    async with Browser(offline_app()) as browser:
        resp = await browser.login("dev-sam-token", "/debug-sessions/create")
        assert resp.headers["location"] == "/debug-sessions/create"
        cookie = cookie_header(resp, SESSION_COOKIE).lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/" in cookie
        assert "secure" not in cookie  # plain http, no https public URL
        assert "dev-sam-token" not in cookie  # sealed, not readable
        page = await browser.page("/debug-sessions/create")
        assert "Sam SRE" in page.text()


async def test_cookies_are_secure_when_the_public_url_is_https() -> None:
    app = offline_app(UiSettings(secret=UI_SECRET, public_url="https://debug.example.com"))
    async with Browser(app, "https://debug.example.com") as browser:
        page = await browser.page("/login")
        resp = await browser.client.post(
            "/login",
            data={"csrf_token": page.csrf, "token": "dev-sam-token"},
            headers={"Origin": "https://debug.example.com"},
        )
        assert resp.status_code == 303
        assert "secure" in cookie_header(resp, SESSION_COOKIE).lower()


async def test_a_bad_token_shows_the_form_again_with_the_error() -> None:
    async with Browser(offline_app()) as browser:
        await browser.page("/login")
        resp = await browser.post("/login", {"token": "not-a-token-at-all"})
        assert resp.status_code == 401
        assert browser.last is not None
        assert "unknown or expired token" in browser.last.text()
        assert browser.last.control("Token").attrs.get("aria-invalid") == "true"
        assert SESSION_COOKIE + "=" not in resp.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "path", ["/login", "/logout", "/debug-sessions/some-session/approve", "/debug-sessions/create"]
)
async def test_a_post_without_a_csrf_token_is_refused(path: str) -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-lena-token")
        resp = await browser.post(path, {"token": "dev-sam-token", "reason": "x"}, csrf=False)
        assert resp.status_code == 403
        assert "CSRF token missing or invalid" in resp.text


async def test_a_post_with_a_wrong_csrf_token_or_from_another_origin_is_refused() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-lena-token")
        resp = await browser.post("/debug-sessions/create", {"csrf_token": "0" * 64}, csrf=False)
        assert resp.status_code == 403
        await browser.page("/debug-sessions/create")
        resp = await browser.post(
            "/debug-sessions/create", {"action": "choose"}, headers={"Origin": "https://evil.example.com"}
        )
        assert resp.status_code == 403
        assert "another site" in resp.text


async def test_an_expired_or_forged_cookie_redirects_to_the_login() -> None:
    app = offline_app()
    async with Browser(app) as browser:
        await browser.login("dev-sam-token")
        expired = Login("sid", "dev-sam-token", time.time() - 5, time.time() - 5)
        browser.client.cookies.set(SESSION_COOKIE, app.state.ui.keys.seal(expired.__dict__))
        resp = await browser.get("/debug-sessions/create?template=minimal-debug")
        assert resp.status_code == 303
        assert resp.headers["location"].startswith("/login?next=/debug-sessions/create%3Ftemplate%3Dminimal-debug")
        # app.js's requests get a 401 instead of a redirect
        browser.client.cookies.set(SESSION_COOKIE, app.state.ui.keys.seal(expired.__dict__))
        resp = await browser.get("/debug-sessions/create", headers={"X-UI-Fragment": "1"})
        assert resp.status_code == 401
        browser.client.cookies.set(SESSION_COOKIE, "forged")
        assert (await browser.get("/debug-sessions")).status_code == 303


async def test_a_login_ends_after_its_lifetime() -> None:
    app = offline_app(UiSettings(secret=UI_SECRET, session_lifetime="1s"))
    async with Browser(app) as browser:
        await browser.login("dev-sam-token")
        assert (await browser.get("/debug-sessions/create")).status_code == 200
        await asyncio.sleep(1.1)
        assert (await browser.get("/debug-sessions/create")).status_code == 303


async def test_a_cookie_sealed_with_another_secret_is_not_accepted() -> None:
    first, second = offline_app(), offline_app(UiSettings(secret="another-secret"))
    async with Browser(first) as browser:
        await browser.login("dev-sam-token")
        sealed = browser.client.cookies[SESSION_COOKIE]
    async with Browser(second) as other:
        other.client.cookies.set(SESSION_COOKIE, sealed)
        assert (await other.get("/debug-sessions/create")).status_code == 303


async def test_logout_clears_the_cookie() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-sam-token")
        page = await browser.page("/debug-sessions/create")
        assert "Log out" in page.buttons()
        resp = await browser.post("/logout", {})
        assert resp.status_code == 303
        assert resp.headers["location"] == "/login"
        assert 'ds_session=""' in resp.headers["set-cookie"] or "Max-Age=0" in resp.headers["set-cookie"]
        assert (await browser.get("/debug-sessions/create")).status_code == 303


async def test_next_never_leaves_the_site() -> None:
    async with Browser(offline_app()) as browser:
        for evil in ("https://evil.example.com/", "//evil.example.com/x", "/\\evil"):
            await browser.page("/login")
            resp = await browser.post("/login", {"token": "dev-sam-token", "next": evil})
            assert resp.headers["location"] == "/debug-sessions", evil


def test_the_ui_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "/login" in {path for _, _, path in routing.templates(create_app(ApiSettings()))}
    monkeypatch.setenv("DEBUG_SESSION_UI_ENABLED", "false")
    paths = {path for _, _, path in routing.templates(create_app(ApiSettings()))}
    assert not paths & {"/login", "/debug-sessions", "/debug-sessions/{name}", "/ui/static"}
    assert "/api/v1/debug-sessions/preview" in paths
