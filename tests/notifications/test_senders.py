"""The senders against real servers: SMTP (aiosmtpd, as `dsctl dev`'s mail catcher) and an HTTP webhook."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import smtplib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.chat import post_chat
from notifications.plan import ChatMessage, MailMessage
from notifications.settings import NotificationSettings
from notifications.smtp import SmtpSender
from tests.dev_stack import free_port

MAIL = MailMessage(
    key="mail:requester:approved",
    template="debug_session_approved",
    to=("sam@example.com", "oncall@example.com"),
    subject="[Debug Sessions] Debug Session Request: Jürgen Müller on prod-eu",
    text="Your debug session debug-sam-1 was approved.\nhttps://debug.example.com/debug-sessions/debug-sam-1\n",
    html='<p>Your debug session <a href="https://debug.example.com/debug-sessions/debug-sam-1">debug-sam-1</a></p>\n',
    message_id="<0123456789abcdef@example.com>",
)


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it is given; refuses the recipients in `refuse`."""

    port: int = 0
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    got = Inbox(port=free_port())
    controller = Controller(
        got, hostname="127.0.0.1", port=got.port, authenticator=got.authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield got
    finally:
        controller.stop()


def sender(inbox: Inbox, **changes: Any) -> SmtpSender:
    settings: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": inbox.port,
        "smtp_from": "ds@example.com",
        "smtp_timeout": 5,
    }
    return SmtpSender(NotificationSettings(**(settings | changes)))


def test_a_mail_arrives_with_headers_and_both_parts(inbox: Inbox) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    sender(inbox).send(MAIL)
    ((mail_from, rcpt_tos, message),) = inbox.messages
    assert mail_from == "ds@example.com"
    assert rcpt_tos == ["sam@example.com", "oncall@example.com"]
    assert [a.addr_spec for a in message["To"].addresses] == ["sam@example.com", "oncall@example.com"]
    assert message["From"] == "ds@example.com"
    assert message["Subject"] == MAIL.subject
    assert message["Message-ID"] == MAIL.message_id
    assert parsedate_to_datetime(message["Date"]) >= before
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    # line ends are CRLF on the wire
    assert parts[0].get_content().replace("\r\n", "\n") == MAIL.text
    assert parts[1].get_content().replace("\r\n", "\n") == MAIL.html
    assert inbox.logins == []


def test_login_when_a_username_is_set(inbox: Inbox) -> None:
    sender(inbox, smtp_username="ds", smtp_password="s3cret").send(MAIL)
    assert inbox.logins == [(b"ds", b"s3cret")]
    assert len(inbox.messages) == 1
    with pytest.raises(smtplib.SMTPAuthenticationError):
        sender(inbox, smtp_username="ds", smtp_password="wrong").send(MAIL)
    assert len(inbox.messages) == 1


def test_starttls_refused_by_the_server_raises(inbox: Inbox) -> None:
    with pytest.raises(smtplib.SMTPNotSupportedError):
        sender(inbox, smtp_tls="starttls").send(MAIL)
    assert inbox.messages == []


def test_no_server_raises_for_a_retry() -> None:
    with pytest.raises(OSError):  # noqa: PT011 - connection refused, whatever its subclass
        SmtpSender(NotificationSettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=2)).send(MAIL)


def test_a_recipient_refused_alone_is_logged_and_the_others_get_the_mail(
    inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    inbox.refuse = {"oncall@example.com"}
    with caplog.at_level(logging.WARNING, logger="debug_sessions.notify"):
        sender(inbox).send(MAIL)
    assert [rcpt for _, rcpt, _ in inbox.messages] == [["sam@example.com"]]
    assert "oncall@example.com refused by the server: 550 5.1.1 no such user" in caplog.text
    inbox.refuse = set(MAIL.to)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        sender(inbox).send(MAIL)


# --- chat ---------------------------------------------------------------------------------------------


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    """A local webhook: `/ok` keeps the JSON bodies POSTed to it, anything else answers 500."""
    posts: list[tuple[str, str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if self.path != "/ok":
                self.send_response(500)
                self.end_headers()
                return
            posts.append((self.path, self.headers.get("Content-Type", ""), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", posts
    finally:
        server.shutdown()
        server.server_close()


def test_chat_posts_the_payload_as_json(webhook: tuple[str, list[tuple[str, str, Any]]]) -> None:
    base, posts = webhook
    payload = {"text": "hello", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}
    post_chat(ChatMessage(key="chat:0", url=f"{base}/ok", payload=payload))
    assert posts == [("/ok", "application/json", payload)]


def test_chat_raises_on_an_error_answer(webhook: tuple[str, list[tuple[str, str, Any]]]) -> None:
    base, _ = webhook
    with pytest.raises(httpx.HTTPStatusError):
        post_chat(ChatMessage(key="chat:0", url=f"{base}/broken", payload={"text": "x"}), timeout=5)
