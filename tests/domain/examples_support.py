"""Turning the spec's YAML examples into loadable catalogs (fragments go inside a minimal parent)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from domain.base import API_VERSION

SUPPORT_POD_TEMPLATE = "example-pod"
SUPPORT_TEMPLATE = "example-template"
SUPPORT_CLUSTER = "example-cluster"

_SHAPE = re.compile(r"^# Shape: (.+)$", re.MULTILINE)


def shape_of(path: Path) -> str:
    """The `# Shape:` header of an example file."""
    m = _SHAPE.search(path.read_text())
    assert m, f"{path.name} has no '# Shape:' header"
    return m.group(1).strip()


def minimal_parent(kind: str, name: str) -> dict[str, Any]:
    """The smallest valid resource of `kind` that a fragment is laid into."""
    spec: dict[str, Any]
    if kind == "DebugSessionTemplate":
        spec = {"podTemplateRef": {"name": SUPPORT_POD_TEMPLATE}}
    elif kind == "DebugSessionClusterBinding":
        spec = {"templateRef": {"name": SUPPORT_TEMPLATE}, "clusters": [SUPPORT_CLUSTER]}
    elif kind == "DebugPodTemplate":
        spec = {}
    else:
        raise AssertionError(f"no minimal parent for {kind}")
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def wrap_fragment(shape: str, fragment: Any, name: str) -> dict[str, Any]:
    """Place a fragment where its shape says it belongs, inside a minimal parent."""
    m = re.match(r"fragment of (\w+)(?: \(a top-level spec: block\))?(?:\.(\S+))?$", shape)
    assert m, f"unknown shape {shape!r}"
    kind, path = m.group(1), m.group(2)
    doc = minimal_parent(kind, name)
    if path is None:  # "(a top-level spec: block)": the fragment starts with spec:
        assert set(fragment) == {"spec"}, shape
        doc["spec"].update(fragment["spec"])
        return doc
    parts = path.split(".")
    assert parts[0] == "spec", shape
    target = doc["spec"]
    for part in parts[1:]:
        target = target.setdefault(part, {})
    target.update(fragment)
    return doc


def support_documents(kubeconfig: Path) -> list[dict[str, Any]]:
    """What fragments refer to: a pod template, a session template and a cluster."""
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "DebugPodTemplate",
            "metadata": {"name": SUPPORT_POD_TEMPLATE},
            "spec": {"template": {"spec": {"containers": [{"name": "debug", "image": "busybox"}]}}},
        },
        minimal_parent("DebugSessionTemplate", SUPPORT_TEMPLATE),
        {
            "apiVersion": API_VERSION,
            "kind": "ClusterConfig",
            "metadata": {"name": SUPPORT_CLUSTER},
            "spec": {"kubeconfig": {"path": str(kubeconfig)}},
        },
    ]


def dump_all(docs: list[Any]) -> str:
    """YAML text of several documents."""
    return yaml.safe_dump_all(docs, sort_keys=False)
