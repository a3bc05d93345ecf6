"""The data templates render with, in both spellings (docs/behaviour/rendering.md#render-context).

Lowercase keys are the reference's context; the capitalised ones (`.Session.Name`, `.Target.Namespace`,
`.Vars.x`) are what the seed's auxiliary-resource examples use, so both resolve (DESIGN decision 9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "breakglass"
SESSION_LABEL = "breakglass.t-caas.telekom.com/session"
SESSION_CLUSTER_LABEL = "breakglass.t-caas.telekom.com/session-cluster"
CREATED_BY_ANNOTATION = "breakglass.t-caas.telekom.com/created-by"

# Step 1: CRLF first so that it becomes one space, then every single line terminator.
_LINE_TERMINATORS = re.compile("\r\n|[\n\r\u0085\u2028\u2029]")
# Step 2: a YAML document marker at the very start, followed by end, space or tab.
_DOCUMENT_MARKER = re.compile(r"(?:---|\.\.\.)(?:$|[ \t])")


def sanitize_var(value: str) -> str:
    """Make a variable value safe to interpolate into YAML (docs/behaviour/rendering.md#variable-sanitising)."""
    text = _LINE_TERMINATORS.sub(" ", value)
    if _DOCUMENT_MARKER.match(text):
        text = " " + text
    return text


def rfc3339(t: datetime) -> str:
    """Go's time.RFC3339 of t in UTC (whole seconds, 'Z')."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, kw_only=True)
class RenderInputs:
    """Everything a render context is built from; auxiliary=False gives the pod-template context."""

    session_name: str
    session_namespace: str
    cluster: str
    requested_by: str
    reason: str = ""
    approved_by: str | None = None
    expires_at: datetime | None = None
    target_namespace: str
    template_name: str
    template_display_name: str = ""
    binding_name: str | None = None
    binding_namespace: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    now: datetime
    enabled_resources: list[str] | None = None
    auxiliary: bool = False


def build_context(inputs: RenderInputs) -> dict[str, Any]:
    """The render data (absent keys really absent, so they print <no value>)."""
    session: dict[str, Any] = {
        "name": inputs.session_name,
        "namespace": inputs.session_namespace,
        "cluster": inputs.cluster,
        "requestedBy": inputs.requested_by,
        "reason": inputs.reason,
        "expiresAt": rfc3339(inputs.expires_at) if inputs.expires_at is not None else "",
    }
    if inputs.approved_by:
        session["approvedBy"] = inputs.approved_by
    template: dict[str, Any] = {"name": inputs.template_name}
    if inputs.template_display_name:
        template["displayName"] = inputs.template_display_name
    labels = {
        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
        SESSION_LABEL: inputs.session_name,
        SESSION_CLUSTER_LABEL: inputs.cluster,
    }
    annotations = {CREATED_BY_ANNOTATION: inputs.requested_by}
    variables = {k: sanitize_var(v) for k, v in inputs.vars.items()}
    now = rfc3339(inputs.now)
    ctx: dict[str, Any] = {
        "session": session,
        "target": {"namespace": inputs.target_namespace, "clusterName": inputs.cluster},
        "template": template,
        "labels": labels,
        "annotations": annotations,
        "now": now,
        # Pod templates get null; auxiliary resources the names of the enabled resources.
        "enabledResources": list(inputs.enabled_resources or []) if inputs.auxiliary else None,
    }
    if variables:
        ctx["vars"] = variables
    # The binding is populated for auxiliary resources only (the reference never fills it for pods).
    binding: dict[str, Any] | None = None
    if inputs.auxiliary and inputs.binding_name is not None:
        binding = {"name": inputs.binding_name, "namespace": inputs.binding_namespace or ""}
        ctx["binding"] = binding

    # The capitalised spelling of the seed's examples: same values, separate dicts.
    spec: dict[str, Any] = {
        "Cluster": inputs.cluster,
        "User": inputs.requested_by,
        "TargetNamespace": inputs.target_namespace,
        "Reason": inputs.reason,
        "TemplateRef": inputs.template_name,
    }
    ctx["Session"] = {"Name": inputs.session_name, "Namespace": inputs.session_namespace, "Spec": spec}
    ctx["Target"] = {"Namespace": inputs.target_namespace, "ClusterName": inputs.cluster}
    cap_template: dict[str, Any] = {"Name": inputs.template_name}
    if inputs.template_display_name:
        cap_template["DisplayName"] = inputs.template_display_name
    ctx["Template"] = cap_template
    if binding is not None:
        ctx["Binding"] = {"Name": binding["name"], "Namespace": binding["namespace"]}
    ctx["Labels"] = dict(labels)
    ctx["Annotations"] = dict(annotations)
    ctx["Now"] = now
    if variables:
        ctx["Vars"] = dict(variables)
    return ctx
