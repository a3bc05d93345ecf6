"""`dsctl dev`: the whole stack in the foreground (Temporal dev server, worker, API, simulated clusters).

Everything runs as child processes with logs in the state directory; Ctrl-C (or SIGTERM) stops what was
started, in reverse order. The Temporal database lives in the state directory, so a second start
resumes the sessions of the first. Unless the environment names a mail server, e-mail goes to a local mail
catcher whose messages are kept as files in the state directory; the audit trail goes to a file there too.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from cli.mail_catcher import MailCatcher
from domain.catalog.catalog import load_catalog
from kube.client import ClusterClient

BIN = Path(sys.executable).parent


@dataclass
class Stack:
    """The processes started, newest last."""

    state_dir: Path
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    """In-process helpers (the mail catcher), stopped after the children."""

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a child with its output in <state-dir>/logs/<name>.log."""
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = (logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.children.append((name, proc))
        return proc

    def stop(self) -> None:
        """Terminate children in reverse order; kill what does not stop within 10 s."""
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    print(f"  {name} did not stop in 10 s; killed", file=sys.stderr)
                    proc.kill()
                    proc.wait()
        self.children.clear()
        for stop in reversed(self.on_stop):
            stop()
        self.on_stop.clear()

    def check(self) -> str | None:
        """The name of a child that exited on its own, if any."""
        return next((name for name, proc in self.children if proc.poll() is not None), None)


def _wait(what: str, ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    """Poll `ready` until true; stop with a clear message if the process dies or time runs out."""
    deadline = time.monotonic() + seconds
    while not ready():
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited during start-up (code {proc.returncode}); see {log}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not become ready within {seconds:.0f} s; see {log}")
        time.sleep(0.1)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _ui_secret(state_dir: Path) -> str:
    """A random UI secret kept in the state directory (created once, readable by its owner only)."""
    path = state_dir / "ui-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ensure_namespaces(kubeconfig: Path, names: set[str]) -> None:
    """A simulated cluster starts empty: create the namespaces the demo templates deploy into."""
    client = ClusterClient(str(kubeconfig))
    try:
        for name in sorted(names):
            client.create_namespace(name, {})
    finally:
        client.close()


def run(
    catalog: Path,
    tokens: Path,
    group_directory: Path,
    state_dir: Path,
    api_port: int,
    temporal_port: int,
    ui_port: int,
    simulate: bool,
) -> int:
    """Start the stack and block until interrupted. Returns the exit status."""
    result = load_catalog([catalog])
    if result.catalog is None:
        for d in result.errors:
            print(d, file=sys.stderr)
        print(f"the catalog in {catalog} is invalid; run: dsctl validate {catalog}", file=sys.stderr)
        return 1
    state_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(state_dir)
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print(f"starting the Temporal dev server (database {state_dir / 'temporal.db'}) ...")
        temporal = stack.start(
            "temporal",
            [str(BIN / "temporal"), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(temporal_port),
             "--ui-port", str(ui_port), "--db-filename", str(state_dir / "temporal.db"), "--log-level", "warn",
             "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"],
        )  # fmt: skip
        _wait("the Temporal dev server", lambda: _port_open(temporal_port), temporal, state_dir / "logs/temporal.log")
        if simulate:
            namespaces = {t.spec.target_namespace for t in result.catalog.session_templates.values()}
            namespaces |= {
                t.spec.namespace_constraints.default_namespace
                for t in result.catalog.session_templates.values()
                if t.spec.namespace_constraints is not None
            }
            for name, cluster in sorted(result.catalog.clusters.items()):
                kubeconfig = Path(cluster.spec.kubeconfig.path)
                if kubeconfig.exists() and state_dir.resolve() not in kubeconfig.resolve().parents:
                    continue  # a real cluster's kubeconfig: leave it alone
                kubeconfig.parent.mkdir(parents=True, exist_ok=True)
                kubeconfig.unlink(missing_ok=True)
                sim = stack.start(
                    f"kubesim-{name}",
                    [sys.executable, "-m", "kubesim", "--port", str(_free_port()), "--kubeconfig-out", str(kubeconfig)],
                )
                _wait(f"kubesim for {name}", kubeconfig.exists, sim, state_dir / f"logs/kubesim-{name}.log")
                _ensure_namespaces(kubeconfig, namespaces)
                print(f"simulated cluster {name}: kubectl --kubeconfig {kubeconfig} get nodes")
        env = {
            "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
            "DEBUG_SESSION_CATALOG_DIR": str(catalog),
            "DEBUG_SESSION_AUDIT_LOG": os.environ.get("DEBUG_SESSION_AUDIT_LOG", str(state_dir / "audit.jsonl")),
            "DEBUG_SESSION_PUBLIC_URL": os.environ.get("DEBUG_SESSION_PUBLIC_URL", f"http://127.0.0.1:{api_port}"),
        }
        if not os.environ.get("DEBUG_SESSION_GROUP_DIRECTORY") and group_directory.exists():
            env["DEBUG_SESSION_GROUP_DIRECTORY"] = str(group_directory)
        catcher: MailCatcher | None = None
        if not os.environ.get("DEBUG_SESSION_SMTP_HOST"):
            catcher = MailCatcher(state_dir / "mail", _free_port())
            catcher.start()
            stack.on_stop.append(catcher.stop)
            env |= {"DEBUG_SESSION_SMTP_HOST": "127.0.0.1", "DEBUG_SESSION_SMTP_PORT": str(catcher.port)}
        metrics_port = int(os.environ.get("DEBUG_SESSION_WORKER_METRICS_PORT") or _free_port())
        worker_env = {**env, "DEBUG_SESSION_WORKER_METRICS_PORT": str(metrics_port)}
        worker_py = str(Path(__file__).resolve().parents[1] / "worker.py")
        worker = stack.start("worker", [sys.executable, worker_py], worker_env)
        api_env = {
            **env,
            "DEBUG_SESSION_TEMPORAL_UI_URL": os.environ.get(
                "DEBUG_SESSION_TEMPORAL_UI_URL", f"http://127.0.0.1:{ui_port}"
            ),
            # logins survive an API restart within one state directory
            "DEBUG_SESSION_UI_SECRET": os.environ.get("DEBUG_SESSION_UI_SECRET") or _ui_secret(state_dir),
            "DEBUG_SESSION_CATALOG_DIR": str(catalog),
            "DEBUG_SESSION_TOKENS_FILE": str(tokens),
            "DEBUG_SESSION_API_PORT": str(api_port),
            "DEBUG_SESSION_ADMIN_GROUPS": os.environ.get("DEBUG_SESSION_ADMIN_GROUPS", "platform-admins"),
        }
        api = stack.start("api", [sys.executable, "-m", "api"], api_env)

        def api_ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{api_port}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _wait("the API", api_ready, api, state_dir / "logs/api.log", seconds=60)
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited; see {state_dir / 'logs/worker.log'}")
        print()
        print(f"Web UI         http://127.0.0.1:{api_port}/debug-sessions   (log in with a demo token below)")
        print(f"API            http://127.0.0.1:{api_port}   (docs: http://127.0.0.1:{api_port}/docs)")
        print(f"Temporal UI    http://127.0.0.1:{ui_port}")
        print(f"metrics        http://127.0.0.1:{api_port}/metrics (API)")
        print(f"               http://127.0.0.1:{metrics_port}/metrics (worker, with the Temporal SDK's)")
        if catcher is not None:
            print(f"mail catcher   smtp://127.0.0.1:{catcher.port}; caught mail: {catcher.directory}/*.eml")
        print(f"audit trail    {env['DEBUG_SESSION_AUDIT_LOG']}")
        print(f"logs           {state_dir / 'logs'}")
        print("demo tokens    (Authorization: Bearer <token>)")
        for line in tokens.read_text().splitlines():
            if line.strip().startswith(("- token:", "user:", "groups:")):
                print("  " + line.strip().removeprefix("- "))
        print("\nrunning; Ctrl-C stops everything")
        while not stopping:
            exited = stack.check()
            if exited is not None:
                print(f"{exited} exited; stopping (see {state_dir / 'logs'})", file=sys.stderr)
                return 1
            time.sleep(0.3)
        return 0
    finally:
        print("stopping ...")
        stack.stop()
        print("stopped")
