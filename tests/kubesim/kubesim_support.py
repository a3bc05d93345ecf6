"""Helpers shared by the kubesim tests: a kubectl runner and a polling wait."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kubernetes import config, dynamic

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"
T = TypeVar("T")

# The kubernetes package is only partially typed; going through Any keeps strict mypy quiet without ignores.
k8s_config: Any = config
k8s_dynamic: Any = dynamic


class Kubectl:
    """Runs the real kubectl against a kubesim with an isolated HOME and discovery cache."""

    def __init__(self, kubeconfig: Path, home: Path) -> None:
        self.kubeconfig = kubeconfig
        self.env = dict(os.environ, HOME=str(home), KUBECACHEDIR=str(home / "cache"))

    def run(self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 30) -> Any:
        """Run kubectl; returns the CompletedProcess (stdout/stderr as text)."""
        proc = subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """Start a long-running kubectl (e.g. `get -w`)."""
        return subprocess.Popen(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )


def wait_for(predicate: Callable[[], T | None], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll until `predicate()` is truthy and return its value; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
