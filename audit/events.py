"""CloudEvents 1.0 (structured JSON) for the audit trail. Pure: building events, no I/O.

Every event names the session (`subject`) and, where the session's workflow is known, its Temporal workflow
and run id (the `workflowid` and `workflowrunid` extension attributes), so an auditor can open the full
history. Ids are derived from what the event is about, so a retried delivery carries the same id and a sink
can drop duplicates.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SPEC_VERSION = "1.0"
TYPE_PREFIX = "debug_session."

# Where a session event's type differs from its audit type: the reference's names (§10.3) where it has one.
_RENAMED = {
    "activated": "started",
    "deploy-failed": "failed",
    "cleaned-up": "cleaned_up",
}


def session_event_type(event_type: str, message: str = "") -> str:
    """The audit type of a workflow event: `approval-requested` → `debug_session.approval_requested`.

    A requester terminating their own pending request is recorded as `terminated` with the message
    `Withdrawn by <user>` (workflows/policy.termination_message); the audit trail calls it `withdrawn`."""
    if event_type == "terminated" and message.startswith("Withdrawn by "):
        return TYPE_PREFIX + "withdrawn"
    return TYPE_PREFIX + _RENAMED.get(event_type, event_type.replace("-", "_"))


def event_id(*parts: str) -> str:
    """A stable id for what the parts name (a UUID 5)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "debug-sessions:" + "/".join(parts)))


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cloud_event(
    *,
    type: str,
    source: str,
    subject: str,
    time: datetime,
    data: Mapping[str, Any],
    id: str | None = None,
    workflow_id: str = "",
    run_id: str = "",
) -> dict[str, Any]:
    """One CloudEvent in structured JSON form (the `data` member is the event's JSON object)."""
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": id or str(uuid.uuid4()),
        "source": source,
        "type": type,
        "subject": subject,
        "time": rfc3339(time),
        "datacontenttype": "application/json",
    }
    if workflow_id:
        event["workflowid"] = workflow_id
    if run_id:
        event["workflowrunid"] = run_id
    event["data"] = dict(data)
    return event
