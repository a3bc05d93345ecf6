"""Durations as admins write them: Go syntax (`1h30m`, `1.5h`) plus a leading day part (`7d`, `1d12h`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

# Go's time.ParseDuration units, in nanoseconds.
_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_GO_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DAYS = re.compile(r"^(\d+)d")
MAX_DAYS = 365
MAX_NS = 2**63 - 1
"""Go's limit (about 292 years); longer is an error there and here."""
# The CRD's storage-level pattern for requestedDuration/maxDuration/defaultDuration/podCopy.ttl:
# no sign, no decimals.
CRD_PATTERN = re.compile(r"^([0-9]+(ns|us|ms|s|m|h|d))+$")

_UNIT = "(ns|us|µs|μs|ms|s|m|h)"
_ZERO = rf"0(\.0*)?{_UNIT}"
_NONZERO = r"[1-9][0-9]{0,4}(\.[0-9]*)?(ms|s|m|h)"  # at least 1 ms: a few ns would round to zero
_ANY = rf"(0|[1-9][0-9]{{0,4}})(\.[0-9]*)?{_UNIT}"
_DAY_PART = "(36[0-5]|3[0-5][0-9]|[12][0-9][0-9]|[1-9]?[0-9])d"
_SOME_DAYS = "(36[0-5]|3[0-5][0-9]|[12][0-9][0-9]|[1-9][0-9]|[1-9])d"
POSITIVE_DURATION = rf"^({_SOME_DAYS}({_ANY}){{0,4}}|({_DAY_PART})?({_ZERO}){{0,3}}{_NONZERO}({_ANY}){{0,3}})$"
"""A duration `parse_duration` reads as more than zero, as a JSON Schema pattern (for the API's contract).
Narrower than the parser (no sign, no spaces, at most five digits before a point and five parts after the
days: the sum cannot overflow), so that whatever it admits, the parser accepts."""


class DurationError(ValueError):
    """A duration string that cannot be parsed; the message says why in admin terms."""


def parse_duration(text: str) -> timedelta:
    """Parse `text` as the reference does: optional `<N>d` prefix (N <= 365) then a Go duration."""
    s = text.strip()
    if not s:
        raise DurationError("empty duration")
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    total_ns = 0
    days = _DAYS.match(s)
    if days:
        n = int(days.group(1))
        if n > MAX_DAYS:
            raise DurationError(f'invalid duration "{text}": at most {MAX_DAYS} days')
        total_ns += n * 24 * _UNITS_NS["h"]
        s = s[days.end() :]
        if not s:
            return _td(sign * total_ns)
    if s == "0":
        return _td(sign * total_ns)
    pos = 0
    while pos < len(s):
        m = _GO_PART.match(s, pos)
        if not m:
            raise DurationError(
                f'invalid duration "{text}": expected <number><unit> with unit one of '
                "ns, us, ms, s, m, h (or a leading <N>d)"
            )
        total_ns += round(float(m.group(1)) * _UNITS_NS[m.group(2)])
        pos = m.end()
        if total_ns > MAX_NS:
            raise DurationError(f'invalid duration "{text}": longer than {MAX_NS // _UNITS_NS["h"]}h')
    return _td(sign * total_ns)


def _td(ns: int) -> timedelta:
    return timedelta(microseconds=ns / 1000)


def format_duration(d: timedelta) -> str:
    """Render like Go's Duration.String() for whole seconds (`1h30m0s`, `45m0s`, `0s`); days become hours."""
    total = int(d.total_seconds())
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{sign}{h}h{m}m{s}s"
    if m:
        return f"{sign}{m}m{s}s"
    return f"{sign}{s}s"


def _setting(value: object) -> timedelta:
    """A duration setting: Go-style text (`24h`, `1h30m`, `7d`) or a timedelta; must be positive."""
    try:
        parsed = value if isinstance(value, timedelta) else parse_duration(str(value))
    except DurationError as exc:
        raise ValueError(str(exc)) from exc
    if parsed <= timedelta(0):
        raise ValueError(f"{value!r} must be positive")
    return parsed


PositiveDuration = Annotated[timedelta, BeforeValidator(_setting), PlainSerializer(format_duration, return_type=str)]
"""The type of a duration setting (environment variables give text such as `24h`)."""
