"""From a raw YAML document to a validated model of its kind, with findings in admin terms."""

from __future__ import annotations

import re
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from domain.base import API_GROUP, API_VERSION, Model, strip_unknown
from domain.binding import DebugSessionClusterBinding
from domain.catalog import aliases
from domain.cluster import ClusterConfig
from domain.diagnostics import Finding, error, join_key, join_path, warning
from domain.k8s import describe_value
from domain.pod_template import DebugPodTemplate
from domain.session import DebugSession
from domain.session_template import DebugSessionTemplate

KINDS: dict[str, type[Model]] = {
    "DebugPodTemplate": DebugPodTemplate,
    "DebugSessionTemplate": DebugSessionTemplate,
    "DebugSessionClusterBinding": DebugSessionClusterBinding,
    "DebugSession": DebugSession,
    "ClusterConfig": ClusterConfig,
}
CATALOG_KINDS = ("DebugPodTemplate", "DebugSessionTemplate", "DebugSessionClusterBinding", "ClusterConfig")


def parse_resource(data: Any, kinds: tuple[str, ...] = CATALOG_KINDS) -> tuple[Model | None, list[Finding]]:
    """Validate one document. Returns the model (None if it has errors or is not ours) and the findings.

    Documents of other API groups are skipped with a warning (a manifest directory may hold other
    objects); an unknown kind of our group is an error (it is almost certainly a typo).
    """
    if not isinstance(data, dict):
        return None, [error("-", f"a manifest must be a mapping with apiVersion and kind, got {describe_value(data)}")]
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    findings: list[Finding] = []
    if not isinstance(kind, str) or not kind:
        findings.append(error("kind", "required field is missing"))
    if not isinstance(api_version, str) or not api_version:
        findings.append(error("apiVersion", f"required field is missing (expected {API_VERSION})"))
    if findings:
        return None, findings
    assert isinstance(kind, str)
    assert isinstance(api_version, str)
    group = api_version.rpartition("/")[0]
    if group != API_GROUP:
        return None, [warning("-", f"{kind} ({api_version}) is not a catalog resource; ignored")]
    if api_version != API_VERSION:
        return None, [error("apiVersion", f'unsupported version "{api_version}" (expected {API_VERSION})')]
    if kind not in kinds:
        return None, [error("kind", f'unknown kind "{kind}" (expected one of: {", ".join(kinds)})')]
    return validatedescribe_value(KINDS[kind], data)


def validatedescribe_value(model: type[Model], data: dict[str, Any]) -> tuple[Model | None, list[Finding]]:
    """Normalise seed spellings, validate against `model`, and strip unknown fields with warnings."""
    data = _deep_copy(data)
    findings = aliases.normalise(model.__name__, data)
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        return None, findings + pydantic_findings(exc, model)
    findings += strip_unknown(obj)
    if any(f.severity == "error" for f in findings):
        return None, findings
    return obj, findings


_UNION_TAG = re.compile(r"^(int|str|bool|float|none|[a-z-]+\[.*\])$")


def pydantic_findings(exc: ValidationError, model: type[BaseModel]) -> list[Finding]:
    """Translate pydantic errors into one finding per field path, phrased for an admin."""
    by_path: dict[str, list[ErrorDetails]] = {}
    for err in exc.errors(include_url=False):
        by_path.setdefault(_path(err["loc"], model) or "-", []).append(err)
    return [error(path, _message(errs)) for path, errs in by_path.items()]


def _path(loc: tuple[str | int, ...], model: type[BaseModel]) -> str:
    """Render a pydantic location, telling map keys (`[key]`) from fields (`.field`) by the model's types."""
    path = ""
    typ: Any = model
    for part in loc:
        typ = _unwrap(typ)
        origin = get_origin(typ)
        if isinstance(part, int):
            path = join_path(path, part)
            typ = get_args(typ)[0] if origin is list and get_args(typ) else Any
        elif isinstance(typ, type) and issubclass(typ, BaseModel):
            field = next((f for n, f in typ.model_fields.items() if part in (n, f.alias)), None)
            path = join_path(path, part)
            typ = field.annotation if field is not None else Any
        elif origin is dict:
            path = join_key(path, part)
            typ = get_args(typ)[1] if get_args(typ) else Any
        elif _UNION_TAG.match(part):
            continue  # pydantic tags each union member; the admin only cares about the field
        else:
            path = join_path(path, part)
            typ = Any
    return path


def _unwrap(typ: Any) -> Any:
    """Strip Annotated and Optional so the container or model type shows."""
    while True:
        origin = get_origin(typ)
        if origin is Annotated:
            typ = get_args(typ)[0]
        elif origin in (Union, UnionType):
            members = [a for a in get_args(typ) if a is not type(None)]
            if len(members) != 1:
                return typ
            typ = members[0]
        else:
            return typ


def _message(errs: list[ErrorDetails]) -> str:
    if len(errs) > 1:
        expected = sorted({_expected(e["type"]) for e in errs} - {""})
        if expected:
            return f"must be {' or '.join(expected)}, got {describe_value(errs[0].get('input'))}"
    err = errs[0]
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx", {})
    if kind == "missing":
        return "required field is missing"
    if _expected(kind):
        return f"must be {_expected(kind)}, got {describe_value(value)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}, got {value!r}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match {ctx.get('pattern')}"
    msg = str(err["msg"])
    return msg[0].lower() + msg[1:] if msg else kind


_EXPECTED = {
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "int_type": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "datetime_type": "an RFC 3339 time",
    "datetime_from_date_parsing": "an RFC 3339 time",
    "datetime_parsing": "an RFC 3339 time",
    "timezone_aware": "an RFC 3339 time with a timezone",
}


def _expected(kind: str) -> str:
    return _EXPECTED.get(kind, "")


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
