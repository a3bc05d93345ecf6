"""Authorization webhook: impersonated requests are decided by SubjectAccessReviews, like a real cluster."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest

from kubesim.sim import KubeSim
from tests.kubesim.kubesim_support import Kubectl

REVIEWS: list[dict[str, Any]] = []


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        REVIEWS.append(review)
        spec = review["spec"]
        attrs = spec["resourceAttributes"]
        allowed = spec["user"] == "alice" and attrs.get("namespace") == "default"
        status = {"allowed": allowed} if allowed else {"allowed": False, "reason": "no active debug session"}
        body = json.dumps({**review, "status": status}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    """kubesim wired to a local webhook."""
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/authorize/kubesim"
        with KubeSim(pod_ready_delay=0.05, authorization_webhook=url) as s:
            yield s
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_webhook_allows_and_denies(http: httpx.Client) -> None:
    ok = http.get("/api/v1/namespaces/default/pods", headers={"Impersonate-User": "alice"})
    assert ok.status_code == 200
    review = REVIEWS[-1]
    assert review["kind"] == "SubjectAccessReview"
    assert review["spec"]["resourceAttributes"] == {
        "verb": "list",
        "group": "",
        "version": "",
        "resource": "pods",
        "namespace": "default",
    }
    denied = http.get("/api/v1/namespaces/kube-system/pods/x", headers={"Impersonate-User": "alice"})
    assert denied.status_code == 403
    assert denied.json()["message"] == (
        'pods "x" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace '
        '"kube-system": no active debug session'
    )
    assert http.get("/api/v1/namespaces/kube-system/pods").status_code == 200


def test_kubectl_exec_is_authorized_per_user(kubectl: Kubectl) -> None:
    kubectl.run("run", "box", "--image=busybox", "--", "sleep", "3600")
    kubectl.run("wait", "--for=condition=Ready", "pod/box", "--timeout=20s")
    assert kubectl.run("--as", "alice", "exec", "box", "--", "echo", "ok").stdout == "ok\n"
    exec_review = REVIEWS[-1]["spec"]["resourceAttributes"]
    assert (exec_review["verb"], exec_review["resource"], exec_review["subresource"]) == ("create", "pods", "exec")
    denied = kubectl.run("--as", "mallory", "exec", "box", "--", "echo", "ok", check=False)
    assert denied.returncode != 0
    assert 'User "mallory" cannot get resource "pods"' in denied.stderr


def test_token_users_get_contexts_and_are_authorized(tmp_path: Any) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/authorize"
    try:
        users: list[dict[str, Any]] = [{"name": "alice", "groups": ["devs"]}, {"name": "mallory"}]
        # client-go only sends bearer tokens over HTTPS, so token users need TLS.
        with KubeSim(authorization_webhook=url, users=users, tls=True) as sim:
            kubectl = Kubectl(sim.kubeconfig_path, tmp_path)
            assert kubectl.run("--context", "kubesim-alice", "get", "pods").returncode == 0
            assert REVIEWS[-1]["spec"]["user"] == "alice"
            assert REVIEWS[-1]["spec"]["groups"] == ["devs", "system:authenticated"]
            denied = kubectl.run("--context", "kubesim-mallory", "get", "pods", check=False)
            assert 'User "mallory" cannot list resource "pods"' in denied.stderr
            assert kubectl.run("get", "pods", "-n", "kube-system").returncode == 0  # admin is never sent
            assert sim.ca_pem is not None
            with httpx.Client(base_url=sim.url, verify=ssl.create_default_context(cadata=sim.ca_pem.decode())) as c:
                bad = c.get("/api/v1/namespaces", headers={"Authorization": "Bearer nope"})
            assert bad.status_code == 401
            assert bad.json()["reason"] == "Unauthorized"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
