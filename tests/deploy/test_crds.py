"""deploy/crds: generated from the models, structural, and keeping exactly what the catalog reads.

A catalog on a hub cluster goes through the apiserver before the catalog source reads it: the CRD prunes
undeclared fields, fills in defaults and validates. These tests put every seed example and the demo
catalog through the same steps (kubesim's implementation of them) and check that the catalog then loads
the same objects with the same findings, minus the unknown fields the apiserver dropped.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.base import API_GROUP, API_VERSION
from domain.catalog.catalog import Catalog, LoadResult, Source, load_objects
from domain.catalog.parse import KINDS as MODEL_KINDS
from domain.diagnostics import Diagnostic
from domain.session import DebugSession
from kubesim.schema_validation import apply_defaults, prune, structural_problems, validate
from tests.conftest import EXAMPLES, REPO
from tests.domain.examples_support import shape_of, support_documents, wrap_fragment
from tools import gen_crds

CRDS = REPO / "deploy" / "crds"
DEMO = sorted((REPO / "deploy" / "demo-catalog").glob("*.yaml"))
SEED = sorted(EXAMPLES.glob("*.yaml"))
SEED_MANIFESTS = [p for p in SEED if shape_of(p) == "manifest"]
SEED_FRAGMENTS = [p for p in SEED if shape_of(p).startswith("fragment")]
Doc = dict[str, Any]


@cache
def _committed() -> dict[str, Doc]:
    docs = (yaml.safe_load(p.read_text()) for p in sorted(CRDS.glob("*.yaml")))
    return {d["spec"]["names"]["kind"]: d for d in docs}


def _schema(kind: str) -> Doc:
    schema: Doc = _committed()[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


# --- generated, complete, structural -----------------------------------------------------------------


def test_committed_crds_are_what_the_models_generate() -> None:
    wanted = dict(gen_crds.files())
    on_disk = {p.name: p.read_text() for p in CRDS.glob("*.yaml")}
    assert sorted(on_disk) == sorted(wanted), "deploy/crds is stale: run .venv/bin/python tools/gen_crds.py"
    for name, text in wanted.items():
        assert on_disk[name] == text, f"deploy/crds/{name} is stale: run .venv/bin/python tools/gen_crds.py"


def test_every_kind_has_a_crd_with_the_references_names_and_scope() -> None:
    crds = _committed()
    assert sorted(crds) == sorted(MODEL_KINDS)
    facts = {
        kind: (
            d["metadata"]["name"],
            d["spec"]["group"],
            [v["name"] for v in d["spec"]["versions"]],
            d["spec"]["scope"],
            d["spec"]["names"].get("shortNames", []),
            d["spec"]["names"]["categories"],
        )
        for kind, d in crds.items()
    }
    version = API_VERSION.rpartition("/")[2]
    assert facts == {
        "DebugPodTemplate": (f"debugpodtemplates.{API_GROUP}", API_GROUP, [version], "Cluster", ["dpt"], ["breakglass"]),
        "DebugSessionTemplate": (f"debugsessiontemplates.{API_GROUP}", API_GROUP, [version], "Cluster", ["dst"], ["breakglass"]),
        "DebugSessionClusterBinding": (
            f"debugsessionclusterbindings.{API_GROUP}", API_GROUP, [version], "Namespaced", ["dscb", "debugbinding"], ["breakglass"],
        ),
        "ClusterConfig": (f"clusterconfigs.{API_GROUP}", API_GROUP, [version], "Cluster", [], ["breakglass"]),
        "DebugSession": (f"debugsessions.{API_GROUP}", API_GROUP, [version], "Namespaced", ["dbgs"], ["breakglass"]),
    }  # fmt: skip
    assert all(d["spec"]["versions"][0]["subresources"] == {"status": {}} for d in crds.values())


def _nodes(schema: Doc, path: str = "openAPIV3Schema") -> Iterator[tuple[str, Doc]]:
    yield path, schema
    for key, sub in (schema.get("properties") or {}).items():
        yield from _nodes(sub, f"{path}.properties[{key}]")
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"], f"{path}.items")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _nodes(schema["additionalProperties"], f"{path}.additionalProperties")


@pytest.mark.parametrize("kind", sorted(MODEL_KINDS))
def test_schema_is_structural(kind: str) -> None:
    schema = _schema(kind)
    untyped = [
        path
        for path, node in _nodes(schema)
        if "type" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
        and not node.get("x-kubernetes-int-or-string")
    ]
    assert untyped == []
    text = json.dumps(schema)
    assert "$ref" not in text
    assert not {"oneOf", "anyOf", "allOf", "not"} & {key for _, node in _nodes(schema) for key in node}
    assert structural_problems(schema, "spec.versions[0].schema.openAPIV3Schema") == []
    assert schema["properties"]["metadata"] == {"type": "object"}


@pytest.mark.parametrize("kind", sorted(MODEL_KINDS))
def test_printer_columns_and_selectable_fields_name_declared_fields(kind: str) -> None:
    version = _committed()[kind]["spec"]["versions"][0]
    paths = [c["jsonPath"] for c in version["additionalPrinterColumns"]]
    paths += [f["jsonPath"] for f in version.get("selectableFields", [])]
    for path in paths:
        node = version["schema"]["openAPIV3Schema"]
        for part in path.lstrip(".").split("."):
            if node.get("type") == "object" and "properties" not in node:
                break  # metadata (and maps): any key
            assert part in node.get("properties", {}), f"{kind}: {path} names no declared field"
            node = node["properties"][part]
    assert any(c["name"] == "Age" and c["type"] == "date" for c in version["additionalPrinterColumns"])


def test_printer_columns_are_the_ones_users_look_for() -> None:
    crds = _committed()

    def names(kind: str) -> list[str]:
        return [c["name"] for c in crds[kind]["spec"]["versions"][0]["additionalPrinterColumns"] if "priority" not in c]

    assert names("DebugSessionTemplate") == ["Display Name", "Mode", "Target Namespace", "Age"]
    assert names("DebugSessionClusterBinding") == ["Template", "Clusters", "Age"]
    assert names("ClusterConfig") == ["Tenant", "Environment", "Age"]
    assert names("DebugSession") == ["Cluster", "Template", "State", "Expires", "Age"]
    assert names("DebugPodTemplate") == ["Display Name", "Age"]


def test_enums_required_defaults_bounds_and_descriptions_come_from_the_models() -> None:
    spec = _schema("DebugSessionTemplate")["properties"]["spec"]
    props = spec["properties"]
    assert props["mode"] == {"type": "string", "enum": ["workload", "kubectl-debug", "hybrid"], "default": "workload"}
    assert props["workloadType"]["description"] == "Absent means DaemonSet."
    assert props["replicas"] == {"type": "integer", "minimum": 1}  # no default: see PRESENCE_MATTERS
    assert props["terminalSharing"]["properties"]["maxParticipants"] == {"type": "integer", "default": 5, "minimum": 1}
    constraints = props["constraints"]["properties"]
    assert constraints["maxDuration"] == {"type": "string", "pattern": "^([0-9]+(ns|us|ms|s|m|h|d))+$"}
    assert props["podDisruptionBudget"]["properties"]["minAvailable"] == {"x-kubernetes-int-or-string": True}
    containers = _schema("DebugPodTemplate")["properties"]["spec"]["properties"]["template"]["properties"]["spec"]
    assert containers["properties"]["containers"]["items"] == {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    assert _schema("ClusterConfig")["properties"]["spec"]["required"] == ["kubeconfig"]
    session = _schema("DebugSession")
    assert session["required"] == ["spec"]
    assert session["properties"]["spec"]["required"] == ["cluster", "requestedBy", "templateRef"]
    state = session["properties"]["status"]["properties"]["state"]
    assert state["enum"] == ["Pending", "PendingApproval", "Active", "Expired", "Terminated", "Failed"]
    option = _schema("DebugSessionTemplate")["properties"]["spec"]["properties"]["schedulingOptions"]
    name = option["properties"]["options"]["items"]["properties"]["name"]
    assert name == {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
    assert session["properties"]["status"]["properties"]["startsAt"] == {"type": "string", "format": "date-time"}


# --- presence: what a default would change ------------------------------------------------------------


def _presence_checked_fields() -> set[str]:
    """Field names passed to `Model.given(...)` anywhere in product code: literals, and the string
    constants of the loop or module constant a variable argument comes from."""
    names: set[str] = set()
    for package in ("domain", "rendering", "templating", "workflows", "activities", "api", "kube", "cli"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            constants = {
                t.id: node.value
                for node in tree.body
                if isinstance(node, ast.Assign)
                for t in node.targets
                if isinstance(t, ast.Name)
            }
            loops = [n for n in ast.walk(tree) if isinstance(n, ast.For | ast.comprehension)]
            for call in ast.walk(tree):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                    continue
                if call.func.attr != "given" or not call.args:
                    continue
                arg = call.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.add(arg.value)
                    continue
                assert isinstance(arg, ast.Name), f"{path}: given() of an expression this test cannot follow"
                sources = [
                    loop.iter
                    for loop in loops
                    if any(isinstance(t, ast.Name) and t.id == arg.id for t in ast.walk(loop.target))
                ]
                assert sources, f"{path}: cannot tell which fields given({arg.id}) checks"
                for source in sources:
                    source = constants.get(source.id, source) if isinstance(source, ast.Name) else source
                    names |= {
                        c.value for c in ast.walk(source) if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    }
    return names


def test_no_default_on_a_field_whose_presence_the_code_reads() -> None:
    checked = _presence_checked_fields()
    assert {"max_duration", "default_duration", "exec", "replicas", "create_if_not_exists"} <= checked
    clashes = sorted(f"{model.__name__}.{name}" for model, name in gen_crds.defaulted_fields() if name in checked)
    assert clashes == [], "add these to PRESENCE_MATTERS in tools/gen_crds.py and regenerate"


# --- CEL rules: the catalog's words --------------------------------------------------------------------


def _doc(kind: str, spec: Doc, namespace: str | None = None) -> Doc:
    meta = {"name": "x", **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": meta, "spec": spec}


def _dst(**spec: Any) -> Doc:
    return _doc("DebugSessionTemplate", {"podTemplateRef": {"name": "p"}, **spec})


def _binding(**spec: Any) -> Doc:
    base = {"templateRef": {"name": "t"}, "clusters": ["c"], **spec}
    return _doc("DebugSessionClusterBinding", {k: v for k, v in base.items() if v is not None}, "n")


_POD = {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
_SA = {"userName": "u", "serviceAccountRef": {"name": "s", "namespace": "n"}}
_MULTI = {"name": "v", "inputType": "multiSelect", "options": [{"value": "a"}]}
CEL_CASES: dict[tuple[str, str], tuple[Doc, str]] = {
    # (CRD kind, rule message or messageExpression) -> a manifest breaking it, and the catalog's message
    ("DebugPodTemplate", "either template or templateString must be specified"): (
        _doc("DebugPodTemplate", {}),
        "either template or templateString must be specified",
    ),
    ("DebugPodTemplate", "template and templateString are mutually exclusive"): (
        _doc("DebugPodTemplate", {**_POD, "templateString": "x"}),
        "template and templateString are mutually exclusive",
    ),
    ("DebugSessionTemplate", "podTemplateString and podTemplateRef are mutually exclusive"): (
        _dst(podTemplateString="containers: []"),
        "podTemplateString and podTemplateRef are mutually exclusive",
    ),
    ("DebugSessionTemplate", "'podTemplateRef or podTemplateString is required when mode is ' + self.mode"): (
        _doc("DebugSessionTemplate", {"mode": "hybrid", "kubectlDebug": {}}),
        "podTemplateRef or podTemplateString is required when mode is hybrid",
    ),
    ("DebugSessionTemplate", "'kubectlDebug is required when mode is ' + self.mode"): (
        _dst(mode="kubectl-debug"),
        "kubectlDebug is required when mode is kubectl-debug",
    ),
    ("DebugSessionTemplate", "minAvailable and maxUnavailable are mutually exclusive"): (
        _dst(podDisruptionBudget={"minAvailable": 1, "maxUnavailable": 1}),
        "minAvailable and maxUnavailable are mutually exclusive",
    ),
    ("DebugSessionTemplate", "minLength must not exceed maxLength"): (
        _dst(extraDeployVariables=[{"name": "v", "validation": {"minLength": 5, "maxLength": 1}}]),
        "minLength must not exceed maxLength",
    ),
    ("DebugSessionTemplate", "minItems must not exceed maxItems"): (
        _dst(extraDeployVariables=[{**_MULTI, "validation": {"minItems": 2, "maxItems": 1}}]),
        "minItems must not exceed maxItems",
    ),
    ("DebugSessionTemplate", "exactly one of template or templateString is required"): (
        _dst(auxiliaryResources=[{"name": "a"}]),
        "exactly one of template or templateString is required",
    ),
    ("DebugSessionTemplate", "template and templateString are mutually exclusive"): (
        _dst(auxiliaryResources=[{"name": "a", "templateString": "x", "template": {"apiVersion": "v1", "kind": "A"}}]),
        "template and templateString are mutually exclusive",
    ),
    ("DebugSessionTemplate", "userName and serviceAccountRef are mutually exclusive"): (
        _dst(impersonation=_SA),
        "userName and serviceAccountRef are mutually exclusive",
    ),
    ("DebugSessionClusterBinding", "userName and serviceAccountRef are mutually exclusive"): (
        _binding(impersonation=_SA),
        "userName and serviceAccountRef are mutually exclusive",
    ),
    ("ClusterConfig", "userName and serviceAccountRef are mutually exclusive"): (
        _doc("ClusterConfig", {"kubeconfig": {"path": "/k"}, "impersonation": _SA}),
        "userName and serviceAccountRef are mutually exclusive",
    ),
    (
        "DebugSessionTemplate",
        _MIN_MAX
        := "'minLength (' + string(self.minLength) + ') must not exceed maxLength (' + string(self.maxLength) + ')'",
    ): (
        _dst(requestReason={"minLength": 20, "maxLength": 10}),
        "minLength (20) must not exceed maxLength (10)",
    ),
    ("DebugSessionClusterBinding", _MIN_MAX): (
        _binding(requestReason={"minLength": 20, "maxLength": 10}),
        "minLength (20) must not exceed maxLength (10)",
    ),
    (
        "DebugSessionClusterBinding",
        "templateRef and templateSelector are mutually exclusive; only one can be specified",
    ): (
        _binding(templateSelector={"matchLabels": {}}),
        "templateRef and templateSelector are mutually exclusive; only one can be specified",
    ),
    ("DebugSessionClusterBinding", "either templateRef or templateSelector must be specified"): (
        _binding(templateRef=None),
        "either templateRef or templateSelector must be specified",
    ),
    ("DebugSessionClusterBinding", "either clusters or clusterSelector must be specified"): (
        _binding(clusters=[]),
        "either clusters or clusterSelector must be specified",
    ),
    ("DebugSessionClusterBinding", "expiresAt must be after effectiveFrom"): (
        _binding(effectiveFrom="2030-01-02T00:00:00Z", expiresAt="2030-01-01T00:00:00Z"),
        "expiresAt must be after effectiveFrom",
    ),
}


def _rules() -> Iterator[tuple[str, Doc, Doc]]:
    """(kind, node, rule) of every x-kubernetes-validations rule in the CRDs."""
    for kind in MODEL_KINDS:
        for _, node in _nodes(_schema(kind)):
            for rule in node.get("x-kubernetes-validations", []):
                yield kind, node, rule


def test_every_cel_rule_says_what_the_catalog_says() -> None:
    """kubesim does not evaluate CEL; the catalog checks the same rules, and must word them the same."""
    rules = {(kind, str(rule.get("message") or rule.get("messageExpression"))) for kind, _, rule in _rules()}
    assert rules == set(CEL_CASES)
    for doc, message in CEL_CASES.values():
        result = load_objects([(copy.deepcopy(doc), Source("case.yaml", 1))])
        assert message in [d.message for d in result.errors], (message, [str(d) for d in result.diagnostics])


def test_cel_rules_refer_to_declared_fields() -> None:
    for kind, node, rule in _rules():
        text = rule["rule"] + " " + rule.get("messageExpression", "") + " " + rule.get("fieldPath", "")
        for field in re.findall(r"(?:self)?\.(\w+)", text):
            assert field in node["properties"], f"{kind}: rule {rule['rule']!r} names {field}, not declared"


# --- every example through the apiserver's steps, then through the catalog -------------------------------


def _as_json(value: Any) -> Any:
    """What kubectl sends for a YAML document: timestamps YAML parsed as dates are RFC 3339 strings."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _through_crd(doc: Any) -> tuple[Any, list[str]]:
    """The object the apiserver would store (pruned, defaulted), and the paths it pruned; fails on a
    validation error, since the apiserver would refuse the document."""
    if not isinstance(doc, dict) or doc.get("apiVersion") != API_VERSION or doc.get("kind") not in MODEL_KINDS:
        return doc, []
    schema = _schema(str(doc["kind"]))
    obj = _as_json(doc)
    pruned = prune(obj, schema)
    apply_defaults(obj, schema)
    assert validate(obj, schema) == [], f"{doc['kind']}/{doc['metadata'].get('name')} is refused by its CRD"
    return obj, pruned


def _groups() -> Iterator[tuple[str, list[tuple[Any, Source]]]]:
    """Sets of documents that load together: the demo catalog, the seed's manifests, each seed fragment."""
    yield (
        "demo catalog",
        [(d, Source(p.name, i)) for p in DEMO for i, d in enumerate(yaml.safe_load_all(p.read_text()), 1) if d],
    )
    manifests: list[tuple[Any, Source]] = []
    for p in SEED_MANIFESTS:
        for i, d in enumerate(yaml.safe_load_all(p.read_text()), 1):
            if isinstance(d, dict) and "apiVersion" not in d:
                d = {"apiVersion": API_VERSION, **d}  # 12 and 14: the page omits it
            manifests.append((d, Source(p.name, i)))
    yield "seed manifests", manifests
    support = [(d, Source("support.yaml", i)) for i, d in enumerate(support_documents(Path("kubeconfig")), 1)]
    for p in SEED_FRAGMENTS:
        doc = wrap_fragment(shape_of(p), yaml.safe_load(p.read_text()), "example")
        yield p.name, [*support, (doc, Source(p.name, 1))]


def _load(objects: list[tuple[Any, Source]]) -> tuple[LoadResult, list[DebugSession]]:
    requests: list[tuple[DebugSession, Source]] = []
    result = load_objects(copy.deepcopy(objects), requests=requests)
    return result, [r for r, _ in requests]


def _dump(catalog: Catalog | None, requests: list[DebugSession]) -> Doc:
    assert catalog is not None
    tables = ("pod_templates", "session_templates", "bindings", "clusters")
    out = {t: {k: m.model_dump(mode="json") for k, m in getattr(catalog, t).items()} for t in tables}
    out["requests"] = {r.metadata.name: r.model_dump(mode="json") for r in requests}
    return out


def _finding(d: Diagnostic) -> str:
    return f"{d.file}:{d.doc}:{d.path}: {d.severity}: {d.message}"


@pytest.mark.parametrize("group", [name for name, _ in _groups()])
def test_the_catalog_reads_the_same_through_the_crds(group: str) -> None:
    objects = dict(_groups())[group]
    processed: list[tuple[Any, Source]] = []
    pruned: set[str] = set()
    for doc, src in objects:
        obj, dropped = _through_crd(doc)
        processed.append((obj, src))
        pruned |= {f"{src.file}:{src.doc}:{path}" for path in dropped}
    raw, raw_requests = _load(objects)
    through, through_requests = _load(processed)
    unknown = {f"{d.file}:{d.doc}:{d.path}" for d in raw.diagnostics if d.code == "unknown-field"}
    assert pruned <= unknown, "the CRDs drop fields the catalog reads"
    expected = [_finding(d) for d in raw.diagnostics if f"{d.file}:{d.doc}:{d.path}" not in pruned]
    assert [_finding(d) for d in through.diagnostics] == expected
    assert raw.ok == through.ok
    if raw.ok:
        assert _dump(through.catalog, through_requests) == _dump(raw.catalog, raw_requests)


def test_the_seeds_known_mistake_is_the_only_field_the_crds_drop() -> None:
    dropped = [
        f"{src.file}:{path}" for _, objects in _groups() for doc, src in objects for path in _through_crd(doc)[1]
    ]
    # The seed puts terminal sharing's `method` inside podDisruptionBudget (the catalog warns about it).
    assert dropped == ["09-debugsessiontemplate-standard.yaml:spec.podDisruptionBudget.method"]
