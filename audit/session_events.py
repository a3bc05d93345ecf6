"""The audit events of one announced session event (pure): the event itself, plus one event per resource it
put on the cluster (`debug_session.resource_deployed`) or removed (`debug_session.resource_cleanup`)."""

from __future__ import annotations

from typing import Any

from audit.events import TYPE_PREFIX, cloud_event, event_id, rfc3339, session_event_type
from workflows.models import NotifyInput

WORKER_SOURCE = "/debug-sessions/worker"


def session_data(input: NotifyInput) -> dict[str, Any]:
    """What every event of the session says about it."""
    s = input.session
    data: dict[str, Any] = {
        "session": s.name,
        "namespace": s.namespace,
        "cluster": s.cluster.name,
        "template": s.template_name,
        "binding": s.binding.ref if s.binding is not None else "",
        "mode": s.mode,
        "requestedBy": s.requester.username,
        "actor": input.event.actor,
        "state": str(input.state),
        "event": input.event.type,
        "message": input.event.message,
    }
    if input.starts_at is not None:
        data["startsAt"] = rfc3339(input.starts_at)
    if input.expires_at is not None:
        data["expiresAt"] = rfc3339(input.expires_at)
    return data


def audit_events(input: NotifyInput, workflow_id: str, run_id: str) -> list[dict[str, Any]]:
    """The announced event's audit events, ids stable across retries (the same input gives the same ids)."""
    event = input.event
    at = rfc3339(event.at)
    data = session_data(input)
    found = [
        cloud_event(
            type=session_event_type(event.type, event.message),
            data=data,
            id=event_id(workflow_id, event.type, at),
            workflow_id=workflow_id,
            run_id=run_id,
            source=WORKER_SOURCE,
            subject=input.session.name,
            time=event.at,
        )
    ]
    resource_type = TYPE_PREFIX + ("resource_cleanup" if event.type == "cleaned-up" else "resource_deployed")
    for r in input.resources:
        ref = f"{r.kind}/{r.namespace}/{r.name}"
        found.append(
            cloud_event(
                type=resource_type,
                data={
                    **data,
                    "resource": {"apiVersion": r.api_version, "kind": r.kind, "namespace": r.namespace, "name": r.name},
                },
                id=event_id(workflow_id, event.type, at, ref),
                workflow_id=workflow_id,
                run_id=run_id,
                source=WORKER_SOURCE,
                subject=input.session.name,
                time=event.at,
            )
        )
    return found
