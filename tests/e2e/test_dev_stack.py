"""`dsctl dev --simulate` (what `make run` runs): comes up, runs the README walk-throughs as written, stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO
from tests.dev_stack import dev_stack


def readme_block(heading: str) -> str:
    """The first ```sh block after a README heading, as written."""
    text = (REPO / "README.md").read_text()
    after = text[text.index(heading) :]
    start = after.index("```sh\n") + len("```sh\n")
    return after[start : after.index("```\n", start)]


def run_readme_block(heading: str, api_port: int, clusters: Path) -> str:
    """Run a README walk-through with bash against this stack (its port and kubeconfigs); its output."""
    script = (
        readme_block(heading)
        .replace("localhost:8080", f"127.0.0.1:{api_port}")
        .replace(".run/clusters/", f"{clusters}/")
    )
    prelude = "SAM='Authorization: Bearer dev-sam-token'; LENA='Authorization: Bearer dev-lena-token'\n"
    done = subprocess.run(
        ["bash", "-c", prelude + script], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_dev_stack_walkthrough(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        output, api_port, proc = stack.startup, stack.api_port, stack.proc
        assert f"API            http://127.0.0.1:{api_port}" in output
        base = f"http://127.0.0.1:{api_port}"
        sam = {"Authorization": "Bearer dev-sam-token"}
        lena = {"Authorization": "Bearer dev-lena-token"}
        with httpx.Client(base_url=base, timeout=30) as http:
            created = http.post(
                "/api/v1/debug-sessions",
                headers=sam,
                json={"templateRef": "network-debug", "cluster": "prod-eu", "reason": "packet loss"},
            )
            assert created.status_code == 201, created.text
            name = created.json()["metadata"]["name"]
            assert (
                http.post(f"/api/v1/debug-sessions/{name}/approve", headers=lena, json={"reason": "ok"}).status_code
                == 200
            )
            for _ in range(100):
                status = http.get(f"/api/v1/debug-sessions/{name}", headers=sam).json()["status"]
                if status["state"] == "Active":
                    break
                time.sleep(0.1)
            assert status["state"] == "Active"
            assert len(status["allowedPods"]) == 3  # the three workers; the demo template denies control-plane nodes
            assert (
                http.post(f"/api/v1/debug-sessions/{name}/renew", headers=sam, json={"extendBy": "30m"}).json()[
                    "renewalCount"
                ]
                == 1
            )
            assert (
                http.post(f"/api/v1/debug-sessions/{name}/terminate", headers=sam).json()["status"]["state"]
                == "Terminated"
            )
        # e-mail went to the mail catcher (the approvers' group expanded through the demo directory), the
        # audit trail to the state directory, and both processes serve metrics
        mail_dir = tmp_path / "state" / "mail"
        assert f"caught mail: {mail_dir}/*.eml" in output, output
        subject = "Subject: [Debug Sessions] Debug Session Request: Sam SRE on prod-eu"
        for _ in range(100):
            caught = [p.read_text() for p in mail_dir.glob("*.eml")]
            if any(subject in m for m in caught):
                break
            time.sleep(0.2)
        request = next(m for m in caught if subject in m)
        assert "To: lena@example.com" in request
        audit = [json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()]
        assert {"debug_session.created", "debug_session.approved"} <= {e["type"] for e in audit if e["subject"] == name}
        worker_metrics = re.search(r"(http://127\.0\.0\.1:\d+/metrics) \(worker", output)
        assert worker_metrics is not None, output
        for url in (f"{base}/metrics", worker_metrics.group(1)):
            families = {f.name for f in text_string_to_metric_families(httpx.get(url, timeout=10).text)}
            assert "debug_sessions_notification_deliveries" in families, (url, sorted(families))
        # The README's walk-throughs, as written (only the port and the kubeconfig directory differ)
        clusters = tmp_path / "state" / "clusters"
        out = run_readme_block("### A session, end to end, with curl", api_port, clusters)
        assert '"canApprove":true' in out  # the approver's list
        assert '"renewalCount":1' in out
        assert out.count(" Running ") == 3  # kubectl get pods: the DaemonSet's pods
        assert '"state":"Terminated"' in out
        out = run_readme_block("### A session, end to end, with dsctl", api_port, clusters)
        assert "session renewed successfully" in out
        assert "Terminated" in out
        out = run_readme_block("### kubectl-debug operations, with dsctl", api_port, clusters)
        for said in ("Ephemeral container 'dbg' injected", "pod copy created successfully",
                     "node debug pod created successfully", "Terminated"):  # fmt: skip
            assert said in out, out
        out = run_readme_block("### kubectl-debug operations, with curl", api_port, clusters)
        for said in (
            "Ephemeral container 'dbg' injected",
            '["timeout","',
            "pod copy created successfully",
            "node debug pod created successfully",
            '"state":"Terminated"',
        ):
            assert said in out, out
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert out.rstrip().endswith("stopped")
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "state")], capture_output=True, text=True, check=False)
    assert leftovers.stdout.strip() == "", f"processes left behind: {leftovers.stdout}"
    assert os.path.exists(tmp_path / "state" / "temporal.db")
