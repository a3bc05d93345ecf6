"""Notifications, audit and metrics over the real stack: a worker process (worker.py, as deployed) with a real
SMTP server (aiosmtpd, `dsctl dev`'s mail catcher) and a local HTTP receiver for chat and audit sinks; the API
in-process on the same Temporal dev server and kubesim.

request → approver mail (group expanded) → approve → requester mail → SMTP down for 20 s → terminate (the
session ends at once) → SMTP back → the termination mail arrives; chat messages and audit events along the
way; /metrics of both processes parse and move.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from cli.mail_catcher import MailCatcher
from kubesim.sim import KubeSim
from tests.conftest import REPO
from tests.dev_stack import free_port
from tests.e2e.conftest import Stack
from tests.e2e.test_api_e2e import api_replica, auth, decision_within, sar, wait_for

pytestmark = pytest.mark.e2e

PUBLIC_URL = "https://debug.example.com"


@dataclass
class Receiver:
    """An HTTP endpoint that keeps every JSON body POSTed to it, by path."""

    port: int
    posts: list[tuple[str, str, Any]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str) -> list[Any]:
        return [body for p, _, body in list(self.posts) if p == path]


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    got = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            got.posts.append((self.path, self.headers.get("Content-Type", ""), json.loads(self.rfile.read(length))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


def mails(directory: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


async def mail_with(directory: Path, subject: str, within: float = 30) -> EmailMessage:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        for message in mails(directory):
            if message["Subject"] == subject:
                return message
        seen = [m["Subject"] for m in mails(directory)]
        assert asyncio.get_running_loop().time() < deadline, f"no mail {subject!r} after {within}s; got {seen}"
        await asyncio.sleep(0.2)


def body_text(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, f"no text/{kind} part"
    content: str = part.get_content()
    return content


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@dataclass
class Setup:
    api: httpx.AsyncClient
    mail_dir: Path
    smtp_port: int
    chat: Receiver
    audit_log: Path
    worker_metrics: str
    catcher: MailCatcher


@pytest_asyncio.fixture
async def setup(
    dev_server: WorkflowEnvironment, cluster: KubeSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Setup]:
    client = dev_server.client
    # No in-process worker: the worker process started below is the only one polling this queue.
    stack = Stack(client, f"notify-{os.getpid()}-{free_port()}", cluster, client.service_client.config.target_host)
    directory = tmp_path / "groups.yaml"
    directory.write_text(yaml.safe_dump({"security-leads": ["lena@example.com", "security-team@example.com"]}))
    mail_dir = tmp_path / "mail"
    smtp_port = free_port()
    metrics_port = free_port()
    audit_log = tmp_path / "audit.jsonl"
    catcher = MailCatcher(mail_dir, smtp_port)
    catcher.start()
    with receiver() as chat:
        settings = {
            "DEBUG_SESSION_SMTP_HOST": "127.0.0.1",
            "DEBUG_SESSION_SMTP_PORT": str(smtp_port),
            "DEBUG_SESSION_SMTP_FROM": "debug-sessions@example.com",
            "DEBUG_SESSION_GROUP_DIRECTORY": str(directory),
            "DEBUG_SESSION_PUBLIC_URL": PUBLIC_URL,
            "DEBUG_SESSION_CHAT_WEBHOOK_URL": chat.url("/chat"),
            "DEBUG_SESSION_AUDIT_LOG": str(audit_log),
            "DEBUG_SESSION_AUDIT_WEBHOOK_URL": chat.url("/audit"),
        }
        for key, val in settings.items():
            monkeypatch.setenv(key, val)  # the API in this process reads its audit settings from here
        async with api_replica(stack, tmp_path) as api:
            worker_env = {
                **os.environ,
                **settings,
                "TEMPORAL_ADDRESS": stack.address,
                "DEBUG_SESSION_TASK_QUEUE": stack.task_queue,
                "DEBUG_SESSION_CATALOG_DIR": str(tmp_path / "catalog"),
                "DEBUG_SESSION_WORKER_METRICS_PORT": str(metrics_port),
                "DEBUG_SESSION_WORKER_METRICS_HOST": "127.0.0.1",
            }
            log = (tmp_path / "worker.log").open("wb")
            worker = await asyncio.create_subprocess_exec(
                sys.executable, str(REPO / "worker.py"), env=worker_env, stdout=log, stderr=subprocess.STDOUT
            )
            current = Setup(
                api, mail_dir, smtp_port, chat, audit_log, f"http://127.0.0.1:{metrics_port}/metrics", catcher
            )
            try:
                yield current
            finally:
                worker.terminate()
                await asyncio.wait_for(worker.wait(), 20)
                log.close()
                with contextlib.suppress(Exception):
                    current.catcher.stop()  # the test may have replaced it (the server "came back")


async def scrape(url: str, within: float = 30) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    deadline = asyncio.get_running_loop().time() + within
    async with httpx.AsyncClient() as http:
        while True:
            try:
                resp = await http.get(url)
                if resp.status_code == 200:
                    return samples(resp.text)
            except httpx.HTTPError:
                pass
            assert asyncio.get_running_loop().time() < deadline, f"{url} did not answer in {within}s"
            await asyncio.sleep(0.2)


async def test_request_approve_terminate_with_mail_chat_audit_and_metrics(setup: Setup) -> None:
    api, brand = setup.api, "[Debug Sessions]"
    worker_before = await scrape(setup.worker_metrics)  # the worker process is up
    api_before = samples((await api.get("/metrics")).text)
    created = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "network-debug", "cluster": "prod-eu", "reason": "checking the ingress"},
        headers=auth("sam"),
    )
    assert created.status_code == 201, created.text
    name = created.json()["metadata"]["name"]
    link = f"{PUBLIC_URL}/debug-sessions/{name}"
    await wait_for(api, name, "sam", "PendingApproval")

    # the approvers' mail: the binding's approver group expanded through the directory
    request = await mail_with(setup.mail_dir, f"{brand} Debug Session Request: sam on prod-eu")
    assert sorted(a.addr_spec for a in request["To"].addresses) == ["lena@example.com", "security-team@example.com"]
    assert request["From"] == "debug-sessions@example.com"
    assert link in body_text(request, "plain")
    assert link in body_text(request, "html")
    assert "checking the ingress" in body_text(request, "plain")
    created_mail = await mail_with(setup.mail_dir, f"{brand} Debug Session Created: {name}")
    assert [a.addr_spec for a in created_mail["To"].addresses] == ["sam@example.com"]

    approve = await api.post(f"/api/v1/debug-sessions/{name}/approve", json={"reason": "go"}, headers=auth("lena"))
    assert approve.status_code == 200, approve.text
    approved = await mail_with(setup.mail_dir, f"{brand} Debug Session Approved: {name}")
    assert [a.addr_spec for a in approved["To"].addresses] == ["sam@example.com"]
    assert "lena" in body_text(approved, "plain")
    active = await wait_for(api, name, "sam", "Active")
    pod = active["status"]["allowedPods"][0]
    await decision_within(
        api, "/api/v1/authorize/prod-eu", sar("sam", pod["name"], namespace=pod["namespace"]), allowed=True
    )

    # The mail server goes away for 20 s: terminating is not held up by it, and the mail is not lost.
    setup.catcher.stop()
    loop = asyncio.get_running_loop()
    down_at = loop.time()
    terminated = await api.post(f"/api/v1/debug-sessions/{name}/terminate", headers=auth("sam"))
    assert terminated.status_code == 200, terminated.text
    ended = await wait_for(api, name, "sam", "Terminated", within=10)
    assert loop.time() - down_at < 10
    subject = f"{brand} Debug Session Terminated: {name}"
    await asyncio.sleep(max(0.0, 20 - (loop.time() - down_at)))
    assert subject not in [m["Subject"] for m in mails(setup.mail_dir)]
    setup.catcher = MailCatcher(setup.mail_dir, setup.smtp_port)
    setup.catcher.start()
    termination = await mail_with(setup.mail_dir, subject, within=90)
    assert [a.addr_spec for a in termination["To"].addresses] == ["sam@example.com"]
    assert ended["status"]["message"] in body_text(termination, "plain")

    # chat: the request with approve/reject links, the approval, the termination
    texts = [json.dumps(body) for body in setup.chat.bodies("/chat")]
    assert any(f"{link}?action=approve" in t and f"{link}?action=reject" in t for t in texts), texts
    assert sum(name in t for t in texts) >= 3

    # audit: the same CloudEvents in the log (API and worker) and at the sink
    lines = [json.loads(line) for line in setup.audit_log.read_text().splitlines()]
    mine = [e for e in lines if e.get("subject") == name]
    for event in mine:
        assert event["specversion"] == "1.0"
        assert event["id"]
        assert event["source"] in ("/debug-sessions/api", "/debug-sessions/worker")
        assert event["time"].endswith("Z")
        assert event["workflowid"] == name
        assert event["data"]["session"] == name
    types = [e["type"] for e in mine]
    for expected in (
        "debug_session.created",
        "debug_session.approval_requested",
        "debug_session.approved",
        "debug_session.started",
        "debug_session.resource_deployed",
        "debug_session.access_allowed",
        "debug_session.terminated",
        "debug_session.resource_cleanup",
        "debug_session.cleaned_up",
    ):
        assert expected in types, (expected, types)
    approved_event = next(e for e in mine if e["type"] == "debug_session.approved")
    assert approved_event["data"]["actor"] == "lena"
    assert approved_event["workflowrunid"]
    allowed = next(e for e in mine if e["type"] == "debug_session.access_allowed")
    assert (allowed["data"]["actor"], allowed["data"]["pod"], allowed["data"]["subresource"]) == (
        "sam",
        pod["name"],
        "exec",
    )
    deadline = loop.time() + 30
    while {e["id"] for e in mine} - {e["id"] for e in setup.chat.bodies("/audit")}:
        assert loop.time() < deadline, "the audit sink did not get every event"
        await asyncio.sleep(0.2)

    # metrics of both processes, parsed by prometheus_client's parser
    worker_after = await scrape(setup.worker_metrics)

    def moved(name_: str, **labels: str) -> float:
        return value(worker_after, name_, **labels) - value(worker_before, name_, **labels)

    deliveries = "debug_sessions_notification_deliveries_total"
    assert moved(deliveries, channel="mail", result="failure") >= 1
    assert moved(deliveries, channel="mail", result="success") == 4
    assert moved(deliveries, channel="chat", result="success") >= 3
    assert moved("debug_sessions_events_total", type="terminated") == 1
    assert moved("breakglass_debug_session_duration_seconds_count", cluster="prod-eu", template="network-debug") == 1
    assert any(n.startswith("temporal_") for n, _ in worker_after), "the Temporal SDK's metrics are missing"
    api_after = samples((await api.get("/metrics")).text)
    labels = {"cluster": "prod-eu", "template": "network-debug"}
    assert (
        value(api_after, "breakglass_debug_session_approval_required_total", **labels)
        - value(api_before, "breakglass_debug_session_approval_required_total", **labels)
        == 1
    )
    assert value(api_after, deliveries, channel="audit_sink", result="success") > value(
        api_before, deliveries, channel="audit_sink", result="success"
    )
