"""One error envelope for every failure: `{"error": ..., "code": ..., "details": ...}`
(docs/behaviour/api.md#error-envelope)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from api import routing
from domain.resolution.errors import AdmissionError

log = logging.getLogger("debug_sessions.api")

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    429: "TOO_MANY_REQUESTS",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


RETRY_AFTER = {"Retry-After": "2"}
"""Seconds a client should wait before retrying a 503 (Temporal unreachable, slow or restarting)."""


class ApiError(Exception):
    """Raise anywhere in a handler; becomes the envelope with this status."""

    def __init__(self, status: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def envelope(status: int, message: str, details: str = "") -> JSONResponse:
    """The JSON error response (a 503 says when to retry)."""
    body: dict[str, Any] = {"error": message, "code": CODES.get(status, "INTERNAL_ERROR")}
    if details:
        body["details"] = details
    return JSONResponse(status_code=status, content=body, headers=RETRY_AFTER if status == 503 else None)


class Deadline:
    """ASGI middleware: start every answer within `seconds`. A request still waiting then (Temporal
    restarting, a workflow task stuck) gets a 503 with Retry-After instead of hanging its client; the
    handler is cancelled and anything it sends afterwards is dropped. An answer that has started (a
    watch's event stream) goes on. (A plain ASGI wrapper: Starlette's
    `call_next` does not give up on a handler that waits on Temporal.)"""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "late": False}

        async def guarded(message: Message) -> None:
            if state["late"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        handler = asyncio.ensure_future(self.app(scope, receive, guarded))
        done, _ = await asyncio.wait({handler}, timeout=self.seconds)
        if handler in done:
            handler.result()
            return
        if state["started"]:
            await handler  # an answer under way (a watch's event stream): the deadline was for its start
            return
        state["late"] = True
        handler.cancel()
        handler.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception not retrieved"
        if not state["started"]:
            log.warning("%s %s: no answer within %.1f s", scope.get("method"), scope.get("path"), self.seconds)
            message = f"no answer within {self.seconds:g} s (Temporal slow or unavailable); retry"
            await envelope(503, message)(scope, receive, send)


def _validation_message(exc: RequestValidationError) -> str:
    """`invalid request body: ...` (or `invalid query parameter: ...`) naming each field and what is wrong."""
    errors = exc.errors()
    where = errors[0].get("loc", ("body",))[0] if errors else "body"
    prefix = "invalid query parameter" if where == "query" else "invalid request body"
    return f"{prefix}: {_problems(errors)}"


def _problems(errors: Sequence[Any]) -> str:
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        if err.get("type") == "missing" and not loc:
            parts.append("empty JSON body")
        elif err.get("type") == "extra_forbidden":
            parts.append(f'unknown field "{loc}"')
        elif err.get("type") == "json_invalid":
            parts.append(f"malformed JSON: {err.get('ctx', {}).get('error', err.get('msg'))}")
        else:
            parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    """Translate errors at the edge, once."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return envelope(exc.status, exc.message, exc.details)

    @app.exception_handler(AdmissionError)
    async def admission_error(_: Request, exc: AdmissionError) -> JSONResponse:
        return envelope(exc.status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        return envelope(400, _validation_message(exc))

    @app.exception_handler(RPCError)
    async def temporal_error(_: Request, exc: RPCError) -> JSONResponse:
        # Temporal unreachable or refusing: the request was not carried out; say so instead of a bare 500.
        return envelope(503, "Temporal is unavailable; the request was not carried out", exc.message[:300])

    @app.exception_handler(WorkflowQueryFailedError)
    async def query_failed(_: Request, exc: WorkflowQueryFailedError) -> JSONResponse:
        # The session's workflow could not answer (its task is failing): an upstream fault, not ours.
        return envelope(502, "the session's workflow could not answer", str(exc)[:300])

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug: log it with its traceback, answer with the envelope, never with internals.
        log.exception("unhandled error: %s", exc)
        return envelope(500, "internal error; the request may not have been carried out")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        response = envelope(exc.status_code, message)
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (RFC 9110: a 405 lists them in Allow). Starlette names
    only the first route whose path matched, and a path such as /api/v1/debug-sessions has two."""
    methods: set[str] = set()
    for route, pattern, _ in routing.templates(request.app):
        if isinstance(route, Route) and route.methods and pattern.match(request.scope["path"]):
            methods |= route.methods
    return sorted(methods)
