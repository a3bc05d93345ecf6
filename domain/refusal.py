"""One refusal type for every rule that can say no: an HTTP status and the message the caller sees.

Pure rules (session actions in workflows/policy.py, kubectl-debug checks in domain/debug_operations.py)
return a `Refusal`; the workflow and the activities carry it across Temporal as an `ApplicationError`
(workflows/refusals.py, the one conversion both ways), and the API answers with its status and message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """A refused action or operation (role checks 403, request problems 400, conflicts 409)."""

    status: int
    message: str
