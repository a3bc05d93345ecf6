"""One error envelope for every failure: `{"error": ..., "code": ..., "details": ...}` (reference §0.4)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

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


class ApiError(Exception):
    """Raise anywhere in a handler; becomes the envelope with this status."""

    def __init__(self, status: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def envelope(status: int, message: str, details: str = "") -> JSONResponse:
    """The JSON error response."""
    body: dict[str, Any] = {"error": message, "code": CODES.get(status, "INTERNAL_ERROR")}
    if details:
        body["details"] = details
    return JSONResponse(status_code=status, content=body)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        if err.get("type") == "extra_forbidden":
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
        return envelope(400, f"invalid request body: {_validation_message(exc)}")

    @app.exception_handler(RPCError)
    async def temporal_error(_: Request, exc: RPCError) -> JSONResponse:
        # Temporal unreachable or refusing: the request was not carried out; say so instead of a bare 500.
        return envelope(503, "Temporal is unavailable; the request was not carried out", exc.message[:300])

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug: log it with its traceback, answer with the envelope, never with internals.
        log.exception("unhandled error: %s", exc)
        return envelope(500, "internal error; the request may not have been carried out")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        return envelope(exc.status_code, message)
