"""Authorization webhook benchmark: decision latency in-process and decisions/s over HTTP.

In-process: 10,000 Active sessions x 10 pods in the index (built the way the API builds it), p50/p99 of
one decision (goal p99 < 1 ms). Over HTTP: SubjectAccessReviews against the real app served by uvicorn
on one core (goal >= 2,000 decisions/s). Staleness after terminate is measured by the end-to-end test
(tests/e2e/test_api_e2e.py::test_authorization_webhook asserts <= 2 s).

Run: .venv/bin/python bench/authorize.py [--sessions 10000] [--pods 10] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from api.routes import authorize  # noqa: E402
from api.session_index import SessionIndex  # noqa: E402
from domain.access_review import IndexedSession, ReviewSpec, decide  # noqa: E402


def build_index(sessions: int, pods: int) -> SessionIndex:
    index = SessionIndex(client=None, interval=1.0)  # type: ignore[arg-type]  # filled directly, no Temporal
    by_pod: dict[tuple[str, str], list[IndexedSession]] = {}
    live_until = datetime.now(UTC) + timedelta(hours=1)
    for i in range(sessions):
        s = IndexedSession(
            name=f"debug-u{i}-c-{i}",
            cluster=f"cluster-{i % 10}",
            live_until=live_until,
            pods=frozenset(f"debug/s{i}-p{j}" for j in range(pods)),
            operations=frozenset({"exec", "attach", "portforward"}),
            operators={f"user{i}": "owner", f"peer{i}": "participant"},
        )
        for pod in s.pods:
            by_pod.setdefault((s.cluster, pod), []).append(s)
    index.by_pod = {k: tuple(v) for k, v in by_pod.items()}
    return index


def review(i: int, j: int) -> dict[str, Any]:
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "resourceAttributes": {
                "namespace": "debug",
                "verb": "create",
                "resource": "pods",
                "subresource": "exec",
                "name": f"s{i}-p{j}",
            },
            "user": f"user{i}",
            "groups": ["system:authenticated"],
        },
    }


def in_process(index: SessionIndex, sessions: int, pods: int, n: int = 20000) -> list[float]:
    specs = [ReviewSpec.model_validate(review(k % sessions, k % pods)["spec"]) for k in range(n)]
    timings = []
    for k, spec in enumerate(specs):
        i = k % sessions
        cluster = f"cluster-{i % 10}"
        t = time.perf_counter()
        attrs = spec.resource_attributes
        assert attrs is not None
        decision = decide(index.sessions(cluster, f"{attrs.namespace}/{attrs.name}"), cluster, spec, datetime.now(UTC))
        timings.append(time.perf_counter() - t)
        assert decision.allowed
    return timings


class State:
    def __init__(self, index: SessionIndex) -> None:
        self.index = index
        self.settings = type("S", (), {"webhook_token": ""})()


def serve_forever(port: int, sessions: int, pods: int) -> None:
    """The server process: the webhook route over the index, uvicorn, pinned to core 0."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    app = FastAPI()
    app.include_router(authorize.router, prefix="/api/v1/authorize")
    app.state.api = State(build_index(sessions, pods))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="critical")  # wrk hangs up mid-request at the end


def start_server(sessions: int, pods: int) -> tuple[multiprocessing.Process, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    proc = multiprocessing.Process(target=serve_forever, args=(port, sessions, pods), daemon=True)
    proc.start()
    for _ in range(600):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    raise RuntimeError("the benchmark server did not start")


async def over_http(port: int, sessions: int, pods: int, seconds: float, concurrency: int = 16) -> int:
    done = 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def worker(w: int) -> None:
            nonlocal done
            k = w
            while time.perf_counter() < deadline:
                i = k % sessions
                body = json.dumps(review(i, k % pods))
                resp = await client.post(f"/api/v1/authorize/cluster-{i % 10}", content=body)
                assert resp.json()["status"]["allowed"]
                done += 1
                k += concurrency

        await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return done


def with_wrk(port: int, seconds: float) -> tuple[float | None, str]:
    """Load from wrk (Debian package `wrk`) when installed: a Python client would be the bottleneck."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None, ""
    script = Path(tempfile.mkdtemp()) / "sar.lua"
    body = json.dumps(review(7, 3)).replace("'", "\\'")
    script.write_text(f"wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\nwrk.body = '{body}'\n")
    out = subprocess.run(
        [wrk, "-t1", "-c16", f"-d{int(seconds)}s", "-s", str(script), f"http://127.0.0.1:{port}/api/v1/authorize/cluster-7"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    match = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    assert match, out
    assert "Non-2xx" not in out, out
    return float(match.group(1)), "wrk"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--pods", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    index = build_index(args.sessions, args.pods)
    timings = sorted(in_process(index, args.sessions, args.pods))
    p50, p99 = statistics.median(timings), timings[int(len(timings) * 0.99)]
    print(f"index: {args.sessions} Active sessions x {args.pods} pods")
    print(f"in-process decision   p50 {p50 * 1e6:.1f} µs   p99 {p99 * 1e6:.1f} µs   (goal p99 < 1 ms)")
    server, port = start_server(args.sessions, args.pods)
    try:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {1})  # the load generator on the other core
        rate, tool = with_wrk(port, args.seconds)
        if rate is None:
            rate, tool = asyncio.run(over_http(port, args.sessions, args.pods, args.seconds)) / args.seconds, "httpx"
    finally:
        server.terminate()
        server.join()
    print(f"over HTTP (server on one core, load from {tool} on the other): {rate:.0f} decisions/s   (goal >= 2,000)")


if __name__ == "__main__":
    main()
