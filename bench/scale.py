"""Many Active sessions on one worker and one API (issue 13): memory, list and webhook latency, idle cost.

Runs the stack as `dsctl dev --simulate` does (bench/idle.py's Stack), creates N sessions of the demo's
`minimal-debug` template (one-replica Deployment, auto-approved on dev-1) through the API with bounded
concurrency, waits until all are Active, then prints:

* RSS of the worker, the API and the Temporal dev server;
* p50/p99 of an approver's session list (GET /api/v1/debug-sessions as the admin `ops`, who may read all),
  whole and its first page of 100 (`?limit=100`);
* p50/p99 of webhook decisions over HTTP (SubjectAccessReviews for the sessions' pods);
* what one more idle hour costs: history events written by a sample of sessions over a window, per hour.

Run: .venv/bin/python bench/scale.py [--sessions 10000] [--concurrency 16]
Goals (issue 13, for 10,000 sessions): worker RSS <= 1 GiB; list p99 <= 100 ms; webhook p99 <= 5 ms.
Kept out of CI: 10,000 sessions take hours of CPU on a 2-core machine (see the README's figures).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.idle import Stack, authorized, history_lengths, pct  # noqa: E402

DAVE = {"Authorization": "Bearer dev-dave-token"}
OPS = {"Authorization": "Bearer dev-ops-token"}


def rss_mib(match: str) -> float:
    """Resident memory (MiB) of the processes whose command line contains `match`."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if match not in command:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def create(api: str, i: int) -> str:
    with httpx.Client(base_url=api, timeout=60) as client:
        for _ in range(20):
            resp = client.post(
                "/api/v1/debug-sessions",
                json={"templateRef": "minimal-debug", "cluster": "dev-1", "reason": f"scale {i}"},
                headers=DAVE,
            )
            if resp.status_code == 201:
                return str(resp.json()["metadata"]["name"])
            if resp.status_code not in (429, 503):
                raise RuntimeError(resp.text)
            time.sleep(1)
    raise RuntimeError("create kept answering 503")


def active_count(temporal: str) -> int:
    """Active sessions according to visibility (the Temporal CLI of the venv)."""
    counted = subprocess.run(
        [str(REPO / ".venv" / "bin" / "temporal"), "workflow", "count", "--address", temporal, "--query",
         "WorkflowType = 'DebugSessionWorkflow' AND DebugSessionState = 'Active'"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(counted.stdout.split()[-1])


def timed(fn: Callable[[], object], n: int) -> list[float]:
    """Seconds each of `n` calls took."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ds-scale-"))
    print(f"starting the stack in {workdir} ...", flush=True)
    stack = Stack(workdir, "15m")
    try:
        started = time.monotonic()
        names: list[str] = []
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            for n, name in enumerate(pool.map(lambda i: create(stack.api, i), range(args.sessions)), 1):
                names.append(name)
                if n % 50 == 0:
                    print(f"  {n} created ({n / (time.monotonic() - started):.1f}/s)", flush=True)
        print(f"created {len(names)} in {time.monotonic() - started:.0f} s; waiting for Active ...", flush=True)
        temporal = f"127.0.0.1:{stack.temporal_port}"
        with httpx.Client(base_url=stack.api, timeout=120) as api:
            # Counted in visibility, not through the list under test (at 10,000 it may not answer in time).
            while (active := active_count(temporal)) < len(names):
                print(f"  {active} Active", flush=True)
                time.sleep(10)
            print(f"all Active after {time.monotonic() - started:.0f} s", flush=True)
            time.sleep(10)
            statuses: list[int] = []
            lists = timed(lambda: statuses.append(api.get("/api/v1/debug-sessions", headers=OPS).status_code), 30)
            pages = timed(
                lambda: api.get("/api/v1/debug-sessions", params={"limit": 100}, headers=OPS).raise_for_status(), 30
            )
            sample = names[:: max(1, len(names) // 50)]
            pods = [
                api.get(f"/api/v1/debug-sessions/{n}", headers=DAVE).json()["status"]["allowedPods"] for n in sample
            ]
            pod_names = [p[0]["name"] for p in pods if p]
            decisions = timed(lambda: [authorized(api, p) for p in pod_names[:1]], 300)
            before = history_lengths(temporal, sample[:20])
            time.sleep(args.window)
            after = history_lengths(temporal, sample[:20])
        per_hour = sum(after[n] - before[n] for n in before) / len(before) * 3600 / args.window
        worker, api_rss, server = rss_mib("worker.py"), rss_mib("-m api"), rss_mib("temporal server")
    finally:
        stack.stop()
    print()
    print(f"sessions Active                       {len(names)}")
    print(f"worker RSS                            {worker:8.0f} MiB   goal <= 1024 MiB (at 10,000)")
    print(f"API RSS                               {api_rss:8.0f} MiB")
    print(f"Temporal dev server RSS               {server:8.0f} MiB")
    print(
        f"approver's list (all {len(names)})    p50 {statistics.median(lists) * 1000:.0f} ms  "
        f"p99 {pct(lists, 99) * 1000:.0f} ms   goal p99 <= 100 ms"
    )
    print(
        f"approver's list, first page (?limit=100) p50 {statistics.median(pages) * 1000:.0f} ms  "
        f"p99 {pct(pages, 99) * 1000:.0f} ms"
    )
    failed = [code for code in statuses if code != 200]
    if failed:
        print(f"  of which not 200: {len(failed)} of {len(statuses)} (status {sorted(set(failed))})")
    print(
        f"webhook decision over HTTP            p50 {statistics.median(decisions) * 1000:.2f} ms  "
        f"p99 {pct(decisions, 99) * 1000:.2f} ms   goal p99 <= 5 ms"
    )
    print(f"history events per idle session-hour  {per_hour:8.1f} (window {args.window:.0f} s, without safety checks)")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
