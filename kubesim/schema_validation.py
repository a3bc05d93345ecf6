"""OpenAPI v3 schemas of custom resources, applied as kube-apiserver applies them.

On every write of a custom resource the apiserver, in this order, prunes the fields its schema does not
declare (keeping those under `x-kubernetes-preserve-unknown-fields`), drops nulls of non-nullable fields,
fills in defaults, and validates what is left; this module does each step with the apiserver's paths and
messages. It also checks that a CRD's schema is structural, as `apiextensions.k8s.io/v1` requires.

`x-kubernetes-validations` (CEL) rules are not evaluated: kubesim has no CEL interpreter.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

Schema = dict[str, Any]
Cause = tuple[str, str, str]
"""(reason, field, message), as `errors.invalid` takes them."""

ROOT_FIELDS = frozenset({"apiVersion", "kind", "metadata"})
"""Kept on every object whatever its schema says."""
OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$")
_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_INT_OR_STRING = "x-kubernetes-int-or-string"
_EMBEDDED = "x-kubernetes-embedded-resource"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------------------------- pruning


def prune(obj: dict[str, Any], schema: Schema) -> list[str]:
    """Remove every field `schema` does not declare from the object, in place; return their paths.

    apiVersion, kind and metadata stay on the root (metadata keeps ObjectMeta's fields only), nulls of
    fields that are neither nullable nor defaulted are dropped without being reported, as the apiserver
    does before defaulting. The paths come sorted, as the apiserver reports them.
    """
    unknown: list[str] = []
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for key in [k for k in meta if k not in OBJECT_META_FIELDS]:
            del meta[key]
            unknown.append(f"metadata.{key}")
    _prune_object(obj, schema, "", unknown, ROOT_FIELDS)
    return sorted(unknown)


def _prune(value: Any, schema: Schema, path: str, unknown: list[str]) -> None:
    if isinstance(value, dict):
        keep = ROOT_FIELDS if schema.get(_EMBEDDED) else frozenset()
        _prune_object(value, schema, path, unknown, keep)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _prune(item, schema["items"], f"{path}[{i}]", unknown)


def _prune_object(obj: dict[str, Any], schema: Schema, path: str, unknown: list[str], keep: frozenset[str]) -> None:
    props: Schema = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    for key in list(obj):
        if key in keep:
            continue  # apiVersion and kind are strings; metadata is ObjectMeta whatever the schema says
        child = _join(path, str(key))
        sub = props.get(key)
        if sub is None and isinstance(extra, dict):
            sub = extra
        if sub is None:
            if schema.get(_PRESERVE) or extra is True:
                continue
            del obj[key]
            unknown.append(child)
            continue
        if obj[key] is None and key in props and not sub.get("nullable") and "default" not in sub:
            del obj[key]
            continue
        _prune(obj[key], sub, child, unknown)


# ------------------------------------------------------------------------------------------- defaulting


def apply_defaults(value: Any, schema: Schema) -> None:
    """Fill in `default`s of absent (or null, non-nullable) properties, top-down, in place."""
    if isinstance(value, dict):
        props: Schema = schema.get("properties") or {}
        for key, sub in props.items():
            if "default" in sub and (key not in value or (value[key] is None and not sub.get("nullable"))):
                value[key] = copy.deepcopy(sub["default"])
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key) or (extra if isinstance(extra, dict) else None)
            if sub is not None:
                apply_defaults(item, sub)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


# ------------------------------------------------------------------------------------------- validation


def validate(obj: Any, schema: Schema) -> list[Cause]:
    """Every violation of `schema` in `obj`, as the apiserver words them (the root's metadata excepted)."""
    out: list[Cause] = []
    # kubesim checks metadata itself (names, labels), as the apiserver does apart from the schema.
    _validate({k: v for k, v in obj.items() if k != "metadata"} if isinstance(obj, dict) else obj, schema, "", out)
    return out


def json_type(value: Any) -> str:
    """The JSON type name of a value, as kube-openapi reports it (`integer` for whole numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str | datetime | date):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def go_value(value: Any) -> str:
    """A value as Go's field errors print it (`"text"`, `3`, `true`, `null`)."""
    if value is None:
        return '"null"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return json.dumps(str(value))


def _type_error(path: str, expected: str, actual: str) -> Cause:
    return (
        "FieldValueTypeInvalid",
        path,
        f'Invalid value: "{actual}": {path} in body must be of type {expected}: "{actual}"',
    )


def _invalid(path: str, value: Any, detail: str) -> Cause:
    return ("FieldValueInvalid", path, f"Invalid value: {go_value(value)}: {path} in body {detail}")


def _validate(value: Any, s: Schema, path: str, out: list[Cause]) -> None:
    if value is None and (s.get("nullable") or "type" not in s):
        return
    if s.get(_INT_OR_STRING):
        actual = json_type(value)
        if actual not in ("integer", "string"):
            out.append(_type_error(path, "integer,string", actual))
        return
    expected = s.get("type")
    actual = json_type(value)
    if expected and actual != expected and not (expected == "number" and actual == "integer"):
        out.append(_type_error(path, expected, actual))
        return
    if "enum" in s and value not in s["enum"]:
        supported = ", ".join(go_value(v) for v in s["enum"])
        out.append(
            ("FieldValueNotSupported", path, f"Unsupported value: {go_value(value)}: supported values: {supported}")
        )
    if actual in ("integer", "number"):
        _numeric(value, s, path, out)
    elif actual == "string":
        _string(value, s, path, out)
    elif actual == "array":
        _array(value, s, path, out)
    elif actual == "object":
        _object(value, s, path, out)


def _numeric(value: float, s: Schema, path: str, out: list[Cause]) -> None:
    low, high = s.get("minimum"), s.get("maximum")
    if low is not None:
        if s.get("exclusiveMinimum") and value <= low:
            out.append(_invalid(path, value, f"should be greater than {go_value(low)}"))
        elif value < low:
            out.append(_invalid(path, value, f"should be greater than or equal to {go_value(low)}"))
    if high is not None:
        if s.get("exclusiveMaximum") and value >= high:
            out.append(_invalid(path, value, f"should be less than {go_value(high)}"))
        elif value > high:
            out.append(_invalid(path, value, f"should be less than or equal to {go_value(high)}"))


def _string(value: Any, s: Schema, path: str, out: list[Cause]) -> None:
    text = value if isinstance(value, str) else value.isoformat()
    if "maxLength" in s and len(text) > s["maxLength"]:
        unit = "byte" if s["maxLength"] == 1 else "bytes"
        out.append(("FieldValueTooLong", path, f"Too long: may not be more than {s['maxLength']} {unit}"))
    if "minLength" in s and len(text) < s["minLength"]:
        out.append(_invalid(path, text, f"should be at least {s['minLength']} chars long"))
    if "pattern" in s and not re.search(s["pattern"], text):
        out.append(_invalid(path, text, f"should match '{s['pattern']}'"))
    if s.get("format") == "date-time" and isinstance(value, str) and not _DATE_TIME.match(value):
        out.append(_invalid(path, text, f'must be of type date-time: "{text}"'))


def _array(value: list[Any], s: Schema, path: str, out: list[Cause]) -> None:
    if "maxItems" in s and len(value) > s["maxItems"]:
        out.append(("FieldValueTooMany", path, f"Too many: {len(value)}: must have at most {s['maxItems']} items"))
    if "minItems" in s and len(value) < s["minItems"]:
        out.append(_invalid(path, len(value), f"should have at least {s['minItems']} items"))
    items = s.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _validate(item, items, f"{path}[{i}]", out)


def _object(value: dict[str, Any], s: Schema, path: str, out: list[Cause]) -> None:
    if "maxProperties" in s and len(value) > s["maxProperties"]:
        out.append(("FieldValueTooMany", path, f"Too many: {len(value)}: must have at most {s['maxProperties']} items"))
    if "minProperties" in s and len(value) < s["minProperties"]:
        out.append(_invalid(path, len(value), f"should have at least {s['minProperties']} properties"))
    for key in s.get("required") or []:
        if key not in value:
            out.append(("FieldValueRequired", _join(path, key), "Required value"))
    props: Schema = s.get("properties") or {}
    extra = s.get("additionalProperties")
    for key, item in value.items():
        sub = props.get(key) or (extra if isinstance(extra, dict) else None)
        if sub is not None:
            _validate(item, sub, _join(path, str(key)), out)


# ------------------------------------------------------------------------------ structural schemas (CRDs)

_FORBIDDEN = {
    "$ref": "$ref is not supported",
    "definitions": "definitions is not supported",
    "id": "id is not supported",
    "$schema": "$schema is not supported",
    "patternProperties": "patternProperties is not supported",
    "dependencies": "dependencies is not supported",
    "additionalItems": "additionalItems is not supported",
}
_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
_NOT_IN_JUNCTORS = ("type", "description", "default", "additionalProperties", "nullable")


def structural_problems(schema: Any, path: str) -> list[Cause]:
    """Why a CRD version's openAPIV3Schema is not a structural schema kube-apiserver accepts (empty: it is)."""
    if not isinstance(schema, dict):
        return [("FieldValueRequired", path, "Required value: schemas are required")]
    out: list[Cause] = []
    if "type" not in schema:
        out.append(("FieldValueRequired", f"{path}.type", "Required value: must not be empty at the root"))
    elif schema["type"] != "object":
        out.append(
            ("FieldValueInvalid", f"{path}.type", f'Invalid value: "{schema["type"]}": must be object at the root')
        )
    meta = (schema.get("properties") or {}).get("metadata")
    if isinstance(meta, dict) and set(meta.get("properties") or {}) - {"name", "generateName"}:
        out.append(
            (
                "FieldValueForbidden",
                f"{path}.properties[metadata]",
                "Forbidden: must not specify anything other than name and generateName, but metadata is "
                "implicitly specified",
            )
        )
    for node, where, context in _nodes(schema, path, "root"):
        out += _node_problems(node, where, context)
    return out


def _nodes(node: Schema, path: str, context: str) -> Iterator[tuple[Schema, str, str]]:
    yield node, path, context
    for key, sub in (node.get("properties") or {}).items():
        if isinstance(sub, dict):
            yield from _nodes(sub, f"{path}.properties[{key}]", "object fields")
    if isinstance(node.get("items"), dict):
        yield from _nodes(node["items"], f"{path}.items", "array items")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _nodes(node["additionalProperties"], f"{path}.additionalProperties", "additionalProperties")


def _node_problems(node: Schema, path: str, context: str) -> list[Cause]:
    out: list[Cause] = []
    for key, why in _FORBIDDEN.items():
        if key in node:
            out.append(("FieldValueForbidden", f"{path}.{key}", f"Forbidden: {why}"))
    if node.get("uniqueItems") is True:
        out.append(
            (
                "FieldValueForbidden",
                f"{path}.uniqueItems",
                "Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            )
        )
    if context != "root" and "type" not in node and not node.get(_PRESERVE) and not node.get(_INT_OR_STRING):
        out.append(("FieldValueRequired", f"{path}.type", f"Required value: must not be empty for specified {context}"))
    if "items" in node and not isinstance(node["items"], dict):
        out.append(
            ("FieldValueForbidden", f"{path}.items", "Forbidden: items must be a schema object and not an array")
        )
    if node.get("properties") and node.get("additionalProperties") not in (None, False):
        out.append(
            (
                "FieldValueForbidden",
                f"{path}.additionalProperties",
                "Forbidden: additionalProperties and properties are mutual exclusive",
            )
        )
    for junctor in _JUNCTORS:
        branches = node.get(junctor)
        for i, branch in enumerate(branches if isinstance(branches, list) else [branches] if branches else []):
            for key in _NOT_IN_JUNCTORS:
                if isinstance(branch, dict) and key in branch:
                    where = f"{path}.{junctor}[{i}].{key}" if junctor != "not" else f"{path}.not.{key}"
                    out.append(("FieldValueForbidden", where, "Forbidden: must be empty to be structural"))
    if "default" in node:
        value = copy.deepcopy(node["default"])
        pruned: list[str] = []
        _prune(value, node, "", pruned)
        if pruned:
            out.append(
                ("FieldValueInvalid", f"{path}.default", f"Invalid value: must not have unknown fields: {pruned}")
            )
        _validate(value, node, f"{path}.default", out)
    return out
