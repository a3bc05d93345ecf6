"""CRUD, list, selectors, watch and Status bodies through the official Python client."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from kubernetes import client
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

from kubesim.sim import KubeSim

watch_module: Any = k8s_watch


def _cm(name: str, labels: dict[str, str] | None = None, **data: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data or None)


def _status(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body or "{}")
    return body


def test_discovery_version(core: Any, api_client: Any) -> None:
    info = client.VersionApi(api_client).get_code()
    assert info.major == "1"
    groups = {g.name for g in client.ApisApi(api_client).get_api_versions().groups}
    assert {"apps", "policy", "networking.k8s.io", "rbac.authorization.k8s.io"} <= groups


def test_default_nodes(core: Any) -> None:
    nodes = core.list_node().items
    assert len(nodes) == 4
    cp = [n for n in nodes if "node-role.kubernetes.io/control-plane" in (n.metadata.labels or {})]
    assert len(cp) == 1
    assert cp[0].spec.taints[0].key == "node-role.kubernetes.io/control-plane"
    assert cp[0].spec.taints[0].effect == "NoSchedule"


def test_create_get_update_delete(core: Any) -> None:
    created = core.create_namespaced_config_map("default", _cm("crud", a="1"))
    assert created.metadata.uid
    assert created.metadata.creation_timestamp is not None
    rv1 = int(created.metadata.resource_version)
    got = core.read_namespaced_config_map("crud", "default")
    assert got.data == {"a": "1"}
    got.data = {"a": "2"}
    updated = core.replace_namespaced_config_map("crud", "default", got)
    assert int(updated.metadata.resource_version) > rv1
    assert updated.metadata.uid == created.metadata.uid
    status = core.delete_namespaced_config_map("crud", "default")
    assert status["status"] == "Success"
    assert status["details"]["uid"] == created.metadata.uid
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("crud", "default")
    assert exc.value.status == 404
    assert _status(exc.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'configmaps "crud" not found',
        "reason": "NotFound",
        "details": {"name": "crud", "kind": "configmaps"},
        "code": 404,
    }


def test_generate_name(core: Any) -> None:
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="gen-"))
    a = core.create_namespaced_config_map("default", body)
    b = core.create_namespaced_config_map("default", body)
    assert a.metadata.name.startswith("gen-")
    assert len(a.metadata.name) == len("gen-") + 5
    assert a.metadata.name != b.metadata.name


def test_already_exists(core: Any, apps: Any) -> None:
    core.create_namespaced_config_map("default", _cm("dup"))
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("default", _cm("dup"))
    assert exc.value.status == 409
    body = _status(exc.value)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "dup" already exists'
    assert body["details"] == {"name": "dup", "kind": "configmaps"}


def test_missing_namespace(core: Any) -> None:
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("nope", _cm("x"))
    assert exc.value.status == 404
    assert _status(exc.value)["message"] == 'namespaces "nope" not found'
    assert _status(exc.value)["details"] == {"name": "nope", "kind": "namespaces"}


def test_stale_update_conflicts(core: Any) -> None:
    cm = core.create_namespaced_config_map("default", _cm("stale", a="1"))
    fresh = core.patch_namespaced_config_map("stale", "default", {"data": {"a": "2"}})
    assert fresh.metadata.resource_version != cm.metadata.resource_version
    cm.data = {"a": "3"}
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("stale", "default", cm)
    body = _status(exc.value)
    assert exc.value.status == 409
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on configmaps "stale": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_invalid_name_is_422(core: Any) -> None:
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("default", _cm("Bad_Name"))
    body = _status(exc.value)
    assert exc.value.status == 422
    assert body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert body["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value')


def test_pod_without_containers_is_invalid(core: Any) -> None:
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name="empty"), spec=client.V1PodSpec(containers=[]))
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod("default", pod)
    body = _status(exc.value)
    assert body["code"] == 422
    assert body["message"] == 'Pod "empty" is invalid: spec.containers: Required value'


def test_label_selectors(core: Any) -> None:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="sel")))
    specs = {
        "a": {"app": "web", "tier": "fe", "env": "prod"},
        "b": {"app": "web", "tier": "be"},
        "c": {"app": "db", "env": "dev"},
        "d": {},
    }
    for name, labels in specs.items():
        core.create_namespaced_config_map("sel", _cm(name, labels))

    def names(selector: str) -> list[str]:
        return sorted(i.metadata.name for i in core.list_namespaced_config_map("sel", label_selector=selector).items)

    assert names("app=web") == ["a", "b"]
    assert names("app==web,tier!=fe") == ["b"]
    assert names("app in (web, db)") == ["a", "b", "c"]
    assert names("app notin (web)") == ["c", "d"]
    assert names("env") == ["a", "c"]
    assert names("!env") == ["b", "d"]
    assert names("app=web,env") == ["a"]
    with pytest.raises(ApiException) as exc:
        names("app in web")
    assert exc.value.status == 400


def test_field_selectors(core: Any) -> None:
    assert [n.metadata.name for n in core.list_node(field_selector="metadata.name=kubesim-worker2").items] == [
        "kubesim-worker2"
    ]
    items = core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=sel").items
    assert {i.metadata.namespace for i in items} == {"sel"}
    items = core.list_namespaced_config_map("sel", field_selector="metadata.name!=a").items
    assert "a" not in {i.metadata.name for i in items}
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_config_map("sel", field_selector="data.x=1")
    assert exc.value.status == 400
    assert _status(exc.value)["message"] == "field label not supported: data.x"


def test_limit_continue(core: Any) -> None:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="paged")))
    for i in range(7):
        core.create_namespaced_config_map("paged", _cm(f"cm-{i}"))
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = core.list_namespaced_config_map("paged", limit=3, _continue=token)
        pages += 1
        seen += [i.metadata.name for i in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count > 0
    assert pages == 3
    assert seen == [f"cm-{i}" for i in range(7)]


def test_list_kind_and_resource_version(http: httpx.Client, sim: KubeSim) -> None:
    body = http.get("/api/v1/namespaces/default/configmaps").json()
    assert body["kind"] == "ConfigMapList"
    assert body["apiVersion"] == "v1"
    assert int(body["metadata"]["resourceVersion"]) == sim.store.resource_version


def test_watch_from_resource_version(core: Any) -> None:
    start = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", _cm("w1", a="1"))
    core.patch_namespaced_config_map("w1", "default", {"data": {"a": "2"}})
    core.delete_namespaced_config_map("w1", "default")
    w = watch_module.Watch()
    events = []
    for ev in w.stream(
        core.list_namespaced_config_map,
        "default",
        resource_version=start,
        field_selector="metadata.name=w1",
        timeout_seconds=2,
    ):
        events.append((ev["type"], ev["object"].metadata.name))
        if len(events) == 3:
            w.stop()
    assert events == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def test_watch_streams_live_events(core: Any) -> None:
    w = watch_module.Watch()
    got: list[str] = []

    def produce() -> None:
        core.create_namespaced_config_map("default", _cm("live", {"watch": "me"}))

    timer = threading.Timer(0.2, produce)
    timer.start()
    try:
        for ev in w.stream(core.list_namespaced_config_map, "default", label_selector="watch=me", timeout_seconds=3):
            got.append(ev["type"])
            w.stop()
    finally:
        timer.join()
    assert got == ["ADDED"]


def test_patch_types(core: Any) -> None:
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="patchme", labels={"a": "1"}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(name="one", image="busybox:1"),
                client.V1Container(name="two", image="busybox:2"),
            ]
        ),
    )
    core.create_namespaced_pod("default", pod)
    # strategic merge: containers merge by name, so only "two" changes
    p = core.patch_namespaced_pod(
        "patchme", "default", {"spec": {"containers": [{"name": "two", "image": "busybox:3"}]}}
    )
    assert [(c.name, c.image) for c in p.spec.containers] == [("one", "busybox:1"), ("two", "busybox:3")]
    # JSON patch
    p = core.patch_namespaced_pod("patchme", "default", [{"op": "replace", "path": "/metadata/labels/a", "value": "2"}])
    assert p.metadata.labels == {"a": "2"}


def test_merge_patch_replaces_lists(api_client: Any, core: Any) -> None:
    core.create_namespaced_config_map("default", _cm("mp", a="1", b="2"))
    api_client.set_default_header("Content-Type", "application/merge-patch+json")
    try:
        cm = core.patch_namespaced_config_map("mp", "default", {"data": {"a": None, "c": "3"}})
    finally:
        api_client.default_headers.pop("Content-Type")
    assert cm.data == {"b": "2", "c": "3"}


def test_server_side_apply_conflict_and_force(core: Any) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"k": "v1"}}
    cm = core.patch_namespaced_config_map(
        "ssa", "default", body, field_manager="alice", _content_type="application/apply-patch+yaml"
    )
    assert cm.data == {"k": "v1"}
    assert cm.metadata.managed_fields[0].manager == "alice"
    other = dict(body, data={"k": "v2"})
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map(
            "ssa", "default", other, field_manager="bob", _content_type="application/apply-patch+yaml"
        )
    assert exc.value.status == 409
    assert _status(exc.value)["message"] == 'Apply failed with 1 conflict: conflict with "alice": .data.k'
    cm = core.patch_namespaced_config_map(
        "ssa", "default", other, field_manager="bob", force=True, _content_type="application/apply-patch+yaml"
    )
    assert cm.data == {"k": "v2"}
    # alice dropping a field she no longer owns leaves it alone; bob removing his own field deletes it
    cm = core.patch_namespaced_config_map(
        "ssa",
        "default",
        dict(body, data={"x": "1"}),
        field_manager="bob",
        _content_type="application/apply-patch+yaml",
    )
    assert cm.data == {"x": "1"}


def test_delete_preconditions(core: Any) -> None:
    cm = core.create_namespaced_config_map("default", _cm("pre"))
    with pytest.raises(ApiException) as exc:
        core.delete_namespaced_config_map(
            "pre", "default", body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="other"))
        )
    assert exc.value.status == 409
    assert "Precondition failed: UID in precondition: other" in _status(exc.value)["message"]
    with pytest.raises(ApiException) as exc:
        core.delete_namespaced_config_map(
            "pre",
            "default",
            body=client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version="1")),
        )
    assert exc.value.status == 409
    core.delete_namespaced_config_map(
        "pre",
        "default",
        body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=cm.metadata.uid)),
    )


def test_delete_collection(core: Any) -> None:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="dc")))
    for i in range(3):
        core.create_namespaced_config_map("dc", _cm(f"x{i}", {"group": "x" if i < 2 else "y"}))
    core.delete_collection_namespaced_config_map("dc", label_selector="group=x")
    assert [i.metadata.name for i in core.list_namespaced_config_map("dc").items] == ["x2"]


def test_method_not_allowed(http: httpx.Client) -> None:
    resp = http.post("/api/v1/namespaces/default/configmaps/x", json={})
    assert resp.status_code == 405
    assert resp.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server does not allow this method on the requested resource",
        "reason": "MethodNotAllowed",
        "details": {},
        "code": 405,
    }


def test_generation_and_owner_fields(apps: Any) -> None:
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="gen"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "gen"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "gen"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1")]),
            ),
        ),
    )
    d = apps.create_namespaced_deployment("default", dep)
    assert d.metadata.generation == 1
    d = apps.patch_namespaced_deployment("gen", "default", {"spec": {"replicas": 2}})
    assert d.metadata.generation == 2
    d = apps.patch_namespaced_deployment("gen", "default", {"metadata": {"labels": {"x": "y"}}})
    assert d.metadata.generation == 2


def test_dynamic_client(dyn: Any) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.create(
        body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dyn"}, "data": {"a": "b"}},
        namespace="default",
    )
    assert cms.get(name="dyn", namespace="default").data.a == "b"
    deps = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert deps.namespaced
    netpol = dyn.resources.get(api_version="networking.k8s.io/v1", kind="NetworkPolicy")
    netpol.create(
        body={
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
        namespace="default",
    )
    assert [i.metadata.name for i in netpol.get(namespace="default").items] == ["deny"]
    roles = dyn.resources.get(api_version="rbac.authorization.k8s.io/v1", kind="ClusterRole")
    assert not roles.namespaced


def test_aggregated_and_legacy_discovery(http: httpx.Client) -> None:
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    resp = http.get("/apis", headers={"Accept": accept})
    assert resp.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    groups = {g["metadata"]["name"]: g for g in resp.json()["items"]}
    deployments = next(r for r in groups["apps"]["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deployments["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert {s["subresource"] for s in deployments["subresources"]} == {"status", "scale"}
    legacy = http.get("/api/v1").json()
    pods = next(r for r in legacy["resources"] if r["name"] == "pods")
    assert pods["namespaced"] is True
    assert "pods/log" in {r["name"] for r in legacy["resources"]}
    assert http.get("/apis/nope.example.com/v1").status_code == 404


def test_send_initial_events_ends_with_bookmark(http: httpx.Client) -> None:
    params = {
        "watch": "true",
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true",
        "timeoutSeconds": "1",
    }
    lines = http.get("/api/v1/nodes", params=params).text.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["type"] for e in events[:4]] == ["ADDED"] * 4
    assert events[4]["type"] == "BOOKMARK"
    assert events[4]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_dry_run_does_not_persist(http: httpx.Client) -> None:
    resp = http.post(
        "/api/v1/namespaces/default/configmaps", params={"dryRun": "All"}, json={"metadata": {"name": "dry"}}
    )
    assert resp.status_code == 201
    assert http.get("/api/v1/namespaces/default/configmaps/dry").status_code == 404


def test_system_namespaces_cannot_be_deleted(http: httpx.Client) -> None:
    resp = http.delete("/api/v1/namespaces/kube-system")
    assert resp.status_code == 403
    assert resp.json()["message"] == 'namespaces "kube-system" is forbidden: this namespace may not be deleted'


def test_update_managers_own_fields_and_conflict_with_appliers(core: Any) -> None:
    core.create_namespaced_config_map("default", _cm("owned-by-update", k="1"), field_manager="creator")
    cm = core.read_namespaced_config_map("owned-by-update", "default")
    entry = cm.metadata.managed_fields[0]
    assert (entry.manager, entry.operation) == ("creator", "Update")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned-by-update"}, "data": {"k": "2"}}
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map(
            "owned-by-update", "default", body, field_manager="applier", _content_type="application/apply-patch+yaml"
        )
    status = _status(exc.value)
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "creator" using v1: .data.k'
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "creator" using v1', "field": ".data.k"}
    ]
    # A later plain update by someone else takes the field over, so the creator no longer owns anything.
    core.patch_namespaced_config_map("owned-by-update", "default", {"data": {"k": "3"}}, field_manager="editor")
    managers = {
        m.manager for m in core.read_namespaced_config_map("owned-by-update", "default").metadata.managed_fields
    }
    assert managers == {"editor"}


def test_watch_from_a_version_ahead_of_the_server_is_504(core: Any) -> None:
    """As kube-apiserver: a client resuming from a resourceVersion the server has not reached (the server
    restarted with fresh state) gets 504 Too large resource version, and must re-list."""
    current = int(core.list_namespaced_config_map("default").metadata.resource_version)
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map("default", watch=True, resource_version=str(current + 1000))
    assert caught.value.status == 504
    assert "Too large resource version" in _status(caught.value)["message"]
