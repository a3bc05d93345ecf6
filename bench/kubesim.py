"""Benchmark kubesim: startup time, GET/s, LIST/s over 1,000 objects, CREATE/s.

Run: `.venv/bin/python bench/kubesim.py [--seconds N]`. Requests go over one keep-alive HTTP/1.1
connection with `http.client`, so the figures measure the server rather than a heavy client library.
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _import_kubesim() -> Any:
    # This file is itself named kubesim.py, so its directory must not shadow the kubesim package.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(ROOT))
    return importlib.import_module("kubesim.sim")


def _rate(conn: http.client.HTTPConnection, method: str, path: str, seconds: float, body: Any = None) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    while time.perf_counter() < deadline:
        payload = None
        if body is not None:
            payload = json.dumps(body(count) if callable(body) else body)
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status >= 300:
            raise SystemExit(f"{method} {path} -> {resp.status}")
        count += 1
    return count / (time.perf_counter() - start)


def _cli_startup() -> float:
    """Seconds from spawning `python -m kubesim` to its first successful /healthz."""
    import socket
    import tempfile

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kubesim", "--port", str(port), "--kubeconfig-out", f"{tmp}/kc"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        conn.close()
                        break
                    conn.close()
                except OSError:
                    time.sleep(0.005)
            return time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput phase")
    args = parser.parse_args()
    sim_module = _import_kubesim()

    t0 = time.perf_counter()
    sim = sim_module.KubeSim()
    sim.start()
    in_process = time.perf_counter() - t0
    try:
        conn = http.client.HTTPConnection("127.0.0.1", sim.port)
        ns = "/api/v1/namespaces/default/configmaps"
        conn.request(
            "POST",
            ns,
            body=json.dumps({"metadata": {"name": "target"}, "data": {"k": "v"}}),
            headers={"Content-Type": "application/json"},
        )
        conn.getresponse().read()
        get_rate = _rate(conn, "GET", f"{ns}/target", args.seconds)
        create_rate = _rate(
            conn,
            "POST",
            "/api/v1/namespaces/kube-public/configmaps",
            args.seconds,
            body=lambda i: {"metadata": {"name": f"bench-{i}"}, "data": {"i": str(i)}},
        )
        conn.request(
            "POST",
            "/api/v1/namespaces",
            body=json.dumps({"metadata": {"name": "bench-list"}}),
            headers={"Content-Type": "application/json"},
        )
        conn.getresponse().read()
        for i in range(1000):
            conn.request(
                "POST",
                "/api/v1/namespaces/bench-list/configmaps",
                body=json.dumps(
                    {
                        "metadata": {"name": f"item-{i:04d}", "labels": {"n": str(i % 10)}},
                        "data": {"i": str(i)},
                    }
                ),
                headers={"Content-Type": "application/json"},
            )
            conn.getresponse().read()
        list_rate = _rate(conn, "GET", "/api/v1/namespaces/bench-list/configmaps", args.seconds)
        conn.close()
    finally:
        sim.stop()
    cli = _cli_startup()
    print(f"startup (in-process start()):      {in_process * 1000:8.1f} ms")
    print(f"startup (python -m kubesim → ready): {cli * 1000:8.1f} ms")
    print(f"GET    one configmap:              {get_rate:8.0f} req/s  (target >= 1000)")
    print(f"CREATE configmap:                  {create_rate:8.0f} req/s  (target >= 300)")
    print(f"LIST   1,000 configmaps:           {list_rate:8.1f} req/s")


if __name__ == "__main__":
    main()
