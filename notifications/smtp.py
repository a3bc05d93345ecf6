"""Sending a planned mail over SMTP (smtplib): plain, STARTTLS or implicit TLS, with login when configured."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid

from notifications.plan import MailMessage
from notifications.settings import NotificationSettings

log = logging.getLogger("debug_sessions.notify")

POLICY = default_policy.clone(max_line_length=998)
"""Headers folded at SMTP's hard limit, not the advisory 78: Python folds a subject whose first word does not
fit right after `Subject:`, and readers then show it with a leading space."""


class SmtpSender:
    """One connection per mail: deliveries are rare, and a fresh connection never inherits a broken one."""

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def message(self, mail: MailMessage) -> EmailMessage:
        """The MIME message: multipart/alternative, plain text first, HTML preferred."""
        message = EmailMessage(policy=POLICY)
        message["From"] = self.settings.smtp_from
        message["To"] = ", ".join(mail.to)
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = mail.message_id or make_msgid(domain="debug-sessions.invalid")
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    def send(self, mail: MailMessage) -> None:
        """Deliver `mail`; raises (smtplib.SMTPException, OSError) when the server cannot take it, to be retried.

        Recipients the server refuses while it accepts others are logged, not raised: a retry would send the
        mail again to everyone who already has it.
        """
        s = self.settings
        context = ssl.create_default_context()
        server: smtplib.SMTP
        if s.smtp_tls == "tls":
            server = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context)
        else:
            server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        with server:
            if s.smtp_tls == "starttls":
                server.starttls(context=context)
            if s.smtp_username:
                server.login(s.smtp_username, s.smtp_password.get_secret_value())
            refused = server.send_message(self.message(mail), to_addrs=list(mail.to))
        for address, (code, reply) in refused.items():
            log.warning(
                "mail %s: %s refused by the server: %s %s", mail.key, address, code, reply.decode(errors="replace")
            )
