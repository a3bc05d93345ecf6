"""Effective duration and renewal limits (template + binding) and the session duration.

See docs/behaviour/resolution.md#constraints-and-duration.
"""

from __future__ import annotations

from datetime import timedelta

from domain.base import Frozen
from domain.durations import CRD_PATTERN, DurationError, parse_duration
from domain.policy import DebugSessionConstraints
from domain.resolution.errors import bad_request

DEFAULT_MAX = "4h"
DEFAULT_DEFAULT = "1h"
DEFAULT_MAX_RENEWALS = 3


class EffectiveConstraints(Frozen):
    """Limits a session lives under. Durations keep their configured spelling for messages."""

    max_duration: str = DEFAULT_MAX
    default_duration: str = DEFAULT_DEFAULT
    allow_renewal: bool = True
    max_renewals: int = DEFAULT_MAX_RENEWALS
    max_concurrent_sessions: int = 2
    require_approval_for_renewal: bool = False

    @property
    def max(self) -> timedelta:
        """maxDuration as a timedelta."""
        return parse_duration(self.max_duration)

    @property
    def default(self) -> timedelta:
        """defaultDuration as a timedelta, capped at maxDuration."""
        return min(parse_duration(self.default_duration), self.max)


def _positive(text: str) -> bool:
    try:
        return parse_duration(text) > timedelta(0)
    except DurationError:
        return False


def effective_constraints(
    template: DebugSessionConstraints | None, binding: DebugSessionConstraints | None
) -> EffectiveConstraints:
    """Template constraints, overridden by what the binding states explicitly.

    Durations are overridden only by positive, parsable binding values; renewal settings when the binding
    sets them. A binding may be looser than its template: nothing in the reference enforces "stricter".
    Absent values take DESIGN decision 6's defaults (1h default, 4h max, renewals allowed, 3 of them).
    """
    out: dict[str, object] = {}
    for source in (template, binding):
        if source is None:
            continue
        is_binding = source is binding
        for field, key in (("max_duration", "max_duration"), ("default_duration", "default_duration")):
            value = getattr(source, field)
            if (not is_binding or source.given(field)) and _positive(value):
                out[key] = value
        if source.allow_renewal is not None:
            out["allow_renewal"] = source.allow_renewal
        if source.max_renewals is not None:
            out["max_renewals"] = source.max_renewals
        if not is_binding or source.given("max_concurrent_sessions"):
            out["max_concurrent_sessions"] = source.max_concurrent_sessions
        if not is_binding or source.given("require_approval_for_renewal"):
            out["require_approval_for_renewal"] = source.require_approval_for_renewal
    return EffectiveConstraints.model_validate(out)


def session_duration(requested: str, limits: EffectiveConstraints) -> timedelta:
    """The requested duration (validated against the maximum), or the default."""
    if not requested.strip():
        return limits.default
    try:
        value = parse_duration(requested)
    except DurationError as exc:
        raise bad_request(f"invalid requestedDuration: {exc}") from exc
    if value <= timedelta(0):
        raise bad_request("requestedDuration must be positive")
    if not CRD_PATTERN.match(requested):
        # The reference accepts "1.5h" here and then fails to store it (500); refuse it cleanly instead.
        raise bad_request(
            f'invalid requestedDuration: "{requested}" must use whole numbers with units ns, us, ms, s, m, h, d '
            '(e.g. "90m", "1h30m")'
        )
    if value > limits.max:
        raise bad_request(f"requestedDuration {requested} exceeds maximum duration {limits.max_duration}")
    return value
