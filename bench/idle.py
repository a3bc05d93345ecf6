"""What idle Active sessions cost, and how fast pod churn reaches the webhook (issue 13).

Runs the whole stack as `dsctl dev --simulate` does (Temporal dev server, kubesim, worker, API, each a
process) with the demo catalog plus one auto-approved DaemonSet template, creates N sessions through the
API, waits until all are Active and settled, then measures over a window:

* Temporal history events per idle Active session-hour: the events the sessions wrote during the window,
  scaled to an hour, plus what the safety check adds at its interval (one check's events are counted on a
  probe session whose check runs every few seconds, because a 15-minute check rarely falls in the window);
* CPU of the whole stack above the same stack with no session (both windows of the same length);
* pod churn: a session pod is deleted (its DaemonSet replaces it); the time until the webhook refuses the
  old name, and the time from the replacement turning Ready (seen by this process's own watch) until the
  webhook allows it. p50 and p95 over `--churns` deletions.

Run: .venv/bin/python bench/idle.py [--sessions 20] [--window 60] [--churns 20]
Goals (issue 13): <= 60 events per idle session-hour; <= 3 % of one core for all 20 sessions; replacement
pod exec-able <= 0.5 s p95 after Ready; deleted pod's name refused <= 0.5 s p95.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import kubernetes
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from domain.durations import parse_duration  # noqa: E402

TEMPLATE = """
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: DebugSessionTemplate
metadata:
  name: idle-bench
spec:
  displayName: "Idle benchmark (DaemonSet, auto-approved)"
  mode: workload
  podTemplateRef:
    name: minimal-debug-pod
  workloadType: DaemonSet
  targetNamespace: breakglass-debug
  allowed:
    groups: [developers]
    clusters: ["dev-1"]
  constraints:
    maxDuration: "4h"
    defaultDuration: "4h"
"""
DAVE = {"Authorization": "Bearer dev-dave-token"}
NS = "breakglass-debug"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stack_cpu(root: int) -> float:
    """CPU seconds (user + system) so far of `root` and all its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    members = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                changed = True
    return sum(cpu.get(pid, 0.0) for pid in members)


class Stack:
    """`dsctl dev --simulate` in a temporary state directory, with the benchmark's catalog."""

    def __init__(self, workdir: Path, check_interval: str) -> None:
        self.workdir = workdir
        catalog = workdir / "catalog"
        shutil.copytree(REPO / "deploy" / "demo-catalog", catalog)
        clusters = [d for d in yaml.safe_load_all((catalog / "clusters.yaml").read_text()) if d]
        for c in clusters:
            c["spec"]["kubeconfig"]["path"] = str(
                workdir / "state" / "clusters" / f"{c['metadata']['name']}.kubeconfig"
            )
        (catalog / "clusters.yaml").write_text(yaml.safe_dump_all(clusters))
        (catalog / "idle-bench.yaml").write_text(TEMPLATE)
        self.kubeconfig = workdir / "state" / "clusters" / "dev-1.kubeconfig"
        self.api_port, self.temporal_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        argv = [
            str(REPO / ".venv" / "bin" / "dsctl"), "dev", "--simulate", "--catalog", str(catalog),
            "--tokens", str(REPO / "deploy" / "demo-tokens.yaml"), "--state-dir", str(workdir / "state"),
            "--api-port", str(self.api_port), "--temporal-port", str(self.temporal_port),
            "--ui-port", str(free_port()),
        ]  # fmt: skip
        env = {**os.environ, "DEBUG_SESSION_SAFETY_CHECK_INTERVAL": check_interval}
        self.log = (workdir / "dsctl-dev.log").open("w")
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120
        while True:
            assert self.proc.poll() is None, f"dsctl dev exited; see {workdir / 'dsctl-dev.log'}"
            assert time.monotonic() < deadline, "the stack did not become ready in 120 s"
            try:
                if httpx.get(f"{self.api}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def create_sessions(api: httpx.Client, n: int) -> list[str]:
    names = []
    for _ in range(n):
        resp = api.post(
            "/api/v1/debug-sessions",
            json={"templateRef": "idle-bench", "cluster": "dev-1", "reason": "idle benchmark"},
            headers=DAVE,
        )
        assert resp.status_code == 201, resp.text
        names.append(resp.json()["metadata"]["name"])
    return names


def wait_active(api: httpx.Client, names: list[str], within: float = 180) -> None:
    deadline = time.monotonic() + within
    for name in names:
        while True:
            body = api.get(f"/api/v1/debug-sessions/{name}", headers=DAVE).json()
            if body["status"]["state"] == "Active" and all(p["ready"] for p in body["status"]["allowedPods"]):
                break
            assert body["status"]["state"] in ("Pending", "Active"), body["status"]
            assert time.monotonic() < deadline, f"{name} not Active in {within} s"
            time.sleep(0.2)


def history_lengths(temporal: str, names: list[str]) -> dict[str, int]:
    """Events in each session's current run (through the Temporal CLI of the venv)."""
    out = {}
    for name in names:
        shown = subprocess.run(
            [str(REPO / ".venv" / "bin" / "temporal"), "workflow", "show", "--address", temporal, "-w", name,
             "-o", "json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        out[name] = len(yaml.safe_load(shown.stdout)["events"])
    return out


def events_per_check(temporal: str, name: str) -> tuple[int, int]:
    """(events, checks) between the probe's first and last check: what one safety check writes."""
    shown = subprocess.run(
        [str(REPO / ".venv" / "bin" / "temporal"), "workflow", "show", "--address", temporal, "-w", name, "-o", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    events = yaml.safe_load(shown.stdout)["events"]
    fired = [i for i, e in enumerate(events) if e["eventType"] in ("EVENT_TYPE_TIMER_FIRED", "TimerFired")]
    if len(fired) < 2:
        return 0, 0
    return fired[-1] - fired[0], len(fired) - 1


def authorized(api: httpx.Client, pod: str) -> bool:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": "dave",
            "resourceAttributes": {"namespace": NS, "verb": "create", "resource": "pods", "subresource": "exec",
                                   "name": pod},
        },
    }  # fmt: skip
    resp = api.post("/api/v1/authorize/dev-1", json=review)
    return bool(resp.json()["status"]["allowed"])


def poll_until(check: Callable[[], bool], within: float = 30) -> float:
    """monotonic() when `check()` first held."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.005)
    return time.monotonic()


class ReadyWatch:
    """This process's own pod watch: when each pod of the namespace was first seen Ready."""

    def __init__(self, kubeconfig: Path) -> None:
        self.ready_at: dict[str, float] = {}
        self.core = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(config_file=str(kubeconfig)))
        self._w = kubernetes.watch.Watch()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for event in self._w.stream(self.core.list_namespaced_pod, NS):
                pod: Any = event["object"]
                conds = (pod.status.conditions or []) if pod.status else []
                if any(c.type == "Ready" and c.status == "True" for c in conds):
                    self.ready_at.setdefault(pod.metadata.name, time.monotonic())
        except Exception:  # the stack went away at the end of the run: the watch ends with it
            return


def churn(api: httpx.Client, stack: Stack, names: list[str], count: int) -> tuple[list[float], list[float]]:
    """(old name refused after delete, new pod allowed after Ready) in seconds, `count` times."""
    watch = ReadyWatch(stack.kubeconfig)
    refused, allowed = [], []
    for i in range(count):
        gone, came = one_churn(api, watch, names[i % len(names)])
        refused.append(gone)
        allowed.append(came)
    return refused, allowed


def one_churn(api: httpx.Client, watch: ReadyWatch, name: str) -> tuple[float, float]:
    """Delete one pod of session `name`; time the refusal of its name and the admission of its replacement."""

    def live_pods() -> set[str]:
        status = api.get(f"/api/v1/debug-sessions/{name}", headers=DAVE).json()["status"]
        return {p["name"] for p in status["allowedPods"]}

    before = live_pods()
    victim = sorted(before)[0]
    assert authorized(api, victim)
    deleted = time.monotonic()
    watch.core.delete_namespaced_pod(victim, NS, grace_period_seconds=0)
    refused = poll_until(lambda: not authorized(api, victim)) - deleted
    poll_until(lambda: bool(live_pods() - before))
    (new,) = live_pods() - before
    allowed_at = poll_until(lambda: authorized(api, new))
    poll_until(lambda: new in watch.ready_at)
    return refused, max(0.0, allowed_at - watch.ready_at[new])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--window", type=float, default=60.0, help="seconds per measuring window")
    parser.add_argument("--churns", type=int, default=20)
    parser.add_argument("--check-interval", default="15m", help="the sessions' safety check interval")
    args = parser.parse_args()
    interval = parse_duration(args.check_interval)
    workdir = Path(tempfile.mkdtemp(prefix="ds-idle-"))
    print(f"starting the stack (dsctl dev --simulate) in {workdir} ...", flush=True)
    stack = Stack(workdir, args.check_interval)
    temporal = f"127.0.0.1:{stack.temporal_port}"
    try:
        with httpx.Client(base_url=stack.api, timeout=10) as api:
            time.sleep(5)  # let start-up settle
            print(f"empty stack: measuring CPU for {args.window:.0f} s ...", flush=True)
            c0, t0 = stack_cpu(stack.proc.pid), time.monotonic()
            time.sleep(args.window)
            empty = (stack_cpu(stack.proc.pid) - c0) / (time.monotonic() - t0)
            print(f"creating {args.sessions} sessions ...", flush=True)
            names = create_sessions(api, args.sessions)
            wait_active(api, names)
            time.sleep(5)
            print(f"{args.sessions} idle Active sessions: measuring for {args.window:.0f} s ...", flush=True)
            before = history_lengths(temporal, names)
            c0, t0 = stack_cpu(stack.proc.pid), time.monotonic()
            time.sleep(args.window)
            busy = (stack_cpu(stack.proc.pid) - c0) / (time.monotonic() - t0)
            span = time.monotonic() - t0
            after = history_lengths(temporal, names)
            written = sum(after[n] - before[n] for n in names) / len(names)
            print(f"pod churn: {args.churns} deletions ...", flush=True)
            refused, allowed = churn(api, stack, names, args.churns)
    finally:
        stack.stop()
    # One safety check's events, on a probe stack whose sessions check every 3 s (same code, same worker).
    print("probe: events per safety check (sessions checking every 3 s) ...", flush=True)
    probe_dir = Path(tempfile.mkdtemp(prefix="ds-idle-probe-"))
    probe = Stack(probe_dir, "3s")
    try:
        with httpx.Client(base_url=probe.api, timeout=10) as api:
            (name,) = create_sessions(api, 1)
            wait_active(api, [name])
            time.sleep(12)
            events, checks = events_per_check(f"127.0.0.1:{probe.temporal_port}", name)
    finally:
        probe.stop()
    assert checks > 0, "the probe session made no safety check: nothing to measure"
    per_check = events / checks
    per_hour = written * 3600 / span + per_check * (timedelta(hours=1) / interval)
    extra = (busy - empty) * 100
    print()
    print(f"sessions {args.sessions}, window {span:.0f} s, safety check every {args.check_interval}")
    print(f"history events per idle Active session-hour  {per_hour:8.1f}   goal <= 60")
    print(f"  written in the window per session          {written:8.1f}")
    print(f"  per safety check (probe, {checks} checks)       {per_check:8.1f}")
    print(f"stack CPU, empty                              {empty * 100:7.2f} % of one core")
    print(f"stack CPU, {args.sessions} idle sessions                  {busy * 100:7.2f} % of one core")
    print(f"extra CPU for {args.sessions} idle sessions               {extra:7.2f} %   goal <= 3 %")
    print(
        f"deleted pod refused after      p50 {statistics.median(refused):.3f} s  p95 {pct(refused, 95):.3f} s"
        "   goal p95 <= 0.5 s"
    )
    print(
        f"replacement allowed after Ready p50 {statistics.median(allowed):.3f} s  p95 {pct(allowed, 95):.3f} s"
        "   goal p95 <= 0.5 s  (0: allowed before it turned Ready)"
    )
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(probe_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
