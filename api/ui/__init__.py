"""The web UI: server-rendered pages (Jinja2) over this app's own JSON API, a little progressive JavaScript
(live updates, countdowns, copy buttons, the preview), no build step. `install(app)` adds it to the API app.

Pages: `/login` (token or OIDC), `/debug-sessions` (list), `/debug-sessions/create`, `/debug-sessions/<name>`;
the static files under `/ui/static/`. None of it is in the OpenAPI document (it is not the API).
"""

from __future__ import annotations

from urllib.parse import quote_plus

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

from api.ui import create, details, events, login, session_list
from api.ui.context import (
    HERE,
    SESSION_COOKIE,
    LoginRequired,
    UiError,
    build_context,
    finish,
    login_url,
    redirect,
    render,
    set_cookie,
    started,
    wants_fragment,
)
from api.ui.settings import UiSettings

__all__ = ["install"]


def install(app: FastAPI, settings: UiSettings | None = None) -> None:
    """Serve the UI from `app` (unless DEBUG_SESSION_UI_ENABLED is false)."""
    settings = settings if settings is not None else UiSettings()
    if not settings.enabled:
        return
    app.state.ui = build_context(settings)
    # Order matters: /debug-sessions/create and /events before /debug-sessions/{name}.
    for module in (login, session_list, create, events, details):
        app.include_router(module.router, include_in_schema=False, dependencies=[Depends(started)])
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(UiError, _ui_error)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if request.cookies.get(SESSION_COOKIE):
        set_cookie(request, SESSION_COOKIE, "", 0)
    if wants_fragment(request):
        return finish(request, PlainTextResponse(exc.message or "login required", status_code=401))
    url = login_url(exc.next_path)
    if exc.message:
        url += "&error=" + quote_plus(exc.message)
    return redirect(request, url)


async def _ui_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UiError)
    if wants_fragment(request):
        return finish(request, PlainTextResponse(exc.message, status_code=exc.status))
    return render(request, "error.html", status=exc.status, message=exc.message, details=exc.details)
