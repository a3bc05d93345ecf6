"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from api.deps import State

router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    """Ready (200) when Temporal answers and a catalog is loaded; otherwise 503 with the same body."""

    ready: bool
    catalog: bool
    temporal: bool
    temporalError: str | None = Field(default=None, description="Why Temporal did not answer.")


@router.get("/healthz", response_model=Alive)
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text"}},
)
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics of this API process (text exposition format)."""
    body = request.app.state.metrics.text()
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/readyz", response_model=Readiness)
async def readyz(state: State) -> JSONResponse:
    """Ready when Temporal answers and a catalog is loaded."""
    checks: dict[str, Any] = {"catalog": state.watcher.catalog is not None}
    try:
        # Within the request deadline, so that a hung Temporal reads as "not ready", not as a timeout.
        bound = min(2.0, state.settings.request_timeout / 2)
        checks["temporal"] = await asyncio.wait_for(state.client.service_client.check_health(), bound)
    except Exception as exc:  # any failure to reach Temporal means not ready, whatever its type
        checks["temporal"] = False
        checks["temporalError"] = str(exc)[:200]
    ready = bool(checks["catalog"]) and bool(checks["temporal"])
    return JSONResponse(status_code=200 if ready else 503, content={"ready": ready, **checks})
