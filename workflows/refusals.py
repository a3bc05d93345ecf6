"""A `Refusal` across Temporal and back: one error type, `Refused`, whose details carry the status.

Activities raise it, the workflow's validators and handlers raise it (non-retryable), and the API turns it
back into the status and message with `from_error`, whatever hop it came through (an activity failure
inside an Update failure keeps its cause).
"""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError

from domain.refusal import Refusal

ERROR_TYPE = "Refused"


def to_error(refusal: Refusal) -> ApplicationError:
    """The non-retryable ApplicationError that carries `refusal`."""
    return ApplicationError(refusal.message, refusal.status, type=ERROR_TYPE, non_retryable=True)


def refuse(status: int, message: str) -> ApplicationError:
    """`to_error(Refusal(status, message))`."""
    return to_error(Refusal(status, message))


def from_error(exc: BaseException | None) -> Refusal | None:
    """The refusal an error (or the cause it wraps: activity, update) carries, if any."""
    while exc is not None:
        if isinstance(exc, ApplicationError) and exc.type == ERROR_TYPE and exc.details:
            return Refusal(int(exc.details[0]), exc.message)
        if not isinstance(exc, ActivityError | ApplicationError):
            return None
        exc = exc.cause
    return None
