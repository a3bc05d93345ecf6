"""Kubernetes errors in our own types, classified once: what is worth retrying and what is not."""

from __future__ import annotations

import json
from typing import Any


class KubeError(Exception):
    """A failed request to a cluster: HTTP status, the Status reason, and its message (never whole bodies)."""

    retryable = False

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}" if reason else message)
        self.status = status
        self.reason = reason
        self.message = message


class NotFound(KubeError):
    """404."""


class Conflict(KubeError):
    """409 (AlreadyExists or a stale resourceVersion): retry after re-reading."""

    retryable = True


class Forbidden(KubeError):
    """403 (RBAC, quota, impersonation): policy, not retried."""


class Invalid(KubeError):
    """400/422: the object is wrong; retrying cannot help."""


class Transient(KubeError):
    """429, 5xx, timeouts, dropped connections: retried by Temporal."""

    retryable = True


_BY_STATUS: dict[int, type[KubeError]] = {404: NotFound, 409: Conflict, 403: Forbidden, 400: Invalid, 422: Invalid}
MAX_MESSAGE = 300


def from_api_exception(exc: Any) -> KubeError:
    """Translate a `kubernetes.client.ApiException` using the Status body's reason and message."""
    status = int(getattr(exc, "status", 0) or 0)
    reason, message = str(getattr(exc, "reason", "") or ""), ""
    body = getattr(exc, "body", None)
    if body:
        try:
            parsed = json.loads(body)
            reason = str(parsed.get("reason") or reason)
            message = str(parsed.get("message") or "")
        except (ValueError, AttributeError):
            message = str(body)
    message = (message or reason or f"HTTP {status}")[:MAX_MESSAGE]
    cls = _BY_STATUS.get(status, Transient if status == 0 or status == 429 or status >= 500 else Invalid)
    return cls(status, reason, message)
