"""Label and annotation keys, and how label layers merge (docs/behaviour/rendering.md#labels-and-annotations)."""

from __future__ import annotations

from collections.abc import Mapping

SESSION = "breakglass.telekom.com/debug-session"
TEMPLATE = "breakglass.telekom.com/debug-template"
CLUSTER = "breakglass.telekom.com/debug-cluster"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "breakglass"

AUX_SESSION = "breakglass.t-caas.telekom.com/session"
AUX_CLUSTER = "breakglass.t-caas.telekom.com/session-cluster"
AUX_RESOURCE = "breakglass.t-caas.telekom.com/auxiliary-resource"
POD_TEMPLATE_RESOURCE = "breakglass.t-caas.telekom.com/pod-template-resource"
CREATED_BY = "breakglass.t-caas.telekom.com/created-by"
SOURCE_SESSION = "breakglass.t-caas.telekom.com/source-session"


def session_labels(session: str, template: str, cluster: str) -> dict[str, str]:
    """The three controller-owned labels every workload, pod, ResourceQuota and PDB carries."""
    return {SESSION: session, TEMPLATE: template, CLUSTER: cluster}


def layered(reserved: Mapping[str, str], *layers: Mapping[str, str]) -> dict[str, str]:
    """Later layers win, but the reserved keys are re-asserted last so no layer can spoof them."""
    out: dict[str, str] = {}
    for layer in layers:
        out.update({k: v for k, v in layer.items() if k not in reserved})
    out.update(reserved)
    return out


def extra_resource_labels(session: str, cluster: str, marker: Mapping[str, str]) -> dict[str, str]:
    """Labels of pod-template extra documents and auxiliary resources."""
    return {MANAGED_BY: MANAGED_BY_VALUE, AUX_SESSION: session, AUX_CLUSTER: cluster, **marker}
