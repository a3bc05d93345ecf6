"""Command line: `python -m kubesim --port PORT --kubeconfig-out FILE [...]`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from kubesim.controllers import DEFAULT_BAD_IMAGE_PATTERN
from kubesim.nodes import load_nodes_file
from kubesim.sim import KubeSim


def main(argv: list[str] | None = None) -> int:
    """Run kubesim until SIGINT/SIGTERM."""
    p = argparse.ArgumentParser(prog="kubesim", description="Kubernetes API server emulator")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    p.add_argument("--kubeconfig-out", required=True, help="where to write the kubeconfig")
    p.add_argument("--nodes", type=int, default=3, help="number of worker nodes (plus one control-plane)")
    p.add_argument("--nodes-file", help="YAML list of nodes: name, labels, taints")
    p.add_argument("--pod-ready-delay", type=float, default=0.2, help="seconds from scheduling to Ready")
    p.add_argument("--bad-image-pattern", default=DEFAULT_BAD_IMAGE_PATTERN, help="regex of unpullable images")
    p.add_argument("--faults", help="YAML fault-injection rules")
    p.add_argument("--extra-resources", help="YAML list of extra group/version/kind resources (or CRDs)")
    p.add_argument("--authorization-webhook", help="URL receiving SubjectAccessReviews for impersonated requests")
    p.add_argument("--users", help="YAML list of token users ({name, token?, groups?}); each gets a context")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh self-signed certificate")
    p.add_argument("--impersonation-rules", help="YAML rules forbidding impersonated identities")
    args = p.parse_args(argv)
    started = time.monotonic()
    nodes: int | list[dict[str, object]] = args.nodes
    if args.nodes_file:
        nodes = load_nodes_file(Path(args.nodes_file).read_text())
    sim = KubeSim(
        port=args.port,
        nodes=nodes,
        pod_ready_delay=args.pod_ready_delay,
        bad_image_pattern=args.bad_image_pattern,
        faults=Path(args.faults).read_text() if args.faults else None,
        extra_resources=Path(args.extra_resources).read_text() if args.extra_resources else None,
        impersonation_rules=Path(args.impersonation_rules).read_text() if args.impersonation_rules else None,
        kubeconfig_path=args.kubeconfig_out,
        tls=args.tls,
        authorization_webhook=args.authorization_webhook,
        users=Path(args.users).read_text() if args.users else None,
    )
    done = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sim.start()
    elapsed = time.monotonic() - started
    print(
        f"kubesim listening on {sim.url} (kubeconfig {args.kubeconfig_out}, started in {elapsed:.3f}s)",
        flush=True,
    )
    done.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
