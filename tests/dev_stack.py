"""`dsctl dev --simulate` (what `make run` runs) as a test fixture: the whole stack, on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

DSCTL = str(REPO / ".venv" / "bin" / "dsctl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class DevStack:
    api: str
    """Base URL of the API."""
    api_port: int
    state: Path
    """The stack's state directory (kubeconfigs under clusters/, the Temporal database)."""
    proc: subprocess.Popen[str]
    startup: str
    """What `dsctl dev` printed until it was running."""


@contextmanager
def dev_stack(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[DevStack]:
    """Start `dsctl dev --simulate` with the demo catalog in `tmp_path`; stop it (Ctrl-C) on exit. The
    caller reads `proc.returncode` and the rest of its output afterwards if it wants to check the stop.
    `env` is added to the stack's environment (e.g. the API's OIDC settings)."""
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    for f in (REPO / "deploy" / "demo-catalog").glob("*.yaml"):
        text = f.read_text().replace("../../.run/clusters/", str(tmp_path / "state" / "clusters") + "/")
        (catalog / f.name).write_text(text)
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [DSCTL, "dev", "--simulate", "--catalog", str(catalog), "--tokens", str(REPO / "deploy" / "demo-tokens.yaml"),
         "--state-dir", str(tmp_path / "state"), "--api-port", str(api_port), "--temporal-port", str(temporal_port),
         "--ui-port", str(ui_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "running; Ctrl-C stops everything" in line or proc.poll() is not None:
                break
        startup = "".join(lines)
        assert "running; Ctrl-C stops everything" in startup, startup
        yield DevStack(f"http://127.0.0.1:{api_port}", api_port, tmp_path / "state", proc, startup)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.stdout is not None and not proc.stdout.closed:
            proc.stdout.close()
