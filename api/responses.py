"""What a route may answer besides 200, for the OpenAPI document: the error envelope and its statuses.

A route names the statuses its own logic produces (`responses=errors(403, 404)`); `api/openapi.py` adds
those every authenticated route can answer (400, 401, 405, 500, 503) so the document never lists fewer
codes than the API sends.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DESCRIPTIONS = {
    400: "The request is malformed: bad JSON, an unknown or missing field, a value out of range.",
    401: "No valid credentials (Authorization: Bearer <token>).",
    403: "Authenticated, but not allowed to do this.",
    404: "No such object (or the caller may not learn that it exists).",
    405: "Method not allowed on this path; the Allow header lists the ones that are.",
    409: "Conflicts with the object's current state (wrong state, a limit reached, already exists).",
    429: "Too many requests at once; retry after the time in Retry-After.",
    500: "A bug: logged with its traceback; the request may not have been carried out.",
    502: "The session's workflow could not answer (its task is failing).",
    503: "Temporal is unavailable or slow; the request was not carried out. Retry after Retry-After seconds.",
}


class ErrorBody(BaseModel):
    """Every failure, whatever the route: a message for people, a code for programs."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": "debug session not found", "code": "NOT_FOUND"}]}
    )

    error: str = Field(description="What went wrong, in words.")
    code: str = Field(description="BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, ...")
    details: str | None = Field(default=None, description="More context, when there is some.")


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error envelope and what it means."""
    return {status: {"model": ErrorBody, "description": DESCRIPTIONS[status]} for status in statuses}
