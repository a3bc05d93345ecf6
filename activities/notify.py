"""Announcing session events: the audit trail, the worker's session metrics, and deliveries (mail, chat,
audit sinks).

The workflow records an event and calls `announce` (a local activity: no network) which writes the audit
lines, counts the event, and answers which deliveries it needs, by stable key. The workflow then runs
`deliver` once per key, each retried by Temporal on its own (a mail server that is down delays that mail,
resends nothing else, and never holds the session). `deliver` plans again from the same input and sends the
one message its key names, so nothing but the key travels through the history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from activities.metrics import WorkerMetrics
from audit.log import AuditLog
from audit.session_events import audit_events
from audit.settings import AuditSettings
from audit.sinks import post_event
from notifications.chat import post_chat
from notifications.directory import GroupDirectory
from notifications.plan import Deliveries, plan
from notifications.settings import NotificationSettings
from notifications.smtp import SmtpSender
from workflows.models import DELIVER_ACTIVITY, NOTIFY_ACTIVITY, DeliverInput, NotifyInput, NotifyPlan

log = logging.getLogger("debug_sessions.notify")

GLOBAL_SINK = "audit:global"
TEMPLATE_SINK = "audit:template:"
ENDED = {"expired", "terminated", "cancelled"}
"""Events that end a session that was active: its duration is observed."""
FAILED = {"deploy-failed", "approval-timeout"}


@dataclass
class Announcer:
    """Settings and sinks of one worker."""

    notification: NotificationSettings = field(default_factory=NotificationSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    directory: GroupDirectory = field(default_factory=GroupDirectory)
    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)
    audit_log: AuditLog | None = None

    def __post_init__(self) -> None:
        if self.audit_log is None:
            self.audit_log = AuditLog(self.audit.audit_log)
        self._smtp = SmtpSender(self.notification)

    @classmethod
    def from_environment(cls, metrics: WorkerMetrics | None = None) -> Announcer:
        """Settings from the environment; the group directory loaded (DirectoryError names what is wrong)."""
        notification = NotificationSettings()
        directory = (
            GroupDirectory.load(notification.group_directory) if notification.group_directory else GroupDirectory()
        )
        return cls(notification=notification, directory=directory, metrics=metrics or WorkerMetrics())

    def all(self) -> list[Any]:
        return [self.announce, self.deliver]

    # --- announce --------------------------------------------------------------------------------

    @activity.defn(name=NOTIFY_ACTIVITY)
    def announce(self, input: NotifyInput) -> NotifyPlan:
        """Audit and count one session event; answer the deliveries it needs."""
        info = activity.info()
        assert self.audit_log is not None
        for event in audit_events(input, info.workflow_id or "", info.workflow_run_id or ""):
            self.audit_log.write(event)
        self._count(input)
        deliveries = self._plan(input)
        for warning in deliveries.warnings:
            log.warning("session %s: %s", input.session.name, warning)
        keys = [m.key for m in deliveries.mails] + [c.key for c in deliveries.chats] + self._sinks(input)
        return NotifyPlan(deliveries=tuple(keys))

    def _count(self, input: NotifyInput) -> None:
        event, session = input.event, input.session
        labels = (session.cluster.name, session.template_name)
        self.metrics.events.labels(event.type).inc()
        if event.type == "expired":
            self.metrics.expired.labels(*labels).inc()
        if event.type in FAILED:
            self.metrics.failed.labels(*labels).inc()
        if event.type in ENDED and input.starts_at is not None:
            self.metrics.duration.labels(*labels).observe((event.at - input.starts_at).total_seconds())

    def _plan(self, input: NotifyInput) -> Deliveries:
        return plan(input, self.notification, self.directory)

    def _sinks(self, input: NotifyInput) -> list[str]:
        """Audit sinks the event goes to: the operator's global sink, and the template's webhook destinations
        unless the template turned its audit off (that never silences the operator's log or sink)."""
        keys = [GLOBAL_SINK] if self.audit.audit_webhook_url else []
        audit = input.session.template.audit
        if audit is not None and audit.enabled:
            keys += [f"{TEMPLATE_SINK}{i}" for i, d in enumerate(audit.destinations) if d.type == "webhook" and d.url]
        return keys

    # --- deliver ---------------------------------------------------------------------------------

    @activity.defn(name=DELIVER_ACTIVITY)
    def deliver(self, input: DeliverInput) -> None:
        """Send the one message `key` names; raise to be retried."""
        key = input.key
        channel = "audit_sink" if key.startswith("audit:") else key.partition(":")[0]
        try:
            self._deliver(input.notify, key)
        except Exception:
            self.metrics.deliveries.labels(channel, "failure").inc()
            raise
        self.metrics.deliveries.labels(channel, "success").inc()

    def _deliver(self, notify: NotifyInput, key: str) -> None:
        if key.startswith("audit:"):
            url, headers = self._sink(notify, key)
            info = activity.info()
            for event in audit_events(notify, info.workflow_id or "", info.workflow_run_id or ""):
                post_event(url, event, headers)
            return
        deliveries = self._plan(notify)
        mail = next((m for m in deliveries.mails if m.key == key), None)
        if mail is not None:
            self._smtp.send(mail)
            log.info("session %s: mailed %s to %s", notify.session.name, mail.template, ", ".join(mail.to))
            return
        chat = next((c for c in deliveries.chats if c.key == key), None)
        if chat is not None:
            post_chat(chat)
            return
        # Settings changed between the announcement and now (a restart with mail turned off, say).
        log.warning("session %s: delivery %s is no longer configured; dropped", notify.session.name, key)

    def _sink(self, notify: NotifyInput, key: str) -> tuple[str, dict[str, str]]:
        if key == GLOBAL_SINK:
            return self.audit.audit_webhook_url, {}
        audit = notify.session.template.audit
        destination = audit.destinations[int(key.removeprefix(TEMPLATE_SINK))] if audit is not None else None
        if destination is None:
            raise ValueError(f"no audit destination for {key}")
        return destination.url, dict(destination.headers)
