"""`kube.client.preload`: the client's lazily imported modules are loaded before the first session needs them."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_preload_imports_the_api_modules_the_first_cluster_call_would() -> None:
    # A fresh interpreter: in this one, earlier tests have long imported everything.
    probe = (
        "import sys, kube.client as k; "
        "before = 'kubernetes.client.api.core_v1_api' in sys.modules; "
        "k.preload(); "
        "print(before, 'kubernetes.client.api.core_v1_api' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
