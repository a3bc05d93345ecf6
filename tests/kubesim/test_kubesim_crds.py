"""Custom resources as kube-apiserver serves them: deploy/crds applied with real kubectl, then used through
kubectl and the official client (discovery, CRUD, selectors, watch, server-side apply, status subresource,
printer columns, schema validation, defaulting, pruning and fieldValidation)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import client
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

from kubesim.sim import KubeSim
from tests.conftest import EXAMPLES, REPO
from tests.kubesim.kubesim_support import Kubectl, k8s_config, k8s_dynamic, wait_for

pytestmark = pytest.mark.e2e

GROUP = "breakglass.t-caas.telekom.com"
VERSION = "v1alpha1"
CRDS = REPO / "deploy" / "crds"
DEMO = REPO / "deploy" / "demo-catalog"
watch_module: Any = k8s_watch


def _status(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body or "{}")
    return body


def _template(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "DebugSessionTemplate",
        "metadata": {"name": name},
        "spec": {"podTemplateRef": {"name": "minimal-debug-pod"}, **spec},
    }


def _table(text: str) -> list[list[str]]:
    """kubectl's columns, split on runs of two or more spaces (cells may contain single spaces)."""
    return [[c.strip() for c in line.split("  ") if c.strip()] for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def custom(api_client: Any) -> Any:
    """CustomObjectsApi."""
    return client.CustomObjectsApi(api_client)


@pytest.fixture(scope="module")
def crds(kubectl: Kubectl) -> str:
    """The generated CRDs applied with kubectl to a cluster whose discovery kubectl has already cached."""
    kubectl.run("get", "nodes")  # warm kubectl's discovery cache before the CRDs exist
    proc = kubectl.run("apply", "-f", str(CRDS))
    kubectl.run("create", "namespace", "breakglass")
    return str(proc.stdout)


@pytest.fixture(scope="module")
def demo(crds: str, kubectl: Kubectl) -> str:
    """The demo catalog applied after the CRDs."""
    return str(kubectl.run("apply", "-f", str(DEMO)).stdout)


# --- discovery -------------------------------------------------------------------------------------------


def test_crds_are_served_the_moment_kubectl_applies_them(crds: str, kubectl: Kubectl, http: httpx.Client) -> None:
    assert sorted(line.split()[0] for line in crds.splitlines()) == sorted(
        f"customresourcedefinition.apiextensions.k8s.io/{p}.{GROUP}"
        for p in (
            "clusterconfigs",
            "debugpodtemplates",
            "debugsessionclusterbindings",
            "debugsessions",
            "debugsessiontemplates",
        )
    )
    # right away, with kubectl's cached discovery from before the CRDs
    assert kubectl.run("get", "debugsessiontemplates").stderr.strip() == "No resources found"
    groups = http.get("/apis").json()["groups"]
    ours = next(g for g in groups if g["name"] == GROUP)
    assert ours["preferredVersion"] == {"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}
    assert http.get(f"/apis/{GROUP}").json()["versions"] == [{"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}]
    listed = {r["name"]: r for r in http.get(f"/apis/{GROUP}/{VERSION}").json()["resources"]}
    assert sorted(listed) == sorted(
        f"{p}{sub}"
        for p in (
            "clusterconfigs",
            "debugpodtemplates",
            "debugsessionclusterbindings",
            "debugsessions",
            "debugsessiontemplates",
        )
        for sub in ("", "/status")
    )
    assert listed["debugsessionclusterbindings"]["namespaced"] is True
    assert listed["debugsessiontemplates"]["namespaced"] is False
    assert listed["debugsessiontemplates"]["shortNames"] == ["dst"]
    assert listed["debugsessions"]["categories"] == ["breakglass"]
    aggregated = http.get(
        "/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}
    )
    item = next(i for i in aggregated.json()["items"] if i["metadata"].get("name") == GROUP)
    scopes = {r["resource"]: r["scope"] for r in item["versions"][0]["resources"]}
    assert scopes["debugsessions"] == "Namespaced"
    assert scopes["clusterconfigs"] == "Cluster"
    proc = kubectl.run(
        "wait", "--for=condition=Established", "crd", "-l", "app.kubernetes.io/name=debug-sessions", "--timeout=20s"
    )
    assert proc.stdout.count("condition met") == 5


def test_kubectl_explain_reads_the_published_schema(crds: str, kubectl: Kubectl) -> None:
    out = kubectl.run("explain", "debugsessiontemplates.spec.workloadType").stdout
    assert "Absent means DaemonSet." in out
    assert "DaemonSet" in out.split("ENUM:")[1]


# --- the demo catalog and the seed's manifests ----------------------------------------------------------


def test_the_demo_catalog_applies_and_lists_with_printer_columns(demo: str, kubectl: Kubectl) -> None:
    assert "debugsessiontemplate.breakglass.t-caas.telekom.com/hybrid-debug created" in demo
    assert "clusterconfig.breakglass.t-caas.telekom.com/dev-1 created" in demo
    assert "debugsessionclusterbinding.breakglass.t-caas.telekom.com/sre-production-access created" in demo
    rows = _table(kubectl.run("get", "debugsessiontemplates").stdout)
    assert rows[0] == ["NAME", "DISPLAY NAME", "MODE", "TARGET NAMESPACE", "AGE"]
    by_name = {r[0]: r for r in rows[1:]}
    assert sorted(by_name) == ["dynamic-debug", "ephemeral-debug", "hybrid-debug", "minimal-debug", "network-debug"]
    assert by_name["hybrid-debug"][1:4] == ["Hybrid Debug", "hybrid", "breakglass-debug"]
    assert by_name["ephemeral-debug"][2] == "kubectl-debug"
    wide = _table(kubectl.run("get", "dst", "-o", "wide").stdout)
    assert wide[0][-4:] == ["WORKLOAD", "POD TEMPLATE", "HIDDEN", "DEPRECATED"]
    assert {r[0]: r[-4:] for r in wide[1:]}["network-debug"] == ["DaemonSet", "network-debug-pod", "false", "false"]
    bindings = _table(kubectl.run("get", "dscb", "-A").stdout)
    assert bindings[0] == ["NAMESPACE", "NAME", "TEMPLATE", "CLUSTERS", "AGE"]
    assert bindings[2][:4] == ["breakglass", "sre-production-access", "network-debug", '["prod-eu"]']
    clusters = _table(kubectl.run("get", "clusterconfigs").stdout)
    assert [r[:3] for r in clusters] == [
        ["NAME", "TENANT", "ENVIRONMENT"],
        ["dev-1", "dev", "dev"],
        ["prod-eu", "prod", "production"],
    ]
    everything = kubectl.run("get", "breakglass", "-A", "-o", "name").stdout.split()
    assert len(everything) == 5 + 5 + 2 + 2  # pod templates, templates, bindings, clusters
    again = kubectl.run("apply", "-f", str(DEMO)).stdout
    assert again.count("unchanged") == 14, "server-side defaults must not show up as changes"


def test_every_seed_manifest_applies(demo: str, kubectl: Kubectl, custom: Any) -> None:
    files = [
        p
        for p in sorted(EXAMPLES.glob("*.yaml"))
        if any(
            isinstance(d, dict) and d.get("apiVersion") == f"{GROUP}/{VERSION}"
            for d in yaml.safe_load_all(p.read_text())
        )
    ]
    assert len(files) == 12
    args = [arg for p in files for arg in ("-f", str(p))]
    # kubectl validates strictly by default, and the seed puts terminal sharing's `method` inside
    # podDisruptionBudget in example 09: refused, as a real cluster would, until validation only warns.
    strict = kubectl.run("apply", *args, check=False)
    assert strict.returncode == 1
    assert strict.stderr.strip() == (
        f'Error from server (BadRequest): error when creating "{files[4]}": DebugSessionTemplate in version '
        '"v1alpha1" cannot be handled as a DebugSessionTemplate: strict decoding error: unknown field '
        '"spec.podDisruptionBudget.method"'
    )
    proc = kubectl.run("apply", "--validate=warn", *args)
    assert proc.stderr.strip() == 'Warning: unknown field "spec.podDisruptionBudget.method"'
    session = custom.get_namespaced_custom_object(GROUP, VERSION, "breakglass", "debugsessions", "debug-session-abc123")
    assert session["spec"]["requestedDuration"] == "2h"
    assert "status" not in session  # the status subresource owns it: a create drops it
    network = custom.get_cluster_custom_object(GROUP, VERSION, "debugsessiontemplates", "network-debug")
    assert network["spec"]["terminalSharing"] == {
        "enabled": True,
        "method": "tmux",
        "maxParticipants": 5,
        "readOnlyParticipants": False,
    }


# --- validation, defaulting, pruning ---------------------------------------------------------------------


def test_broken_manifests_get_the_apiservers_invalid_status(crds: str, custom: Any, kubectl: Kubectl) -> None:
    with pytest.raises(ApiException) as caught:
        custom.create_cluster_custom_object(GROUP, VERSION, "debugsessiontemplates", _template("x", mode="bogus"))
    status = _status(caught.value)
    assert caught.value.status == 422
    assert status["reason"] == "Invalid"
    assert status["message"] == (
        f'DebugSessionTemplate.{GROUP} "x" is invalid: spec.mode: Unsupported value: "bogus": supported values: '
        '"workload", "kubectl-debug", "hybrid"'
    )
    assert status["details"] == {
        "name": "x",
        "group": GROUP,
        "kind": "DebugSessionTemplate",
        "causes": [
            {
                "reason": "FieldValueNotSupported",
                "message": 'Unsupported value: "bogus": supported values: "workload", "kubectl-debug", "hybrid"',
                "field": "spec.mode",
            }
        ],
    }
    with pytest.raises(ApiException) as caught:
        custom.create_cluster_custom_object(
            GROUP,
            VERSION,
            "clusterconfigs",
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "ClusterConfig",
                "metadata": {"name": "c"},
                "spec": {"tenant": "t"},
            },
        )
    assert _status(caught.value)["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.kubeconfig"}
    ]
    bad = "\n".join(
        [
            f"apiVersion: {GROUP}/{VERSION}",
            "kind: DebugSessionTemplate",
            "metadata: {name: broken}",
            "spec:",
            "  mode: bogus",
            '  replicas: "two"',
            "  schedulingOptions: {options: [{name: Bad_Name}]}",
        ]
    )
    proc = kubectl.run("apply", "-f", "-", stdin=bad, check=False)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        'The DebugSessionTemplate "broken" is invalid: ',
        '* spec.mode: Unsupported value: "bogus": supported values: "workload", "kubectl-debug", "hybrid"',
        '* spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        '* spec.schedulingOptions.options[0].name: Invalid value: "Bad_Name": spec.schedulingOptions.options[0].name '
        "in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
    ]


def test_defaults_are_filled_in_except_where_presence_means_something(crds: str, custom: Any) -> None:
    created = custom.create_cluster_custom_object(
        GROUP,
        VERSION,
        "debugsessiontemplates",
        _template("defaulted", constraints={"maxRenewals": 1}, terminalSharing={}),
    )
    spec = created["spec"]
    assert (spec["mode"], spec["targetNamespace"], spec["failMode"], spec["priority"]) == (
        "workload",
        "breakglass-debug",
        "closed",
        0,
    )
    assert "replicas" not in spec
    assert spec["constraints"] == {"maxRenewals": 1}  # a binding's unstated constraints are not overrides
    assert spec["terminalSharing"] == {"enabled": False, "maxParticipants": 5, "readOnlyParticipants": False}
    binding = custom.create_namespaced_custom_object(
        GROUP,
        VERSION,
        "breakglass",
        "debugsessionclusterbindings",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "DebugSessionClusterBinding",
            "metadata": {"name": "restricting"},
            "spec": {
                "templateRef": {"name": "defaulted"},
                "clusters": ["dev-1"],
                "allowedPodOperations": {"exec": False},
            },
        },
    )
    assert binding["spec"]["allowedPodOperations"] == {"exec": False}
    assert binding["spec"]["disabled"] is False


def test_unknown_fields_are_pruned_warned_about_or_refused(
    crds: str, custom: Any, http: httpx.Client, kubectl: Kubectl
) -> None:
    body = _template("pruned", surprise=1)
    body["spec"]["schedulingConstraints"] = {"tolerations": [{"operator": "Exists", "custom": "kept"}], "extra": True}
    created = custom.create_cluster_custom_object(GROUP, VERSION, "debugsessiontemplates", body)
    assert "surprise" not in created["spec"]
    # embedded Kubernetes types keep what they are given: the catalog checks them and warns
    assert created["spec"]["schedulingConstraints"] == {"tolerations": [{"operator": "Exists", "custom": "kept"}]}
    url = f"/apis/{GROUP}/{VERSION}/debugsessiontemplates"
    warned = http.post(url, json=_template("warned", surprise=1))
    assert warned.status_code == 201
    assert warned.headers["Warning"] == '299 - "unknown field \\"spec.surprise\\""'
    quiet = http.post(url, params={"fieldValidation": "Ignore"}, json=_template("quiet", surprise=1))
    assert quiet.status_code == 201
    assert "Warning" not in quiet.headers
    strict = http.post(url, params={"fieldValidation": "Strict"}, json=_template("strict", surprise=1, other=2))
    assert strict.status_code == 400
    assert strict.json()["reason"] == "BadRequest"
    assert strict.json()["message"] == (
        'DebugSessionTemplate in version "v1alpha1" cannot be handled as a DebugSessionTemplate: strict decoding '
        'error: unknown field "spec.other", unknown field "spec.surprise"'  # sorted, as the apiserver does
    )
    doc = yaml.safe_dump(_template("kubectl-strict", surprise=1))
    refused = kubectl.run("apply", "-f", "-", stdin=doc, check=False)  # kubectl sends fieldValidation=Strict
    assert refused.returncode == 1
    assert 'strict decoding error: unknown field "spec.surprise"' in refused.stderr
    accepted = kubectl.run("apply", "--validate=warn", "-f", "-", stdin=doc)
    assert accepted.stderr.strip() == 'Warning: unknown field "spec.surprise"'
    changed = kubectl.run("apply", "-f", "-", stdin=yaml.safe_dump(_template("kubectl-strict", again=2)), check=False)
    assert changed.returncode == 1
    assert changed.stderr.startswith("The request is invalid: patch: Invalid value: ")
    assert '\\"again\\":2' in changed.stderr  # the patched object, as sent, is the invalid value
    assert changed.stderr.rstrip().endswith('strict decoding error: unknown field "spec.again"')


# --- status subresource, generation ---------------------------------------------------------------------


def _session(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "DebugSession",
        "metadata": {"name": name, "labels": {"team": "net"}},
        "spec": {"cluster": "dev-1", "templateRef": "network-debug", "requestedBy": "sam"},
        "status": {"state": "Active"},
    }


def test_the_status_subresource_owns_status(crds: str, custom: Any) -> None:
    args = (GROUP, VERSION, "breakglass", "debugsessions")
    created = custom.create_namespaced_custom_object(*args, _session("s1"))
    assert "status" not in created
    assert created["metadata"]["generation"] == 1
    patched = custom.patch_namespaced_custom_object_status(
        *args, "s1", {"status": {"state": "PendingApproval", "expiresAt": "2030-01-01T00:00:00Z"}}
    )
    assert patched["status"] == {"state": "PendingApproval", "expiresAt": "2030-01-01T00:00:00Z", "renewalCount": 0}
    assert patched["metadata"]["generation"] == 1
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object_status(*args, "s1", {"status": {"state": "Sleeping"}})
    assert _status(caught.value)["details"]["causes"][0]["field"] == "status.state"
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object_status(*args, "s1", {"status": {"startsAt": "yesterday"}})
    assert _status(caught.value)["details"]["causes"][0]["message"] == (
        'Invalid value: "yesterday": status.startsAt in body must be of type date-time: "yesterday"'
    )
    main = custom.patch_namespaced_custom_object(
        *args, "s1", {"spec": {"reason": "why"}, "status": {"state": "Failed"}}
    )
    assert main["status"]["state"] == "PendingApproval"  # status in a main-resource write is ignored
    assert main["metadata"]["generation"] == 2


# --- list, selectors, watch ------------------------------------------------------------------------------


def test_label_and_field_selectors(demo: str, custom: Any, http: httpx.Client) -> None:
    dev = custom.list_cluster_custom_object(GROUP, VERSION, "clusterconfigs", label_selector="environment=dev")
    assert [c["metadata"]["name"] for c in dev["items"]] == ["dev-1"]
    not_dev = custom.list_cluster_custom_object(GROUP, VERSION, "clusterconfigs", label_selector="environment!=dev")
    assert [c["metadata"]["name"] for c in not_dev["items"]] == ["prod-eu"]
    named = custom.list_cluster_custom_object(
        GROUP, VERSION, "debugsessiontemplates", field_selector="metadata.name=hybrid-debug"
    )
    assert [t["metadata"]["name"] for t in named["items"]] == ["hybrid-debug"]
    workloads = custom.list_cluster_custom_object(
        GROUP, VERSION, "debugsessiontemplates", field_selector="spec.mode=kubectl-debug"
    )
    assert [t["metadata"]["name"] for t in workloads["items"]] == ["ephemeral-debug"]
    on_prod_session = _session("on-prod")
    on_prod_session["spec"]["cluster"] = "prod-eu"
    custom.create_namespaced_custom_object(GROUP, VERSION, "breakglass", "debugsessions", on_prod_session)
    on_prod = custom.list_namespaced_custom_object(
        GROUP, VERSION, "breakglass", "debugsessions", field_selector="spec.cluster=prod-eu"
    )
    assert [s["metadata"]["name"] for s in on_prod["items"]] == ["on-prod"]
    refused = http.get(f"/apis/{GROUP}/{VERSION}/debugsessions", params={"fieldSelector": "spec.reason=x"})
    assert refused.status_code == 400
    assert refused.json()["message"] == "field label not supported: spec.reason"


def test_watch_sees_added_modified_deleted(crds: str, custom: Any, kubectl: Kubectl) -> None:
    args = (GROUP, VERSION, "breakglass", "debugsessions")
    start = custom.list_namespaced_custom_object(*args)["metadata"]["resourceVersion"]
    seen: list[tuple[str, str]] = []
    table = kubectl.popen(
        "get", "dbgs", "-n", "breakglass", "-l", "team=watch", "-w", "--output-watch-events", "--request-timeout=15s"
    )

    def follow() -> None:
        w = watch_module.Watch()
        for ev in w.stream(
            custom.list_namespaced_custom_object,
            *args,
            label_selector="team=watch",
            resource_version=start,
            timeout_seconds=10,
        ):
            seen.append((ev["type"], (ev["object"].get("status") or {}).get("state", "")))
            if ev["type"] == "DELETED":
                w.stop()

    watcher = threading.Thread(target=follow)
    watcher.start()
    try:
        time.sleep(0.8)  # kubectl's watch is established
        session = _session("watched")
        session["metadata"]["labels"] = {"team": "watch"}
        custom.create_namespaced_custom_object(*args, session)
        custom.patch_namespaced_custom_object_status(*args, "watched", {"status": {"state": "Active"}})
        custom.delete_namespaced_custom_object(*args, "watched")
        watcher.join(timeout=10)
        wait_for(lambda: len(seen) == 3, timeout=5)
        assert seen == [("ADDED", ""), ("MODIFIED", "Active"), ("DELETED", "Active")]
        out = ""
        assert table.stdout is not None
        deadline = time.monotonic() + 10
        while out.count("\n") < 4 and time.monotonic() < deadline:
            out += table.stdout.readline()
    finally:
        table.terminate()
        table.communicate(timeout=5)
    rows = _table(out)
    assert rows[0] == ["EVENT", "NAME", "CLUSTER", "TEMPLATE", "STATE", "EXPIRES", "AGE"]
    assert [r[:2] for r in rows[1:]] == [["ADDED", "watched"], ["MODIFIED", "watched"], ["DELETED", "watched"]]
    assert rows[2][4] == "Active"


# --- server-side apply -----------------------------------------------------------------------------------


def test_server_side_apply(crds: str, kubectl: Kubectl, http: httpx.Client) -> None:
    doc = yaml.safe_dump(_template("applied", displayName="One"))
    assert "serverside-applied" in kubectl.run("apply", "--server-side", "-f", "-", stdin=doc).stdout
    again = yaml.safe_dump(_template("applied", displayName="Two"))
    kubectl.run("apply", "--server-side", "-f", "-", stdin=again)
    shown = yaml.safe_load(kubectl.run("get", "dst", "applied", "-o", "yaml", "--show-managed-fields").stdout)
    assert shown["spec"]["displayName"] == "Two"
    assert shown["spec"]["mode"] == "workload"  # defaulted after the merge
    assert [m["manager"] for m in shown["metadata"]["managedFields"]] == ["kubectl"]
    refused = http.patch(
        f"/apis/{GROUP}/{VERSION}/debugsessiontemplates/applied",
        params={"fieldManager": "me"},
        content=json.dumps(_template("applied", surprise=True)),
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert refused.status_code == 500  # as kube-apiserver: the typed conversion fails before validation
    assert refused.json()["message"] == (
        f"failed to create typed patch object (/applied; {GROUP}/{VERSION}, Kind=DebugSessionTemplate): "
        ".spec.surprise: field not declared in schema"
    )
    invalid = kubectl.run(
        "apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(_template("applied", mode="x")), check=False
    )
    assert 'spec.mode: Unsupported value: "x"' in invalid.stderr


# --- CRDs: structural schemas, deletion, hand-written ones ------------------------------------------------

SERVICE_MONITOR_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor, shortNames: [smon], categories: [prometheus-operator]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""
SERVICE_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: debug-sessions-api
  namespace: breakglass
  labels: {app.kubernetes.io/name: debug-sessions}
spec:
  selector:
    matchLabels: {app.kubernetes.io/component: api}
  endpoints:
  - port: http
    path: /metrics
    interval: 30s
"""


def test_a_minimal_hand_written_crd_serves_its_objects_as_given(crds: str, kubectl: Kubectl, custom: Any) -> None:
    kubectl.run("apply", "-f", "-", stdin=SERVICE_MONITOR_CRD)
    out = kubectl.run("apply", "-f", "-", stdin=SERVICE_MONITOR).stdout
    assert out.strip() == "servicemonitor.monitoring.coreos.com/debug-sessions-api created"
    rows = _table(kubectl.run("get", "smon", "-n", "breakglass").stdout)
    assert rows[0] == ["NAME", "AGE"]
    assert rows[1][0] == "debug-sessions-api"
    stored = custom.get_namespaced_custom_object(
        "monitoring.coreos.com", "v1", "breakglass", "servicemonitors", "debug-sessions-api"
    )
    assert stored["spec"] == yaml.safe_load(SERVICE_MONITOR)["spec"]
    assert "unchanged" in kubectl.run("apply", "-f", "-", stdin=SERVICE_MONITOR).stdout


def test_a_crd_without_a_structural_schema_is_refused(crds: str, kubectl: Kubectl) -> None:
    base = yaml.safe_load(
        SERVICE_MONITOR_CRD.replace("servicemonitors", "podmonitors").replace("ServiceMonitor", "PodMonitor")
    )
    base["spec"]["names"].pop("shortNames")
    schema = base["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    schema["properties"]["spec"] = {"$ref": "#/definitions/Spec"}
    proc = kubectl.run("apply", "-f", "-", stdin=yaml.safe_dump(base), check=False)
    assert proc.returncode == 1
    assert (
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].$ref: Forbidden: $ref is not supported" in proc.stderr
    )
    assert "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value" in proc.stderr
    del base["spec"]["versions"][0]["schema"]
    proc = kubectl.run("apply", "-f", "-", stdin=yaml.safe_dump(base), check=False)
    assert "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required" in proc.stderr


def test_deleting_a_crd_removes_its_objects_and_stops_serving_it(
    demo: str, kubectl: Kubectl, sim: KubeSim, http: httpx.Client
) -> None:
    kubectl.run("apply", "-f", "-", stdin=SERVICE_MONITOR_CRD)
    kubectl.run("apply", "-f", "-", stdin=SERVICE_MONITOR)
    assert sim.store.list("monitoring.coreos.com/servicemonitors")
    kubectl.run("delete", "crd", "servicemonitors.monitoring.coreos.com")
    wait_for(lambda: not sim.store.list("monitoring.coreos.com/servicemonitors"))
    assert http.get("/apis/monitoring.coreos.com/v1").status_code == 404
    assert "monitoring.coreos.com" not in [g["name"] for g in http.get("/apis").json()["groups"]]
    assert kubectl.run("get", "servicemonitors.monitoring.coreos.com", "-A", check=False).returncode != 0
    assert sim.store.list(f"{GROUP}/debugsessiontemplates"), "other CRDs' objects stay"


@pytest.fixture
def fresh() -> Iterator[KubeSim]:
    with KubeSim(nodes=0) as s:
        yield s


def test_official_client_only(fresh: KubeSim) -> None:
    """Without kubectl: the CRDs created through the official client, objects through the dynamic client."""
    api = k8s_config.new_client_from_config(config_file=str(fresh.kubeconfig_path))
    try:
        extensions = client.ApiextensionsV1Api(api)
        for path in sorted(CRDS.glob("*.yaml")):
            extensions.create_custom_resource_definition(yaml.safe_load(path.read_text()))
        dyn = k8s_dynamic.DynamicClient(api)
        templates = dyn.resources.get(api_version=f"{GROUP}/{VERSION}", kind="DebugSessionTemplate")
        templates.create(body=_template("via-dynamic"))
        got = templates.get(name="via-dynamic").to_dict()
        assert got["spec"]["mode"] == "workload"
        table = templates.get(header_params={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}).to_dict()
        assert [c["name"] for c in table["columnDefinitions"]][:4] == [
            "Name",
            "Display Name",
            "Mode",
            "Target Namespace",
        ]
        assert table["rows"][0]["cells"][:3] == ["via-dynamic", None, "workload"]  # no displayName: no cell
    finally:
        api.close()
