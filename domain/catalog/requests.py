"""DebugSession documents (what a user asks for) checked as requests, offline: `dsctl validate` of a
session manifest before `dsctl session create -f` sends it.

The document's fields against the DebugSession model (unknown fields, types), its durations, and, when a
catalog is given, that the template, the cluster (name or tenant alias) and the binding exist. Whether the
requester may use them is the API's decision (it knows who asks); this check never guesses it.
"""

from __future__ import annotations

from domain.catalog.catalog import Catalog
from domain.diagnostics import Finding, error
from domain.durations import DurationError, parse_duration
from domain.session import DebugSession


def request_findings(session: DebugSession, catalog: Catalog | None) -> list[Finding]:
    """What is wrong with `session` as a create request (empty: it would be admitted as far as the
    catalog can tell)."""
    spec = session.spec
    findings: list[Finding] = []
    if spec.requested_duration:
        try:
            if parse_duration(spec.requested_duration).total_seconds() <= 0:
                findings.append(error("spec.requestedDuration", "must be positive"))
        except DurationError as exc:
            findings.append(error("spec.requestedDuration", str(exc)))
    if catalog is None:
        return findings
    if spec.template_ref not in catalog.session_templates:
        findings.append(error("spec.templateRef", f'no DebugSessionTemplate "{spec.template_ref}" in the catalog'))
    tenants = {c.spec.tenant for c in catalog.clusters.values() if c.spec.tenant}
    if spec.cluster not in catalog.clusters and spec.cluster not in tenants:
        findings.append(error("spec.cluster", f'no ClusterConfig (or tenant alias) "{spec.cluster}" in the catalog'))
    if spec.binding_ref is not None and f"{spec.binding_ref.namespace}/{spec.binding_ref.name}" not in catalog.bindings:
        ref = f"{spec.binding_ref.namespace}/{spec.binding_ref.name}"
        findings.append(error("spec.bindingRef", f'no DebugSessionClusterBinding "{ref}" in the catalog'))
    return findings
