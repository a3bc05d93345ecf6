"""What every UI handler needs: the UI's state on the app, the login from the session cookie, the JSON API
called in-process with the user's token, CSRF checks, form bodies, and rendering with the common headers.

The UI is no second backend: every read and every action is a call to this app's own JSON API
(`httpx.ASGITransport`), with the user's bearer token, so authorization, validation and messages are the
API's. Only the caller's identity is resolved in-process, through the API's own `get_caller`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.requests import Request as StarletteRequest

from api.deps import ApiState, get_caller, get_state
from api.errors import ApiError
from api.settings import ApiSettings
from api.ui import format as fmt
from api.ui import oidc_client
from api.ui.keys import Keys
from api.ui.settings import UiSettings
from domain.identity import Identity

log = logging.getLogger("debug_sessions.ui")
R = TypeVar("R", bound=Response)

HERE = Path(__file__).parent
SESSION_COOKIE = "ds_session"
LOGIN_COOKIE = "ds_login"
"""A nonce for the login form's CSRF token (before there is a session)."""
OIDC_COOKIE = "ds_oidc"
"""The OIDC flow in progress: state, nonce, PKCE verifier, where to go after (10 minutes)."""
FLASH_COOKIE = "ds_flash"
"""What the last action did, shown once by the page it redirected to."""
API_BASE = "http://ui.internal"
MAX_FORM = 64 * 1024
REFRESH_MARGIN = 30
"""Seconds before an access token's expiry at which it is refreshed (or the login ends)."""
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class LoginRequired(Exception):
    """No valid login: pages redirect to /login?next=..., fragments and streams answer 401."""

    def __init__(self, next_path: str = "/debug-sessions", message: str = "") -> None:
        super().__init__(message or "login required")
        self.next_path = next_path
        self.message = message


class UiError(Exception):
    """A page-level refusal answered as an HTML page (or plain text for fragments) with this status."""

    def __init__(self, status: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


class ApiFailure(Exception):
    """The JSON API refused: its status and error envelope."""

    def __init__(self, status: int, error: str, details: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = details

    @property
    def text(self) -> str:
        """The message as a user reads it: the error, then the details."""
        return f"{self.error}: {self.details}" if self.details else self.error


@dataclass
class Login:
    """The session cookie's content: the user's API token and how long it lasts."""

    sid: str
    """Random per login: the CSRF tokens are bound to it."""
    token: str
    expires: float
    """When the token stops working (epoch seconds): the login's end for a static token."""
    ends: float
    """When the login ends whatever happens (DEBUG_SESSION_UI_SESSION_LIFETIME after it began)."""
    method: str = "token"
    refresh: str = ""

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> Login | None:
        if not data:
            return None
        try:
            return cls(**{k: data[k] for k in ("sid", "token", "expires", "ends", "method", "refresh")})
        except (KeyError, TypeError):
            return None


@dataclass
class UiContext:
    """The UI's process state (app.state.ui), built by `api.ui.install`."""

    settings: UiSettings
    keys: Keys
    env: jinja2.Environment
    static_version: str
    discovery: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    """OIDC discovery documents by issuer, with when they were fetched."""
    _api: httpx.AsyncClient | None = None
    _web: httpx.AsyncClient | None = None

    def api(self, app: Any) -> httpx.AsyncClient:
        """The in-process client of this app's JSON API (one per app, created on first use)."""
        if self._api is None:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            self._api = httpx.AsyncClient(transport=transport, base_url=API_BASE, timeout=30)
        return self._api

    def web(self) -> httpx.AsyncClient:
        """A client for the identity provider."""
        if self._web is None:
            self._web = httpx.AsyncClient(timeout=10, follow_redirects=False)
        return self._web

    async def close(self) -> None:
        for client in (self._api, self._web):
            if client is not None:
                await client.aclose()
        self._api = self._web = None


def build_context(settings: UiSettings) -> UiContext:
    """Keys, templates and the static files' version from `settings`."""
    secret = settings.secret.get_secret_value()
    keys = Keys(secret)
    if keys.ephemeral:
        log.warning(
            "DEBUG_SESSION_UI_SECRET is not set: the UI's sessions use a random key of this process (they do not "
            "survive a restart, and several replicas need the same secret)"
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
        auto_reload=False,
    )
    env.filters.update(
        relative=fmt.relative, absolute=fmt.absolute, state_symbol=fmt.state_symbol, state_class=fmt.state_class
    )
    digest = hashlib.sha256()
    for name in ("app.js", "app.css"):
        digest.update((HERE / "static" / name).read_bytes())
    return UiContext(settings=settings, keys=keys, env=env, static_version=digest.hexdigest()[:12])


def ui(request: Request) -> UiContext:
    """The UI's state of the app serving `request`."""
    context: UiContext = request.app.state.ui
    return context


def api_state(request: Request) -> ApiState:
    """The API's process state (what `get_state` gives the API's routes, overrides included)."""
    override = request.app.dependency_overrides.get(get_state)
    state: ApiState = override() if override is not None else get_state(request)
    return state


def api_settings(request: Request) -> ApiSettings:
    return api_state(request).settings


def started(request: Request) -> None:
    """Router dependency: when the request began (the Server-Timing header)."""
    request.state.ui_started = time.perf_counter()


# --- cookies and the login --------------------------------------------------------------------------------


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the request came over https or the public URL is https."""
    return request.url.scheme == "https" or ui(request).settings.public_url.startswith("https://")


def set_cookie(request: Request, name: str, value: str, max_age: int, path: str = "/") -> None:
    """Set a cookie on whatever response this request answers (applied by `finish`)."""
    pending: list[tuple[str, str, int, str]] = request.state.__dict__.setdefault("ui_cookies", [])
    pending.append((name, value, max_age, path))


def start_login(request: Request, token: str, expires: float, method: str, refresh: str = "") -> Login:
    """A new login with `token`, stored in the session cookie."""
    settings = ui(request).settings
    now = time.time()
    ends = now + settings.session_lifetime.total_seconds()
    login = Login(secrets.token_urlsafe(16), token, min(expires, ends), ends, method, refresh)
    store_login(request, login)
    return login


def store_login(request: Request, login: Login) -> None:
    keys = ui(request).keys
    value = keys.seal(asdict(login))
    if len(value) > 3800 and login.refresh:  # browsers keep cookies up to 4 KB: do without refreshing
        log.warning("session cookie too large with the refresh token (%d bytes): refresh token dropped", len(value))
        login.refresh = ""
        value = keys.seal(asdict(login))
    set_cookie(request, SESSION_COOKIE, value, max(1, int(login.ends - time.time())))
    request.state.ui_login = login


async def current_login(request: Request, next_path: str | None = None) -> Login:
    """The request's login; refreshed (OIDC) when its token is about to expire; else LoginRequired."""
    cached: Login | None = getattr(request.state, "ui_login", None)
    if cached is not None:
        return cached
    where = next_path or _here(request)
    login = Login.load(ui(request).keys.open(request.cookies.get(SESSION_COOKIE)))
    now = time.time()
    if login is None or now >= login.ends:
        raise LoginRequired(where)
    if login.refresh and now >= login.expires - REFRESH_MARGIN:
        login = await refresh_login(request, login, where)
        store_login(request, login)
    elif now >= login.expires:
        raise LoginRequired(where, "your login has expired")
    request.state.ui_login = login
    return login


def provider(request: Request) -> oidc_client.Provider:
    """The OIDC provider and client the UI logs in with (the API's issuer, or its separate authority)."""
    s, u = api_settings(request), ui(request).settings
    return oidc_client.Provider(
        authority=s.oidc_authority or s.oidc_issuer,
        client_id=s.oidc_client_id,
        client_secret=u.oidc_client_secret.get_secret_value(),
        scopes=u.oidc_scopes,
    )


async def refresh_login(request: Request, login: Login, where: str) -> Login:
    """The login with a fresh access token from its refresh token; LoginRequired when that fails."""
    ctx, p = ui(request), provider(request)
    try:
        meta = await oidc_client.discover(ctx.web(), ctx.discovery, p.authority)
        tokens = await oidc_client.refresh(ctx.web(), meta, p, login.refresh)
    except oidc_client.OidcError as exc:
        log.info("refreshing a login failed: %s", exc)
        raise LoginRequired(where, "your login has expired") from exc
    return Login(
        login.sid, tokens.access_token, min(tokens.expires_at, login.ends), login.ends, "oidc", tokens.refresh_token
    )


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this site only (never `//host` or a URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/debug-sessions"
    return value


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(safe_next(next_path), safe="/")


async def caller(request: Request, login: Login) -> Identity:
    """Who the login's token names, decided by the API's own `get_caller` (tokens file or OIDC)."""
    cached: Identity | None = getattr(request.state, "ui_caller", None)
    if cached is not None:
        return cached
    state = api_state(request)
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": [
        (b"authorization", f"Bearer {login.token}".encode())]}  # fmt: skip
    try:
        if state.oidc is None:
            who = get_caller(StarletteRequest(scope), state)
        else:  # may fetch the issuer's keys
            who = await asyncio.to_thread(get_caller, StarletteRequest(scope), state)
    except ApiError as exc:
        raise LoginRequired(_here(request), exc.details or exc.message) from exc
    request.state.ui_caller = who
    return who


def is_admin(request: Request, who: Identity) -> bool:
    return bool(api_settings(request).admin_group_set & set(who.groups))


# --- the JSON API -----------------------------------------------------------------------------------------


async def call(
    request: Request,
    login: Login,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Any = None,
    next_path: str | None = None,
) -> Any:
    """Call this app's JSON API as the logged-in user; its JSON answer, or ApiFailure (LoginRequired on 401)."""
    client = ui(request).api(request.app)
    resp = await client.request(
        method, path, json=json, params=params, headers={"Authorization": f"Bearer {login.token}"}
    )
    if resp.status_code == 401:
        raise LoginRequired(next_path or _here(request), _envelope(resp)[0])
    if resp.status_code >= 400:
        error, details = _envelope(resp)
        raise ApiFailure(resp.status_code, error, details)
    return resp.json() if resp.content else None


def _envelope(resp: httpx.Response) -> tuple[str, str]:
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}", resp.text[:300]
    if not isinstance(body, dict):
        return f"HTTP {resp.status_code}", ""
    return str(body.get("error") or f"HTTP {resp.status_code}"), str(body.get("details") or "")


# --- forms and CSRF ---------------------------------------------------------------------------------------


class Form:
    """An `application/x-www-form-urlencoded` body."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def getall(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def __contains__(self, name: str) -> bool:
        return name in self.fields


async def read_form(request: Request) -> Form:
    """The posted form (urlencoded; at most 64 KiB)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise UiError(413, "form too large")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and kind not in ("application/x-www-form-urlencoded", ""):
        raise UiError(415, "forms are posted as application/x-www-form-urlencoded")
    try:
        return Form(parse_qs(body.decode(), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise UiError(400, "form is not UTF-8") from exc


def origin(request: Request) -> str:
    """This site's origin: the public URL's, else the request's own."""
    public = ui(request).settings.public_url
    if public:
        parts = urlsplit(public)
        return f"{parts.scheme}://{parts.netloc}"
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def check_csrf(request: Request, form: Form, sid: str) -> None:
    """403 unless the form carries the CSRF token of `sid` and any Origin header is this site's."""
    sent = request.headers.get("origin")
    if sent and sent != "null" and sent.rstrip("/") != origin(request):
        raise UiError(403, "CSRF check failed: the form was posted from another site")
    if not ui(request).keys.csrf_ok(sid, form.get("csrf_token")):
        raise UiError(403, "CSRF token missing or invalid")


# --- answers ----------------------------------------------------------------------------------------------


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """Show `text` once on the next page."""
    set_cookie(request, FLASH_COOKIE, ui(request).keys.seal({"text": text, "kind": kind}), 60)


def take_flash(request: Request) -> dict[str, str] | None:
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    set_cookie(request, FLASH_COOKIE, "", 0)
    data = ui(request).keys.open(value, max_age=120)
    if not data:
        return None
    return {"text": str(data.get("text", "")), "kind": str(data.get("kind", "ok"))}


def render(request: Request, page: str, /, status: int = 200, **context: Any) -> HTMLResponse:
    """A page (or fragment) from `template` with the common context: brand, CSRF token, user, time."""
    ctx = ui(request)
    login: Login | None = getattr(request.state, "ui_login", None)
    base = {
        "brand": api_settings(request).branding_name,
        "csrf": ctx.keys.csrf_token(login.sid) if login else "",
        "user": getattr(request.state, "ui_caller", None),
        "now": datetime.now(UTC),
        "static": lambda name: f"/ui/static/{name}?v={ctx.static_version}",
        "path": request.url.path,
    }
    html = ctx.env.get_template(page).render(**base, **context)
    return finish(request, HTMLResponse(html, status_code=status))


def redirect(request: Request, url: str) -> Response:
    return finish(request, RedirectResponse(url, status_code=303))


def finish(request: Request, response: R) -> R:
    """Apply the pending cookies, the security headers and Server-Timing."""
    secure = secure_cookies(request)
    for name, value, max_age, path in getattr(request.state, "ui_cookies", []):
        if max_age <= 0:
            response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")
        else:
            response.set_cookie(name, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="lax")
    request.state.ui_cookies = []
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cache-Control", "no-store")
    began = getattr(request.state, "ui_started", None)
    if began is not None:
        headers["Server-Timing"] = f"app;dur={(time.perf_counter() - began) * 1000:.1f}"
    return response


def wants_fragment(request: Request) -> bool:
    """A request from app.js (a fragment or a stream), answered 401 rather than redirected to the login."""
    return request.headers.get("x-ui-fragment") == "1" or "text/event-stream" in request.headers.get("accept", "")
