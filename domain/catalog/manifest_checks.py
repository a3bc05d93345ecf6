"""Checks on Go-template strings that admission can do without rendering: syntax and first-document shape."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import yaml

from domain.diagnostics import Finding, error, warning
from templating.context import RenderInputs, build_context
from templating.engine import render
from templating.errors import TemplateRenderError
from templating.functions import ALL_FUNCTIONS
from templating.goparse import TemplateSyntaxError, parse

_SAMPLE_TIME = datetime(2026, 1, 1, tzinfo=UTC)

_DOC_SEPARATOR = re.compile(r"^---\s*$", re.MULTILINE)
_WORKLOAD_KINDS = {("Pod", "v1"), ("Deployment", "apps/v1"), ("DaemonSet", "apps/v1")}


def go_syntax(text: str, path: str, name: str) -> list[Finding]:
    """An error if `text` is not a valid Go template with the Sprig + breakglass function set."""
    try:
        parse(name, text, ALL_FUNCTIONS)
    except TemplateSyntaxError as exc:
        return [error(path, f"invalid Go template syntax: {exc}")]
    return []


def pod_template_first_document(text: str, path: str, workload_type: str | None = None) -> list[Finding]:
    """Check the first document of a pod template string, when it contains no template action.

    It must be YAML: a bare PodSpec, or a Pod (v1), Deployment (apps/v1) or DaemonSet (apps/v1). A
    Deployment/DaemonSet whose kind differs from the template's workloadType gets a warning.
    """
    first = _DOC_SEPARATOR.split(text, maxsplit=1)[0]
    if "{{" in first:
        return []  # only a render can tell; the dry-run render belongs to the rendering engine
    try:
        data = yaml.safe_load(first)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return [error(path, f"first document is not valid YAML{where}: {getattr(exc, 'problem', exc)}")]
    if data is None:
        return []
    if not isinstance(data, dict):
        return [error(path, "first document must be a PodSpec (a mapping) or a Pod/Deployment/DaemonSet manifest")]
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if api_version is None and kind is None:
        return []
    if api_version is None or kind is None:
        missing = "apiVersion" if api_version is None else "kind"
        return [
            error(
                path,
                f"first document has {'kind' if missing == 'apiVersion' else 'apiVersion'} "
                f"but no {missing}: give both, or neither for a bare PodSpec",
            )
        ]
    if (kind, api_version) not in _WORKLOAD_KINDS:
        return [
            error(
                path,
                f'unsupported kind "{kind}" (apiVersion "{api_version}"): only bare PodSpec, Pod (v1), '
                "Deployment (apps/v1), and DaemonSet (apps/v1) are supported",
            )
        ]
    if workload_type is not None and kind in ("Deployment", "DaemonSet") and kind != workload_type:
        return [
            warning(
                path,
                f"templateString produces a {kind} but workloadType is {workload_type}: these must match",
            )
        ]
    return []


def dry_run(text: str, path: str, name: str, variables: Mapping[str, str] | None = None) -> list[Finding]:
    """Render with a sample session (vars from their defaults, else `PLACEHOLDER`); problems are warnings.

    A sample cannot prove a template right or wrong for every session, so nothing here rejects: it
    tells the admin what a typical session would hit (docs/behaviour/catalog.md#pod-template-strings).
    """
    inputs = RenderInputs(
        session_name="debug-sample-user-sample-cluster-0",
        session_namespace="breakglass",
        cluster="sample-cluster",
        requested_by="sample-user",
        reason="sample reason",
        target_namespace="breakglass-debug",
        template_name="sample-template",
        vars=dict(variables or {}),
        now=_SAMPLE_TIME,
    )
    try:
        out = render(name, text, build_context(inputs), now=_SAMPLE_TIME)
    except (TemplateRenderError, TemplateSyntaxError) as exc:
        return [warning(path, f"a sample render fails: {exc}")]
    for i, doc in enumerate((d for d in _DOC_SEPARATOR.split(out) if d.strip()), start=1):
        try:
            yaml.safe_load(doc)
        except yaml.YAMLError as exc:
            return [
                warning(path, f"a sample render gives invalid YAML in document {i}: {getattr(exc, 'problem', exc)}")
            ]
    return []
