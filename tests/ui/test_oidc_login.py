"""The OIDC login (authorization code + PKCE) against a tiny provider; the API's own verifier then accepts
the access token on every call the pages make."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.oidc import OidcConfig, OidcVerifier
from api.ui.context import SESSION_COOKIE
from tests.ui.code_issuer import CodeIssuer
from tests.ui.support import Browser, cookie_header, offline_app, path_of

CLAIMS = {"preferred_username": "sam", "email": "sam@example.com", "name": "Sam from OIDC", "groups": ["sre-team"]}


@pytest.fixture
def issuer() -> Iterator[CodeIssuer]:
    with CodeIssuer(CLAIMS) as running:
        yield running


def oidc_app(issuer: CodeIssuer) -> Any:
    verifier = OidcVerifier(OidcConfig(issuer=issuer.url, jwks_url=f"{issuer.url}/jwks"))
    return offline_app(
        oidc=verifier,
        tokens=False,
        oidc_issuer=issuer.url,
        oidc_jwks_url=f"{issuer.url}/jwks",
        oidc_client_id=issuer.client_id,
    )


async def _log_in(browser: Browser, issuer: CodeIssuer, next_path: str = "/debug-sessions/create") -> httpx.Response:
    start = await browser.get(f"/login/oidc?next={next_path}")
    assert start.status_code == 303, start.text
    asked = start.headers["location"]
    assert asked.startswith(f"{issuer.url}/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(asked).query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["client_id"] == "debug-ui"
    assert query["redirect_uri"] == "http://ui/login/callback"
    assert query["scope"] == "openid profile email"
    assert query["state"]
    assert query["nonce"]
    async with httpx.AsyncClient() as web:  # the browser at the provider, which approves at once
        back = (await web.get(asked)).headers["location"]
    assert back.startswith("http://ui/login/callback?")
    return await browser.get(path_of(back))


async def test_the_code_flow_with_pkce_logs_in_and_the_api_accepts_the_token(issuer: CodeIssuer) -> None:
    async with Browser(oidc_app(issuer)) as browser:
        page = await browser.page("/login")
        assert f"Log in with {issuer.url}" in page.links()
        assert "Token" not in page.labels()  # no token file
        done = await _log_in(browser, issuer)
        assert done.status_code == 303
        assert done.headers["location"] == "/debug-sessions/create"
        assert "httponly" in cookie_header(done, SESSION_COOKIE).lower()
        assert issuer.exchanges == 1
        assert issuer.refused == []
        page = await browser.page("/debug-sessions/create")
        assert "Sam from OIDC" in page.text()  # the API read the name from the token
        assert "hybrid-debug" in page.html  # and the templates sre-team may use


async def test_an_access_token_about_to_expire_is_refreshed(issuer: CodeIssuer) -> None:
    issuer.token_ttl = 10  # within the 30 s margin: refreshed on the next request
    async with Browser(oidc_app(issuer)) as browser:
        assert (await _log_in(browser, issuer)).status_code == 303
        before = browser.client.cookies[SESSION_COOKIE]
        resp = await browser.get("/debug-sessions/create")
        assert resp.status_code == 200
        assert issuer.refreshes == 1
        assert browser.client.cookies[SESSION_COOKIE] != before  # the new token is kept


async def test_a_callback_with_another_state_is_refused(issuer: CodeIssuer) -> None:
    async with Browser(oidc_app(issuer)) as browser:
        start = await browser.get("/login/oidc")
        async with httpx.AsyncClient() as web:
            back = (await web.get(start.headers["location"])).headers["location"]
        forged = path_of(back).replace("state=", "state=x")
        resp = await browser.get(forged)
        assert resp.status_code == 400
        assert "state does not match" in resp.text
        assert issuer.exchanges == 0


async def test_a_callback_of_an_older_login_is_refused(issuer: CodeIssuer) -> None:
    async with Browser(oidc_app(issuer)) as browser:
        start = await browser.get("/login/oidc")
        async with httpx.AsyncClient() as web:
            back = (await web.get(start.headers["location"])).headers["location"]
        # a second login started in between replaces the flow cookie (its state and PKCE verifier)
        await browser.get("/login/oidc")
        resp = await browser.get(path_of(back))
        assert resp.status_code == 400
        assert issuer.exchanges == 0
