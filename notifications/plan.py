"""What a session event sends: the mails (recipients, subject, rendered bodies) and chat messages, by stable key.

Pure: no I/O. The activity plans when it announces an event (to learn the keys) and again when it delivers
one key, so a retried delivery sends exactly the message it was planned with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any, Literal

from domain.durations import format_duration
from domain.policy import NotificationConfig
from notifications.directory import GroupDirectory
from notifications.render import render
from notifications.settings import NotificationSettings
from workflows.models import NotifyInput

Gate = Literal["notify_on_request", "notify_on_approval", "notify_on_expiry", "notify_on_termination"]
Audience = Literal["approvers", "requester", "followers", "requester-always"]
"""`requester`: the requester less the excluded; `followers`: the requester and the additional recipients less
the excluded; `requester-always`: the requester, whatever the notification config says (failures)."""

RENEW_BY = "30m"


@dataclass(frozen=True)
class MailMessage:
    """One e-mail, ready to send."""

    key: str
    template: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    message_id: str = ""
    """Stable for a given session, event and key, so a resent mail reads as the same message."""


@dataclass(frozen=True)
class ChatMessage:
    """One JSON post to a Slack-compatible incoming webhook."""

    key: str
    url: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Deliveries:
    """Everything one event sends, and what an operator should hear about (e.g. groups not in the directory)."""

    mails: tuple[MailMessage, ...] = ()
    chats: tuple[ChatMessage, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Mail:
    audience: Audience
    template: str
    subject: str
    """A `str.format` pattern over the render context."""
    gate: Gate | None
    """The flag of the notification config that turns it on; None: sent even when notifications are off."""


REQUEST = _Mail(
    "approvers", "debug_session_request", "Debug Session Request: {requester_name} on {cluster}", "notify_on_request"
)
CREATED = _Mail("requester", "debug_session_created", "Debug Session Created: {name}", "notify_on_request")
TERMINATED = _Mail("followers", "debug_session_terminated", "Debug Session Terminated: {name}", "notify_on_termination")

MAILS: dict[str, tuple[_Mail, ...]] = {
    "approval-requested": (REQUEST, CREATED),
    "activated": (CREATED,),  # only for sessions that needed no approval: see `_mails`
    "approved": (_Mail("requester", "debug_session_approved", "Debug Session Approved: {name}", "notify_on_approval"),),
    "rejected": (_Mail("requester", "debug_session_rejected", "Debug Session Rejected: {name}", "notify_on_approval"),),
    "deploy-failed": (_Mail("requester-always", "debug_session_failed", "Debug Session Failed: {name}", None),),
    "approval-timeout": (
        _Mail("requester-always", "debug_session_approval_timeout", "Debug Session Approval Timed Out: {name}", None),
    ),
    "expired": (_Mail("followers", "debug_session_expired", "Debug Session Expired: {name}", "notify_on_expiry"),),
    "expired-notify-only": (
        _Mail("followers", "debug_session_past_expiry", "Debug Session Past Its Expiry: {name}", "notify_on_expiry"),
    ),
    "expiring-soon": (
        _Mail("followers", "debug_session_expiring_soon", "Debug Session Expiring Soon: {name}", "notify_on_expiry"),
    ),
    "terminated": (TERMINATED,),
    "cancelled": (TERMINATED,),
}

CHAT_GATES: dict[str, Gate] = {
    "approval-requested": "notify_on_request",
    "approved": "notify_on_approval",
    "rejected": "notify_on_approval",
    "expired": "notify_on_expiry",
    "terminated": "notify_on_termination",
    "cancelled": "notify_on_termination",
}


def plan(input: NotifyInput, settings: NotificationSettings, directory: GroupDirectory) -> Deliveries:
    """The mails (none without an SMTP host) and chat messages (one per webhook) that `input.event` sends."""
    warnings: list[str] = []
    mails = _mails(input, settings, directory, warnings) if settings.smtp_host else ()
    return Deliveries(mails=mails, chats=_chats(input, settings), warnings=tuple(warnings))


def session_url(settings: NotificationSettings, name: str) -> str:
    """Where people open the session."""
    return f"{settings.public_url}/debug-sessions/{name}"


def rfc3339(at: datetime | None) -> str:
    """UTC, to the second (`2026-12-04T10:00:00Z`); empty when unknown."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if at is not None else ""


def _allowed(config: NotificationConfig | None, gate: Gate | None) -> bool:
    if gate is None or config is None:
        return True
    return config.enabled and bool(getattr(config, gate))


# --- mail -------------------------------------------------------------------------------------------


def _mails(
    input: NotifyInput, settings: NotificationSettings, directory: GroupDirectory, warnings: list[str]
) -> tuple[MailMessage, ...]:
    kinds = MAILS.get(input.event.type, ())
    if input.event.type == "activated" and input.session.approval.required:
        kinds = ()  # an approved session heard "created" when it asked and "approved" since
    if not kinds:
        return ()
    config = input.session.notification
    context = _context(input, settings)
    out: list[MailMessage] = []
    for kind in kinds:
        if not _allowed(config, kind.gate):
            continue
        to = _recipients(input, kind.audience, directory, warnings)
        if not to:
            continue
        audience = "approvers" if kind.audience == "approvers" else "requester"
        key = f"mail:{audience}:{input.event.type}"
        subject = " ".join(f"[{settings.branding_name}] {kind.subject.format(**context)}".split())
        text, html = render(kind.template, {**context, "subject": subject})
        out.append(MailMessage(key, kind.template, to, subject, text, html, _message_id(input, key, settings)))
    return tuple(out)


def requester_address(input: NotifyInput) -> str:
    """The requester's e-mail, else a username that is one; empty when there is none."""
    who = input.session.requester
    if who.email.strip():
        return who.email.strip()
    return who.username.strip() if "@" in who.username else ""


def _recipients(
    input: NotifyInput, audience: Audience, directory: GroupDirectory, warnings: list[str]
) -> tuple[str, ...]:
    config = input.session.notification
    requester = requester_address(input)
    if audience == "requester-always":
        return (requester,) if requester else ()
    base: list[str] = []
    if audience == "approvers":
        base = _approvers(input, directory, warnings)
    elif requester:
        base = [requester]
    if audience in ("approvers", "followers") and config is not None:
        for entry in config.additional_recipients:
            if "@" in entry:
                base.append(entry.strip())
            else:
                warnings.append(f'additional recipient "{entry}" is not an e-mail address: it gets no e-mail')
    excluded: set[str] = set()
    if config is not None and config.excluded_recipients is not None:
        excluded = {u.strip().lower() for u in config.excluded_recipients.users}
    username = input.session.requester.username.strip().lower()
    out: list[str] = []
    seen: set[str] = set()
    for address in base:
        lower = address.lower()
        if lower in seen:
            continue
        seen.add(lower)
        if lower in excluded or (requester and lower == requester.lower() and username in excluded):
            continue
        out.append(address)
    return tuple(out)


def _approvers(input: NotifyInput, directory: GroupDirectory, warnings: list[str]) -> list[str]:
    policy = input.session.approval
    users = [u.strip() for u in policy.approver_users if "@" in u and "*" not in u]
    unreachable = [u for u in policy.approver_users if u.strip() not in users]
    if unreachable:
        names = ", ".join(f'"{u}"' for u in unreachable)
        warnings.append(f"approver users {names} are not e-mail addresses: they get no e-mail")
    addresses, missing = directory.expand(policy.approver_groups)
    for group in missing:
        warnings.append(f'approver group "{group}" is not in {directory.describe()}: its members get no e-mail')
    return [*users, *addresses]


def _context(input: NotifyInput, settings: NotificationSettings) -> dict[str, Any]:
    """Every value any template shows, as display strings (empty: not known or not relevant)."""
    session, event, approval = input.session, input.event, input.approval
    who = session.requester
    requester_name = who.display_name.strip() or who.username
    email = requester_address(input)
    expires_at = rfc3339(input.expires_at)
    if not expires_at and approval is not None and approval.approved_at is not None:
        expires_at = f"about {rfc3339(approval.approved_at + session.duration)}"
    renewable = session.constraints.allow_renewal and session.constraints.max_renewals > 0
    return {
        "brand": settings.branding_name,
        "url": session_url(settings, session.name),
        "name": session.name,
        "cluster": session.cluster.name,
        "template_name": session.template_name,
        "namespace": session.target.namespace,
        "reason": session.reason,
        "requester_name": requester_name,
        "requester_email": email,
        "requester": f"{requester_name} <{email}>" if email and email != requester_name else requester_name,
        "requested_at": rfc3339(session.created_at),
        "duration": format_duration(session.duration),
        "node_selector": ", ".join(f"{k}={v}" for k, v in sorted(session.node_selector.items())),
        "requires_approval": session.approval.required,
        "event_at": rfc3339(event.at),
        "message": event.message,
        "actor": event.actor,
        "started_at": rfc3339(input.starts_at),
        "expires_at": expires_at,
        "approved_by": (approval.approved_by if approval else None) or event.actor,
        "approved_at": rfc3339(approval.approved_at) if approval else "",
        "rejected_by": (approval.rejected_by if approval else None) or event.actor,
        "rejected_at": rfc3339(approval.rejected_at if approval and approval.rejected_at else event.at),
        "decision_reason": approval.reason if approval else "",
        "renew_command": f"dsctl session renew {session.name} --extend-by {RENEW_BY}" if renewable else "",
    }


def _message_id(input: NotifyInput, key: str, settings: NotificationSettings) -> str:
    seed = f"{input.session.name}\n{key}\n{input.event.at.isoformat()}".encode()
    _, address = parseaddr(settings.smtp_from)
    domain = address.rpartition("@")[2] or "debug-sessions.invalid"
    return f"<{hashlib.sha256(seed).hexdigest()[:32]}@{domain}>"


# --- chat -------------------------------------------------------------------------------------------


def _chats(input: NotifyInput, settings: NotificationSettings) -> tuple[ChatMessage, ...]:
    urls = settings.chat_webhook_urls
    gate = CHAT_GATES.get(input.event.type)
    if not urls or gate is None or not _allowed(input.session.notification, gate):
        return ()
    payload = chat_payload(input, settings)
    return tuple(ChatMessage(f"chat:{i}", url, payload) for i, url in enumerate(urls))


def _mrkdwn(text: str) -> str:
    """Slack's control characters escaped, so a reason cannot forge a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_payload(input: NotifyInput, settings: NotificationSettings) -> dict[str, Any]:
    """The incoming-webhook body for an event (`text` for notifications, one mrkdwn section)."""
    session, event, approval = input.session, input.event, input.approval
    url = session_url(settings, session.name)
    who = session.requester.display_name.strip() or session.requester.username
    link = f"<{url}|{_mrkdwn(session.name)}>"
    where = f"on `{_mrkdwn(session.cluster.name)}`"
    decision = f"Reason: {_mrkdwn(approval.reason)}" if approval and approval.reason else ""
    if event.type == "approval-requested":
        lines = [
            f"{_mrkdwn(who)} requests debug session {link} {where} "
            f"(template `{_mrkdwn(session.template_name)}`, {format_duration(session.duration)})",
            f"Reason: {_mrkdwn(session.reason)}" if session.reason else "",
            f"<{url}?action=approve|Approve>  ·  <{url}?action=reject|Reject>",
        ]
    elif event.type == "approved":
        by = approval.approved_by if approval and approval.approved_by else event.actor
        lines = [f"Debug session {link} {where} was approved by {_mrkdwn(by)}", decision]
    elif event.type == "rejected":
        by = approval.rejected_by if approval and approval.rejected_by else event.actor
        lines = [f"Debug session {link} {where} was rejected by {_mrkdwn(by)}", decision]
    elif event.type == "expired":
        lines = [f"Debug session {link} {where} of {_mrkdwn(who)} expired"]
    else:
        lines = [f"Debug session {link} {where} of {_mrkdwn(who)} ended: {_mrkdwn(event.message)}"]
    text = "\n".join([f"*{_mrkdwn(settings.branding_name)}*", *(line for line in lines if line)])
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
