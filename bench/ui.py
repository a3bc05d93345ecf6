"""The web UI's pages with 1,000 sessions (issue 18): server time of the sessions list (each tab), the request
form, a session's page and its live part.

Runs the stack as `dsctl dev --simulate` does (Temporal dev server, kubesim, worker, API with the UI), with
the demo catalog plus one template that needs Lena's approval on prod-eu (so sessions stay PendingApproval
and cost no deployment), creates `--sessions` of those through the API plus a few Active ones, logs in
through the login page as the demo users, then requests each page `--repeat` times, one at a time, and
prints the median and p95 of the server time (the `Server-Timing` header the UI sets: the handler, its
in-process API calls included) and of the whole round trip seen by this client.

Run: .venv/bin/python bench/ui.py [--sessions 1000] [--repeat 40]
Goal (issue 18): every page <= 200 ms server time with 1,000 sessions in the list.
Exits 1 when a page misses the goal, 2 when the bench cannot run (and says why).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
GOAL_MS = 200.0
TEMPLATE = """
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: DebugSessionTemplate
metadata:
  name: ui-bench
spec:
  displayName: "UI benchmark (needs approval)"
  mode: workload
  podTemplateRef:
    name: minimal-debug-pod
  workloadType: Deployment
  replicas: 1
  targetNamespace: breakglass-debug
  allowed:
    groups: [sre-team]
    clusters: ["prod-eu"]
  approvers:
    groups: [security-leads]
  constraints:
    maxDuration: "4h"
    defaultDuration: "1h"
"""
TOKENS = {"sam": "dev-sam-token", "lena": "dev-lena-token", "ops": "dev-ops-token", "dave": "dev-dave-token"}


class Unavailable(Exception):
    """The bench cannot run here; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    """`dsctl dev --simulate` in `workdir` with the demo catalog plus the bench's template."""

    def __init__(self, workdir: Path) -> None:
        dsctl = REPO / ".venv" / "bin" / "dsctl"
        if not dsctl.exists():
            raise Unavailable(f"{dsctl} is missing: run `make test` or `make run` once to create the venv")
        catalog = workdir / "catalog"
        shutil.copytree(REPO / "deploy" / "demo-catalog", catalog)
        clusters = [d for d in yaml.safe_load_all((catalog / "clusters.yaml").read_text()) if d]
        for c in clusters:
            c["spec"]["kubeconfig"]["path"] = str(
                workdir / "state" / "clusters" / f"{c['metadata']['name']}.kubeconfig"
            )
        (catalog / "clusters.yaml").write_text(yaml.safe_dump_all(clusters))
        (catalog / "ui-bench.yaml").write_text(TEMPLATE)
        port = free_port()
        self.api = f"http://127.0.0.1:{port}"
        self.log_path = workdir / "dsctl-dev.log"
        argv = [
            str(dsctl), "dev", "--simulate", "--catalog", str(catalog),
            "--tokens", str(REPO / "deploy" / "demo-tokens.yaml"), "--state-dir", str(workdir / "state"),
            "--api-port", str(port), "--temporal-port", str(free_port()), "--ui-port", str(free_port()),
        ]  # fmt: skip
        self.log = self.log_path.open("w")
        env = {**os.environ, "DEBUG_SESSION_UI_SECRET": "bench-ui-secret"}
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise Unavailable(f"dsctl dev exited (code {self.proc.returncode}); see {self.log_path}")
            if time.monotonic() > deadline:
                raise Unavailable(f"the stack did not become ready in 120 s; see {self.log_path}")
            try:
                if httpx.get(f"{self.api}/readyz", timeout=1).status_code == 200:
                    return
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


def create(api: str, token: str, body: dict[str, str]) -> str:
    with httpx.Client(base_url=api, timeout=60) as client:
        for _ in range(20):
            resp = client.post("/api/v1/debug-sessions", json=body, headers={"Authorization": f"Bearer {token}"})
            if resp.status_code == 201:
                return str(resp.json()["metadata"]["name"])
            if resp.status_code not in (429, 503):
                raise RuntimeError(resp.text)
            time.sleep(1)
    raise RuntimeError("create kept answering 503")


def logged_in(api: str, token: str) -> httpx.Client:
    """A client with the UI's session cookie of `token` (through the login form, as a browser does)."""
    client = httpx.Client(base_url=api, timeout=60)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if csrf is None:
        raise Unavailable("the login page has no token form: is the UI installed (DEBUG_SESSION_UI_ENABLED)?")
    done = client.post("/login", data={"csrf_token": csrf.group(1), "token": token})
    if done.status_code != 303:
        raise Unavailable(f"logging in with {token} failed: {done.status_code} {done.text[:200]}")
    return client


def timed(
    client: httpx.Client, path: str, repeat: int, headers: dict[str, str] | None = None
) -> tuple[list[float], list[float], int]:
    """Server times (ms, Server-Timing) and round trips (ms) of `repeat` GETs, and the last status."""
    server: list[float] = []
    trip: list[float] = []
    status = 0
    for _ in range(repeat):
        started = time.perf_counter()
        resp = client.get(path, headers=headers or {})
        trip.append((time.perf_counter() - started) * 1000)
        status = resp.status_code
        if status not in (200, 304):
            raise RuntimeError(f"GET {path}: {status} {resp.text[:300]}")
        timing = re.search(r"app;dur=([0-9.]+)", resp.headers.get("server-timing", ""))
        server.append(float(timing.group(1)) if timing else float("nan"))
    return server, trip, status


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rows_on(html: str) -> int:
    return html.count('data-testid="session-row"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000, help="sessions waiting for approval (default 1000)")
    parser.add_argument("--active", type=int, default=5, help="Active sessions besides (default 5)")
    parser.add_argument("--repeat", type=int, default=40, help="requests per page (default 40)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ds-ui-bench-"))
    print(f"starting the stack in {workdir} ...", flush=True)
    try:
        stack = Stack(workdir)
    except Unavailable as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    results: list[tuple[str, list[float], list[float], str]] = []
    try:
        started = time.monotonic()
        pending = {"templateRef": "ui-bench", "cluster": "prod-eu", "reason": "ui bench"}
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            names = list(pool.map(lambda _: create(stack.api, TOKENS["sam"], pending), range(args.sessions)))
            active_body = {"templateRef": "minimal-debug", "cluster": "dev-1", "reason": "ui bench"}
            active = list(pool.map(lambda _: create(stack.api, TOKENS["dave"], active_body), range(args.active)))
        print(f"created {len(names)} + {len(active)} sessions in {time.monotonic() - started:.0f} s", flush=True)
        with httpx.Client(base_url=stack.api, timeout=60) as api:
            deadline = time.monotonic() + 120
            while True:  # until visibility lists them all (and the Active ones have pods)
                listed = api.get("/api/v1/debug-sessions", params={"limit": 1000, "state": "PendingApproval"},
                                 headers={"Authorization": f"Bearer {TOKENS['ops']}"}).json()["total"]  # fmt: skip
                last = api.get(
                    f"/api/v1/debug-sessions/{active[-1]}", headers={"Authorization": f"Bearer {TOKENS['dave']}"}
                )
                if listed >= len(names) and last.json()["status"]["allowedPods"]:
                    break
                if time.monotonic() > deadline:
                    raise Unavailable(f"only {listed} of {len(names)} sessions listed after 120 s")
                time.sleep(1)
        time.sleep(10)  # let the worker and the API settle (deploys, pod watches, the webhook's index)
        clients = {user: logged_in(stack.api, token) for user, token in TOKENS.items()}
        pages = [
            ("list, All (admin: every session)", "ops", "/debug-sessions"),
            (f"list, Mine ({len(names)} of sam's)", "sam", "/debug-sessions?tab=mine"),
            ("list, Awaiting my approval (lena: all)", "lena", "/debug-sessions?tab=approval"),
            ("list, Awaiting my approval (admin: none)", "ops", "/debug-sessions?tab=approval"),
            ("list, state + text filter", "ops", "/debug-sessions?state=PendingApproval&q=sam"),
            (
                "request form (template + cluster)",
                "sam",
                "/debug-sessions/create?template=network-debug&cluster=prod-eu",
            ),
            ("session page (pending, approver)", "lena", f"/debug-sessions/{names[len(names) // 2]}"),
            ("session page (Active, pods)", "dave", f"/debug-sessions/{active[0]}"),
        ]
        for label, user, path in pages:
            client = clients[user]
            for _ in range(5):  # warm-up
                first = client.get(path)
            note = (
                f"{rows_on(first.text)} rows"
                if path.startswith("/debug-sessions?") or path == "/debug-sessions"
                else ""
            )
            server, trip, _ = timed(client, path, args.repeat)
            results.append((label, server, trip, note))
        second = re.search(r'href="/debug-sessions\?([^"]*continue=[^"]+)"', clients["ops"].get("/debug-sessions").text)
        if second:
            path = "/debug-sessions?" + second.group(1).replace("&amp;", "&")
            server, trip, _ = timed(clients["ops"], path, args.repeat)
            results.append(("list, All, second page", server, trip, f"{rows_on(clients['ops'].get(path).text)} rows"))
        live = f"/debug-sessions/{active[0]}/live"
        tag = clients["dave"].get(live, headers={"X-UI-Fragment": "1"}).headers.get("etag", "")
        server, trip, status = timed(clients["dave"], live, args.repeat, {"X-UI-Fragment": "1", "If-None-Match": tag})
        results.append(("session live part (poll, unchanged)", server, trip, f"HTTP {status}"))
        # the live list's first event: the API's watch lists every session the user may read (not a page load)
        with clients["ops"].stream("GET", "/debug-sessions/events", headers={"Accept": "text/event-stream"}) as stream:
            began = time.perf_counter()
            counts_after = float("nan")
            for line in stream.iter_lines():
                if line.startswith("event: counts"):
                    counts_after = (time.perf_counter() - began) * 1000
                    break
        for client in clients.values():
            client.close()
    except (Unavailable, RuntimeError, httpx.HTTPError) as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    finally:
        stack.stop()
    print()
    print(
        f"{len(names)} sessions PendingApproval + {len(active)} Active; {args.repeat} requests per page, one at a time"
    )
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'page':44} {'server p50':>10} {'p95':>7} {'round trip p50':>15} {'p95':>7}")
    missed = []
    for label, server, trip, note in results:
        print(
            f"{label:44} {statistics.median(server):8.1f} ms {p95(server):5.1f} ms {statistics.median(trip):12.1f} ms "
            f"{p95(trip):5.1f} ms  {note}"
        )
        if p95(server) > GOAL_MS:
            missed.append(label)
    print(f"live list (admin): first counts event after {counts_after:.0f} ms (the API's watch lists every session)")
    print(
        f"goal: every page <= {GOAL_MS:.0f} ms server time: "
        + ("met" if not missed else f"NOT met: {', '.join(missed)}")
    )
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
