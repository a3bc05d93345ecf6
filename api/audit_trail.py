"""What the API adds to the audit trail: the events only it sees (a session requested, access the
authorization webhook allowed). Everything the session itself records is audited by the worker
(activities/notify.py); both write the same CloudEvents to the same kinds of log and sink."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from audit.events import TYPE_PREFIX, cloud_event, event_id
from audit.log import AuditLog
from audit.settings import AuditSettings
from audit.sinks import SinkQueue
from domain.identity import Identity
from domain.resolution.resolved import ResolvedSession

API_SOURCE = "/debug-sessions/api"


class Auditor:
    """The API's audit log and global sink (off unless built from settings)."""

    def __init__(self, log: AuditLog | None = None, sink: SinkQueue | None = None) -> None:
        self.log = log or AuditLog("off")
        self.sink = sink

    @classmethod
    def from_settings(cls, settings: AuditSettings, on_sink_result: Any = None) -> Auditor:
        sink = SinkQueue(settings.audit_webhook_url, on_sink_result) if settings.audit_webhook_url else None
        return cls(AuditLog(settings.audit_log), sink)

    def start(self) -> None:
        if self.sink is not None:
            self.sink.start()

    async def stop(self) -> None:
        if self.sink is not None:
            await self.sink.stop()
        self.log.close()

    def emit(self, event: dict[str, Any]) -> None:
        self.log.write(event)
        if self.sink is not None:
            self.sink.put(event)

    def session_requested(self, session: ResolvedSession, caller: Identity, run_id: str) -> None:
        """`debug_session.created`: the request was accepted and its workflow started."""
        self.emit(
            cloud_event(
                type=TYPE_PREFIX + "created",
                source=API_SOURCE,
                subject=session.name,
                time=session.created_at,
                id=event_id(session.name, "created"),
                workflow_id=session.name,
                run_id=run_id,
                data={
                    "session": session.name,
                    "namespace": session.namespace,
                    "cluster": session.cluster.name,
                    "template": session.template_name,
                    "binding": session.binding.ref if session.binding is not None else "",
                    "mode": session.mode,
                    "requestedBy": session.requester.username,
                    "actor": caller.username,
                    "targetNamespace": session.target.namespace,
                    "duration": session.requested_duration,
                    "reason": session.reason,
                    "approvalRequired": session.approval.required,
                },
            )
        )

    def access_allowed(self, cluster: str, user: str, namespace: str, pod: str, subresource: str, session: str) -> None:
        """`debug_session.access_allowed`: the webhook allowed `user` to use `subresource` of a session pod."""
        self.emit(
            cloud_event(
                type=TYPE_PREFIX + "access_allowed",
                source=API_SOURCE,
                subject=session,
                time=datetime.now(UTC),
                workflow_id=session,
                data={
                    "session": session,
                    "cluster": cluster,
                    "actor": user,
                    "namespace": namespace,
                    "pod": pod,
                    "subresource": subresource,
                },
            )
        )
