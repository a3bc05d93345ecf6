"""Who is calling: the identity every policy decision is made for, and how stored names match it."""

from __future__ import annotations

from pydantic import Field

from domain.base import Frozen
from domain.globs import is_glob, match_pattern


class Identity(Frozen):
    """The caller as the authentication layer established it."""

    username: str
    email: str = ""
    display_name: str = ""
    groups: tuple[str, ...] = Field(default_factory=tuple)


def identity_match(stored: str, who: Identity) -> bool:
    """Identity match (docs/behaviour/README.md#identity-matching): trimmed, case-insensitive, username or e-mail."""
    value = stored.strip().lower()
    if not value:
        return False
    return value == who.username.strip().lower() or (bool(who.email) and value == who.email.strip().lower())


def user_pattern_match(pattern: str, who: Identity) -> bool:
    """An allowlist/approver user entry: globs are case-sensitive, plain names case-insensitive."""
    entry = pattern.strip()
    if not entry:
        return False
    candidates = [who.username] + ([who.email] if who.email and who.email != who.username else [])
    if is_glob(entry):
        return any(match_pattern(entry, c) for c in candidates)
    return any(entry.lower() == c.lower() for c in candidates)


def group_pattern_match(patterns: list[str] | tuple[str, ...], who: Identity) -> bool:
    """True if any glob in `patterns` matches any of the caller's groups."""
    return any(match_pattern(p, g) for p in patterns for g in who.groups)
