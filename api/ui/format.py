"""Pure presentation rules of the web UI: states as text and symbol, relative times, and which form field
an API refusal is about. No I/O: tested as tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from domain.session import SessionState

STATE_SYMBOLS = {
    SessionState.PENDING: ("◌", "pending"),
    SessionState.PENDING_APPROVAL: ("◆", "waiting"),
    SessionState.ACTIVE: ("●", "active"),
    SessionState.EXPIRED: ("○", "ended"),
    SessionState.TERMINATED: ("■", "ended"),
    SessionState.FAILED: ("✕", "failed"),
}
"""Each state's symbol (a shape: the state is never shown by colour alone) and its CSS class."""


def state_symbol(state: str | None) -> str:
    """The symbol shown before a state's name ("?" for an unknown one)."""
    try:
        return STATE_SYMBOLS[SessionState(state or "")][0]
    except ValueError:
        return "?"


def state_class(state: str | None) -> str:
    try:
        return STATE_SYMBOLS[SessionState(state or "")][1]
    except ValueError:
        return "unknown"


def parse_time(value: Any) -> datetime | None:
    """An API timestamp (RFC 3339) as an aware datetime; None for anything else."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def span(seconds: float) -> str:
    """A length of time in at most two units: `42 s`, `5 min`, `1 h 5 min`, `2 d 3 h`."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s} s"
    minutes = s // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def relative(value: Any, now: datetime) -> str:
    """`in 42 min`, `3 min ago`, `now`; empty for no time (the same words app.js writes)."""
    when = parse_time(value)
    if when is None:
        return ""
    delta = (when - now).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"in {span(delta)}" if delta > 0 else f"{span(delta)} ago"


def absolute(value: Any) -> str:
    """`2026-12-04 18:00:00 UTC`; empty for no time."""
    when = parse_time(value)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if when else ""


# --- which field an API refusal is about ------------------------------------------------------------------

_VARIABLE = re.compile(r"^extraDeployValues\[([^\]]+)\]")
_BODY_FIELD = re.compile(r"^invalid request body: ([A-Za-z]+)(?:\.([^:]+))?:")
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("selectedSchedulingOption", ("scheduling option",)),
    ("requestedDuration", ("requestedDuration",)),
    ("targetNamespace", ("namespace",)),
    ("reason", ("reason",)),
    ("invitedParticipants", ("invitedParticipants",)),
    ("templateRef", ("templateRef", "template '")),
    ("cluster", ("cluster",)),
)
"""In order: the first rule whose words appear in the message names the field (a namespace message also
names the template, so namespaces come first). A binding is named by `bindingRef` or a leading `binding '`."""
CREATE_FIELDS = frozenset({*(name for name, _ in _RULES), "bindingRef"})


def create_field_errors(message: str, details: str = "") -> dict[str, str]:
    """The create form's field (`templateRef`, `cluster`, ..., `extraDeployValues.<name>`) each part of a
    refusal is about; `""` for what concerns no single field (shown at the top of the form)."""
    if message == "extraDeployValues validation failed" and details:
        found: dict[str, str] = {}
        for part in details.split("; "):
            m = _VARIABLE.match(part)
            key = f"extraDeployValues.{m.group(1)}" if m else ""
            text = part[m.end() :].lstrip(": ") if m else part
            found[key] = f"{found[key]}; {text}" if key in found else text
        return found
    text = f"{message}: {details}" if details else message
    body = _BODY_FIELD.match(message)
    if body is not None:
        field, sub = body.groups()
        if field == "extraDeployValues" and sub:
            return {f"extraDeployValues.{sub}": text}
        if field in CREATE_FIELDS:
            return {field: text}
        return {"": text}
    if "bindingRef" in message or message.startswith("binding '"):  # namespace messages name bindings too
        return {"bindingRef": text}
    for field, words in _RULES:
        if any(w in message for w in words):
            return {field: text}
    return {"": text}
