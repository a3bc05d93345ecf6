"""The deadlines of a session, as pure functions: what is due at a given time, and when to wake next.

The workflow keeps no polling loop: it sleeps until the next deadline (or until an action wakes it) and
asks `due` what that deadline brought. Everything here is a function of the recorded status and a time the
caller passes; the workflow passes its *timer clock* (see `TimerClock`), never `workflow.now()` directly,
which is what keeps deadline decisions replay-safe (see the workflow module's docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.durations import parse_duration
from domain.resolution.resolved import ResolvedSession
from domain.session import AuxiliaryResourceStatus
from workflows.models import SessionStatus, WorkflowSettings
from workflows.policy import hard_cap

MIN_TIMER = timedelta(milliseconds=1)
"""The shortest timer the workflow starts. A deadline already past still gets a timer (not an immediate
step), so live execution and replay always issue the same command whatever `workflow.now()` says."""


@dataclass(frozen=True)
class Due:
    """What a deadline brought: each flag is one thing the workflow must do now."""

    expire: bool = False
    """The session ends Expired (expiry reached, or the hard cap of a notify-only session)."""
    notify_only_expired: bool = False
    """A notify-only session passed expiresAt: notify once per expiry and stay Active."""
    grace_warning: bool = False
    """The grace period before expiry began: warn once per expiry (a renewal re-arms it)."""
    copies: tuple[tuple[str, str], ...] = ()
    """(namespace, name) of pod copies whose TTL has passed."""
    check: bool = False
    """Time for the maintenance check: auxiliary readiness and the recorded pod snapshot."""

    def __bool__(self) -> bool:
        return self.expire or self.notify_only_expired or self.grace_warning or bool(self.copies) or self.check


def grace_period(session: ResolvedSession) -> timedelta:
    return parse_duration(session.template.grace_period_before_expiry)


def notify_only(session: ResolvedSession) -> bool:
    return session.template.expiration_behavior == "notify-only"


def live_copies(status: SessionStatus) -> list[tuple[str, str, datetime]]:
    """(namespace, name, ttl) of pod copies not deleted yet that have a TTL."""
    debug = status.kubectl_debug_status
    return [
        (c.copy_namespace, c.copy_name, c.expires_at)
        for c in (debug.copied_pods if debug else [])
        if c.deleted_at is None and c.expires_at is not None
    ]


def due(session: ResolvedSession, status: SessionStatus, clock: datetime) -> Due:
    """What an Active session must do at `clock`."""
    expires = status.expires_at
    assert expires is not None, "only an Active session has deadlines"
    cap = hard_cap(session, status)
    assert cap is not None
    expire = clock >= expires and (not notify_only(session) or clock >= cap)
    return Due(
        expire=expire,
        notify_only_expired=not expire and clock >= expires and status.notify_only_expired_for != expires,
        grace_warning=not expire
        and expires - grace_period(session) <= clock < expires
        and status.grace_warned_for != expires,
        copies=tuple(sorted((ns, name) for ns, name, ttl in live_copies(status) if ttl <= clock)),
        check=status.next_check_at is not None and clock >= status.next_check_at,
    )


def next_wake(session: ResolvedSession, status: SessionStatus, clock: datetime) -> datetime:
    """The next deadline after `clock` of an Active session (there is always one: expiry or the hard cap)."""
    expires = status.expires_at
    assert expires is not None
    cap = hard_cap(session, status)
    assert cap is not None
    wakes = [expires if clock < expires else cap]
    warn_at = expires - grace_period(session)
    if status.grace_warned_for != expires and clock < warn_at:
        wakes.append(warn_at)
    wakes += [ttl for _, _, ttl in live_copies(status)]
    if status.next_check_at is not None:
        wakes.append(status.next_check_at)
    later = [w for w in wakes if w > clock]
    return min(later) if later else cap


def auxiliary_unsettled(statuses: tuple[AuxiliaryResourceStatus, ...]) -> bool:
    """True while a created auxiliary resource (or one of its extra documents) is still becoming ready."""
    unsettled = ("InProgress", "")
    for entry in statuses:
        if not entry.created or entry.deleted:
            continue
        if entry.readiness_status in unsettled:
            return True
        if any(more.readiness_status == "InProgress" for more in entry.additional_resources):
            return True
    return False


def next_check(settings: WorkflowSettings, status: SessionStatus, clock: datetime) -> tuple[datetime | None, int]:
    """When to look at the cluster again, and the new streak of unsettled looks.

    While auxiliary resources are still becoming ready: soon, backing off (5 s, 10 s, 20 s … up to the safety
    interval). Otherwise the rare safety check (`settings.safety_check_interval`; zero turns it off).
    """
    if auxiliary_unsettled(status.auxiliary_resource_statuses):
        streak = status.check_streak + 1
        backoff = settings.readiness_recheck_after * 2 ** (streak - 1)
        if settings.safety_check_interval > timedelta(0):
            backoff = min(backoff, settings.safety_check_interval)
        return clock + backoff, streak
    if settings.safety_check_interval <= timedelta(0):
        return None, 0
    return clock + settings.safety_check_interval, 0


@dataclass
class TimerClock:
    """The time the workflow decides by: the latest deadline whose timer has fired, or a recorded time.

    `workflow.now()` is the start time of the workflow task being processed, and it is not always what
    replay will see: a worker that answers a query without the workflow in its cache applies the events
    that arrived after the last completed task (here: a fired timer) with the *previous* task's time, keeps
    that state, and completes the next task from it; replay of the same history then sees the later time.
    A fired timer, on the other hand, is the same event in both. So decisions compare deadlines with this
    clock, which only moves to a fired timer's deadline or to a time already recorded in the status.
    """

    at: datetime

    def reached(self, when: datetime) -> datetime:
        """Move forward to `when` (a deadline whose timer fired, or a recorded time); never back."""
        self.at = max(self.at, when)
        return self.at
