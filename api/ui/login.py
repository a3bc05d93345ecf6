"""Logging in and out: a token form (with a token file, development) and the OIDC authorization-code flow
with PKCE against the issuer the API trusts. A login is the user's API token in a sealed, HttpOnly,
SameSite=Lax cookie; every token is checked by calling the API with it before it is kept."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.ui import context as ui_ctx
from api.ui import oidc_client
from api.ui.context import (
    LOGIN_COOKIE,
    OIDC_COOKIE,
    SESSION_COOKIE,
    Login,
    UiError,
    api_settings,
    api_state,
    check_csrf,
    read_form,
    redirect,
    render,
    safe_next,
    set_cookie,
    start_login,
    ui,
)

router = APIRouter()
CHECK_PATH = "/api/v1/debug-session-templates"
"""An authenticated API call that reads only the catalog: a token that passes it is one the API accepts."""
FLOW_SECONDS = 600


def token_login_enabled(request: Request) -> bool:
    """A token file is configured (development): the login page asks for a token."""
    state = api_state(request)
    return bool(state.tokens) or state.settings.tokens_file is not None


def oidc_login_enabled(request: Request) -> bool:
    settings = api_settings(request)
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _login_nonce(request: Request) -> str:
    """The login form's CSRF nonce (from its cookie, or a new one)."""
    data = ui(request).keys.open(request.cookies.get(LOGIN_COOKIE), max_age=3600)
    nonce = str(data.get("n", "")) if data else ""
    if not nonce:
        nonce = secrets.token_urlsafe(16)
        set_cookie(request, LOGIN_COOKIE, ui(request).keys.seal({"n": nonce}), 3600, path="/login")
    return nonce


def _login_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    nonce = _login_nonce(request)
    settings = api_settings(request)
    return render(
        request,
        "login.html",
        status=status,
        login_csrf=ui(request).keys.csrf_token("login:" + nonce),
        next=safe_next(next_path),
        error=error,
        token_login=token_login_enabled(request),
        oidc_login=oidc_login_enabled(request),
        issuer=settings.oidc_authority or settings.oidc_issuer,
    )


async def _token_accepted(request: Request, token: str) -> tuple[bool, str]:
    """(accepted, why not) for `token`, asked of the API."""
    resp = await ui(request).api(request.app).get(CHECK_PATH, headers={"Authorization": f"Bearer {token}"})
    if resp.status_code == 200:
        return True, ""
    if resp.status_code == 401:
        return False, "unknown or expired token"
    return False, f"the token could not be checked (HTTP {resp.status_code}); try again"


@router.get("/login")
async def login_page(
    request: Request, next_path: Annotated[str, Query(alias="next")] = "/debug-sessions", error: str = ""
) -> Response:
    """The login page: a "Token" field (token file) and/or "Log in with <issuer>" (OIDC)."""
    return _login_page(request, next_path, error[:200])


@router.post("/login")
async def token_login(request: Request) -> Response:
    """Log in with a token: checked against the API, then kept in the session cookie."""
    form = await read_form(request)
    data = ui(request).keys.open(request.cookies.get(LOGIN_COOKIE), max_age=3600)
    check_csrf(request, form, "login:" + str(data.get("n", "")) if data else "")
    next_path = safe_next(form.get("next"))
    if not token_login_enabled(request):
        raise UiError(404, "token login is not enabled (no DEBUG_SESSION_TOKENS_FILE)")
    token = form.get("token").strip()
    if not token:
        return _login_page(request, next_path, "enter your token", status=400)
    accepted, why = await _token_accepted(request, token)
    if not accepted:
        return _login_page(request, next_path, why, status=401)
    settings = ui(request).settings
    start_login(request, token, time.time() + settings.session_lifetime.total_seconds(), "token")
    set_cookie(request, LOGIN_COOKIE, "", 0, path="/login")
    return redirect(request, next_path)


def _redirect_uri(request: Request) -> str:
    return ui_ctx.origin(request) + "/login/callback"


@router.get("/login/oidc")
async def oidc_start(request: Request, next_path: Annotated[str, Query(alias="next")] = "/debug-sessions") -> Response:
    """Send the browser to the issuer: authorization code with PKCE (S256), state and nonce."""
    if not oidc_login_enabled(request):
        raise UiError(404, "OIDC login is not configured (DEBUG_SESSION_OIDC_ISSUER and _CLIENT_ID)")
    ctx, provider = ui(request), ui_ctx.provider(request)
    try:
        meta = await oidc_client.discover(ctx.web(), ctx.discovery, provider.authority)
    except oidc_client.OidcError as exc:
        raise UiError(502, "the identity provider cannot be reached", str(exc)) from exc
    verifier, challenge = oidc_client.pkce_pair()
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    redirect_uri = _redirect_uri(request)
    flow = {"state": state, "nonce": nonce, "verifier": verifier, "next": safe_next(next_path), "uri": redirect_uri}
    set_cookie(request, OIDC_COOKIE, ctx.keys.seal(flow), FLOW_SECONDS, path="/login")
    return redirect(request, oidc_client.authorization_url(meta, provider, redirect_uri, state, nonce, challenge))


@router.get("/login/callback")
async def oidc_callback(
    request: Request, code: str = "", state: str = "", error: str = "", error_description: str = ""
) -> Response:
    """The issuer's answer: check the state, trade the code (with the PKCE verifier) for tokens, check the
    access token with the API, and keep it (with the refresh token) in the session cookie."""
    ctx = ui(request)
    flow = ctx.keys.open(request.cookies.get(OIDC_COOKIE), max_age=FLOW_SECONDS)
    set_cookie(request, OIDC_COOKIE, "", 0, path="/login")
    if flow is None:
        return _login_page(request, "/debug-sessions", "the login took too long or began elsewhere; try again", 400)
    next_path = safe_next(str(flow.get("next", "")))
    if error:
        return _login_page(request, next_path, f"the identity provider refused: {error_description or error}", 401)
    if not code or not secrets.compare_digest(state, str(flow.get("state", ""))):
        return _login_page(request, next_path, "the login's state does not match; try again", 400)
    provider = ui_ctx.provider(request)
    try:
        meta = await oidc_client.discover(ctx.web(), ctx.discovery, provider.authority)
        tokens = await oidc_client.exchange_code(
            ctx.web(), meta, provider, code, str(flow.get("verifier", "")), str(flow.get("uri", ""))
        )
        oidc_client.check_nonce(tokens.id_token, str(flow.get("nonce", "")))
    except oidc_client.OidcError as exc:
        return _login_page(request, next_path, f"login failed: {exc}", 502)
    accepted, why = await _token_accepted(request, tokens.access_token)
    if not accepted:
        return _login_page(request, next_path, f"the API refused the identity provider's token: {why}", 401)
    start_login(request, tokens.access_token, tokens.expires_at, "oidc", tokens.refresh_token)
    return redirect(request, next_path)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the login (the session cookie is cleared)."""
    form = await read_form(request)
    login = Login.load(ui(request).keys.open(request.cookies.get(SESSION_COOKIE)))
    if login is not None:
        check_csrf(request, form, login.sid)
    set_cookie(request, SESSION_COOKIE, "", 0)
    return redirect(request, "/login")
