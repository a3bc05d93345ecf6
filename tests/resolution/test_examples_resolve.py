"""Every whole-manifest example of the spec resolves for a plausible request; snapshots are golden files.

Regenerate after a reviewed change with: UPDATE_GOLDEN=1 .venv/bin/pytest tests/resolution/test_examples_resolve.py
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.catalog.catalog import load_catalog
from domain.resolution.request import CreateSessionRequest
from domain.resolution.resolve import resolve_session
from domain.resolution.resolved import ResolvedSession
from tests.conftest import EXAMPLES, REPO
from tests.resolution.support import NOW, who

GOLDEN = REPO / "tests" / "golden" / "resolution"
MANIFESTS = [
    "04-debugpodtemplate-structured.yaml",
    "05-debugpodtemplate-templatestring.yaml",
    "06-podtemplate-multidoc-pvc.yaml",
    "07-podtemplate-multidoc-configmap-secret.yaml",
    "09-debugsessiontemplate-standard.yaml",
    "30-binding-required-aux-categories.yaml",
    "31-binding-basic.yaml",
    "43-sample-minimal-debug.yaml",
    "44-sample-network-debug.yaml",
    "45-sample-ephemeral-debug.yaml",
    "46-sample-hybrid-debug.yaml",
]
# The seed's samples name no clusters; a plausible world gives them some, and bindings for the templates
# that have no cluster patterns of their own (minimal-debug, ephemeral-debug, hybrid-debug).
WORLD = """
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: ClusterConfig
metadata: {name: production-eu, labels: {environment: production}}
spec: {kubeconfig: {path: /etc/ds/production-eu}}
---
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: ClusterConfig
metadata: {name: production-us, labels: {environment: production}}
spec: {kubeconfig: {path: /etc/ds/production-us}}
---
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: ClusterConfig
metadata: {name: staging-eu, labels: {environment: staging}}
spec: {kubeconfig: {path: /etc/ds/staging-eu}}
---
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: ClusterConfig
metadata: {name: dev-1, labels: {environment: dev}}
spec: {kubeconfig: {path: /etc/ds/dev-1, context: dev-1}}
---
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: DebugSessionClusterBinding
metadata: {name: dev-samples, namespace: breakglass}
spec:
  templateSelector: {matchLabels: {}}
  clusters: [dev-1]
  displayNamePrefix: Dev
"""
REQUESTS: dict[str, tuple[Any, dict[str, Any]]] = {
    "standard-debug": (
        who("alice", "sre-team"),
        {
            "templateRef": "standard-debug",
            "cluster": "staging-eu",
            "reason": "Investigating latency",
            "requestedDuration": "2h",
        },
    ),
    "minimal-debug": (who("dave", "developers"), {"templateRef": "minimal-debug", "cluster": "dev-1"}),
    "network-debug": (
        who("sam", "sre-team"),
        {
            "templateRef": "network-debug",
            "cluster": "production-eu",
            "reason": "Packet loss on node pool",
            "targetNamespace": "breakglass-debug",
        },
    ),
    "ephemeral-debug": (
        who("dave", "developers"),
        {"templateRef": "ephemeral-debug", "cluster": "dev-1", "requestedDuration": "30m"},
    ),
    "hybrid-debug": (
        who("sam", "sre-team"),
        {"templateRef": "hybrid-debug", "cluster": "dev-1", "invitedParticipants": ["peer@example.com"]},
    ),
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("examples")
    for name in MANIFESTS:
        (root / name).write_text((EXAMPLES / name).read_text())
    (root / "world.yaml").write_text(WORLD)
    result = load_catalog([root])
    assert result.errors == []
    return result.catalog


def _golden(name: str, data: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{path.name} differs; review and regenerate with UPDATE_GOLDEN=1"


@pytest.mark.parametrize("template", sorted(REQUESTS))
def test_example_resolves_to_golden_snapshot(catalog: Any, template: str) -> None:
    caller, body = REQUESTS[template]
    resolution = resolve_session(catalog, caller, CreateSessionRequest.model_validate(body), NOW)
    snapshot = resolution.session.model_dump(mode="json", by_alias=True)
    _golden(template, {"session": snapshot, "warnings": resolution.warnings})


def test_every_example_session_template_is_covered(catalog: Any) -> None:
    assert sorted(catalog.session_templates) == sorted(REQUESTS)


@pytest.mark.parametrize("template", sorted(REQUESTS))
def test_resolved_session_round_trips_through_the_temporal_converter(catalog: Any, template: str) -> None:
    caller, body = REQUESTS[template]
    session = resolve_session(catalog, caller, CreateSessionRequest.model_validate(body), NOW).session
    converter = pydantic_data_converter.payload_converter
    payloads = converter.to_payloads([session])
    (back,) = converter.from_payloads(payloads, [ResolvedSession])
    assert back == session
    assert back.model_dump(mode="json") == session.model_dump(mode="json")


def test_golden_files_have_no_strays() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(REQUESTS)


def test_snapshot_facts(catalog: Any) -> None:
    """A few facts of the snapshots, asserted directly so a golden-file refresh cannot hide them."""
    caller, body = REQUESTS["standard-debug"]
    s = resolve_session(catalog, caller, CreateSessionRequest.model_validate(body), NOW).session
    assert s.binding is None  # staging-eu is allowed by the template's own cluster patterns
    assert s.scheduling.selected_option == "standard"
    assert s.approval.required is False  # autoApproveFor.clusters: staging-*
    assert s.pod_template_name == "standard-debug-pod"
    caller, body = REQUESTS["network-debug"]
    s = resolve_session(catalog, caller, CreateSessionRequest.model_validate(body), NOW).session
    assert s.binding is not None
    assert s.binding.ref == "breakglass/sre-production-access"
    assert s.binding.display_name == "SRE Production Debug"
    assert s.approval.required is True
    assert s.approval.approver_groups == ("sre-leads",)
    caller, body = REQUESTS["hybrid-debug"]
    s = resolve_session(catalog, caller, CreateSessionRequest.model_validate(body), NOW).session
    assert s.binding is not None
    assert s.binding.display_name == "Dev - Hybrid Debug"
    assert s.approval.required is False  # autoApproveFor.clusters: dev-*
    assert s.mode == "hybrid"
