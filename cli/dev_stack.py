"""`make run`: start the development stack that exists today, in the foreground, until Ctrl-C.

Started now:
  * one kubesim (simulated Kubernetes API server) per demo ClusterConfig, kubeconfigs in .run/
  * the catalog watcher on DEBUG_SESSION_CATALOG_DIR (default examples/catalog), logging every reload
Not built yet (their issues are open): Temporal dev server, worker, API. This module says so at start.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from domain.catalog.catalog import load_catalog
from domain.catalog.settings import CatalogSettings
from domain.catalog.watch import CatalogWatcher

RUN_DIR = Path(".run")
log = logging.getLogger("debug_sessions.dev")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_kubesim(name: str, kubeconfig: Path) -> subprocess.Popen[bytes] | None:
    """Start `python -m kubesim` for one cluster; None when kubesim is not available in this checkout."""
    if not Path("kubesim/__main__.py").exists():
        log.warning("kubesim is not built yet: cluster %s is not simulated", name)
        return None
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    kubeconfig.unlink(missing_ok=True)
    port = _free_port()
    log_file = (RUN_DIR / f"kubesim-{name}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubesim", "--port", str(port), "--kubeconfig-out", str(kubeconfig)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while not kubeconfig.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            log.error("kubesim for %s did not start; see %s", name, log_file.name)
            proc.kill()
            return None
        time.sleep(0.05)
    log.info("kubesim %-10s http://127.0.0.1:%d  kubeconfig %s", name, port, kubeconfig)
    return proc


def main() -> int:
    """Start everything, wait for Ctrl-C or SIGTERM, stop everything."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = CatalogSettings()
    RUN_DIR.mkdir(exist_ok=True)
    first = load_catalog([settings.dir], strict=settings.strict)
    if first.catalog is None:
        for d in first.errors:
            log.error("%s", d)
        log.error(
            "the catalog in %s is invalid; fix it (dsctl validate %s) and run again",
            settings.dir,
            settings.dir,
        )
        return 1
    children: list[subprocess.Popen[bytes]] = []
    for name, cluster in sorted(first.catalog.clusters.items()):
        kubeconfig = Path(cluster.spec.kubeconfig.path)
        if RUN_DIR.resolve() in kubeconfig.parents:
            proc = _start_kubesim(name, kubeconfig)
            if proc is not None:
                children.append(proc)
    stop = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    watcher = CatalogWatcher([settings.dir], strict=settings.strict, interval=settings.poll_interval)
    with watcher:
        log.info(
            "catalog watcher on %s (strict=%s); edit a file and watch it reload",
            settings.dir,
            settings.strict,
        )
        log.info("not started yet (not built): Temporal dev server, worker, API; see README 'Status'")
        log.info("running; Ctrl-C stops everything")
        while not stop:
            time.sleep(0.2)
    for proc in children:
        proc.terminate()
    for proc in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.poll() is None:
            proc.kill()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
