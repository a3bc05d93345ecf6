"""Glob matching as the reference does it (Go's path.Match): `*` and `?` never cross `/`."""

from __future__ import annotations

import re
from functools import lru_cache

_META = set("*?[")


def is_glob(pattern: str) -> bool:
    """True if `pattern` contains a glob metacharacter (`*`, `?`, `[`)."""
    return any(c in _META for c in pattern)


def match_pattern(pattern: str, value: str) -> bool:
    """`*` matches everything; a glob is matched with path semantics; otherwise exact, case-sensitive.

    An invalid glob (e.g. an unclosed `[`) falls back to exact equality, as in the reference.
    """
    if pattern == "*":
        return True
    return path_match(pattern, value)


def path_match(pattern: str, value: str) -> bool:
    """Go's `path.Match` alone, without the bare-`*` shortcut: `*` never crosses `/`, so `*` does not
    match `gcr.io/x/img:1` (image allow-lists rely on that: docs/behaviour/access.md#image-allow-lists)."""
    if not is_glob(pattern):
        return pattern == value
    rx = _compile(pattern)
    if rx is None:
        return pattern == value
    return rx.fullmatch(value) is not None


def match_any(patterns: list[str], value: str) -> bool:
    """True if any pattern matches `value`."""
    return any(match_pattern(p, value) for p in patterns)


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str] | None:
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            if i + 1 >= n:
                return None
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end, cls = _char_class(pattern, i + 1)
            if end < 0:
                return None
            out.append(cls)
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def _char_class(pattern: str, i: int) -> tuple[int, str]:
    """Translate a `[...]` class starting after `[`; return (index of `]`, regex) or (-1, "")."""
    n = len(pattern)
    negate = i < n and pattern[i] == "^"
    if negate:
        i += 1
    parts: list[str] = []
    first = True
    while i < n:
        c = pattern[i]
        if c == "]" and not first:
            body = "".join(parts)
            return i, f"[^{body}]" if negate else f"[{body}]"
        first = False
        if c == "\\":
            if i + 1 >= n:
                return -1, ""
            i += 1
            c = pattern[i]
        lo = c
        if i + 2 < n and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            hi = pattern[i + 2]
            if hi == "\\":
                if i + 3 >= n:
                    return -1, ""
                hi = pattern[i + 3]
                i += 1
            if hi < lo:
                return -1, ""
            parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
            i += 3
            continue
        parts.append(re.escape(lo))
        i += 1
    return -1, ""
