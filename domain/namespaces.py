"""Namespace filters (patterns + label selector terms) and namespace constraints."""

from __future__ import annotations

from pydantic import Field

from domain.base import Model
from domain.meta import LabelSelectorRequirement, StringMap


class NamespaceSelectorTerm(Model):
    """One label-selector term; terms are OR-ed, and inside a term everything is AND-ed."""

    match_labels: StringMap = Field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list)


class NamespaceFilter(Model):
    """Namespaces matching any glob pattern OR any selector term."""

    patterns: list[str] = Field(default_factory=list)
    selector_terms: list[NamespaceSelectorTerm] = Field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the filter names nothing (no pattern and no selector term)."""
        return not self.patterns and not self.selector_terms


class NamespaceConstraints(Model):
    """Where a session's workloads may be deployed."""

    allowed_namespaces: NamespaceFilter | None = None
    """Absent or empty: only `defaultNamespace` is allowed."""
    denied_namespaces: NamespaceFilter | None = None
    default_namespace: str = "breakglass-debug"
    allow_user_namespace: bool = False
    deny_user_namespace: bool | None = None
    create_if_not_exists: bool = False
    namespace_labels: StringMap = Field(default_factory=dict)
