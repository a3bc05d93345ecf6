"""The base of every manifest model: camelCase fields, strict types, unknown fields collected not lost."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from domain import k8s
from domain.diagnostics import Finding, join_key, join_path, unknown_field

API_VERSION = "breakglass.t-caas.telekom.com/v1alpha1"
API_GROUP = "breakglass.t-caas.telekom.com"


class Model(BaseModel):
    """Manifest model: fields are snake_case in Python and camelCase in YAML/JSON.

    `extra="allow"` keeps unknown fields long enough for `strip_unknown` to report each one with its
    exact path; the catalog never lets one through. `strict=True` because YAML already yields native
    types: a string where a boolean belongs is a mistake, not something to coerce.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        strict=True,
        serialize_by_alias=True,
    )

    def given(self, field: str) -> bool:
        """True if the manifest set `field` (by its Python name), even to its default value."""
        return field in self.model_fields_set and field in type(self).model_fields


class Frozen(BaseModel):
    """Immutable value computed by our code (resolution results, snapshots): camelCase on the wire like
    the manifests, so a workflow input reads the same as the catalog in the Temporal UI."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        serialize_by_alias=True,
    )


def strip_unknown(model: BaseModel, path: str = "") -> list[Finding]:
    """Remove unknown fields from `model` and everything below it; one warning per removed field."""
    findings: list[Finding] = []
    extra = model.__pydantic_extra__
    fields = type(model).model_fields
    if extra:
        known = [f.alias or name for name, f in fields.items()]
        for key in list(extra):
            findings.append(unknown_field(join_path(path, str(key)), str(key), known))
        extra.clear()
    for name, field in fields.items():
        value = getattr(model, name)
        child = join_path(path, field.alias or name)
        marker = next((m for m in field.metadata if isinstance(m, k8s.K8sType)), None)
        if marker is not None:
            cleaned, found = k8s.check(value, marker.ref, child)
            object.__setattr__(model, name, cleaned)
            findings.extend(found)
        else:
            findings.extend(_walk(value, child))
    return findings


def _walk(value: Any, path: str) -> list[Finding]:
    if isinstance(value, BaseModel):
        return strip_unknown(value, path)
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in _walk(item, join_path(path, i))]
    if isinstance(value, dict):
        return [f for key, item in value.items() for f in _walk(item, join_key(path, str(key)))]
    return []
