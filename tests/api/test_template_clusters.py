"""The cluster picker's per-cluster details (built from the catalog for the caller; no Temporal)."""

from __future__ import annotations

from typing import Any

from tests.api.template_support import template_client
from tests.resolution.support import WORLD, catalog_from, who

CATALOG = catalog_from(
    WORLD.replace(
        "  maxActiveSessionsPerUser: 1",
        "  maxActiveSessionsPerUser: 1\n  impersonation: {serviceAccountRef: {name: deployer, namespace: ops}}",
    )
)
CLIENT = template_client(CATALOG, {"prod": who("alice", "sre", "sre-prod"), "sre": who("alice", "sre")})


async def _clusters(token: str) -> list[dict[str, Any]]:
    clusters: list[dict[str, Any]] = (await CLIENT.get("/api/v1/debug-session-templates/bound/clusters", token))[
        "clusters"
    ]
    return clusters


async def test_binding_cluster_shows_constraints_namespaces_impersonation_and_approval() -> None:
    clusters = {c["name"]: c for c in await _clusters("prod")}
    prod = clusters["prod-eu"]
    assert prod["bindingRef"] == {"name": "sre-prod", "namespace": "breakglass"}
    # the template's constraints with the binding's durations (the original shows the whole object)
    assert prod["constraints"] == {
        "maxDuration": "2h",
        "defaultDuration": "30m",
        "maxRenewals": 5,
        "maxConcurrentSessions": 2,
        "requireApprovalForRenewal": False,
    }
    assert prod["namespaceConstraints"] == {
        "allowedPatterns": ["debug-*", "team-*"],
        "allowedLabelSelectors": [{"matchLabels": {"debug-enabled": "true"}, "matchExpressions": []}],
        "deniedPatterns": ["debug-secret*"],
        "deniedLabelSelectors": [{"matchLabels": {"protected": "true"}, "matchExpressions": []}],
        "defaultNamespace": "debug-default",
        "allowUserNamespace": True,
    }
    assert prod["impersonation"] == {"enabled": True, "serviceAccount": "deployer", "namespace": "ops"}
    assert prod["approval"] == {
        "required": True,
        "approverGroups": ["security"],
        "approverUsers": [],
        "canAutoApprove": False,
    }
    # dev clusters come through the dev-all binding, whose empty approver set means auto-approval
    assert clusters["dev-1"]["approval"]["canAutoApprove"] is True
    assert "lab" not in clusters  # its binding is disabled


async def test_a_caller_outside_the_binding_sees_only_what_admits_them() -> None:
    names = [c["name"] for c in await _clusters("sre")]
    assert names == ["dev-1", "dev-2", "staging-1"]  # not prod-eu: that binding admits sre-prod only
