"""`dsctl preview` output applies cleanly with real kubectl, and reads back as previewed (issue 5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesim.sim import KubeSim
from tests.cli.test_dsctl_validate import DSCTL
from tests.conftest import EXAMPLES
from tests.resolution.test_examples_resolve import MANIFESTS, WORLD

KUBECTL = str(Path(sys.executable).parent / "kubectl")
# (template, cluster, groups) for every seed session template that deploys something
CASES = [
    ("minimal-debug", "dev-1", "developers"),
    ("network-debug", "production-eu", "sre-team"),
    ("hybrid-debug", "dev-1", "sre-team"),
    ("aux-examples", "dev-1", "developers"),  # the auxiliary resources of examples 27 and 28
]


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    with KubeSim(nodes=3, pod_ready_delay=0.05) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seed-catalog")
    for name in MANIFESTS:
        (root / name).write_text((EXAMPLES / name).read_text())
    (root / "world.yaml").write_text(WORLD)
    aux = [
        r
        for n in ("27-auxiliary-resources", "28-auxiliary-multidoc-templatestring")
        for r in yaml.safe_load((EXAMPLES / f"{n}.yaml").read_text())["spec"]["auxiliaryResources"]
    ]
    template = {
        "apiVersion": "breakglass.t-caas.telekom.com/v1alpha1",
        "kind": "DebugSessionTemplate",
        "metadata": {"name": "aux-examples"},
        "spec": {
            "podTemplateRef": {"name": "minimal-debug-pod"},
            "workloadType": "Deployment",
            "allowed": {"groups": ["developers"], "clusters": ["dev-*"]},
            "auxiliaryResources": aux,
            "auxiliaryResourceDefaults": {r["name"]: True for r in aux},
        },
    }
    (root / "aux.yaml").write_text(yaml.safe_dump(template))
    return root


def kubectl(sim: KubeSim, home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "KUBECACHEDIR": str(home / "cache")}
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(sim.kubeconfig_path), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def contained(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `expected` is not contained in `actual` (the server adds defaults and status, never removes)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a mapping"]
        return [p for k, v in expected.items() for p in contained(v, actual.get(k), f"{path}.{k}")]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items"]
        return [
            p for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for p in contained(e, a, f"{path}[{i}]")
        ]
    if expected in ({}, []) and actual is None:
        return []  # empty maps/lists are omitted by the server
    return [] if expected == actual or str(expected) == str(actual) else [f"{path}: {expected!r} != {actual!r}"]


@pytest.mark.parametrize(("template", "cluster", "groups"), CASES)
def test_preview_applies_and_reads_back(
    sim: KubeSim, catalog: Path, tmp_path: Path, template: str, cluster: str, groups: str
) -> None:
    preview = subprocess.run(
        [DSCTL, "preview", "--catalog", str(catalog), "--template", template, "--cluster", cluster, "--groups", groups, "--user", "alice"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert preview.returncode == 0, preview.stderr
    docs = [d for d in yaml.safe_load_all(preview.stdout) if d]
    assert docs
    if template == "aux-examples":
        assert [d["kind"] for d in docs] == ["NetworkPolicy", "ServiceAccount", "Role", "RoleBinding", "Deployment"]
    namespaces = {d["metadata"]["namespace"] for d in docs}
    for ns in namespaces:
        kubectl(sim, tmp_path, "create", "namespace", ns)
    applied = kubectl(sim, tmp_path, "apply", "-f", "-", stdin=preview.stdout)
    assert applied.returncode == 0, applied.stderr
    assert "Warning" not in applied.stderr
    for doc in docs:
        meta = doc["metadata"]
        live = kubectl(sim, tmp_path, "get", doc["kind"].lower(), meta["name"], "-n", meta["namespace"], "-o", "json")
        assert live.returncode == 0, live.stderr
        assert contained(doc, json.loads(live.stdout)) == []
    for doc in docs:
        kubectl(
            sim, tmp_path, "delete", doc["kind"].lower(), doc["metadata"]["name"], "-n", doc["metadata"]["namespace"]
        )
