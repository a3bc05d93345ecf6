"""The template routes as a caller sees them (no Temporal): binding options per cluster, ready clusters only,
options and variables limited to other groups hidden, the template allowlist shown only to its members,
namespace constraints, errors, and the OpenAPI contract of each answer."""

from __future__ import annotations

from typing import Any

from tests.api.template_support import template_client
from tests.resolution.support import WORLD, catalog_from, who

EXTRA = """
---
kind: DebugSessionClusterBinding
metadata: {name: night, namespace: ops}
spec:
  templateRef: {name: bound}
  clusters: [dev-1]
  displayNamePrefix: Night
  constraints: {maxDuration: 1h, defaultDuration: 30m, maxConcurrentSessions: 1, maxRenewals: 0}
  notification: {enabled: false}
  requiredAuxiliaryResourceCategories: [logging]
  approvalReason: {mandatory: true, description: why}
  impersonation: {serviceAccountRef: {name: night-sa, namespace: ops}}
---
kind: DebugSessionClusterBinding
metadata: {name: netops-only, namespace: ops}
spec:
  templateRef: {name: bound}
  clusters: [dev-2]
  displayName: Netops SRIOV
  schedulingOptions:
    required: true
    options:
      - {name: sriov, displayName: SRIOV, allowedGroups: [netops]}
---
kind: ClusterConfig
metadata: {name: edge-1, labels: {environment: edge, location: fra, site: fra-2, tenant: edge-t}}
spec: {kubeconfig: {path: /k/edge-1}, displayName: Edge One}
---
kind: DebugSessionTemplate
metadata: {name: edge-only}
spec:
  displayName: Edge
  podTemplateRef: {name: pod}
  allowed: {groups: [edge], clusters: ["edge-*"]}
  requiredAuxiliaryResourceCategories: [monitoring]
  requestReason: {mandatory: true}
"""
CATALOG = catalog_from(WORLD + EXTRA)
TOKENS = {
    "sre": who("alice", "sre"),
    "netops": who("nina", "sre", "netops"),
    "everything": who("root", "sre", "netops", "vip", "admins"),
    "prod-only": who("paul", "sre-prod"),
    "edge": who("ed", "edge"),
    "eve": who("eve"),
}
API = template_client(CATALOG, TOKENS, healthy=("dev-1",))
TEMPLATES = "/api/v1/debug-session-templates"


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


async def clusters(template: str, token: str, api: Any = API, query: str = "") -> dict[str, dict[str, Any]]:
    return by_name((await api.get(f"{TEMPLATES}/{template}/clusters{query}", token))["clusters"])


async def test_every_binding_offering_a_cluster_is_a_binding_option() -> None:
    dev1 = (await clusters("bound", "sre"))["dev-1"]
    assert [o["bindingRef"]["name"] for o in dev1["bindingOptions"]] == ["dev-all", "night"]
    # the default (first) binding: the top-level fields are its own
    assert dev1["bindingRef"] == {"name": "dev-all", "namespace": "breakglass"}
    assert dev1["bindingDisplayName"] == "bound"
    assert dev1["requestReason"] == {"mandatory": True, "minLength": 10, "maxLength": 1000}
    assert dev1["constraints"]["maxDuration"] == "8h"
    assert dev1["status"] == {
        "healthy": True,
        "lastChecked": "2026-11-26T12:00:00Z",
        "detail": "kube-apiserver v1.31.0",
    }
    night = dev1["bindingOptions"][1]
    assert night["bindingRef"] == {"name": "night", "namespace": "ops", "displayNamePrefix": "Night"}
    assert night["displayName"] == "Night - bound"
    assert night["constraints"] == {
        "maxDuration": "1h",
        "defaultDuration": "30m",
        "maxRenewals": 0,
        "maxConcurrentSessions": 1,
        "requireApprovalForRenewal": False,
    }
    assert night["notification"] == {"enabled": False}
    assert night["requiredAuxiliaryResourceCategories"] == ["logging"]
    assert night["approvalReason"] == {
        "mandatory": True,
        "mandatoryForRejection": True,
        "description": "why",
        "minLength": 10,
    }
    assert night["impersonation"] == {"enabled": True, "serviceAccount": "night-sa", "namespace": "ops"}
    assert night["approval"] == {"required": False, "approverGroups": [], "approverUsers": [], "canAutoApprove": True}
    assert night["schedulingConstraints"]["summary"] == "Some node labels are restricted; Specific node labels required"
    assert night["namespaceConstraints"]["defaultNamespace"] == "debug-default"
    # bindingName filters on the default binding
    assert list(await clusters("bound", "sre", query="?bindingName=night")) == []
    assert list(await clusters("bound", "sre", query="?bindingName=dev-all&environment=dev")) == ["dev-1", "dev-2"]


async def test_a_binding_whose_required_options_all_belong_to_others_offers_nothing() -> None:
    dev2 = (await clusters("bound", "sre"))["dev-2"]
    assert [o["bindingRef"]["name"] for o in dev2["bindingOptions"]] == ["dev-all"]
    dev2 = (await clusters("bound", "netops"))["dev-2"]
    assert [o["bindingRef"]["name"] for o in dev2["bindingOptions"]] == ["dev-all", "netops-only"]
    assert dev2["bindingOptions"][1]["schedulingOptions"] == {
        "required": True,
        "options": [{"name": "sriov", "displayName": "SRIOV", "default": False}],
    }


async def test_clusters_that_failed_their_health_check_are_neither_listed_nor_counted() -> None:
    api = template_client(CATALOG, TOKENS, unready=("dev-2", "edge-1"), healthy=("dev-1",))
    assert list(await clusters("bound", "sre", api)) == ["dev-1", "staging-1"]
    listed = by_name((await api.get(TEMPLATES, "sre"))["templates"])
    assert (listed["bound"]["availableClusterCount"], listed["bound"]["hasAvailableClusters"]) == (2, True)
    assert listed["basic"]["allowedClusters"] == ["dev-1", "staging-1"]
    assert listed["basic"]["availableClusterCount"] == 2
    # a template whose only cluster is down is listed only on request
    assert "edge-only" not in by_name((await api.get(TEMPLATES, "edge"))["templates"])
    edge = by_name((await api.get(f"{TEMPLATES}?includeUnavailable=true", "edge"))["templates"])["edge-only"]
    assert (edge["hasAvailableClusters"], edge["availableClusterCount"]) == (False, 0)
    assert (await api.get(f"{TEMPLATES}/edge-only/clusters", "edge"))["clusters"] == []
    # never-checked clusters count as ready and show no status
    assert "status" not in (await clusters("bound", "sre", api))["staging-1"]


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_options_and_variables_limited_to_other_groups_are_hidden() -> None:
    sre = await API.get(f"{TEMPLATES}/bound", "sre")
    assert [o["name"] for o in sre["schedulingOptions"]["options"]] == ["standard", "clash", "zone-any"]
    variables = by_name(sre["extraDeployVariables"])
    assert "secret" not in variables
    assert [o["value"] for o in variables["tier"]["options"]] == ["gold", "silver"]
    everything = await API.get(f"{TEMPLATES}/bound", "everything")
    assert [o["name"] for o in everything["schedulingOptions"]["options"]] == ["standard", "sriov", "clash", "zone-any"]
    variables = by_name(everything["extraDeployVariables"])
    assert [o["value"] for o in variables["tier"]["options"]] == ["gold", "silver", "vip"]
    assert "secret" in variables
    for answer in (sre, everything):  # who may use an option or variable is never shown
        parts = [answer["schedulingOptions"], answer["extraDeployVariables"]]
        assert not _keys(parts) & {"allowedGroups", "allowedUsers"}
    listed = by_name((await API.get(TEMPLATES, "sre"))["templates"])["bound"]
    assert listed["schedulingOptions"] == sre["schedulingOptions"]
    assert listed["extraDeployVariables"] == sre["extraDeployVariables"]
    for token in ("sre", "everything"):
        offered = (await clusters("bound", token))["dev-1"]
        assert not _keys(offered) & {"allowedGroups", "allowedUsers"}
    assert [o["name"] for o in offered["schedulingOptions"]["options"]] == ["standard", "sriov", "clash", "zone-any"]


async def test_the_template_allowlist_is_shown_only_to_callers_on_it() -> None:
    basic = await API.get(f"{TEMPLATES}/basic", "sre")
    assert (basic["allowedClusters"], basic["allowedGroups"]) == (["dev-1", "dev-2", "staging-1"], ["sre"])
    bound = await API.get(f"{TEMPLATES}/bound", "sre")
    assert bound["allowedGroups"] == ["sre"]
    assert "allowedClusters" not in bound  # the template names no clusters of its own
    through_binding = await API.get(f"{TEMPLATES}/bound", "prod-only")  # readable through sre-prod only
    assert "allowedGroups" not in through_binding
    assert "allowedClusters" not in through_binding
    assert list(await clusters("bound", "prod-only")) == ["prod-eu"]
    listed = by_name((await API.get(TEMPLATES, "prod-only"))["templates"])
    assert "allowedGroups" not in listed["bound"]
    assert "basic" not in listed


async def test_templates_show_their_namespace_constraints() -> None:
    bound = await API.get(f"{TEMPLATES}/bound", "sre")
    assert bound["namespaceConstraints"] == {
        "allowedPatterns": ["debug-*", "team-*"],
        "allowedLabelSelectors": [{"matchLabels": {"debug-enabled": "true"}, "matchExpressions": []}],
        "deniedPatterns": ["debug-secret*"],
        "deniedLabelSelectors": [{"matchLabels": {"protected": "true"}, "matchExpressions": []}],
        "defaultNamespace": "debug-default",
        "allowUserNamespace": True,
    }
    denied = await API.get(f"{TEMPLATES}/deny-ns", "sre")  # allowed, then denied: no user namespace
    assert denied["namespaceConstraints"]["allowUserNamespace"] is False
    assert denied["namespaceConstraints"]["defaultNamespace"] == "fixed"
    assert "namespaceConstraints" not in await API.get(f"{TEMPLATES}/basic", "sre")


async def test_a_cluster_of_the_template_alone_shows_the_template_settings_and_cluster_labels() -> None:
    edge = (await clusters("edge-only", "edge"))["edge-1"]
    assert edge == {
        "name": "edge-1",
        "displayName": "Edge One",
        "environment": "edge",
        "location": "fra",
        "site": "fra-2",
        "tenant": "edge-t",
        "constraints": {
            "maxDuration": "4h",
            "defaultDuration": "1h",
            "maxConcurrentSessions": 2,
            "requireApprovalForRenewal": False,
        },
        "requiredAuxiliaryResourceCategories": ["monitoring"],
        "approval": {"required": False, "approverGroups": [], "approverUsers": [], "canAutoApprove": True},
    }  # no binding, and (as the original) no reason or notification settings
    assert (await clusters("bound", "sre"))["dev-1"]["tenant"] == "dev"  # no tenant label: the tenant alias


async def test_errors_and_pod_templates() -> None:
    assert (await API.get(f"{TEMPLATES}/nope", "sre", status=404))["error"] == "template not found"
    assert (await API.get(f"{TEMPLATES}/basic", "eve", status=403))["error"] == "access denied to this template"
    assert (await API.get(f"{TEMPLATES}/basic/clusters", "eve", status=403))["code"] == "FORBIDDEN"
    # templates whose allowlist names nobody are open to everyone
    assert [t["name"] for t in (await API.get(TEMPLATES, "eve"))["templates"]] == ["deny-ns", "fixed-ns", "open"]
    assert (await API.response(TEMPLATES)).status_code == 401
    pods = await API.get("/api/debugSessions/podTemplates", "eve")
    assert pods == {
        "templates": [{"name": "pod", "displayName": "", "description": "", "containers": 1}],
        "total": 1,
    }
    assert (await API.get("/api/v1/debug-pod-templates/pod", "eve"))["containers"] == 1
    assert (await API.get("/api/v1/debug-pod-templates/nope", "eve", status=404))["error"] == "pod template not found"
    same = await API.get("/api/debugSessions/templates/bound/clusters", "sre")
    assert same == await API.get(f"{TEMPLATES}/bound/clusters", "sre")


async def test_the_openapi_document_describes_each_answer() -> None:
    resp = await API.response("/openapi.json")
    document = resp.json()
    schemas = document["components"]["schemas"]

    def ok_schema(path: str) -> dict[str, Any]:
        ref = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        schema: dict[str, Any] = schemas[ref.rsplit("/", 1)[1]]
        return schema

    for prefix in ("/api/v1/debug-session-templates", "/api/debugSessions/templates"):
        assert "templates" in ok_schema(prefix)["properties"]
        template = ok_schema(prefix + "/{name}")
        assert {"namespaceConstraints", "allowedClusters", "allowedGroups", "availableClusterCount"} <= set(
            template["properties"]
        )
        assert template["examples"]
        picker = ok_schema(prefix + "/{name}/clusters")
        assert picker["examples"]
        assert "clusters" in picker["properties"]
        for status in ("403", "404", "503"):
            assert status in document["paths"][prefix + "/{name}"]["get"]["responses"]
            assert status in document["paths"][prefix + "/{name}/clusters"]["get"]["responses"]
    for prefix in ("/api/v1/debug-pod-templates", "/api/debugSessions/podTemplates"):
        assert "templates" in ok_schema(prefix)["properties"]
        assert "containers" in ok_schema(prefix + "/{name}")["properties"]
        assert "404" in document["paths"][prefix + "/{name}"]["get"]["responses"]
    cluster = schemas["AvailableClusterView"]["properties"]
    assert {"bindingOptions", "bindingRef", "site", "tenant", "status", "schedulingConstraints"} <= set(cluster)
    assert "displayNamePrefix" in schemas["BindingRefView"]["properties"]
    option = schemas["BindingOptionView"]["properties"]
    assert {"requestReason", "approvalReason", "notification", "requiredAuxiliaryResourceCategories"} <= set(option)
