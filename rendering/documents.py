"""Multi-document template output: split, parse, and classify the first document.

See docs/behaviour/rendering.md#pod-template-output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from rendering.errors import RenderingError

_SEPARATOR = re.compile(r"^---\s*$", re.MULTILINE)
_WORKLOADS = {"Deployment", "DaemonSet"}


def split_documents(text: str) -> list[str]:
    """Split on lines that are `---`; trim each part; drop empty parts."""
    return [part.strip() for part in _SEPARATOR.split(text) if part.strip()]


def parse_document(text: str, what: str) -> Any:
    """YAML of one document, with the reference's message on failure."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RenderingError(f"YAML parsing failed for {what}: {exc}") from exc


@dataclass
class PodTemplateOutput:
    """A rendered pod template: the PodSpec, pod metadata from a Pod manifest, an optional workload
    manifest (when the first document is a Deployment/DaemonSet), and the extra documents."""

    pod_spec: dict[str, Any]
    pod_labels: dict[str, str] = field(default_factory=dict)
    pod_annotations: dict[str, str] = field(default_factory=dict)
    workload: dict[str, Any] | None = None
    extras: list[dict[str, Any]] = field(default_factory=list)


def classify(text: str) -> PodTemplateOutput:
    """Interpret rendered pod-template output (docs/behaviour/rendering.md#pod-template-output)."""
    docs = split_documents(text)
    if not docs:
        raise RenderingError("pod template produced no documents")
    first = parse_document(docs[0], "document 1")
    if first is None:
        first = {}
    if not isinstance(first, dict):
        raise RenderingError("pod template's first document must be a PodSpec or a Pod/Deployment/DaemonSet manifest")
    out = _first(first)
    if not out.pod_spec.get("containers"):
        raise RenderingError(f"pod template produced a PodSpec with no containers: {_short(out.pod_spec)}")
    for i, text_doc in enumerate(docs[1:], start=2):
        doc = parse_document(text_doc, f"document {i}")
        if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
            raise RenderingError(f"document {i} is not a valid Kubernetes resource (missing apiVersion or kind)")
        out.extras.append(doc)
    return out


def _first(doc: dict[str, Any]) -> PodTemplateOutput:
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if kind is None and api_version is None:
        return PodTemplateOutput(pod_spec=doc)
    if kind == "Pod":
        if api_version != "v1":
            raise RenderingError(f'unsupported apiVersion "{api_version}" for kind Pod: expected v1')
        spec = doc.get("spec")
        if not isinstance(spec, dict):
            raise RenderingError("pod template's Pod manifest has no spec")
        meta = doc.get("metadata") or {}
        return PodTemplateOutput(
            pod_spec=spec,
            pod_labels=dict(meta.get("labels") or {}),
            pod_annotations=dict(meta.get("annotations") or {}),
        )
    if kind in _WORKLOADS:
        if api_version != "apps/v1":
            raise RenderingError(f'unsupported apiVersion "{api_version}" for kind {kind}: expected apps/v1')
        template = (doc.get("spec") or {}).get("template") or {}
        spec = template.get("spec")
        if not isinstance(spec, dict):
            raise RenderingError(f"pod template's {kind} manifest has no spec.template.spec")
        meta = template.get("metadata") or {}
        return PodTemplateOutput(
            pod_spec=spec,
            pod_labels=dict(meta.get("labels") or {}),
            pod_annotations=dict(meta.get("annotations") or {}),
            workload=doc,
        )
    raise RenderingError(
        f'unsupported manifest kind "{kind}" (apiVersion "{api_version}") in templateString: only bare PodSpec, '
        "Pod (v1), Deployment (apps/v1), and DaemonSet (apps/v1) are supported"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
