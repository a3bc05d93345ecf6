"""What each session event sends: recipients, subjects, gating, bodies and chat payloads (pure, no I/O)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.identity import Identity
from domain.policy import ExcludedRecipients, NotificationConfig
from domain.resolution.approval import ApprovalPolicy
from domain.resolution.resolved import ResolvedSession
from notifications.directory import GroupDirectory
from notifications.plan import Deliveries, MailMessage, plan
from notifications.settings import NotificationSettings
from tests.workflows.test_session_workflow import approval_session, auto_session
from workflows.models import ApprovalRecord, NotifyInput, SessionEvent, SessionState

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
BRAND = "[Debug Sessions]"
SETTINGS = NotificationSettings(
    smtp_host="smtp.example.com",
    public_url="https://debug.example.com/",
    chat_webhook_url="https://hooks.example.com/a",
)
DIRECTORY = GroupDirectory(
    groups={"sre-leads": ("lead@example.com", "sre-leads@example.com"), "security-leads": ("Lead@example.com",)},
    path=Path("/etc/ds/groups.yaml"),
)
SAM = "sam@example.com"


def session(**changes: Any) -> ResolvedSession:
    """network-debug on production-eu, requested by sam (sam@example.com), approval by the group sre-leads."""
    return approval_session(created_at=T0 - timedelta(minutes=5), **changes)


def configured(base: ResolvedSession | None = None, **config: Any) -> ResolvedSession:
    return (base or session()).model_copy(update={"notification": NotificationConfig(**config)})


def notify(
    kind: str,
    s: ResolvedSession | None = None,
    message: str = "",
    actor: str = "",
    approval: ApprovalRecord | None = None,
    **changes: Any,
) -> NotifyInput:
    return NotifyInput(
        session=s or session(),
        event=SessionEvent(at=T0, type=kind, message=message or kind, actor=actor),
        state=SessionState.ACTIVE,
        approval=approval,
        **changes,
    )


def run(
    input: NotifyInput, settings: NotificationSettings = SETTINGS, directory: GroupDirectory = DIRECTORY
) -> Deliveries:
    return plan(input, settings, directory)


def mails(input: NotifyInput, **kw: Any) -> dict[str, MailMessage]:
    return {m.key: m for m in run(input, **kw).mails}


def sent(input: NotifyInput) -> list[tuple[str, tuple[str, ...], str]]:
    """(key, to, subject) of every mail, in plan order."""
    return [(m.key, m.to, m.subject) for m in run(input).mails]


NAME = session().name
APPROVED = ApprovalRecord(required=True, approved_by="lena", approved_at=T0, reason="looks fine")
REJECTED = ApprovalRecord(required=True, rejected_by="lena", rejected_at=T0, reason="not today")


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        pytest.param(
            notify("approval-requested"),
            [
                (
                    "mail:approvers:approval-requested",
                    ("lead@example.com", "sre-leads@example.com"),
                    f"{BRAND} Debug Session Request: sam on production-eu",
                ),
                ("mail:requester:approval-requested", (SAM,), f"{BRAND} Debug Session Created: {NAME}"),
            ],
            id="approval-requested",
        ),
        pytest.param(
            notify("activated", auto_session()),
            [("mail:requester:activated", (SAM,), f"{BRAND} Debug Session Created: {auto_session().name}")],
            id="activated-auto-approved",
        ),
        pytest.param(notify("activated", approval=APPROVED), [], id="activated-after-approval"),
        pytest.param(
            notify("approved", approval=APPROVED, actor="lena"),
            [("mail:requester:approved", (SAM,), f"{BRAND} Debug Session Approved: {NAME}")],
            id="approved",
        ),
        pytest.param(
            notify("rejected", approval=REJECTED, actor="lena"),
            [("mail:requester:rejected", (SAM,), f"{BRAND} Debug Session Rejected: {NAME}")],
            id="rejected",
        ),
        pytest.param(
            notify("deploy-failed", message="image pull failed"),
            [("mail:requester:deploy-failed", (SAM,), f"{BRAND} Debug Session Failed: {NAME}")],
            id="deploy-failed",
        ),
        pytest.param(
            notify("approval-timeout"),
            [("mail:requester:approval-timeout", (SAM,), f"{BRAND} Debug Session Approval Timed Out: {NAME}")],
            id="approval-timeout",
        ),
        pytest.param(
            notify("expired", starts_at=T0 - timedelta(hours=1)),
            [("mail:requester:expired", (SAM,), f"{BRAND} Debug Session Expired: {NAME}")],
            id="expired",
        ),
        pytest.param(
            notify("expired-notify-only", expires_at=T0),
            [("mail:requester:expired-notify-only", (SAM,), f"{BRAND} Debug Session Past Its Expiry: {NAME}")],
            id="expired-notify-only",
        ),
        pytest.param(
            notify("expiring-soon", expires_at=T0 + timedelta(minutes=10)),
            [("mail:requester:expiring-soon", (SAM,), f"{BRAND} Debug Session Expiring Soon: {NAME}")],
            id="expiring-soon",
        ),
        pytest.param(
            notify("terminated", message="Terminated by lena (admin)", actor="lena"),
            [("mail:requester:terminated", (SAM,), f"{BRAND} Debug Session Terminated: {NAME}")],
            id="terminated",
        ),
        pytest.param(
            notify("cancelled", message="Session cancelled"),
            [("mail:requester:cancelled", (SAM,), f"{BRAND} Debug Session Terminated: {NAME}")],
            id="cancelled",
        ),
        *(
            pytest.param(notify(kind), [], id=kind)
            for kind in ("renewed", "joined", "left", "invited", "cleaned-up", "signal-refused", "pod-copy-expired")
        ),
    ],
)
def test_each_event_mails_its_recipients(input: NotifyInput, expected: list[tuple[str, tuple[str, ...], str]]) -> None:
    assert sent(input) == expected


# --- gating by the notification config ---------------------------------------------------------------

EVENTS = {
    "approval-requested": notify("approval-requested"),
    "activated": notify("activated", auto_session()),
    "approved": notify("approved", approval=APPROVED),
    "rejected": notify("rejected", approval=REJECTED),
    "expired": notify("expired"),
    "expired-notify-only": notify("expired-notify-only"),
    "expiring-soon": notify("expiring-soon", expires_at=T0),
    "terminated": notify("terminated", message="Terminated by sam", actor="sam"),
    "cancelled": notify("cancelled"),
    "deploy-failed": notify("deploy-failed"),
    "approval-timeout": notify("approval-timeout"),
}
GATES = {
    "notify_on_request": {"approval-requested", "activated"},
    "notify_on_approval": {"approved", "rejected"},
    "notify_on_expiry": {"expired", "expired-notify-only", "expiring-soon"},
    "notify_on_termination": {"terminated", "cancelled"},
}
FAILURES = {"deploy-failed", "approval-timeout"}


def reconfigured(kind: str, **config: Any) -> NotifyInput:
    input = EVENTS[kind]
    return input.model_copy(update={"session": configured(input.session, **config)})


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_notifications_off_leave_only_failures(kind: str) -> None:
    off = run(reconfigured(kind, enabled=False))
    assert bool(off.mails) == (kind in FAILURES)
    assert off.chats == ()


@pytest.mark.parametrize("gate", sorted(GATES))
@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_each_flag_silences_exactly_its_events(gate: str, kind: str) -> None:
    assert run(EVENTS[kind]).mails, "every event of the table mails someone by default"
    silenced = not run(reconfigured(kind, **{gate: False})).mails
    assert silenced == (kind in GATES[gate])


def test_no_config_sends_and_an_explicit_default_config_sends_the_same() -> None:
    for kind, input in EVENTS.items():
        assert sent(input) == sent(reconfigured(kind)), kind


def test_no_smtp_host_no_mail_but_chat_still_goes() -> None:
    out = run(EVENTS["approval-requested"], settings=SETTINGS.model_copy(update={"smtp_host": ""}))
    assert out.mails == ()
    assert [c.key for c in out.chats] == ["chat:0"]


# --- recipients ---------------------------------------------------------------------------------------


def test_additional_recipients_deduplicated_and_excluded_removed_case_insensitively() -> None:
    config: dict[str, Any] = {
        "additional_recipients": ["Oncall@Example.com", "oncall@example.com", "LEAD@example.com", "audit@example.com"],
        "excluded_recipients": ExcludedRecipients(users=["AUDIT@example.com", "sre-leads@EXAMPLE.com"]),
    }
    requested = notify("approval-requested", configured(**config))
    assert mails(requested)["mail:approvers:approval-requested"].to == ("lead@example.com", "Oncall@Example.com")
    # additional recipients follow the session's end, never its approval decisions
    assert mails(notify("expired", configured(**config)))["mail:requester:expired"].to == (
        SAM,
        "Oncall@Example.com",
        "LEAD@example.com",
    )
    assert mails(notify("approved", configured(**config), approval=APPROVED))["mail:requester:approved"].to == (SAM,)


def test_excluding_the_requester_by_address_or_username() -> None:
    for excluded in ("SAM@example.com", "Sam"):
        s = configured(
            excluded_recipients=ExcludedRecipients(users=[excluded]), additional_recipients=["x@example.com"]
        )
        assert [m.to for m in run(notify("expired", s)).mails] == [("x@example.com",)]
        assert run(notify("approved", s, approval=APPROVED)).mails == ()


def test_failures_ignore_exclusions_and_additional_recipients() -> None:
    s = configured(
        enabled=False, additional_recipients=["x@example.com"], excluded_recipients=ExcludedRecipients(users=[SAM])
    )
    assert [m.to for m in run(notify("deploy-failed", s)).mails] == [(SAM,)]


def test_an_additional_recipient_that_is_no_address_is_dropped_with_a_warning() -> None:
    out = run(notify("expired", configured(additional_recipients=["oncall"])))
    assert [m.to for m in out.mails] == [(SAM,)]
    assert out.warnings == ('additional recipient "oncall" is not an e-mail address: it gets no e-mail',)


@pytest.mark.parametrize(
    ("requester", "to"),
    [
        (Identity(username="sam", email="sam@corp.example"), ("sam@corp.example",)),
        (Identity(username="sam@example.org"), ("sam@example.org",)),
        (Identity(username="sam"), ()),
    ],
)
def test_requester_address_is_the_email_else_a_username_with_at(requester: Identity, to: tuple[str, ...]) -> None:
    got = mails(notify("approved", session(requester=requester), approval=APPROVED))
    assert (got["mail:requester:approved"].to if got else ()) == to


def test_approvers_are_address_users_and_expanded_groups_with_a_warning_for_the_rest() -> None:
    policy = ApprovalPolicy(
        required=True,
        approver_users=("lena", "boss@example.com", "*@example.com", "lead@example.com"),
        approver_groups=("security-leads", "sre-*", "nobody-knows"),
    )
    out = run(notify("approval-requested", session(approval=policy)))
    assert out.mails[0].to == ("boss@example.com", "lead@example.com", "sre-leads@example.com")
    assert out.warnings == (
        'approver users "lena", "*@example.com" are not e-mail addresses: they get no e-mail',
        'approver group "nobody-knows" is not in the group directory /etc/ds/groups.yaml: its members get no e-mail',
    )


def test_no_approver_address_skips_the_approvers_mail_but_not_the_requesters() -> None:
    out = run(notify("approval-requested"), directory=GroupDirectory())
    assert [m.key for m in out.mails] == ["mail:requester:approval-requested"]
    assert out.warnings == (
        'approver group "sre-leads" is not in the group directory (none is configured: '
        "DEBUG_SESSION_GROUP_DIRECTORY): its members get no e-mail",
    )


# --- bodies -------------------------------------------------------------------------------------------

LINK = f"https://debug.example.com/debug-sessions/{NAME}"
TEMPLATES = (
    "created",
    "approved",
    "rejected",
    "failed",
    "approval_timeout",
    "expired",
    "past_expiry",
    "expiring_soon",
    "terminated",
)


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_every_mail_has_both_parts_with_the_link_and_the_session_facts(kind: str) -> None:
    input = EVENTS[kind]
    for mail in run(input).mails:
        for part in (mail.text, mail.html):
            s = input.session
            link = f"https://debug.example.com/debug-sessions/{s.name}"
            for fact in (link, s.cluster.name, s.template_name, s.target.namespace, s.reason, "sam"):
                assert fact in part, (mail.key, fact)
        assert mail.html.lstrip().startswith("<!DOCTYPE html>")
        assert mail.template in ("debug_session_request", *(f"debug_session_{t}" for t in TEMPLATES))
        assert re.fullmatch(r"<[0-9a-f]{32}@localhost>", mail.message_id)


def test_bodies_show_the_event_details_in_utc() -> None:
    plus_one = datetime(2026, 12, 4, 11, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    approved = mails(notify("approved", approval=APPROVED.model_copy(update={"approved_at": plus_one})))
    text = approved["mail:requester:approved"].text
    assert "lena" in text
    assert "2026-12-04T11:00:00Z" in text
    assert "about 2026-12-04T12:00:00Z" in text  # approved at + 1h duration, the session not yet active
    assert "looks fine" in text
    known = mails(notify("approved", approval=APPROVED, expires_at=T0 + timedelta(minutes=61)))
    assert "Expires at:        2026-12-04T11:01:00Z" in known["mail:requester:approved"].text

    rejected = mails(notify("rejected", approval=REJECTED, actor="lena"))["mail:requester:rejected"].text
    assert "Rejected by:       lena" in rejected
    assert "not today" in rejected

    failed = mails(notify("deploy-failed", message="image pull failed"))["mail:requester:deploy-failed"].text
    assert "Failed at:         2026-12-04T10:00:00Z" in failed
    assert "image pull failed" in failed

    expired = mails(notify("expired", starts_at=T0 - timedelta(hours=1)))["mail:requester:expired"].text
    assert "Started at:        2026-12-04T09:00:00Z" in expired
    assert "Expired at:        2026-12-04T10:00:00Z" in expired
    assert "Duration:          1h0m0s" in expired

    soon = mails(notify("expiring-soon", expires_at=T0 + timedelta(minutes=10)))["mail:requester:expiring-soon"]
    assert "2026-12-04T10:10:00Z" in soon.text
    assert f"dsctl session renew {NAME} --extend-by 30m" in soon.text
    assert f"dsctl session renew {NAME} --extend-by 30m" in soon.html

    past = mails(notify("expired-notify-only", message="Session expired (notify-only)"))
    assert "hard cap" in past["mail:requester:expired-notify-only"].text
    assert "Session expired (notify-only)" in past["mail:requester:expired-notify-only"].text

    ended = mails(notify("terminated", message="Withdrawn by sam", actor="sam"))["mail:requester:terminated"].text
    assert "Withdrawn by sam" in ended
    assert "Ended by:          sam" in ended


def test_no_renewal_hint_when_the_session_cannot_be_renewed() -> None:
    s = session()
    s = s.model_copy(update={"constraints": s.constraints.model_copy(update={"allow_renewal": False})})
    soon = mails(notify("expiring-soon", s, expires_at=T0))["mail:requester:expiring-soon"]
    assert "dsctl session renew" not in soon.text


def test_created_mail_says_whether_approval_is_needed() -> None:
    waiting = mails(notify("approval-requested"))["mail:requester:approval-requested"].text
    auto = mails(notify("activated", auto_session()))["mail:requester:activated"].text
    assert "It needs approval" in waiting
    assert "approved automatically" in auto


def test_html_part_escapes_what_users_typed_and_text_keeps_it() -> None:
    s = session(
        reason="<script>alert(1)</script> & more", requester=Identity(username="sam", display_name="<b>Sam</b>")
    )
    s = configured(s, additional_recipients=["x@example.com"])
    out = run(notify("approval-requested", s)).mails
    assert out
    for mail in out:
        assert "<script>" not in mail.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in mail.html
        assert "&lt;b&gt;Sam&lt;/b&gt;" in mail.html
        assert "<script>alert(1)</script> & more" in mail.text


def test_subjects_are_one_line_and_use_the_brand_and_display_name() -> None:
    s = session(requester=Identity(username="sam", email=SAM, display_name="Sam\r\nBcc: evil@example.com"))
    settings = SETTINGS.model_copy(update={"branding_name": "ACME Break Glass"})
    subject = run(notify("approval-requested", s), settings=settings).mails[0].subject
    assert subject == "[ACME Break Glass] Debug Session Request: Sam Bcc: evil@example.com on production-eu"


def test_keys_and_message_ids_are_stable_across_plans() -> None:
    first, again = run(notify("approval-requested")), run(notify("approval-requested"))
    assert first == again
    assert len({m.message_id for m in first.mails}) == 2


# --- chat ---------------------------------------------------------------------------------------------

CHATTY = {"approval-requested", "approved", "rejected", "expired", "terminated", "cancelled"}


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_chat_goes_to_every_webhook_for_its_events_only(kind: str) -> None:
    settings = SETTINGS.model_copy(update={"chat_webhook_url": "https://a.example/x, https://b.example/y"})
    chats = run(EVENTS[kind], settings=settings).chats
    if kind not in CHATTY:
        assert chats == ()
        return
    assert [(c.key, c.url) for c in chats] == [("chat:0", "https://a.example/x"), ("chat:1", "https://b.example/y")]
    payload = chats[0].payload
    assert NAME in payload["text"] or auto_session().name in payload["text"]
    assert payload["blocks"][0]["type"] == "section"
    assert payload["blocks"][0]["text"]["type"] == "mrkdwn"
    assert not run(reconfigured(kind, enabled=False), settings=settings).chats
    gate = next(g for g, kinds in GATES.items() if kind in kinds)
    assert not run(reconfigured(kind, **{gate: False}), settings=settings).chats


def test_chat_request_links_to_approve_and_reject_and_escapes_the_reason() -> None:
    s = session(reason="<!channel> & <http://evil|click>")
    (chat,) = run(notify("approval-requested", s)).chats
    text = chat.payload["blocks"][0]["text"]["text"]
    assert f"<{LINK}?action=approve|Approve>" in text
    assert f"<{LINK}?action=reject|Reject>" in text
    assert f"<{LINK}|{NAME}>" in text
    assert "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;" in text
    assert chat.payload["text"] == text


def test_chat_decisions_name_who_decided() -> None:
    (approved,) = run(notify("approved", approval=APPROVED, actor="lena")).chats
    assert "approved by lena" in approved.payload["text"]
    (ended,) = run(notify("terminated", message="Terminated by lena (admin)", actor="lena")).chats
    assert "Terminated by lena (admin)" in ended.payload["text"]


def test_no_chat_without_webhooks() -> None:
    assert run(notify("approval-requested"), settings=SETTINGS.model_copy(update={"chat_webhook_url": ""})).chats == ()
