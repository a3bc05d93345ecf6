"""The generated table of embedded Kubernetes types matches the installed client, and covers every model."""

from __future__ import annotations

import importlib.util
from typing import Any

from pydantic import BaseModel

import domain.binding
import domain.cluster
import domain.pod_template
import domain.session
import domain.session_template
from domain import k8s
from tests.conftest import REPO


def test_generated_table_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_k8s_schema", REPO / "tools" / "gen_k8s_schema.py")
    assert spec is not None
    assert spec.loader is not None
    gen: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (REPO / "domain" / "k8s_schema.json").read_text() == gen.render(), (
        "domain/k8s_schema.json is stale: run .venv/bin/python tools/gen_k8s_schema.py"
    )


def _models(root: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if root in seen:
        return
    seen.add(root)
    for field in root.model_fields.values():
        for arg in _flatten(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)


def _flatten(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", ())
    return [annotation, *[a for arg in args for a in _flatten(arg)]]


def test_every_k8s_type_marker_names_a_known_type() -> None:
    models: set[type[BaseModel]] = set()
    for root in (
        domain.pod_template.DebugPodTemplate,
        domain.session_template.DebugSessionTemplate,
        domain.binding.DebugSessionClusterBinding,
        domain.cluster.ClusterConfig,
        domain.session.DebugSession,
    ):
        _models(root, models)
    markers = [
        m.ref for model in models for f in model.model_fields.values() for m in f.metadata if isinstance(m, k8s.K8sType)
    ]
    assert len(markers) >= 15
    unknown = [ref for ref in markers if not k8s.known_type(ref)]
    assert unknown == []


def test_wrong_shapes_are_errors_and_unknown_fields_warnings() -> None:
    cleaned, findings = k8s.check({"containers": "nope", "hostPID": "yes", "zzz": 1}, "V1PodSpec", "spec")
    assert [(f.path, f.message, f.severity) for f in findings] == [
        ("spec.containers", "must be a list, got a string", "error"),
        ("spec.hostPID", "must be a boolean (true or false), got a string", "error"),
        ("spec.zzz", 'unknown field "zzz" (not part of PodSpec); it is ignored', "warning"),
    ]
    assert "zzz" not in cleaned
