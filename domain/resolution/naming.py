"""Session names: `debug-<user>-<cluster>-<suffix>`, at most 63 characters, RFC 1123.

See docs/behaviour/resolution.md#session-name.
"""

from __future__ import annotations

import re

MAX_NAME = 63
_INVALID = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-+")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def label_part(text: str) -> str:
    """Lowercase; invalid characters -> `-`; dashes collapsed and trimmed; empty -> `x`."""
    out = _DASHES.sub("-", _INVALID.sub("-", text.lower())).strip("-")
    return out or "x"


def base36(n: int) -> str:
    """Non-negative integer in base 36 (Go's strconv.FormatInt(n, 36))."""
    if n == 0:
        return "0"
    digits = []
    while n:
        n, r = divmod(n, 36)
        digits.append(_DIGITS[r])
    return "".join(reversed(digits))


def session_name(user: str, cluster: str, unix_nanos: int) -> str:
    """The name of a new session; user and cluster parts share the length budget evenly."""
    suffix = base36(unix_nanos)
    u, c = label_part(user), label_part(cluster)
    budget = MAX_NAME - len("debug-") - len("-") - len("-") - len(suffix)
    half = budget // 2
    u_len = min(len(u), max(half, budget - len(c)))
    c_len = min(len(c), budget - u_len)
    u = u[:u_len].strip("-.") or "x"
    c = c[:c_len].strip("-.") or "x"
    return f"debug-{u}-{c}-{suffix}"
