"""Admission errors: one HTTP status and one message, as the API returns them."""

from __future__ import annotations


class AdmissionError(Exception):
    """A refused request. `status` is the HTTP status; `message` is the envelope's `error` field."""

    def __init__(self, status: int, message: str, details: str = "", reason: str = "") -> None:
        super().__init__(status, message, details)
        self.status = status
        self.message = message
        self.details = details
        self.reason = reason
        """A machine-readable cause where metrics count it (`binding_not_found`)."""

    def __str__(self) -> str:
        return f"{self.status} {self.message}" + (f": {self.details}" if self.details else "")


def bad_request(message: str, details: str = "", reason: str = "") -> AdmissionError:
    """400."""
    return AdmissionError(400, message, details, reason)


def forbidden(message: str) -> AdmissionError:
    """403."""
    return AdmissionError(403, message)


def conflict(message: str) -> AdmissionError:
    """409."""
    return AdmissionError(409, message)
