"""The apiserver's custom-resource schema steps (pruning, defaulting, validation, structural checks) and CRD
printer columns, as tables of cases."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubesim.schema_validation import apply_defaults, prune, structural_problems, validate
from kubesim.tables import custom_columns, table

OBJ = {"type": "object"}
STR = {"type": "string"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "metadata": OBJ,
        "spec": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"},
                "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                "count": {"type": "integer", "minimum": 1, "maximum": 3},
                "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                "flag": {"type": "boolean"},
                "when": {"type": "string", "format": "date-time"},
                "port": {"x-kubernetes-int-or-string": True},
                "tags": {"type": "array", "maxItems": 2, "items": STR},
                "labels": {"type": "object", "maxProperties": 1, "additionalProperties": STR},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"known": STR}},
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"k": STR, "d": {"type": "integer", "default": 7}}},
                },
                "nested": {"type": "object", "properties": {"inner": {"type": "string", "default": "x"}}},
                "maybe": {"type": "string", "nullable": True},
                "object": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"spec": OBJ}},
            },
        },
    },
}


def _spec(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "g/v1", "kind": "K", "metadata": {"name": "x"}, "spec": {"name": "ok", **spec}}


@pytest.mark.parametrize(
    ("given", "pruned", "kept"),
    [
        (_spec(extra=1), ["spec.extra"], _spec()),
        ({**_spec(), "top": 1}, ["top"], _spec()),
        ({**_spec(), "metadata": {"name": "x", "bogus": 1}}, ["metadata.bogus"], _spec()),
        (_spec(items=[{"k": "v", "z": 1}]), ["spec.items[0].z"], _spec(items=[{"k": "v"}])),
        (_spec(labels={"a": "b"}), [], _spec(labels={"a": "b"})),
        (_spec(free={"known": "k", "any": {"deep": 1}}), [], _spec(free={"known": "k", "any": {"deep": 1}})),
        (_spec(nested={"inner": "y", "zz": 1}, yy=2), ["spec.nested.zz", "spec.yy"], _spec(nested={"inner": "y"})),
        (_spec(flag=None, maybe=None, mode=None), [], _spec(maybe=None, mode=None)),
        (
            _spec(object={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}, "data": {}}),
            ["spec.object.data"],
            _spec(object={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}}),
        ),
    ],
)
def test_prune(given: dict[str, Any], pruned: list[str], kept: dict[str, Any]) -> None:
    obj = copy.deepcopy(given)
    assert prune(obj, SCHEMA) == pruned
    assert obj == kept


@pytest.mark.parametrize(
    ("spec", "defaulted"),
    [
        ({}, {"mode": "a"}),
        ({"mode": "b"}, {"mode": "b"}),
        ({"mode": None}, {"mode": "a"}),
        ({"nested": {}}, {"mode": "a", "nested": {"inner": "x"}}),
        ({"items": [{"k": "v"}, {"d": 1}]}, {"mode": "a", "items": [{"k": "v", "d": 7}, {"d": 1}]}),
    ],
)
def test_apply_defaults(spec: dict[str, Any], defaulted: dict[str, Any]) -> None:
    obj = _spec(**spec)
    apply_defaults(obj, SCHEMA)
    assert obj["spec"] == {"name": "ok", **defaulted}


@pytest.mark.parametrize(
    ("spec", "causes"),
    [
        ({}, []),
        ({"count": 2, "ratio": 0.5, "flag": True, "port": "http", "when": "2030-01-01T00:00:00Z"}, []),
        ({"count": 2.0, "ratio": 3, "port": 8080, "maybe": None}, []),
        (
            {"name": None},
            [
                (
                    "FieldValueTypeInvalid",
                    "spec.name",
                    'Invalid value: "null": spec.name in body must be of type string: "null"',
                )
            ],
        ),
        (
            {"count": "2"},
            [
                (
                    "FieldValueTypeInvalid",
                    "spec.count",
                    'Invalid value: "string": spec.count in body must be of type integer: "string"',
                )
            ],
        ),
        (
            {"count": True},
            [
                (
                    "FieldValueTypeInvalid",
                    "spec.count",
                    'Invalid value: "boolean": spec.count in body must be of type integer: "boolean"',
                )
            ],
        ),
        (
            {"count": 1.5},
            [
                (
                    "FieldValueTypeInvalid",
                    "spec.count",
                    'Invalid value: "number": spec.count in body must be of type integer: "number"',
                )
            ],
        ),
        (
            {"mode": "c"},
            [("FieldValueNotSupported", "spec.mode", 'Unsupported value: "c": supported values: "a", "b"')],
        ),
        (
            {"count": 0},
            [
                (
                    "FieldValueInvalid",
                    "spec.count",
                    "Invalid value: 0: spec.count in body should be greater than or equal to 1",
                )
            ],
        ),
        (
            {"count": 4},
            [
                (
                    "FieldValueInvalid",
                    "spec.count",
                    "Invalid value: 4: spec.count in body should be less than or equal to 3",
                )
            ],
        ),
        (
            {"ratio": 0},
            [("FieldValueInvalid", "spec.ratio", "Invalid value: 0: spec.ratio in body should be greater than 0")],
        ),
        ({"name": "toolong"}, [("FieldValueTooLong", "spec.name", "Too long: may not be more than 5 bytes")]),
        (
            {"name": ""},
            [
                (
                    "FieldValueInvalid",
                    "spec.name",
                    'Invalid value: "": spec.name in body should be at least 1 chars long',
                ),
                ("FieldValueInvalid", "spec.name", "Invalid value: \"\": spec.name in body should match '^[a-z]+$'"),
            ],
        ),
        (
            {"when": "tomorrow"},
            [
                (
                    "FieldValueInvalid",
                    "spec.when",
                    'Invalid value: "tomorrow": spec.when in body must be of type date-time: "tomorrow"',
                )
            ],
        ),
        (
            {"port": 1.5},
            [
                (
                    "FieldValueTypeInvalid",
                    "spec.port",
                    'Invalid value: "number": spec.port in body must be of type integer,string: "number"',
                )
            ],
        ),
        ({"tags": ["a", "b", "c"]}, [("FieldValueTooMany", "spec.tags", "Too many: 3: must have at most 2 items")]),
        (
            {"tags": ["a", 1]},
            [
                (
                    "FieldValueTypeInvalid",
                    "spec.tags[1]",
                    'Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
                )
            ],
        ),
        (
            {"labels": {"a": "1", "b": "2"}},
            [("FieldValueTooMany", "spec.labels", "Too many: 2: must have at most 1 items")],
        ),
        (
            {"labels": {"a": 1}},
            [
                (
                    "FieldValueTypeInvalid",
                    "spec.labels.a",
                    'Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
                )
            ],
        ),
    ],
)
def test_validate(spec: dict[str, Any], causes: list[tuple[str, str, str]]) -> None:
    assert validate(_spec(**spec), SCHEMA) == causes


def test_validate_reports_missing_required_fields_and_leaves_metadata_alone() -> None:
    obj = {"metadata": {"name": 3}, "spec": {}}
    assert validate(obj, SCHEMA) == [("FieldValueRequired", "spec.name", "Required value")]


ROOT = "spec.versions[0].schema.openAPIV3Schema"


@pytest.mark.parametrize(
    ("schema", "problems"),
    [
        ({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, []),
        (
            {
                "type": "object",
                "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            },
            [],
        ),
        (None, [("FieldValueRequired", ROOT, "Required value: schemas are required")]),
        ({"properties": {}}, [("FieldValueRequired", f"{ROOT}.type", "Required value: must not be empty at the root")]),
        (
            {"type": "string"},
            [("FieldValueInvalid", f"{ROOT}.type", 'Invalid value: "string": must be object at the root')],
        ),
        (
            {"type": "object", "properties": {"a": {"properties": {}}}},
            [
                (
                    "FieldValueRequired",
                    f"{ROOT}.properties[a].type",
                    "Required value: must not be empty for specified object fields",
                )
            ],
        ),
        (
            {"type": "object", "properties": {"a": {"type": "array", "items": {}}}},
            [
                (
                    "FieldValueRequired",
                    f"{ROOT}.properties[a].items.type",
                    "Required value: must not be empty for specified array items",
                )
            ],
        ),
        (
            {"type": "object", "properties": {"a": {"$ref": "#/x", "type": "object"}}},
            [("FieldValueForbidden", f"{ROOT}.properties[a].$ref", "Forbidden: $ref is not supported")],
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "object", "properties": {"b": STR}, "additionalProperties": STR}},
            },
            [
                (
                    "FieldValueForbidden",
                    f"{ROOT}.properties[a].additionalProperties",
                    "Forbidden: additionalProperties and properties are mutual exclusive",
                )
            ],
        ),
        (
            {"type": "object", "properties": {"a": {"type": "object", "oneOf": [{"type": "object"}]}}},
            [
                (
                    "FieldValueForbidden",
                    f"{ROOT}.properties[a].oneOf[0].type",
                    "Forbidden: must be empty to be structural",
                )
            ],
        ),
        (
            {"type": "object", "properties": {"metadata": {"type": "object", "properties": {"labels": OBJ}}}},
            [
                (
                    "FieldValueForbidden",
                    f"{ROOT}.properties[metadata]",
                    "Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
                )
            ],
        ),
        (
            {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "default": 0}}},
            [
                (
                    "FieldValueInvalid",
                    f"{ROOT}.properties[n].default",
                    f"Invalid value: 0: {ROOT}.properties[n].default in body should be greater than or equal to 1",
                )
            ],
        ),
    ],
)
def test_structural_problems(schema: Any, problems: list[tuple[str, str, str]]) -> None:
    assert structural_problems(schema, ROOT) == problems


# --- printer columns ---------------------------------------------------------------------------------------

COLUMNS: list[dict[str, Any]] = [
    {"name": "Clusters", "type": "string", "jsonPath": ".spec.clusters", "description": "Where."},
    {"name": "First", "type": "string", "jsonPath": ".spec.clusters[0]"},
    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
    {"name": "Hidden", "type": "boolean", "jsonPath": ".spec.hidden", "priority": 1},
    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "Env", "type": "string", "jsonPath": ".metadata.labels['example.com/env']"},
    {"name": "Expires", "type": "date", "jsonPath": ".status.expiresAt"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def test_printer_columns_render_as_the_apiserver_renders_them() -> None:
    created = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    obj = {
        "metadata": {"name": "b", "creationTimestamp": created, "labels": {"example.com/env": "dev"}},
        "spec": {"clusters": ["one", "two"], "replicas": 2, "hidden": False},
        "status": {
            "conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}],
            "expiresAt": future,
        },
    }
    result = table("g/bs", [obj, {"metadata": {"name": "empty"}}], {}, "None", COLUMNS)
    assert [(c["name"], c["type"], c["priority"], c["description"]) for c in result["columnDefinitions"]][:3] == [
        ("Name", "string", 0, result["columnDefinitions"][0]["description"]),
        ("Clusters", "string", 0, "Where."),
        ("First", "string", 0, ""),
    ]
    assert result["rows"][0]["cells"] == ["b", '["one","two"]', "one", 2, False, "True", "dev", "<invalid>", "5m"]
    assert result["rows"][1]["cells"] == ["empty", None, None, None, None, None, None, None, None]
    assert [c[0] for c in custom_columns([])] == ["Name", "Age"]
