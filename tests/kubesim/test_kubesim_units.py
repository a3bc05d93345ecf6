"""Pure-function units: selectors, patches, server-side apply, quantities, scheduling, tables."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesim import protobuf
from kubesim.apply import from_fields_v1, server_side_apply, to_fields_v1
from kubesim.errors import ApiError
from kubesim.patch import json_merge_patch, json_patch, strategic_merge_patch
from kubesim.quantity import format_quantity, parse_quantity
from kubesim.scheduling import can_run, tolerates
from kubesim.selectors import match_label_selector, parse_field_selector, parse_label_selector
from kubesim.store import Store, TooOldError
from kubesim.tables import human_duration


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("a=b", {"a": "b"}, True),
        ("a=b", {"a": "c"}, False),
        ("a!=b", {}, True),
        ("a in (x, y),b", {"a": "y", "b": ""}, True),
        ("a notin (x)", {"a": "x"}, False),
        ("!a", {"b": "1"}, True),
        ("a,!b", {"a": "1", "b": "2"}, False),
    ],
)
def test_label_selector(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(selector)(labels) is expected


def test_structured_label_selector() -> None:
    sel = {
        "matchLabels": {"app": "x"},
        "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
    }
    assert match_label_selector(sel, {"app": "x", "tier": "web"})
    assert not match_label_selector(sel, {"app": "x", "tier": "db"})


def test_field_selector_rejects_unknown_fields() -> None:
    pred = parse_field_selector("spec.nodeName=n1,status.phase!=Failed", "/pods")
    assert pred({"metadata": {}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}})
    with pytest.raises(ApiError) as exc:
        parse_field_selector("spec.nodeName=n1", "/configmaps")
    assert exc.value.code == 400


def test_strategic_merge_by_key_and_directives() -> None:
    current = {
        "spec": {
            "containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}],
            "finalizers": ["x"],
        }
    }
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b", "image": "2"}, {"name": "a", "$patch": "delete"}],
            "finalizers": ["y"],
        }
    }
    out = strategic_merge_patch(current, patch)
    assert out["spec"]["containers"] == [{"name": "b", "image": "2"}]
    assert out["spec"]["finalizers"] == ["x", "y"]


def test_json_and_merge_patch() -> None:
    doc = {"a": {"b": [1, 2]}, "c": 1}
    assert json_patch(doc, [{"op": "add", "path": "/a/b/-", "value": 3}, {"op": "remove", "path": "/c"}]) == {
        "a": {"b": [1, 2, 3]}
    }
    with pytest.raises(ApiError) as exc:
        json_patch(doc, [{"op": "test", "path": "/c", "value": 2}])
    assert exc.value.code == 422
    assert json_merge_patch(doc, {"a": {"b": None}, "d": 4}) == {"a": {}, "c": 1, "d": 4}


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=5))
def test_merge_patch_with_itself_is_identity(d: dict[str, str]) -> None:
    assert json_merge_patch(d, d) == d


def test_server_side_apply_removes_fields_the_manager_dropped() -> None:
    first = server_side_apply(None, {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1", "b": "2"}}, "m", False)
    second = server_side_apply(first, {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}, "m", False)
    assert second["data"] == {"a": "1"}
    fields = second["metadata"]["managedFields"][0]["fieldsV1"]
    assert from_fields_v1(fields) == {("f:data", "f:a")}
    assert to_fields_v1({("f:data", "f:a")}) == {"f:data": {"f:a": {}}}


def test_quantities() -> None:
    assert parse_quantity("500m") == Decimal("0.5")
    assert parse_quantity("1Gi") == 2**30
    assert parse_quantity("1e3") == 1000
    assert format_quantity(Decimal("1.5"), "requests.cpu") == "1500m"
    assert format_quantity(Decimal(2**29), "limits.memory") == "512Mi"


def test_taints_and_affinity() -> None:
    taint = {"key": "k", "effect": "NoSchedule"}
    node = {"metadata": {"name": "n1", "labels": {"zone": "a", "gen": "5"}}, "spec": {"taints": [taint]}}
    assert not can_run({}, node)
    assert tolerates([{"key": "k", "operator": "Exists"}], taint)
    spec = {
        "tolerations": [{"operator": "Exists"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["4"]}]}]
                }
            }
        },
    }
    assert can_run(spec, node)


def test_watch_history_too_old() -> None:
    store = Store(history=3)
    for i in range(5):
        store.commit("/configmaps", {"metadata": {"name": f"c{i}", "namespace": "d"}}, "ADDED")
    with pytest.raises(TooOldError):
        store.watch("/configmaps", 1)
    w, backlog = store.watch("/configmaps", store.resource_version - 1)
    assert [e.obj["metadata"]["name"] for e in backlog] == ["c4"]
    store.unwatch(w)


def test_human_duration() -> None:
    assert human_duration(5) == "5s"
    assert human_duration(150) == "2m30s"
    assert human_duration(3600 * 30) == "30h"


def test_protobuf_unknown_fields_are_refused() -> None:
    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    type_meta = field(1, b"v1") + field(2, b"ConfigMap")
    configmap = field(1, field(1, b"cm")) + field(2, field(1, b"k") + field(2, b"v"))
    envelope = protobuf.MAGIC + field(1, type_meta) + field(2, configmap)
    assert protobuf.decode(envelope) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm"},
        "data": {"k": "v"},
    }
    with pytest.raises(protobuf.UnsupportedKind):
        protobuf.decode(protobuf.MAGIC + field(1, type_meta) + field(2, configmap + field(9, b"x")))
