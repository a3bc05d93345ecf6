"""How soon a template applied with kubectl on the hub cluster is served by the catalog source.

Run: `.venv/bin/python bench/hub_catalog.py [--templates 20]`. Starts kubesim, applies the generated CRDs and
the demo catalog with the real kubectl, starts `KubernetesCatalogSource` on it (as the API does with
DEBUG_SESSION_CATALOG_SOURCE=kubernetes), then applies templates one by one and times each from the start
of `kubectl apply` to the catalog containing it. Goal (issue 19): within 2 s. Prints median and max.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kube.catalog_source import KubernetesCatalogSource  # noqa: E402
from kubesim.sim import KubeSim  # noqa: E402

KUBECTL = ROOT / ".venv" / "bin" / "kubectl"

TEMPLATE = """apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: DebugSessionTemplate
metadata:
  name: {name}
spec:
  mode: workload
  workloadType: Deployment
  podTemplateRef:
    name: minimal-debug-pod
  targetNamespace: breakglass-debug
  allowed:
    groups: ["developers"]
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=20)
    args = parser.parse_args()
    if not KUBECTL.exists():
        print(f"kubectl not found at {KUBECTL} (make venv installs it): nothing measured", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp, KubeSim(nodes=1) as sim:
        env = dict(os.environ, HOME=tmp, KUBECACHEDIR=str(Path(tmp) / "cache"))

        def kubectl(*argv: str, stdin: str | None = None) -> None:
            subprocess.run([str(KUBECTL), "--kubeconfig", str(sim.kubeconfig_path), *argv], input=stdin, text=True,
                           env=env, check=True, capture_output=True)  # fmt: skip

        catalog = Path(tmp) / "catalog"
        shutil.copytree(ROOT / "deploy" / "demo-catalog", catalog)
        kubectl("apply", "-f", str(ROOT / "deploy" / "crds"))
        kubectl("create", "namespace", "breakglass")
        kubectl("apply", "-f", str(catalog))
        with KubernetesCatalogSource(sim.kubeconfig_path) as source:
            if source.catalog is None:
                print(f"the demo catalog did not load from the hub: {source.last_result}", file=sys.stderr)
                return 1
            delays = []
            for i in range(args.templates):
                name = f"bench-{i}"
                started = time.perf_counter()
                kubectl("apply", "-f", "-", stdin=TEMPLATE.format(name=name))
                while name not in (source.catalog.session_templates if source.catalog else {}):
                    if time.perf_counter() - started > 10:
                        print(f"{name} not served after 10 s", file=sys.stderr)
                        return 1
                    time.sleep(0.005)
                delays.append(time.perf_counter() - started)
    print(f"templates applied: {len(delays)}")
    print(
        f"kubectl apply → served   median {statistics.median(delays) * 1000:.0f} ms   max {max(delays) * 1000:.0f} ms"
    )
    print("goal: within 2 s " + ("(met)" if max(delays) < 2 else "(NOT met)"))
    return 0 if max(delays) < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
