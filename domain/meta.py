"""Object metadata and the common resource envelope (apiVersion/kind/metadata/spec/status)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, Strict

from domain.base import Model
from domain.k8s import K8sType

Time = Annotated[AwareDatetime, Strict(False)]
"""RFC 3339 instant. Lax on purpose: YAML yields a datetime when unquoted and a string when quoted."""

StringMap = dict[str, str]


class ObjectMeta(Model):
    """The subset of Kubernetes ObjectMeta that manifests of our kinds carry."""

    name: str = ""
    generate_name: str | None = None
    namespace: str | None = None
    labels: StringMap = Field(default_factory=dict)
    annotations: StringMap = Field(default_factory=dict)
    # Present in manifests exported with `kubectl get -o yaml`; accepted and not interpreted.
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: Time | None = None
    deletion_timestamp: Time | None = None
    finalizers: list[str] | None = None
    owner_references: Annotated[list[dict[str, Any]] | None, K8sType("[]V1OwnerReference")] = None
    managed_fields: list[dict[str, Any]] | None = None


class NameRef(Model):
    """`{name: ...}` reference to a cluster-scoped object."""

    name: str = Field(min_length=1)


class NamespacedRef(Model):
    """`{name, namespace}` reference to a namespaced object; both required and non-empty."""

    name: str = Field(min_length=1)
    namespace: str = Field(min_length=1)


class LabelSelectorRequirement(Model):
    """One `matchExpressions` entry of a Kubernetes label selector."""

    key: str = Field(min_length=1, max_length=63)
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] = Field(default_factory=list)


class LabelSelector(Model):
    """A Kubernetes label selector (`matchLabels` AND `matchExpressions`)."""

    match_labels: StringMap = Field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list)
