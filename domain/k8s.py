"""Embedded Kubernetes types (PodSpec, Affinity, Toleration, ...): field-name and shape checks.

Our manifests embed core Kubernetes types. We keep them as plain dicts (they are passed through to the
cluster unchanged) but check them against the field tables of the official client, generated into
`k8s_schema.json` by `tools/gen_k8s_schema.py`: an unknown field is dropped with a warning (as an
apiserver with fieldValidation=Warn does), a value of the wrong shape is an error (the apiserver would
reject the object).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from domain.diagnostics import Finding, error, join_key, join_path, unknown_field


@dataclass(frozen=True)
class K8sType:
    """Annotation marker: the annotated dict/list field holds values of this Kubernetes type.

    `ref` uses the table's notation: `V1PodSpec`, `[]V1Container`, `map:str`.
    """

    ref: str


@cache
def _types() -> dict[str, dict[str, str]]:
    data = json.loads(resources.files("domain").joinpath("k8s_schema.json").read_text())
    types: dict[str, dict[str, str]] = data["types"]
    return types


def known_type(ref: str) -> bool:
    """True if `ref` (without list/map prefixes) is in the generated table or is a scalar."""
    inner = ref.removeprefix("[]").removeprefix("map:").removeprefix("[]")
    return inner in _types() or inner in _SCALARS


_SCALARS = {"str", "int", "bool", "float", "object", "datetime"}


def check(value: Any, ref: str, path: str) -> tuple[Any, list[Finding]]:
    """Check `value` against type `ref`; return it with unknown fields removed, plus the findings."""
    findings: list[Finding] = []
    cleaned = _check(value, ref, path, findings)
    return cleaned, findings


def _check(value: Any, ref: str, path: str, out: list[Finding]) -> Any:
    if value is None:
        return None
    if ref.startswith("[]"):
        if not isinstance(value, list):
            out.append(error(path, f"must be a list, got {describe_value(value)}"))
            return value
        return [_check(item, ref[2:], join_path(path, i), out) for i, item in enumerate(value)]
    if ref.startswith("map:"):
        if not isinstance(value, dict):
            out.append(error(path, f"must be a mapping, got {describe_value(value)}"))
            return value
        return {k: _check(v, ref[4:], join_key(path, str(k)), out) for k, v in value.items()}
    if ref in _SCALARS:
        _check_scalar(value, ref, path, out)
        return value
    fields = _types()[ref]
    if not isinstance(value, dict):
        out.append(error(path, f"must be a mapping ({_display(ref)}), got {describe_value(value)}"))
        return value
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        child = join_path(path, str(key))
        if key not in fields:
            out.append(unknown_field(child, str(key), fields, f" (not part of {_display(ref)})"))
            continue
        cleaned[key] = _check(item, fields[key], child, out)
    return cleaned


def _check_scalar(value: Any, ref: str, path: str, out: list[Finding]) -> None:
    if ref == "bool" and not isinstance(value, bool):
        out.append(error(path, f"must be a boolean (true or false), got {describe_value(value)}"))
    elif ref == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        out.append(error(path, f"must be an integer, got {describe_value(value)}"))
    elif ref == "str" and (isinstance(value, bool) or not isinstance(value, str | int | float)):
        # Quantities ("cpu: 1") and ports arrive as numbers from YAML and are accepted by the apiserver;
        # booleans and structures are not (an unquoted `true` in a nodeSelector is a classic mistake).
        hint = ' (quote it: "true")' if isinstance(value, bool) else ""
        out.append(error(path, f"must be a string, got {describe_value(value)}{hint}"))
    elif ref == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
        out.append(error(path, f"must be a number, got {describe_value(value)}"))


def describe_value(value: Any) -> str:
    """What kind of YAML value this is, in words for messages (`a string`, `a list`, `null`, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _display(ref: str) -> str:
    """`V1PodSpec` -> `PodSpec`, the name admins know from the Kubernetes API reference."""
    for prefix in ("V1beta1", "V1alpha1", "V1", "CoreV1"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref
