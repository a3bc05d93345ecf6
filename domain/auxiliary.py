"""Auxiliary resources: extra objects (NetworkPolicy, RBAC, ...) deployed alongside a session's pods."""

from __future__ import annotations

from typing import Any, Literal

from domain.base import Model

FailurePolicy = Literal["fail", "ignore", "warn"]


class AuxiliaryResource(Model):
    """One auxiliary resource definition; `templateString` (multi-document) xor `template` (one object)."""

    name: str = ""
    description: str = ""
    category: str = ""
    template_string: str | None = None
    template: Any = None
    """Deprecated single-object form; must be a mapping (a Kubernetes object), checked by the rules."""
    create_before: bool = True
    delete_after: bool = True
    failure_policy: FailurePolicy | None = None
    """Omitted means `fail`; the deprecated `optional: true` means `ignore`."""
    optional: bool | None = None

    def effective_failure_policy(self) -> FailurePolicy:
        """`failurePolicy` if set, else `ignore` for the deprecated `optional: true`, else `fail`."""
        if self.failure_policy is not None:
            return self.failure_policy
        return "ignore" if self.optional else "fail"
