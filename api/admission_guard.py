"""Session limits (§4.8) without the visibility race, within one API process.

Open sessions are counted from Temporal visibility, which lags a moment behind a workflow start. Two creates
for the same template at the same instant could therefore both see room for one more session. Creates of
one template are serialised here, and the sessions this process started recently are counted until
visibility lists them. Several API replicas can still race each other for that short moment (see README).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RecentStart:
    """A session this process started, as the limit counter needs it."""

    name: str
    binding: str
    requester: str
    at: float


@dataclass
class AdmissionGuard:
    """One lock per template, and the starts visibility may not show yet."""

    remember_for: float = 30.0
    """Seconds a start is counted from memory (visibility catches up well within this)."""
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _recent: dict[str, list[RecentStart]] = field(default_factory=dict)

    def lock(self, template: str) -> asyncio.Lock:
        """The lock that serialises admission for `template` (count, then start)."""
        return self._locks.setdefault(template, asyncio.Lock())

    def started(self, template: str, name: str, binding: str, requester: str) -> None:
        """Remember a start (call it with the template's lock held, right after the workflow started)."""
        self._recent.setdefault(template, []).append(RecentStart(name, binding, requester, time.monotonic()))

    def forget(self, template: str, names: set[str]) -> None:
        """Visibility lists these now (in whatever state): stop counting them from memory."""
        self._recent[template] = [r for r in self._recent.get(template, []) if r.name not in names]

    def unseen(self, template: str, visible: set[str]) -> list[RecentStart]:
        """Recent starts of `template` that visibility did not list (forgotten after `remember_for`)."""
        horizon = time.monotonic() - self.remember_for
        kept = [r for r in self._recent.get(template, []) if r.at >= horizon]
        self._recent[template] = kept
        return [r for r in kept if r.name not in visible]
